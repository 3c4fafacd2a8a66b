#!/usr/bin/env bash
# Training throughput of VAEKit against the PyTorch reference (bench/reference/torch_vae.py) and,
# for the MLP, the JAX one (bench/reference/jax_vae.py, XLA on CPU, the whole step jit-compiled) on
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
results train_throughput "$trials" "MLP and DCGAN VAEs (configs/fashion-mnist-mlp.yaml, configs/fashion-mnist-dcgan.yaml), batch 128; VAEKit as configured, PyTorch at its faster thread layout and ConvTranspose form, JAX (MLP) with 2 XLA threads; $trials interleaved trials, medians"


printf '%-8s %14s %14s %14s %16s %12s\n' model "VAEKit ex/s" "PyTorch ex/s" "JAX ex/s" "VAEKit/PyTorch" "VAEKit/JAX"
memory=()
for model in mlp dcgan; do
    config=configs/fashion-mnist-$model.yaml
    steps=200; [ "$model" = dcgan ] && steps=60
    ours=(); theirs=(); jaxs=(); our_mib=(); their_mib=(); jax_mib=()
    for _ in $(seq "$trials"); do
        line=$(.build/release/vaekit bench train --config "$config" --steps "$steps" --warmup 10)
        ours+=("$(rate <<<"$line")"); our_mib+=("$(field peak_resident_mib <<<"$line")")
        best=0
        for layout in "1 2" "2 2"; do
            set -- $layout
            line=$(OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=$2 /usr/bin/python3 bench/reference/torch_vae.py \
                --mode throughput --model "$model" --steps "$steps" --warmup 10 --threads "$1" 2>/dev/null)
            value=$(rate <<<"$line")
            if awk -v a="$best" -v b="$value" 'BEGIN {exit !(b > a)}'; then
                best=$value; mib=$(field peak_resident_mib <<<"$line")
            fi
        done
        theirs+=("$best"); their_mib+=("$mib")
        # The JAX reference has the MLP only.
        if [ "$model" = mlp ]; then
            line=$(.build/jax/bin/python bench/reference/jax_vae.py --steps "$steps" --warmup 10)
            jaxs+=("$(rate <<<"$line")"); jax_mib+=("$(field peak_resident_mib <<<"$line")")
        fi
    done
    a=$(printf '%s\n' "${ours[@]}" | median)
    b=$(printf '%s\n' "${theirs[@]}" | median)
    mib_line="$model: VAEKit $(printf '%s\n' "${our_mib[@]}" | median) MiB, PyTorch $(printf '%s\n' "${their_mib[@]}" | median) MiB"
    if [ ${#jaxs[@]} -gt 0 ]; then
        c=$(printf '%s\n' "${jaxs[@]}" | median)
        mib_line="$mib_line, JAX $(printf '%s\n' "${jax_mib[@]}" | median) MiB"
        printf '%-8s %14.0f %14.0f %14.0f %15.2fx %11.2fx\n' "$model" "$a" "$b" "$c" \
            "$(awk -v a="$a" -v b="$b" 'BEGIN {print a / b}')" "$(awk -v a="$a" -v c="$c" 'BEGIN {print a / c}')"
    else
        printf '%-8s %14.0f %14.0f %14s %15.2fx %12s\n' "$model" "$a" "$b" "—" \
            "$(awk -v a="$a" -v b="$b" 'BEGIN {print a / b}')" "—"
    fi
    memory+=("$mib_line")
done
echo "peak resident memory (medians; the process that trained, data included):"
printf '  %s\n' "${memory[@]}"
