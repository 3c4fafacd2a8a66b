#!/usr/bin/env bash
# Peak resident memory of training (the process that trained: binary, both datasets, model,
# optimizer, workers' activations): the MLP and DCGAN VAE configs on 1 rank × 2 workers, 3 runs
# of 100 steps each (medians), and the DCGAN at batch 64, 128 and 256 to separate the part that
# grows with the batch from the part that does not. Bound (issue): ≤ 400 MiB per rank.
# Writes bench/results/train_memory.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
results train_memory "" "vaekit train --max-steps 100 --quiet, configs/fashion-mnist-{mlp,dcgan}.yaml, 1 rank × 2 workers; 3 runs each, medians"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
peak() {  # peak CONFIG [--set …]: peak MiB of one 100-step run
    rm -rf "$work/run"
    .build/release/vaekit train --config "$@" --run "$work/run" --max-steps 100 --quiet | grep -o 'peak memory [0-9]*' | awk '{print $3}'
}
for model in mlp dcgan; do
    values=$(for _ in 1 2 3; do peak configs/fashion-mnist-$model.yaml; done)
    echo "$model, batch 128: peak $(echo "$values" | median) MiB (runs: $(echo $values))"
done
for batch in 64 128 256; do
    values=$(for _ in 1 2 3; do peak configs/fashion-mnist-dcgan.yaml --set training.batch_size=$batch; done)
    echo "dcgan, batch $batch: peak $(echo "$values" | median) MiB (runs: $(echo $values))"
done
