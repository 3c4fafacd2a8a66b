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
# Paired differences per test example against exact, unpreconditioned TracIn (the same 50 test examples and 64
# subsets): mean, 95 % CI and a two-sided paired t-test.
/usr/bin/python3 - bench/results/influence_lds.json <<'PY'
import json, math, sys
results = json.load(open(sys.argv[1]))
base = next(r for r in results if r["score"] == "tracin" and r["mode"] == "factors" and r["preconditioner"] == "none")["per_test"]
try:
    from scipy import stats
    pvalue = lambda t, df: 2 * stats.t.sf(abs(t), df)
    how = "Student t"
except ImportError:
    pvalue = lambda t, df: math.erfc(abs(t) / math.sqrt(2))
    how = "normal approximation"
print(f"paired against tracin/factors ({how}):")
for r in results:
    if r["score"] == "tracin" and r["mode"] == "factors" and r["preconditioner"] == "none":
        continue
    d = [a - b for a, b in zip(r["per_test"], base)]
    n = len(d); mean = sum(d) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1))
    t = mean / (sd / math.sqrt(n)) if sd > 0 else 0.0
    print(f"  {r['score']:<8} {r['mode']:<10} {r['preconditioner']:<5} Δ LDS {mean:+.4f} (95 % CI ±{1.96 * sd / math.sqrt(n):.4f}), t({n - 1}) = {t:.2f}, p = {pvalue(t, n - 1):.3g}")
PY
