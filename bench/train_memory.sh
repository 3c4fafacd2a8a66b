#!/usr/bin/env bash
# Peak resident memory of training (the process that trained: binary, both datasets, model,
# optimizer, the workers' activations, the end-of-epoch evaluation, images and checkpoint):
# - the MLP and DCGAN VAE configs for one whole epoch on 1 rank × 2 workers, 3 runs, medians;
# - the DCGAN for 100 steps at batch 64, 128 and 256: the part that grows with the batch;
# - the DCGAN for one epoch of a tenth of the training set, whose peak should be lower by the
#   images left out (54,000 × 1,024 bytes = 53 MiB) and no more: only the data grows with the
#   training set.
# Bound (issue): training ≤ 400 MiB per rank. Writes bench/results/train_memory.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
results train_memory "" "vaekit train --quiet, configs/fashion-mnist-{mlp,dcgan}.yaml, 1 rank × 2 workers; 3 runs each, medians"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
peak() {  # peak CONFIG [--set …]: the peak MiB of one run
    rm -rf "$work/run"
    .build/release/vaekit train --config "$@" --run "$work/run" --quiet | grep -o 'peak memory [0-9]*' | awk '{print $3}'
}
report() {  # report LABEL CONFIG [--set …]
    local label=$1; shift
    local values; values=$(for _ in 1 2 3; do peak "$@"; done)
    echo "$label: peak $(echo "$values" | median) MiB (runs: $(echo $values))"
}
for model in mlp dcgan; do
    report "$model, one epoch of 60,000 (evaluation included)" configs/fashion-mnist-$model.yaml --set training.epochs=1
done
for batch in 64 128 256; do
    report "dcgan, 100 steps at batch $batch" configs/fashion-mnist-dcgan.yaml --set training.batch_size=$batch --max-steps 100
done
report "dcgan, one epoch of 6,000 (evaluation included)" configs/fashion-mnist-dcgan.yaml --set training.epochs=1 \
    --set data.train_limit=6000
