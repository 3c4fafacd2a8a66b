#!/usr/bin/env bash
# Set-up plus the whole test suite: format lint, then every test target.
set -euo pipefail
cd "$(dirname "$0")/.."
launch/setup.sh --test-tools
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

passed=$(grep '^✔ Test ' "$log" | grep -vc '^✔ Test run' || true)
failed=$(grep '^✘ Test ' "$log" | grep -vc '^✘ Test run' || true)
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi

# checks TITLE SCRIPT: a script of `ok:`/`FAIL:` lines, its counts added to the totals.
all_ok=$([ "$status" = 0 ] && echo 1 || echo 0)
checks() {
    local part_status=0 part_passed part_failed
    echo "test: $1"
    "$2" 2>&1 | tee "$log" || part_status=$?
    part_passed=$(grep -c '^ok: ' "$log" || true)
    part_failed=$(grep -c '^FAIL: ' "$log" || true)
    if [ "$part_status" != 0 ] && [ "$part_failed" = 0 ]; then part_failed=1; fi
    [ "$part_status" = 0 ] || all_ok=0
    passed=$((passed + part_passed))
    failed=$((failed + part_failed))
}
checks "command-line checks (release build)" Tests/cli/cli-tests.sh
checks "the Python package (pip-installed; pytest against the release binary)" Tests/cli/python-tests.sh
checks "cluster checks (namespace hosts over TCP, a one-node Slurm; root)" Tests/cli/cluster-tests.sh

# One plain closing line over the three parts (Swift Testing's tests, the command-line checks,
# the cluster checks).
echo "tests: $passed passed, $failed failed"
[ "$all_ok" = 1 ]
