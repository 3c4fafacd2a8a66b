#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for trying and testing the sbatch templates: Debian's
# slurm-wlm and munge, slurmctld and slurmd on localhost, one partition `local` with this
# machine's cores. Root. Writes /etc/slurm/slurm.conf unless one not written by this script is
# there (a real cluster's node is left alone).
#
#   launch/slurm/local-cluster.sh start     install (apt) when missing, configure, start
#   launch/slurm/local-cluster.sh stop      stop the daemons (the configuration stays)
set -euo pipefail
marker="# written by VAEKit's launch/slurm/local-cluster.sh"
conf=/etc/slurm/slurm.conf
state=/var/lib/vaekit-slurm

start() {
    [ "$(id -u)" = 0 ] || { echo "local-cluster.sh: needs root" >&2; exit 2; }
    if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
    fi
    if [ -f "$conf" ] && ! grep -qF "$marker" "$conf"; then
        echo "local-cluster.sh: $conf exists and was not written by this script; leaving it" >&2
        exit 2
    fi
    host=$(hostname -s)
    cpus=$(nproc)
    memory=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024))
    mkdir -p "$state/ctld" "$state/d" /var/log/slurm /run/munge
    cat >"$conf" <<CONF
$marker
ClusterName=vaekit-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
InactiveLimit=0
KillWait=5
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
    chown munge:munge /run/munge
    pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged
    pgrep -x slurmctld >/dev/null || slurmctld
    pgrep -x slurmd >/dev/null || slurmd
    for _ in $(seq 60); do
        sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && { sinfo; return 0; }
        sleep 0.5
    done
    echo "local-cluster.sh: the node did not become idle; see /var/log/slurm/" >&2
    sinfo >&2 || true
    exit 1
}

stop() {
    pkill -x slurmd || true
    pkill -x slurmctld || true
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) sed -n '2,9p' "$0" >&2; exit 2 ;;
esac
