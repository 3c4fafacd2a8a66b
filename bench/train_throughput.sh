#!/usr/bin/env bash
# Training throughput of VAEKit against the PyTorch reference (bench/reference/torch_vae.py) on
# the same models, batch 128, in one go, trials interleaved; prints medians and ratios.
#
#   bench/train_throughput.sh [trials]      (default 3)
#
# PyTorch runs at its best on this machine: OMP_WAIT_POLICY=PASSIVE, the same OpenBLAS core type
# as VAEKit (launch/env.sh), transposed convolutions as convolutions over dilated inputs when that
# is faster (the script times both), and both thread layouts (1 OpenMP thread + 2 OpenBLAS
# threads, or 2 + 2); the faster one is reported.
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-3}
. bench/common.sh


printf '%-8s %16s %16s %8s\n' model "VAEKit ex/s" "PyTorch ex/s" ratio
for model in mlp dcgan; do
    config=configs/fashion-mnist-$model.yaml
    steps=200; [ "$model" = dcgan ] && steps=60
    ours=(); theirs=()
    for _ in $(seq "$trials"); do
        ours+=("$(.build/release/vaekit bench train --config "$config" --steps "$steps" --warmup 10 | rate)")
        best=0
        for layout in "1 2" "2 2"; do
            set -- $layout
            value=$(OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=$2 /usr/bin/python3 bench/reference/torch_vae.py \
                --mode throughput --model "$model" --steps "$steps" --warmup 10 --threads "$1" 2>/dev/null | rate)
            best=$(awk -v a="$best" -v b="$value" 'BEGIN {print (b > a ? b : a)}')
        done
        theirs+=("$best")
    done
    a=$(printf '%s\n' "${ours[@]}" | median)
    b=$(printf '%s\n' "${theirs[@]}" | median)
    printf '%-8s %16.0f %16.0f %7.2fx\n' "$model" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN {print a / b}')"
done
