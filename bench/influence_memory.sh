#!/usr/bin/env bash
# Bounded memory: the exact factor index at S = 16 (369 KB an example) of all 60,000 training
# examples at one checkpoint of the demo model, on 2 ranks, under --max-memory 1G per rank; the
# summary line prints rank 0's peak resident memory (before chunked writing a rank held its whole
# share, about 11 GB at 30,000 examples). The 22 GB index is deleted afterwards.
# Writes bench/results/influence_memory.txt (command, settings and date first).
#
#   bench/influence_memory.sh [RUN]     (default runs/bench-influence; trained when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-runs/bench-influence}
. bench/common.sh
results influence_memory "$run" "configs/demo.yaml, last checkpoint, factors S = 16, --max-memory 1G, 2 ranks"
demo_run "$run"
copy=runs/bench-memory
rm -rf "$copy"; mkdir -p "$copy/checkpoints"
step=$(ls "$run"/checkpoints | sed -E 's/checkpoint-([0-9]+)\.h5/\1/' | sort -n | tail -1)
cp "$run/config.yaml" "$copy/"; cp "$run/checkpoints/checkpoint-$step.h5" "$copy/checkpoints/"
start=$(date +%s)
mpirun --oversubscribe -np 2 .build/release/vaekit influence index --run "$copy" --mode factors --samples 16 \
    --max-memory 1G 2>/dev/null | grep -E "checkpoint|index:"
echo "wall: $(($(date +%s) - start)) s; index on disk: $(du -sh "$copy/gradients" | cut -f1)"
rm -rf "$copy"
