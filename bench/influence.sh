#!/usr/bin/env bash
# VAE-TracIn at full scale on the demo model (configs/demo.yaml: MLP VAE, 5 epochs on all 60,000
# Fashion-MNIST training images, a checkpoint per epoch), 2 ranks:
#   - the projected index (S = 16, D = 256) of all 60,000 examples at the 5 checkpoints: wall time;
#   - 100 test queries and self-influence: wall time, and how many top-10 proponents share the
#     test image's label;
#   - self-retrieval (TracIn; bench/influence_scores.sh compares the scores): 1,000 training examples queried (with query-role draws, fresh ones) against
#     all 60,000, projected S = 16 and exact factors S = 1, with Wilson 95 % intervals;
#   - Spearman of projected against exact scores (600 training × 10 test examples).
# Writes bench/results/influence.txt (command, settings and date first).
#
#   bench/influence.sh [RUN]      (default runs/bench-influence; trained when it has no checkpoint)
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-runs/bench-influence}
. bench/common.sh
vaekit=.build/release/vaekit
mpi=(mpirun --oversubscribe -np 2)
results influence "$run" \
    "configs/demo.yaml, 2 ranks, projected S = 16, D = 256; factors S = 1; draws keyed by (seed, purpose, step, split or role, example)"
echo

seconds() { /usr/bin/python3 -c "import time; print(time.time())"; }
elapsed() { awk -v a="$1" -v b="$(seconds)" 'BEGIN {printf "%.1f", b - a}'; }

if [ -z "$(ls "$run"/checkpoints/*.h5 2>/dev/null)" ]; then
    rm -rf "$run"
    start=$(seconds)
    "${mpi[@]}" $vaekit train --config configs/demo.yaml --run "$run" --quiet >/dev/null
    echo "train (5 epochs, 2 ranks): $(elapsed "$start") s"
fi

index() {  # index DIR MODE SAMPLES
    rm -rf "$1/gradients"
    local start; start=$(seconds)
    "${mpi[@]}" $vaekit influence index --run "$1" --mode "$2" --samples "$3" >/dev/null
    echo "index ($2, S = $3, 5 checkpoints × 60,000 examples, 2 ranks): $(elapsed "$start") s wall"
}
# retrieval LABEL: self top-1 rate of the training queries in influence.json, with a Wilson 95 % interval.
retrieval() {
    /usr/bin/python3 - "$run/influence.json" "$1" <<'EOF'
import json, math, sys
tests = json.load(open(sys.argv[1]))["tests"]
n = len(tests)
top1 = sum(t["proponents"][0]["index"] == t["index"] for t in tests)
top10 = sum(t["index"] in [p["index"] for p in t["proponents"]] for t in tests)
def wilson(k, n, z=1.96):
    p = k / n; d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d; h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return f"{100 * p:.1f} % (95 % CI {100 * (c - h):.1f}–{100 * (c + h):.1f})"
print(f"self-retrieval, {sys.argv[2]}, {n} training queries: top-1 {top1} = {wilson(top1, n)}; in top 10: {top10} = {wilson(top10, n)}")
EOF
}

index "$run" projected 16
start=$(seconds)
"${mpi[@]}" $vaekit influence query --run "$run" --test test:0-99 --top 10 --self --score tracin >/dev/null
echo "query 100 test × 60,000 × 5 checkpoints + self-influence of 60,000: $(elapsed "$start") s wall"
/usr/bin/python3 - "$run/influence.json" <<'EOF'
import json, sys
tests = json.load(open(sys.argv[1]))["tests"]
same = sum(p["label"] == t["label"] for t in tests for p in t["proponents"])
total = sum(len(t["proponents"]) for t in tests)
counts = {}
for t in tests:
    for p in t["proponents"]:
        counts[p["index"]] = counts.get(p["index"], 0) + 1
top = max(counts.items(), key=lambda kv: kv[1])
print(f"top-10 proponents sharing the test label: {same} of {total} ({100 * same / total:.1f} %; 10 % by chance)")
print(f"most frequent proponent: train #{top[0]} in {top[1]} of {len(tests)} top-10 lists")
EOF
start=$(seconds)
"${mpi[@]}" $vaekit influence query --run "$run" --test train:0-999 --top 10 --score tracin >/dev/null
echo "query 1,000 train × 60,000 × 5 checkpoints: $(elapsed "$start") s wall"
retrieval "projected S = 16"

echo
echo "Spearman of projected (D = 256) vs exact scores, S = 16, 5 checkpoints, 600 train × 10 test (query-role test draws):"
$vaekit bench projection --run "$run" --train 600 --tests 10

echo
index "$run" factors 1
"${mpi[@]}" $vaekit influence query --run "$run" --test train:0-999 --top 10 --score tracin >/dev/null
retrieval "exact factors S = 1"
rm -rf "$run/gradients"  # the factor index is 6.9 GB
