#!/usr/bin/env bash
# Which influence score to trust, on the demo model (configs/demo.yaml, all 60,000 training
# examples, 5 checkpoints), projected index S = 16, D = 256, 2 ranks: the first 200 training
# examples as queries (fresh query-role draws) against all 60,000, for each score:
#   self top-1 (with a Wilson 95 % interval), median self rank, share of the top-10 proponents
#   with the query's label, and in how many top-10 lists the most frequent proponent appears;
# and the same hub count over 100 test queries; then tracin and cosine with Adam's
# preconditioner (an index built with --preconditioner adam).
# Writes bench/results/influence_scores.txt (command, settings and date first).
#
#   bench/influence_scores.sh [RUN]     (default runs/bench-influence; trained and indexed when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-runs/bench-influence}
. bench/common.sh
vaekit=.build/release/vaekit
mpi=(mpirun --oversubscribe -np 2)
results influence_scores "$run" \
    "configs/demo.yaml, 2 ranks, projected S = 16, D = 256, 5 checkpoints; queries train:0-199 (top 1000 kept) and test:0-99 (top 10)"
demo_run "$run"
projected_index "$run"
echo
printf '%-14s %-28s %16s %22s %26s %24s\n' score "self top-1 (95 % CI)" "median self rank" "top-10 with query label" "most frequent proponent" "test queries: hubs > 5 %"
# measure RUN SCORE LABEL: the 200 training queries and the 100 test queries of RUN's index.
measure() {
    "${mpi[@]}" $vaekit influence query --run "$1" --test train:0-199 --top 1000 --score "$2" >/dev/null
    cp "$1/influence.json" "$1/influence-train.json"
    "${mpi[@]}" $vaekit influence query --run "$1" --test test:0-99 --top 10 --score "$2" >/dev/null
    /usr/bin/python3 - "$1/influence-train.json" "$1/influence.json" "$3" <<'EOF'
import json, math, statistics, sys
train = json.load(open(sys.argv[1]))["tests"]
test = json.load(open(sys.argv[2]))
n = len(train)
ranks = []
for t in train:
    order = [p["index"] for p in t["proponents"]]
    ranks.append(order.index(t["index"]) + 1 if t["index"] in order else 1001)
top1 = sum(r == 1 for r in ranks)
p = top1 / n; z = 1.96; d = 1 + z * z / n
c = (p + z * z / (2 * n)) / d; h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
same = sum(q["label"] == t["label"] for t in train for q in t["proponents"][:10])
counts = {}
for t in train:
    for q in t["proponents"][:10]:
        counts[q["index"]] = counts.get(q["index"], 0) + 1
hub = max(counts.items(), key=lambda kv: kv[1])
hubs = test.get("hubs") or []
largest = hubs[0]["lists"] if hubs else 0
median = statistics.median(ranks)
print(f"{sys.argv[3]:<14} {f'{100 * p:.1f} % ({100 * (c - h):.1f}–{100 * (c + h):.1f})':<28} "
      f"{median if median <= 1000 else '> 1000':>16} {f'{100 * same / (10 * n):.1f} %':>22} "
      f"{f'#{hub[0]} in {hub[1]} of {n}':>26} {f'{len(hubs)} (max {largest} of 100)':>24}")
EOF
    rm -f "$1/influence-train.json"
}
for score in tracin cosine relatif; do measure "$run" "$score" "$score"; done
# Adam's preconditioner: an index of the same checkpoints with --preconditioner adam.
adam=$run-adam
rm -rf "$adam"; mkdir -p "$adam/checkpoints"
cp "$run/config.yaml" "$adam/"; cp "$run"/checkpoints/*.h5 "$adam/checkpoints/"
"${mpi[@]}" $vaekit influence index --run "$adam" --mode projected --samples 16 --preconditioner adam >/dev/null
for score in tracin cosine; do measure "$adam" "$score" "$score+adam"; done
rm -rf "$adam"
