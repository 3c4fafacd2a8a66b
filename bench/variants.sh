#!/usr/bin/env bash
# The figures of the seed papers' variants on Fashion-MNIST (README, "VAE variants"): HVAE and
# the same VAE after equal training (IWAE NLL, K = 1000, first 1,000 test images), consistency
# regularization against the VAE (representation metrics), the supervised VAE (invariances).
# 10 epochs each on 1 rank × 2 workers. Output of the last run: bench/results/variants.txt.
# The Jacobian-L1 experiment is bench/three_dots.sh; the HVAE Gaussian experiment is
# `vaekit experiment hvae-gaussian --dimensions 1,2,5,11,25,51,101 --repetitions 5`.
set -euo pipefail
cd "$(dirname "$0")/.."
launch/setup.sh
. launch/env.sh
v=.build/release/vaekit
[ -f data/fashion-mnist/train.h5 ] || $v data prepare fashion-mnist
train() {  # train NAME CONFIG
    [ -f runs/variants/$1/checkpoints/checkpoint-4680.h5 ] && return
    rm -rf runs/variants/$1
    $v train --config "$2" --run runs/variants/$1 --quiet
}
train hvae configs/fashion-mnist-hvae.yaml
train vae configs/fashion-mnist-mlp.yaml
train consistency configs/fashion-mnist-consistency.yaml
train supervised configs/fashion-mnist-supervised.yaml
for r in hvae vae; do
    $v evaluate --checkpoint runs/variants/$r/checkpoints/checkpoint-4680.h5 --samples 1000 --count 1000
done
for r in consistency vae; do
    $v evaluate --checkpoint runs/variants/$r/checkpoints/checkpoint-4680.h5 --samples 1000 --count 2000 --representation
done
$v invariances --checkpoint runs/variants/supervised/checkpoints/checkpoint-4680.h5 --count 10000 --draws 8 \
    --output runs/variants/supervised/invariances.png
$v evaluate --checkpoint runs/variants/supervised/checkpoints/checkpoint-4680.h5 --samples 1000 --count 1000
