#!/usr/bin/env bash
# Where a training step's time goes (`vaekit bench train --profile`), for the MLP and DCGAN VAEs as
# configured (1 rank × 2 workers, batch 128): phases, forward by layer, backward by op. One run
# each after a warm-up; a profile, not a throughput figure (bench/train_throughput.sh has those).
#
#   bench/train_profile.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
results train_profile "" "configs/fashion-mnist-mlp.yaml (400 steps) and configs/fashion-mnist-dcgan.yaml (60 steps), 20 warm-up steps, as configured (1 rank × 2 workers, 1 BLAS thread)"
for model in mlp dcgan; do
    steps=400; [ "$model" = dcgan ] && steps=60
    echo "== $model"
    .build/release/vaekit bench train --config configs/fashion-mnist-$model.yaml --steps $steps --warmup 20 --profile
done
