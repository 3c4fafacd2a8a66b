#!/usr/bin/env bash
# Where a training step's time goes (`vaekit bench train --profile`), for the MLP and DCGAN VAEs as
# configured (1 rank × 2 workers, batch 128): phases, forward by layer, backward by op; and where a
# Likelihood Regret refit step's goes (`vaekit bench regret --profile`, the DCGAN VAE, K = 200,
# 100 refit steps, 16 images, 2 workers). One run each after a warm-up; profiles, not throughput
# figures (bench/train_throughput.sh and bench/ood_regret.sh have those).
#
#   bench/train_profile.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
results train_profile "" "configs/fashion-mnist-mlp.yaml (400 steps) and configs/fashion-mnist-dcgan.yaml (60 steps), 20 warm-up steps, as configured (1 rank × 2 workers, 1 BLAS thread); the refit on runs/bench-dcgan"
for model in mlp dcgan; do
    steps=400; [ "$model" = dcgan ] && steps=60
    echo "== $model"
    .build/release/vaekit bench train --config configs/fashion-mnist-$model.yaml --steps $steps --warmup 20 --profile
done
echo "== Likelihood Regret refit (runs/bench-dcgan)"
run_once runs/bench-dcgan configs/fashion-mnist-dcgan.yaml
.build/release/vaekit bench regret --run runs/bench-dcgan --images 16 --iwae-samples 200 --profile
