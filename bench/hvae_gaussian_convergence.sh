#!/usr/bin/env bash
# The HVAE Gaussian experiment's convergence (docs/variants.md, HVAE): mean-field VB run for
# 30k, 100k, 300k and 1M RMSProp iterations at d = 51, 101 and 301, against all five methods at
# the paper's 30,000 iterations at d = 301 — does VB's error at 30,000 steps measure the method
# or an unfinished optimization? 5 datasets per d, each run from the initial values.
# Writes bench/results/hvae_gaussian_convergence.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
results hvae_gaussian_convergence "" "vaekit experiment hvae-gaussian --repetitions 5 --workers 2; VB at d = 51,101,301 × iterations 30000,100000,300000,1000000; all methods at d = 301, 30000 iterations"
for iterations in 30000 100000 300000 1000000; do
    echo
    .build/release/vaekit experiment hvae-gaussian --dimensions 51,101,301 --repetitions 5 --workers 2 \
        --iterations $iterations --methods vb
done
echo
.build/release/vaekit experiment hvae-gaussian --dimensions 301 --repetitions 5 --workers 2 --iterations 30000
