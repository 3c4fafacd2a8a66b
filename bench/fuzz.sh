#!/usr/bin/env bash
# The readers' fuzz test at length: CASES seeded mutations per reader (default 100,000; the test
# suite runs 2,000) — IDX plain and gzip, HDF5 datasets and checkpoints, index shards read by a
# query, config YAML and --set, the index manifest, ood.json and influence.json, --test specs.
# A crash ends the test process and a case running over 30 s ends it with the case named, so a
# passing run means no crash and no hang. Output: bench/results/fuzz.txt.
#
#   bench/fuzz.sh [cases]
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-100000}
. bench/common.sh
results fuzz "$cases" "VAEKIT_FUZZ_CASES=$cases swift test --filter ReaderFuzzTests (debug build in .build/fuzz, as in the suite)"
# Its own build folder: a long run does not hold the lock on .build meanwhile.
swift build --build-tests --scratch-path .build/fuzz >/dev/null
VAEKIT_FUZZ_CASES=$cases swift test --scratch-path .build/fuzz --skip-build --filter ReaderFuzzTests 2>&1 \
    | grep -E '✔|✘|signal|hung|Test run' || true
