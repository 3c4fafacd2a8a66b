#!/usr/bin/env bash
# A cluster of hosts on one machine: Linux network namespaces joined by veth pairs on a bridge,
# so that MPI traffic between "hosts" crosses a real TCP/IP stack. Needs root. Touches only what
# it creates: namespaces vaekit-h0…, veth pairs vkh0…, the bridge vaekit-br0 and the private
# subnet 10.213.77.0/24 (bridge .1, host i at .(10+i)).
#
#   launch/cluster/netns.sh up N           create N hosts; writes the hostfile (printed)
#   launch/cluster/netns.sh down           remove every host and the bridge
#   launch/cluster/netns.sh cut I          take host I's link down (a cut cable)
#   launch/cluster/netns.sh restore I      bring it back up
#   launch/cluster/netns.sh rate I RATE    limit host I's link with tbf (e.g. 100mbit, 10gbit)
#   launch/cluster/netns.sh unlimit I      remove the limit
#   launch/cluster/netns.sh kill I         SIGKILL every process in host I (a dead host)
#   launch/cluster/netns.sh agent HOST CMD…  Open MPI's plm_rsh_agent: runs CMD inside the
#                                            namespace of HOST (an address from the hostfile)
#   launch/cluster/netns.sh hostfile       the hostfile's path
set -euo pipefail
state=/run/vaekit-netns
bridge=vaekit-br0
subnet=10.213.77
hostfile=$state/hostfile

need_root() { [ "$(id -u)" = 0 ] || { echo "netns.sh: needs root (network namespaces)" >&2; exit 2; }; }
host_index() {  # an index or an address of the hostfile → the index
    case "$1" in
        "$subnet".*) echo $(( ${1##*.} - 10 )) ;;
        *[!0-9]* | "") echo "netns.sh: '$1' is not a host index or a $subnet.x address" >&2; exit 2 ;;
        *) echo "$1" ;;
    esac
}
check_host() { ip netns list | grep -qw "vaekit-h$1" || { echo "netns.sh: no host $1 (run 'up' first)" >&2; exit 2; }; }

down() {
    for ns in $(ip netns list | awk '/^vaekit-h[0-9]+/ {print $1}'); do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns"
    done
    for link in $(ip -o link show | awk -F': ' '{print $2}' | grep -E '^vkh[0-9]+' | cut -d@ -f1); do
        ip link del "$link" 2>/dev/null || true
    done
    ip link show "$bridge" >/dev/null 2>&1 && ip link del "$bridge"
    rm -rf "$state"
}

up() {
    local count=$1
    [[ "$count" =~ ^[0-9]+$ ]] && [ "$count" -ge 1 ] && [ "$count" -le 64 ] \
        || { echo "netns.sh: up takes a host count of 1–64, got '$count'" >&2; exit 2; }
    down
    mkdir -p "$state"
    ip link add "$bridge" type bridge
    ip addr add "$subnet.1/24" dev "$bridge"
    ip link set "$bridge" up
    : >"$hostfile"
    for ((i = 0; i < count; i++)); do
        ip netns add "vaekit-h$i"
        ip link add "vkh$i" type veth peer name eth0 netns "vaekit-h$i"
        ip link set "vkh$i" master "$bridge"
        ip link set "vkh$i" up
        ip netns exec "vaekit-h$i" ip addr add "$subnet.$((10 + i))/24" dev eth0
        ip netns exec "vaekit-h$i" ip link set eth0 up
        ip netns exec "vaekit-h$i" ip link set lo up
        echo "$subnet.$((10 + i)) slots=64" >>"$hostfile"
    done
    echo "$hostfile"
}

need_root
command=${1:-}
shift || true
case "$command" in
    up) up "${1:-2}" ;;
    down) down ;;
    cut) i=$(host_index "$1"); check_host "$i"; ip link set "vkh$i" down ;;
    restore)
        i=$(host_index "$1"); check_host "$i"
        ip link set "vkh$i" up
        # Forget the neighbours that failed while the link was down, and return once the bridge
        # forwards the port again (a connection made sooner can be refused).
        ip netns exec "vaekit-h$i" ip neigh flush all
        ip neigh flush dev "$bridge"
        for _ in $(seq 50); do
            [ "$(cat "/sys/class/net/vkh$i/brport/state" 2>/dev/null)" = 3 ] \
                && [ "$(ip netns exec "vaekit-h$i" cat /sys/class/net/eth0/operstate)" = up ] && break
            sleep 0.1
        done ;;
    rate)
        i=$(host_index "$1"); check_host "$i"
        # tbf needs a burst of at least rate/HZ; 1/100 s of traffic covers every kernel's HZ.
        bits=$(numfmt --from=si "$(tr a-z A-Z <<<"${2%bit}")")
        burst=$(( bits / 8 / 100 > 4096 ? bits / 8 / 100 : 4096 ))
        for dev in "vkh$i"; do tc qdisc replace dev "$dev" root tbf rate "$2" burst "$burst" latency 50ms; done
        ip netns exec "vaekit-h$i" tc qdisc replace dev eth0 root tbf rate "$2" burst "$burst" latency 50ms ;;
    unlimit)
        i=$(host_index "$1"); check_host "$i"
        tc qdisc del dev "vkh$i" root 2>/dev/null || true
        ip netns exec "vaekit-h$i" tc qdisc del dev eth0 root 2>/dev/null || true ;;
    kill) i=$(host_index "$1"); check_host "$i"; ip netns pids "vaekit-h$i" | xargs -r kill -9 ;;
    agent)
        # Open MPI calls the agent as ssh: the host first, then the command line to run there.
        # Each host also gets its own host name (a UTS namespace) and Open MPI session folder:
        # daemons that share both take each other's session files for their own.
        i=$(host_index "$1"); shift; check_host "$i"
        mkdir -p "$state/session-h$i"
        exec ip netns exec "vaekit-h$i" unshare --uts sh -c \
            "hostname vaekit-h$i && export OMPI_MCA_orte_tmpdir_base=$state/session-h$i && $*" ;;
    hostfile) echo "$hostfile" ;;
    *) sed -n '2,17p' "$0" >&2; exit 2 ;;
esac
