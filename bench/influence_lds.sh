#!/usr/bin/env bash
# Ground truth for the influence scores: the linear datamodeling score (LDS) on a small setting —
# the demo's MLP VAE and schedule (configs/demo.yaml, 5 epochs, a checkpoint per epoch) on the
# first 2,000 Fashion-MNIST training examples, 64 random half-subsets each retrained, 50 test
# examples (IWAE K = 100 test losses), influence gradients at S = 16, exact and projected
# (D = 256), retrainings on 2 ranks. Writes bench/results/influence_lds.txt.
#
#   bench/influence_lds.sh [SUBSETS]      (default 64)
set -euo pipefail
cd "$(dirname "$0")/.."
subsets=${1:-64}
. bench/common.sh
results influence_lds "$subsets" \
    "configs/demo.yaml (workers 1), 2,000 train × 50 test, $subsets half-subsets, S = 16, D = 256, K = 100, 2 ranks"
rm -rf runs/bench-lds
start=$(date +%s)
mpirun --oversubscribe -np 2 .build/release/vaekit experiment lds --config configs/demo.yaml \
    --set training.workers=1 --train 2000 --tests 50 --subsets "$subsets" --samples 16 \
    --folder runs/bench-lds --json bench/results/influence_lds.json | grep -v "retrained"
echo "wall: $(($(date +%s) - start)) s"
