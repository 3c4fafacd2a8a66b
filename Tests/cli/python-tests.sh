#!/usr/bin/env bash
# The Python package (python/), as `launch/setup.sh --test-tools` installed it into .build/python
# with pip: imported from outside the source tree, then its pytest suite run against the release
# binary (a tiny real run made once). One `ok:` or `FAIL:` line per test for launch/test.sh.
set -uo pipefail
cd "$(dirname "$0")/../.."
. Tests/cli/checks.sh
python=.build/python/bin/python
check "the installed package imports from outside the source tree" bash -c \
    "cd / && $PWD/$python -c 'import vaekit, sys; sys.exit(\"site-packages\" not in vaekit.__file__ or not callable(vaekit.Run))'"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
VAEKIT_BINARY="$PWD/.build/release/vaekit" "$python" -m pytest python/tests -q -rA -p no:cacheprovider >"$log" 2>&1
status=$?
cat "$log"
sed -n 's/^PASSED \(.*\)/ok: pytest \1/p; s/^\(FAILED\|ERROR\) \(.*\)/FAIL: pytest \2/p' "$log"
[ "$status" = 0 ] || grep -qE '^(FAILED|ERROR) ' "$log" || echo "FAIL: pytest exited $status"
[ "$status" = 0 ] && [ "$failed" = 0 ]
