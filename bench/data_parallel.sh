#!/usr/bin/env bash
# Data-parallel throughput of the MLP VAE (global batch 128), in one go, trials interleaved:
#   VAEKit 1 rank × 2 BLAS threads (1 worker)      VAEKit 1 rank × 2 in-process workers
#   VAEKit 2 ranks × 1 BLAS thread (mpirun)        PyTorch DDP, gloo, 2 processes × 1 thread
# Prints medians and the ratios the data-parallel issue asks for.
#
#   bench/data_parallel.sh [trials]     (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-3}
. bench/common.sh > /dev/null
results data_parallel "$trials" "MLP VAE (configs/fashion-mnist-mlp.yaml), global batch 128, 300 timed steps after 20; $trials interleaved trials, medians"
config=configs/fashion-mnist-mlp.yaml
bench=(.build/release/vaekit bench train --config "$config" --steps 300 --warmup 20)
one_threads=(); one_workers=(); two_ranks=(); ddp=()
for _ in $(seq "$trials"); do
    one_threads+=("$("${bench[@]}" --set training.workers=1 --set training.blas_threads=2 | rate)")
    one_workers+=("$("${bench[@]}" --set training.workers=2 --set training.blas_threads=1 | rate)")
    two_ranks+=("$(mpirun -np 2 --bind-to core -x OPENBLAS_CORETYPE "${bench[@]}" \
        --set training.workers=1 --set training.blas_threads=1 | rate)")
    ddp+=("$(OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/reference/torch_ddp.py --processes 2 --threads 1 \
        --steps 300 --warmup 20 2>/dev/null | rate)")
done
a=$(printf '%s\n' "${one_threads[@]}" | median)
w=$(printf '%s\n' "${one_workers[@]}" | median)
r=$(printf '%s\n' "${two_ranks[@]}" | median)
d=$(printf '%s\n' "${ddp[@]}" | median)
printf '%-44s %10s\n' setup "examples/s"
printf '%-44s %10.0f\n' "VAEKit 1 rank × 2 BLAS threads" "$a" "VAEKit 1 rank × 2 workers × 1 BLAS thread" "$w" \
    "VAEKit 2 ranks × 1 BLAS thread (mpirun)" "$r" "PyTorch DDP gloo 2 processes × 1 thread" "$d"
awk -v a="$a" -v w="$w" -v r="$r" -v d="$d" 'BEGIN {
    printf "2 ranks / (1 rank × 2 BLAS threads): %.0f%%\n", 100 * r / a
    printf "2 ranks / (1 rank × 2 workers):      %.0f%%\n", 100 * r / w
    printf "2 ranks / PyTorch DDP:               %.2fx\n", r / d }'
