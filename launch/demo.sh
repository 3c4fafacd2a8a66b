#!/usr/bin/env bash
# The main job. For now: set-up, a release build, and the engine benchmark. Later issues turn
# this into the end-to-end pipeline (train on 2 ranks, influence index, OOD scores, report).
set -euo pipefail
cd "$(dirname "$0")/.."
launch/setup.sh
. launch/env.sh

echo "demo: engine benchmark (release build)"
.build/release/vaekit bench engine --threads 2
