#!/usr/bin/env bash
# The paper's decoder at speed: the DCGAN VAE with the 256-way categorical decoder, VAEKit
# against PyTorch on this machine, trials interleaved, medians and ratios.
#   training: examples/s at batch 128 — VAEKit on 2 ranks (`vaekit bench train`), PyTorch with
#     2 threads (bench/reference/torch_vae.py --mode throughput, its faster ConvTranspose path);
#   Likelihood Regret: images/s with K = 200 and 100 refit steps — VAEKit on 2 ranks (`vaekit
#     bench regret`, batched copies) against the official one-image loop in PyTorch with 2
#     threads (bench/reference/torch_regret.py --likelihood categorical).
# Then, where `perf` is installed, where VAEKit's training time goes (top symbols).
#
#   bench/ood_256way_speed.sh [trials]      (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-3}
. bench/common.sh
results ood_256way_speed "$trials" "DCGAN VAE, categorical256, batch 128; VAEKit 2 ranks x 1 thread, PyTorch 2 threads; LR: K = 200, 100 steps, VAEKit 16 images, PyTorch 4 images; $trials interleaved trials, medians"
mpi=(mpirun -np 2 --bind-to core -x OPENBLAS_CORETYPE)
config=("${lr256_config[@]}")
run=runs/lr256-speed
lr256_run
ours=(); theirs=(); our_lr=(); their_lr=()
for _ in $(seq "$trials"); do
    ours+=("$("${mpi[@]}" .build/release/vaekit bench train "${config[@]}" --steps 30 --warmup 5 | rate)")
    theirs+=("$(OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/reference/torch_vae.py \
        --mode throughput --model dcgan --likelihood categorical --steps 15 --warmup 3 --threads 2 2>/dev/null | rate)")
    our_lr+=("$("${mpi[@]}" .build/release/vaekit bench regret --run $run --images 16 --iwae-samples 200 \
        | field images_per_second)")
    their_lr+=("$(OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/reference/torch_regret.py --likelihood categorical \
        --images 4 --iwae-samples 200 --steps 100 --train-steps 0 --threads 2 2>/dev/null | field images_per_second)")
    echo "trial: training ${ours[-1]} vs ${theirs[-1]} examples/s; LR ${our_lr[-1]} vs ${their_lr[-1]} images/s"
done
printf '%-28s %12s %12s %8s\n' "" VAEKit PyTorch ratio
for pair in "training (examples/s):ours:theirs" "Likelihood Regret (images/s):our_lr:their_lr"; do
    IFS=: read -r label a_name b_name <<<"$pair"
    declare -n a_values=$a_name b_values=$b_name
    a=$(printf '%s\n' "${a_values[@]}" | median)
    b=$(printf '%s\n' "${b_values[@]}" | median)
    printf '%-28s %12.3f %12.3f %7.2fx\n' "$label" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN {print a / b}')"
    unset -n a_values b_values
done
if command -v perf >/dev/null; then
    echo
    echo "where VAEKit's training time goes (perf, 1 rank x 1 thread, 10 steps; share of samples):"
    profile=$(mktemp)
    perf record -q -o "$profile" .build/release/vaekit bench train "${config[@]}" --steps 10 --warmup 2 >/dev/null 2>&1
    # (head closes the pipe early: perf's SIGPIPE is not a failure.)
    { perf report -q -i "$profile" --no-children --sort symbol 2>/dev/null || true; } | head -12 | sed 's/ \+$//' || true
    rm -f "$profile"
fi
