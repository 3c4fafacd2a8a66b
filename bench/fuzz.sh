#!/usr/bin/env bash
# The readers' fuzz test at length: CASES seeded mutations per reader (default 100,000; the test
# suite runs 2,000), including the HDF5 readers, which the suite skips while libhdf5 can crash
# on a corrupted global heap (see Tests/FuzzTests). Output: bench/results/fuzz.txt.
#
#   bench/fuzz.sh [cases]
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-100000}
. bench/common.sh
results fuzz "$cases" "VAEKIT_FUZZ_CASES=$cases VAEKIT_FUZZ_HDF5=1 swift test --filter ReaderFuzzTests"
swift build --build-tests >/dev/null
VAEKIT_FUZZ_CASES=$cases VAEKIT_FUZZ_HDF5=1 swift test --skip-build --filter ReaderFuzzTests 2>&1 \
    | grep -E '✔|✘|signal|Test run' || true
