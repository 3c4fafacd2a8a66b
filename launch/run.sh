#!/usr/bin/env bash
# Any vaekit command under mpirun, on this machine, on the hosts of a hostfile, or on hosts made
# of network namespaces (TCP between them, as between machines):
#
#   launch/run.sh [-n RANKS] [--hostfile FILE | --hosts netns:N] [--threads-per-rank T] -- <vaekit arguments>
#   launch/run.sh -n 2 --hosts netns:2 -- influence query --run runs/demo --test test:0-9
#
# RANKS defaults to the number of cores (to the host count with --hosts). --hosts netns:N runs on
# the first N namespace hosts of launch/cluster/netns.sh (bringing them up when fewer exist; root),
# ranks round-robin over the hosts, through Open MPI's rsh launcher, TCP the only transport. Each rank runs
# with T BLAS threads (default 1), bound to its cores when the ranks fit this machine. Root is
# allowed (containers, CI). Extra Open MPI options: VAEKIT_MPIRUN_OPTIONS="--mca btl self,vader,tcp".
set -euo pipefail
cd "$(dirname "$0")/.."
. launch/env.sh

ranks=
hosts=()
threads=1
netns=
while [ $# -gt 0 ]; do
    case "$1" in
        -n | --ranks) ranks=$2; shift 2 ;;
        --hostfile) hosts=(--hostfile "$2"); shift 2 ;;
        --hosts)
            [[ "$2" =~ ^netns:([0-9]+)$ ]] || { echo "run.sh: --hosts takes netns:N, got '$2'" >&2; exit 2; }
            netns=${BASH_REMATCH[1]}; shift 2 ;;
        --threads-per-rank) threads=$2; shift 2 ;;
        --) shift; break ;;
        *) echo "run.sh: unknown option $1 (see the header of this script)" >&2; exit 2 ;;
    esac
done
[ -x .build/release/vaekit ] || launch/setup.sh

placement=(--bind-to core --map-by "core:PE=$threads")
if [ -n "$netns" ]; then
    state=/run/vaekit-netns
    have=$(grep -c . "$state/hostfile" 2>/dev/null || true)
    [ "${have:-0}" -ge "$netns" ] || launch/cluster/netns.sh up "$netns" >/dev/null
    hostfile=$state/hostfile-$netns
    head -n "$netns" "$state/hostfile" >"$hostfile"
    ranks=${ranks:-$netns}
    subnet=10.213.77.0/24
    # Namespace hosts share this machine's cores: ranks go round the hosts, unbound.
    hosts=(--hostfile "$hostfile" --mca plm_rsh_agent "$PWD/launch/cluster/netns.sh agent"
        --mca btl tcp,self --mca btl_tcp_if_include "$subnet" --mca oob_tcp_if_include "$subnet"
        --stdin none --wdir "$PWD")
    placement=(--map-by node --bind-to none)
fi
ranks=${ranks:-$(nproc)}
if [ -z "$netns" ] && [ ${#hosts[@]} -eq 0 ] && [ $((ranks * threads)) -gt "$(nproc)" ]; then
    placement=(--oversubscribe --bind-to none)
fi
# A host that stops answering (a cut link, a dead machine) ends the job within about 10 s: mpirun's
# connections to its daemons send TCP keepalives after 5 s of silence (default: 300 s, then minutes
# of retries while ranks wait in a collective). The collective watchdog names the silent rank.
keepalive=(--mca oob_tcp_keepalive_time 5 --mca oob_tcp_keepalive_intvl 1 --mca oob_tcp_keepalive_probes 5)
# shellcheck disable=SC2086
exec mpirun "${keepalive[@]}" -np "$ranks" "${hosts[@]}" "${placement[@]}" \
    -x OPENBLAS_CORETYPE -x OPENBLAS_NUM_THREADS="$threads" -x OMP_NUM_THREADS=1 -x PATH \
    ${VAEKIT_MPIRUN_OPTIONS:-} \
    .build/release/vaekit "$@"
