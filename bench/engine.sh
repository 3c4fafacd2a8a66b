#!/usr/bin/env bash
# The engine against raw OpenBLAS: Linear forward+backward through the engine next to sgemm on the
# same shapes (`vaekit bench engine`), 2 threads. Writes bench/results/engine.txt.
#
#   bench/engine.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
results engine "" "vaekit bench engine --threads 2: the MLP VAE's layer shapes at batch 128"
.build/release/vaekit bench engine --threads 2
