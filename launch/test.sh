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

echo "test: command-line checks (release build)"
cli_status=0
Tests/cli/cli-tests.sh 2>&1 | tee "$log" || cli_status=$?
cli_passed=$(grep -c '^ok: ' "$log" || true)
cli_failed=$(grep -c '^FAIL: ' "$log" || true)
if [ "$cli_status" != 0 ] && [ "$cli_failed" = 0 ]; then cli_failed=1; fi

echo "test: cluster checks (namespace hosts over TCP; root)"
cluster_status=0
Tests/cli/cluster-tests.sh 2>&1 | tee "$log" || cluster_status=$?
cluster_passed=$(grep -c '^ok: ' "$log" || true)
cluster_failed=$(grep -c '^FAIL: ' "$log" || true)
if [ "$cluster_status" != 0 ] && [ "$cluster_failed" = 0 ]; then cluster_failed=1; fi

# One plain closing line over the three parts (Swift Testing's tests, the command-line checks,
# the cluster checks).
echo "tests: $((passed + cli_passed + cluster_passed)) passed, $((failed + cli_failed + cluster_failed)) failed"
[ "$status" = 0 ] && [ "$cli_status" = 0 ] && [ "$cluster_status" = 0 ]
