#!/usr/bin/env bash
# Likelihood Regret with the 256-way decoder against the Bernoulli one, at settings reduced to
# fit this machine: the DCGAN VAE trained 1 epoch on the first 20,000 training images (2 ranks),
# then `vaekit ood` with 60 images per set, K = 100, 100 refit steps, no background model.
# Output of the last run: bench/results/ood_256way.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
launch/setup.sh
. launch/env.sh
[ -f data/fashion-mnist/train.h5 ] || .build/release/vaekit data prepare fashion-mnist
mpi=(mpirun -np 2 --bind-to core -x OPENBLAS_CORETYPE)
for likelihood in categorical256 bernoulli; do
    run=runs/dcgan-small-$likelihood
    rm -rf "$run"
    "${mpi[@]}" .build/release/vaekit train --config configs/fashion-mnist-dcgan.yaml --run "$run" \
        --set name=dcgan-small-$likelihood --set model.likelihood=$likelihood --set training.epochs=1 \
        --set data.train_limit=20000 --set training.workers=1 --quiet
    "${mpi[@]}" .build/release/vaekit ood --run "$run" --in fashion-mnist:test \
        --ood noise,constant,vflip,invert --count 60 --iwae-samples 100
done
