#!/usr/bin/env bash
# Likelihood Regret throughput: VAEKit (1 rank with 2 worker threads, and 2 ranks) against the
# PyTorch reference of the official one-image-at-a-time loop (bench/reference/torch_regret.py),
# same DCGAN-like VAE with a Bernoulli decoder, same K and refit steps, in one go, trials
# interleaved; prints medians, ratios and where the time goes (IWAE estimates vs refit), and the
# refit's cost per example-step against training's per example (`vaekit bench train`, same model,
# 2 workers: both fill the 2 cores, so the ratio of their per-example times is the cost ratio).
#
#   bench/ood_regret.sh [trials] [K]      (defaults 3 and 200)
#
# The weights do not change the work done: VAEKit scores a briefly trained run (runs/bench-dcgan,
# 200 steps, made here when missing); the reference trains its own copy for 200 steps.
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-3}
samples=${2:-200}
. bench/common.sh
results ood_regret "$trials $samples" "DCGAN VAE, Bernoulli decoder (runs/bench-dcgan, 200 steps); K = $samples, 100 refit steps; VAEKit 1 rank × 2 workers and 2 ranks, PyTorch the official loop; $trials interleaved trials, medians"
run=runs/bench-dcgan
run_once "$run" configs/fashion-mnist-dcgan.yaml


declare -a one two torch
declare -a one_iwae one_refit torch_iwae torch_refit training
for _ in $(seq "$trials"); do
    training+=("$(.build/release/vaekit bench train --config configs/fashion-mnist-dcgan.yaml --steps 60 --warmup 10 | rate)")
    line=$(.build/release/vaekit bench regret --run "$run" --images 32 --iwae-samples "$samples")
    one+=("$(field images_per_second <<<"$line")")
    one_iwae+=("$(field seconds_iwae_per_image <<<"$line")")
    one_refit+=("$(field seconds_refit_per_image <<<"$line")")
    line=$(mpirun -np 2 .build/release/vaekit bench regret --run "$run" --images 32 --iwae-samples "$samples")
    two+=("$(field images_per_second <<<"$line")")
    line=$(/usr/bin/python3 bench/reference/torch_regret.py --model dcgan --images 12 \
        --iwae-samples "$samples" --threads 2 2>/dev/null | tail -1)
    torch+=("$(field images_per_second <<<"$line")")
    torch_iwae+=("$(field seconds_iwae_per_image <<<"$line")")
    torch_refit+=("$(field seconds_refit_per_image <<<"$line")")
done
m() { printf '%s\n' "$@" | median; }
a=$(m "${one[@]}"); b=$(m "${two[@]}"); t=$(m "${torch[@]}")
echo "Likelihood Regret, DCGAN VAE (Bernoulli), K = $samples, 100 refit steps, medians of $trials trials"
printf '%-28s %12s %10s %14s %14s\n' "" "images/s" "vs PyTorch" "IWAE s/image" "refit s/image"
printf '%-28s %12.2f %9.2fx %14.3f %14.3f\n' "VAEKit, 1 rank × 2 workers" "$a" \
    "$(awk -v a="$a" -v t="$t" 'BEGIN {print a / t}')" "$(m "${one_iwae[@]}")" "$(m "${one_refit[@]}")"
printf '%-28s %12.2f %9.2fx\n' "VAEKit, 2 ranks × 1 worker" "$b" "$(awk -v a="$b" -v t="$t" 'BEGIN {print a / t}')"
printf '%-28s %12.2f %9s %14.3f %14.3f\n' "PyTorch, 2 threads" "$t" "1.00x" "$(m "${torch_iwae[@]}")" \
    "$(m "${torch_refit[@]}")"
r=$(m "${one_refit[@]}"); t=$(m "${training[@]}")
echo
printf 'refit: %.3f ms per example-step (100 steps); training: %.3f ms per example (%s examples/s); ratio %.2fx\n' \
    "$(awk -v r="$r" 'BEGIN {print r / 100 * 1e3}')" "$(awk -v t="$t" 'BEGIN {print 1e3 / t}')" "$t" \
    "$(awk -v r="$r" -v t="$t" 'BEGIN {print r / 100 * t}')"
