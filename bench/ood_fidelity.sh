#!/usr/bin/env bash
# The paper's main setting as far as this machine allows: the DCGAN VAE with the 256-way
# categorical decoder trained EPOCHS epochs on all 60,000 Fashion-MNIST images (2 ranks, the
# official code's Adam settings, a checkpoint per epoch), then scored by `vaekit ood` with the
# paper's K = 1000 and 100 refit steps on COUNT images per set (the paper: 500) — Likelihood
# Regret, IWAE NLL and input complexity (defined for this decoder), with 95 % bootstrap
# intervals and verdicts at 95 % TPR.
#
#   bench/ood_fidelity.sh [epochs] [count]      (default 10 and 50)
#
# Output: bench/results/ood_fidelity.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-10}
count=${2:-50}
. bench/common.sh
results ood_fidelity "$epochs $count" "configs/fashion-mnist-dcgan.yaml with model.likelihood=categorical256, $epochs epochs, checkpoint_every 468, 2 ranks; vaekit ood --in fashion-mnist:test --ood noise,constant,digits --count $count --iwae-samples 1000 --steps 100 --flag-at-tpr 0.95 --calibration $count, 2 ranks"
mpi=(mpirun -np 2 --bind-to core -x OPENBLAS_CORETYPE)
run=runs/fidelity-256
last=$((epochs * 468))
if [ ! -f $run/checkpoints/checkpoint-$last.h5 ]; then
    resume=(); [ -n "$(ls $run/checkpoints/*.h5 2>/dev/null)" ] && resume=(--resume) || rm -rf $run
    "${mpi[@]}" .build/release/vaekit train --config configs/fashion-mnist-dcgan.yaml --run $run "${resume[@]}" \
        --set name=fidelity-256 --set model.likelihood=categorical256 --set training.epochs=$epochs \
        --set training.checkpoint_every=468 --set training.workers=1
fi
"${mpi[@]}" .build/release/vaekit ood --run $run --checkpoint $run/checkpoints/checkpoint-$last.h5 \
    --in fashion-mnist:test --ood noise,constant,digits --count $count --iwae-samples 1000 --steps 100 \
    --flag-at-tpr 0.95 --calibration $count
