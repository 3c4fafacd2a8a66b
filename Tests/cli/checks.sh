# The command-line checks' two verbs, sourced by cli-tests.sh and cluster-tests.sh; they count
# into $passed and $failed.
passed=0
failed=0

check() {  # check NAME COMMAND… : the command must succeed
    local name=$1; shift
    if output=$("$@" 2>&1); then passed=$((passed + 1)); echo "ok: $name"
    else failed=$((failed + 1)); echo "FAIL: $name"; echo "$output" | tail -5 | sed 's/^/    /'; fi
}
refuses() {  # refuses NAME PATTERN COMMAND… : the command must fail and print PATTERN
    local name=$1 pattern=$2; shift 2
    if output=$("$@" 2>&1); then failed=$((failed + 1)); echo "FAIL: $name (succeeded)"
    elif grep -q -- "$pattern" <<<"$output"; then passed=$((passed + 1)); echo "ok: $name"
    else failed=$((failed + 1)); echo "FAIL: $name (message lacks '$pattern')"; echo "$output" | tail -3 | sed 's/^/    /'; fi
}
