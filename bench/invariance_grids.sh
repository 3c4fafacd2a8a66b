#!/usr/bin/env bash
# The supervised VAE's invariance grids of docs/variants.md: `vaekit invariances` on seed 2 of the
# α = 50 and α = 1 runs of `bench/variant_study.sh supervised` (runs/study-supervised), 8 rows ×
# (reconstruction + 8 draws of z_n), into docs/invariances-alpha-{50,1}.png, with each model's
# metrics on the first 2,000 test images. Writes bench/results/invariance_grids.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
results invariance_grids "" "vaekit invariances --count 2000 --draws 8 --rows 8 on runs/study-supervised/alpha-{50,1}/seed-2"
for alpha in 50 1; do
    .build/release/vaekit invariances --checkpoint runs/study-supervised/alpha-$alpha/seed-2/checkpoints/checkpoint-2340.h5 \
        --count 2000 --draws 8 --rows 8 --output docs/invariances-alpha-$alpha.png
done
