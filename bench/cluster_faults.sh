#!/usr/bin/env bash
# How fast a 2-host training job (namespace hosts, launch/run.sh) ends when one host's link is cut
# or every process on the host is killed, TRIALS times each (default 3): seconds from the fault to
# mpirun's exit, its exit status, and what named the fault. Collective watchdog at 5 s and at the
# default 60 s (for the cut). Root. Output: bench/results/cluster_faults.txt.
#
#   bench/cluster_faults.sh [trials]
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-3}
. bench/common.sh
results cluster_faults "$trials" "MLP VAE, 2,048 examples, batch 64, 1 worker and 1 BLAS thread per rank, \
2 hosts × 1 rank; the fault once the first checkpoint exists; daemon keepalive 5 s + 5 × 1 s (launch/run.sh)"
work=$(mktemp -d)
trap 'launch/cluster/netns.sh down; rm -rf "$work"' EXIT
launch/cluster/netns.sh up 2 >/dev/null
train=(train --config configs/fashion-mnist-mlp.yaml --set data.train_limit=2048 --set training.batch_size=64
    --set training.checkpoint_every=32 --set training.evaluate_every=0 --set training.workers=1
    --set training.blas_threads=1 --set training.epochs=200 --quiet)

printf '%-6s %-10s %-6s %-12s %-8s %s\n' fault watchdog trial "ended (s)" status "named by"
for setting in "cut 5" "cut 60" "kill 5"; do
    read -r fault timeout <<<"$setting"
    for trial in $(seq "$trials"); do
        run="$work/$fault-$timeout-$trial"
        launch/run.sh -n 2 --hosts netns:2 -- "${train[@]}" --set training.collective_timeout_s="$timeout" \
            --run "$run" >"$run.log" 2>&1 &
        job=$!
        for _ in $(seq 400); do [ -e "$run/checkpoints/checkpoint-32.h5" ] && break; sleep 0.1; done
        start=$(date +%s.%N)
        launch/cluster/netns.sh "$fault" 1
        status=0
        wait "$job" || status=$?
        ended=$(echo "$(date +%s.%N) - $start" | bc -l)
        if grep -q "did not answer a ping" "$run.log"; then
            named="watchdog: $(grep -o 'rank(s) [0-9][0-9, ]* did not answer' "$run.log" | head -1)"
        elif grep -q "lost communication with a remote daemon" "$run.log"; then
            named="mpirun: lost the daemon on $(grep -o 'on node 10[.0-9]*' "$run.log" | tail -1 | cut -d' ' -f3)"
        elif grep -q "daemon has unexpectedly failed" "$run.log"; then
            named="mpirun: a daemon failed unexpectedly"
        else named="$(grep -v '^epoch\|^training\|^---' "$run.log" | grep . | head -1 | cut -c1-60)"; fi
        printf '%-6s %-10s %-6s %-12.1f %-8s %s\n' "$fault" "$timeout s" "$trial" "$ended" "$status" "$named"
        [ "$fault" = cut ] && launch/cluster/netns.sh restore 1
        sleep 2
    done
done
