#!/usr/bin/env bash
# Per-example gradient throughput of the MLP VAE: VAEKit's exact per-example gradients as
# factors (and its projected sketches) against PyTorch's dense per-example gradients
# (bench/reference/torch_per_example.py: functorch vmap over grad, Debian's torch 1.13), same
# model and loss (β-ELBO averaged over S draws), S = 1 and S = 16, in one go, trials
# interleaved; medians and ratios.
#
#   bench/per_example.sh [trials]      (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-3}
. bench/common.sh
results per_example "$trials" "MLP VAE (runs/bench-mlp, 200 steps), S = 1 and S = 16; VAEKit factors and projected, PyTorch functorch vmap dense; $trials interleaved trials, medians"
run=runs/bench-mlp
run_once "$run" configs/fashion-mnist-mlp.yaml


printf '%-4s %18s %20s %18s %10s %10s\n' S "VAEKit factors/s" "VAEKit projected/s" "PyTorch vmap/s" factors projected
for samples in 1 16; do
    count=4096; [ "$samples" = 16 ] && count=1024
    factors=(); projected=(); torch=()
    for _ in $(seq "$trials"); do
        factors+=("$(.build/release/vaekit bench gradients --run "$run" --mode factors --samples "$samples" \
            --examples "$count" | rate)")
        projected+=("$(.build/release/vaekit bench gradients --run "$run" --mode projected --samples "$samples" \
            --examples "$count" | rate)")
        torch+=("$(/usr/bin/python3 bench/reference/torch_per_example.py --method auto --samples "$samples" \
            --examples 256 --warmup 64 --threads 2 2>/dev/null | rate)")
    done
    f=$(printf '%s\n' "${factors[@]}" | median)
    p=$(printf '%s\n' "${projected[@]}" | median)
    t=$(printf '%s\n' "${torch[@]}" | median)
    printf '%-4s %18.0f %20.0f %18.0f %9.1fx %9.1fx\n' "$samples" "$f" "$p" "$t" \
        "$(awk -v a="$f" -v b="$t" 'BEGIN {print a / b}')" "$(awk -v a="$p" -v b="$t" 'BEGIN {print a / b}')"
    echo "ratio: per-example gradients S=$samples (factors vs vmap) $(awk -v a="$f" -v b="$t" 'BEGIN {printf "%.2f", a / b}')"
done
