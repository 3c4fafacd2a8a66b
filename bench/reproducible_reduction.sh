#!/usr/bin/env bash
# The cost of training.reproducible_reduction (blocks of 16 examples in 64-bit fixed point, an
# integer all-reduce) against the default float reduction: the MLP VAE, batch 128, 16,384
# examples (128 steps), on 1 rank × 2 workers and on 2 ranks × 1 worker; TRIALS alternating runs
# each (default 3): rank 0's compute and all-reduce milliseconds per step (training.json) and
# examples/s, medians with the range. Output: bench/results/reproducible_reduction.txt.
#
#   bench/reproducible_reduction.sh [trials]
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-3}
. bench/common.sh
results reproducible_reduction "$trials" "configs/fashion-mnist-mlp.yaml, 16,384 examples, 1 epoch, \
evaluate_every 0, checkpoint only at the end, 1 BLAS thread per rank, reduction_block 16"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
train=(train --config configs/fashion-mnist-mlp.yaml --set data.train_limit=16384 --set training.epochs=1
    --set training.evaluate_every=0 --set training.checkpoint_every=0 --set training.blas_threads=1 --quiet)
session() { /usr/bin/python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['sessions'][-1]; n=s['last_step']-s['first_step']; print(s['compute_seconds']*1000/n, s['all_reduce_seconds']*1000/n, s['examples_per_second'])" "$1"; }
summary() { sort -g | awk '{v[NR]=$1} END {printf "%.4g (%.4g–%.4g)", v[int((NR+1)/2)], v[1], v[NR]}'; }
printf '%-18s %-14s %-26s %-26s %s\n' layout reduction "compute ms/step" "all-reduce ms/step" "examples/s"
for layout in "1x2" "2x1"; do
    ranks=${layout%x*}; workers=${layout#*x}
    for mode in false true; do : >"$work/$layout-$mode"; done
    for trial in $(seq "$trials"); do
        for mode in false true; do
            run="$work/$layout-$mode-$trial"
            launcher=(); [ "$ranks" -gt 1 ] && launcher=(mpirun --oversubscribe --bind-to none -x OPENBLAS_NUM_THREADS=1 -np "$ranks")
            "${launcher[@]}" .build/release/vaekit "${train[@]}" --set training.workers="$workers" \
                --set training.reproducible_reduction=$mode --run "$run" >/dev/null
            session "$run/training.json" >>"$work/$layout-$mode"
        done
    done
    for mode in false true; do
        name=float; [ "$mode" = true ] && name=fixed-point
        printf '%-18s %-14s %-26s %-26s %s\n' "$ranks rank(s) × $workers" "$name" \
            "$(awk '{print $1}' "$work/$layout-$mode" | summary)" "$(awk '{print $2}' "$work/$layout-$mode" | summary)" \
            "$(awk '{print $3}' "$work/$layout-$mode" | summary)"
    done
done
