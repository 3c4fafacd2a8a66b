#!/usr/bin/env bash
# The demo's index build, timed: the projected index (S = 16, D = 256) of all 60,000 training
# examples at the demo model's 5 checkpoints, with Adam's preconditioner as the demo builds it,
# on 2 ranks. Writes bench/results/influence_demo_index.txt.
#
#   bench/influence_demo_index.sh [RUN]    (default runs/bench-influence; trained when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-runs/bench-influence}
. bench/common.sh
results influence_demo_index "$run" "configs/demo.yaml, 5 checkpoints, projected S = 16, D = 256, --preconditioner adam, 2 ranks"
demo_run "$run"
start=$(date +%s)
mpirun --oversubscribe -np 2 .build/release/vaekit influence index --run "$run" --mode projected --samples 16 \
    --preconditioner adam 2>/dev/null | grep -E "^checkpoint"
echo "wall: $(($(date +%s) - start)) s"
