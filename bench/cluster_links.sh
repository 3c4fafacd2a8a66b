#!/usr/bin/env bash
# Training across 2 namespace hosts (launch/cluster/netns.sh, TCP over veth pairs) with each
# host's link unlimited or limited by tbf to 10 and 1 Gbit/s: the all-reduce's latency and bus
# bandwidth (`selftest collectives --timing`), each step's compute and all-reduce time (rank 0,
# from training.json), the ring model's prediction, and throughput against 2 ranks over shared
# memory (the default: blocking, 64 MiB buckets), with the all-reduce overlapped with the backward
# pass (1 MiB buckets) and without.
# TRIALS runs per setting (default 3), medians with the range. Root.
# Output: bench/results/cluster_links.txt.
#
#   bench/cluster_links.sh [trials]
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-3}
. bench/common.sh
results cluster_links "$trials" "MLP VAE (configs/fashion-mnist-mlp.yaml: 1,379,152 parameters), batch 128, \
8,192 examples (64 steps), 1 worker and 1 BLAS thread per rank, 2 ranks; tbf burst rate/100, latency 50 ms"
work=$(mktemp -d)
trap 'launch/cluster/netns.sh down; rm -rf "$work"' EXIT
launch/cluster/netns.sh up 2 >/dev/null
parameters=1379152
train=(train --config configs/fashion-mnist-mlp.yaml --set data.train_limit=8192 --set training.epochs=1
    --set training.evaluate_every=0 --set training.checkpoint_every=0 --set training.workers=1
    --set training.blas_threads=1 --quiet)
# session FILE KEY: the last training session's KEY in training.json.
session() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['sessions'][-1][sys.argv[2]])" "$@"; }
summary() {  # summary: "median (min–max)" of numbers on standard input
    sort -g | awk '{v[NR]=$1} END {printf "%.4g (%.4g–%.4g)", v[int((NR+1)/2)], v[1], v[NR]}'
}

# Shared memory, the reference.
for trial in $(seq "$trials"); do
    mpirun --oversubscribe --bind-to none -np 2 -x OPENBLAS_NUM_THREADS=1 .build/release/vaekit "${train[@]}" \
        --run "$work/shm-$trial" >/dev/null
    session "$work/shm-$trial/training.json" examples_per_second >>"$work/shm.rate"
done
shm=$(median <"$work/shm.rate")
echo "2 ranks over shared memory: $(summary <"$work/shm.rate") examples/s"
echo
printf '%-10s %-8s %-26s %-26s %-22s %-22s %-16s %-26s %s\n' link overlap "latency µs" "bus Gbit/s" \
    "compute ms/step" "all-reduce ms/step" "ring model ms" "examples/s" "vs shared memory"
for setting in "unlimited false" "unlimited true" "10gbit false" "10gbit true" "1gbit false" "1gbit true"; do
    read -r link overlap <<<"$setting"
    for host in 0 1; do
        if [ "$link" = unlimited ]; then launch/cluster/netns.sh unlimit $host
        else launch/cluster/netns.sh rate $host $link; fi
    done
    : >"$work/lat"; : >"$work/bw"; : >"$work/compute"; : >"$work/reduce"; : >"$work/rate"
    for trial in $(seq "$trials"); do
        line=$(launch/run.sh -n 2 --hosts netns:2 -- selftest collectives --timing --count $parameters | tail -1)
        sed -E 's/.*latency ([0-9.]+) µs.*/\1/' <<<"$line" >>"$work/lat"
        sed -E 's/.*bus bandwidth ([0-9.]+) Gbit.*/\1/' <<<"$line" >>"$work/bw"
        run="$work/$link-$overlap-$trial"
        bucket=64; [ "$overlap" = true ] && bucket=1
        launch/run.sh -n 2 --hosts netns:2 -- "${train[@]}" --set training.overlap_allreduce="$overlap" \
            --set training.allreduce_bucket_mb=$bucket --run "$run" >/dev/null
        steps=$(($(session "$run/training.json" last_step) - $(session "$run/training.json" first_step)))
        echo "$(session "$run/training.json" compute_seconds) * 1000 / $steps" | bc -l >>"$work/compute"
        echo "$(session "$run/training.json" all_reduce_seconds) * 1000 / $steps" | bc -l >>"$work/reduce"
        session "$run/training.json" examples_per_second >>"$work/rate"
    done
    # Ring model for R = 2: 2(R−1)/R · 4p bytes per rank at the link's rate, plus the latency.
    case $link in
        unlimited) model="—" ;;
        10gbit) model=$(echo "4 * $parameters * 8 / 10^10 * 1000 + $(median <"$work/lat") / 1000" | bc -l) ;;
        1gbit) model=$(echo "4 * $parameters * 8 / 10^9 * 1000 + $(median <"$work/lat") / 1000" | bc -l) ;;
    esac
    [ "$model" != "—" ] && model=$(printf '%.2f' "$model")
    ratio=$(echo "$(median <"$work/rate") / $shm" | bc -l)
    printf '%-10s %-8s %-26s %-26s %-22s %-22s %-16s %-26s %.2f\n' "$link" "$overlap" "$(summary <"$work/lat")" \
        "$(summary <"$work/bw")" "$(summary <"$work/compute")" "$(summary <"$work/reduce")" "$model" \
        "$(summary <"$work/rate")" "$ratio"
done
echo
echo "all-reduce ms/step is rank 0's wait in the gradient all-reduce (with overlap: after its backward"
echo "pass, for what is still in flight): the transfer plus any wait for the other rank's compute. The namespaces share this machine's 2 cores, so TCP's"
echo "own processing competes with the ranks' compute (not so between real machines)."
