#!/usr/bin/env bash
# Projection fidelity where it matters: for 20 test queries, the top-10 overlap and Spearman
# correlation of projected (TensorSketch, D per layer) with exact (factor-mode) influence scores,
# per score, on the demo model (configs/demo.yaml, 5 checkpoints): against all 60,000 training
# examples at S = 1 for D = 256 and 512 (a run at D = 1,024 did not finish in 10 minutes here), against
# the first 6,000 at S = 16, D = 256, and at
# D = 256, S = 1 with the projected vectors rounded to float16 (`influence index --storage float16`).
# Writes bench/results/influence_projection.txt (command, settings and date first).
#
#   bench/influence_projection.sh [RUN]    (default runs/bench-influence; trained when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-runs/bench-influence}
. bench/common.sh
vaekit=.build/release/vaekit
results influence_projection "$run" \
    "configs/demo.yaml, 5 checkpoints, 20 test queries (query-role draws), η_c as the index weighs them"
demo_run "$run"
for dimension in 256 512; do
    $vaekit bench projection --run "$run" --train 60000 --tests 20 --samples 1 --projection-dimension "$dimension"
done
$vaekit bench projection --run "$run" --train 6000 --tests 20 --samples 16 --projection-dimension 256
$vaekit bench projection --run "$run" --train 60000 --tests 20 --samples 1 --projection-dimension 256 --float16
