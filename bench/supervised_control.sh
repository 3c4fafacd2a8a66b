#!/usr/bin/env bash
# The supervised VAE's label preservation against its control: configs/fashion-mnist-supervised.yaml
# (d_s = 8 of 32, α = 50, 10 epochs) trained with SEEDS seeds; for each, `vaekit invariances` on
# the first COUNT test images with 8 draws: the rate at which the classifier's label survives
# resampling z_n (z_s = μ_s kept), the same rate when z_s is resampled instead (z_n = μ_n kept), and
# z_n's active units. Mean ± s.d. over seeds, the paired difference with its t. Writes
# bench/results/supervised_control.txt.
#
#   bench/supervised_control.sh [seeds] [count]      (defaults 3 and 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-3}
count=${2:-2000}
. bench/common.sh
results supervised_control "$seeds $count" "configs/fashion-mnist-supervised.yaml (d_s = 8, alpha = 50, 10 epochs), seeds 1..$seeds; vaekit invariances --count $count --draws 8"
values=$(mktemp)
trap 'rm -f "$values"' EXIT
for seed in $(seq "$seeds"); do
    run=runs/supervised-control-s$seed
    rm -rf "$run"
    .build/release/vaekit train --config configs/fashion-mnist-supervised.yaml --set seed="$seed" --run "$run" --quiet >/dev/null
    .build/release/vaekit invariances --checkpoint "$run/checkpoints/checkpoint-4680.h5" --count "$count" --draws 8 \
        --output "$run/invariances.png" --json "$run/invariances.json"
    echo "$seed $(field test_accuracy <"$run/invariances.json") $(field label_preservation <"$run/invariances.json") \
$(field control_preservation <"$run/invariances.json") $(field nuisance_active_units <"$run/invariances.json")" >>"$values"
done
/usr/bin/python3 - "$values" <<'PY'
import statistics, sys
from scipy import stats
rows = [[float(v) for v in line.split()] for line in open(sys.argv[1])]
accuracy, kept, control, active = ([r[i] for r in rows] for i in (1, 2, 3, 4))
def show(values, scale=100, unit=" %"):
    return f"{statistics.mean(values) * scale:.1f} ± {statistics.stdev(values) * scale:.1f}{unit}"
print(f"\n{len(rows)} seeds, mean ± s.d.")
print(f"test accuracy of the classifier on μ_s           {show(accuracy)}")
print(f"label kept, z_n resampled (z_s = μ_s)           {show(kept)}")
print(f"label kept, z_s resampled (z_n = μ_n): control  {show(control)}")
print(f"z_n active units (of 24)                        {show(active, 1, '')}")
test = stats.ttest_rel(kept, control)
print(f"kept − control, paired over seeds: {statistics.mean(kept) - statistics.mean(control):+.3f}, "
      f"t({len(rows) - 1}) = {test.statistic:.2f}, p = {test.pvalue:.2g}")
PY
