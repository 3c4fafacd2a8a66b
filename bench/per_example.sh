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
launch/setup.sh
. launch/env.sh
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "bench: installing Debian's python3-torch for the reference"
    if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq python3-torch
fi
[ -f data/fashion-mnist/train.h5 ] || .build/release/vaekit data prepare fashion-mnist
run=runs/bench-mlp
if [ -z "$(ls "$run"/checkpoints/*.h5 2>/dev/null)" ]; then
    rm -rf "$run"
    .build/release/vaekit train --config configs/fashion-mnist-mlp.yaml --run "$run" --max-steps 200 --quiet
fi

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
rate() { grep -o '"examples_per_second": [0-9.]*' | tail -1 | awk '{print $2}'; }

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
