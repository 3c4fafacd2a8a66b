#!/usr/bin/env bash
# Set-up plus the whole test suite: format lint, then every test target.
set -euo pipefail
cd "$(dirname "$0")/.."
launch/setup.sh
. launch/env.sh

echo "test: swift format lint"
swift format lint --strict -r Sources Tests Package.swift

echo "test: building tests"
swift build --build-tests
echo "test: running tests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
swift test --skip-build 2>&1 | tee "$log" || status=$?

# One plain closing line: Swift Testing's count (XCTest's own line reports its share, if any).
passed=$(grep '^✔ Test ' "$log" | grep -vc '^✔ Test run' || true)
failed=$(grep '^✘ Test ' "$log" | grep -vc '^✘ Test run' || true)
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "tests: $passed passed, $failed failed"
exit "$status"
