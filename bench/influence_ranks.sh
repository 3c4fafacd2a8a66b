#!/usr/bin/env bash
# The influence index and queries on 1 rank and on 2 ranks, one checkpoint of the demo model
# (configs/demo.yaml, all 60,000 training examples), projected S = 16, D = 256: index examples/s
# (per rank) and query pairs/s, medians of TRIALS interleaved runs.
# Writes bench/results/influence_ranks.txt (command, settings and date first).
#
#   bench/influence_ranks.sh [RUN] [TRIALS]   (default runs/bench-influence, 1; trained when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-runs/bench-influence}
trials=${2:-1}
. bench/common.sh
vaekit=.build/release/vaekit
results influence_ranks "$run $trials" \
    "configs/demo.yaml, one checkpoint (the last), projected S = 16, D = 256, 60,000 training examples; 100 test queries"
demo_run "$run"
step=$(ls "$run"/checkpoints | sed -E 's/checkpoint-([0-9]+)\.h5/\1/' | sort -n | tail -1)
copy=$run-ranks
seconds() { /usr/bin/python3 -c "import time; print(time.time())"; }
for ranks in 1 2; do
    index=(); query=()
    launcher=(); [ "$ranks" -gt 1 ] && launcher=(mpirun --oversubscribe -np "$ranks")
    for _ in $(seq "$trials"); do
        rm -rf "$copy"; mkdir -p "$copy/checkpoints"
        cp "$run/config.yaml" "$copy/"; cp "$run/checkpoints/checkpoint-$step.h5" "$copy/checkpoints/"
        start=$(seconds)
        "${launcher[@]}" $vaekit influence index --run "$copy" --mode projected --samples 16 >/dev/null
        index+=("$(awk -v a="$start" -v b="$(seconds)" -v r="$ranks" 'BEGIN {print 60000 / r / (b - a)}')")
        "${launcher[@]}" $vaekit influence query --run "$copy" --test test:0-99 --top 10 >/dev/null
        query+=("$(/usr/bin/python3 -c "import json; print(json.load(open('$copy/influence.json'))['pairs_per_second'])")")
    done
    printf '%d rank(s): index %.0f examples/s per rank (wall, start-up included), query %.3g pairs/s (medians of %d)\n' \
        "$ranks" "$(printf '%s\n' "${index[@]}" | median)" "$(printf '%s\n' "${query[@]}" | median)" "$trials"
done
rm -rf "$copy"
