#!/usr/bin/env bash
# Multi-host checks on hosts made of network namespaces (launch/cluster/netns.sh): ranks on
# different hosts talk over TCP through a bridge, as between machines. The determinism contract
# across hosts, and faults that must end a job rather than hang it: a killed host, a cut link
# (the collective watchdog), a slow link. Needs root; skipped otherwise.
set -uo pipefail
cd "$(dirname "$0")/../.."
. launch/env.sh
if [ "$(id -u)" != 0 ]; then echo "cluster: skipped (network namespaces need root)"; exit 0; fi
vaekit=.build/release/vaekit
work=$(mktemp -d)
trap 'launch/cluster/netns.sh down; rm -rf "$work"' EXIT
. Tests/cli/checks.sh

check "4 namespace hosts up" launch/cluster/netns.sh up 4
on() {  # on HOSTS COMMAND…: vaekit COMMAND on the first HOSTS namespace hosts, one rank each
    # (0: on this host, 1 rank), within 5 minutes
    local hosts=$1; shift
    if [ "$hosts" = 0 ]; then timeout 300 $vaekit "$@"
    else timeout 300 launch/run.sh -n "$hosts" --hosts "netns:$hosts" -- "$@"; fi
}
check "collectives across 2 hosts over TCP" on 2 selftest collectives
check "collectives across 4 hosts over TCP" on 4 selftest collectives

$vaekit data prepare fashion-mnist --output "$work/fmnist" >/dev/null
# SGD, 1 worker and 1 BLAS thread per rank everywhere: 2 hosts and 2 local ranks run the same
# reduction, so they agree bit for bit; 1 rank differs only in the order of float sums.
train=(--config configs/fashion-mnist-mlp.yaml --set data.train="$work/fmnist/train.h5"
    --set data.test="$work/fmnist/test.h5" --set data.train_limit=512 --set data.test_limit=128
    --set training.batch_size=64 --set training.checkpoint_every=8 --set training.evaluate_every=0
    --set training.optimizer=sgd --set training.momentum=0.9 --set training.learning_rate=0.003
    --set training.workers=1 --set training.blas_threads=1 --quiet)
mpirun=(mpirun --oversubscribe --bind-to none -x OPENBLAS_NUM_THREADS=1)
check "train: 1 rank" $vaekit train "${train[@]}" --set training.epochs=2 --run "$work/one"
check "train: 2 local ranks" "${mpirun[@]}" -np 2 $vaekit train "${train[@]}" --set training.epochs=2 --run "$work/local"
check "train: 2 hosts" on 2 train "${train[@]}" --set training.epochs=2 --run "$work/hosts"
check "2 hosts = 2 local ranks, bit for bit" /usr/bin/python3 Tests/cli/compare_checkpoints.py \
    "$work/hosts/checkpoints/checkpoint-16.h5" "$work/local/checkpoints/checkpoint-16.h5" 0
check "2 hosts = 1 rank (≤ 1e-6)" /usr/bin/python3 Tests/cli/compare_checkpoints.py \
    "$work/hosts/checkpoints/checkpoint-16.h5" "$work/one/checkpoints/checkpoint-16.h5" 1e-6

# Resuming a 2-host run (stopped after epoch 1) on 1 rank and on 4 hosts continues the run.
check "train: 2 hosts, 1 epoch" on 2 train "${train[@]}" --set training.epochs=1 --run "$work/half"
cp -r "$work/half" "$work/half-4"
check "resume the 2-host run on 1 rank" $vaekit train "${train[@]}" --set training.epochs=2 --run "$work/half" --resume
check "resume the 2-host run on 4 hosts" on 4 train "${train[@]}" --set training.epochs=2 --run "$work/half-4" --resume
for resumed in half half-4; do
    check "$resumed: resumed run = uninterrupted run (≤ 1e-6)" /usr/bin/python3 Tests/cli/compare_checkpoints.py \
        "$work/$resumed/checkpoints/checkpoint-16.h5" "$work/one/checkpoints/checkpoint-16.h5" 1e-6
done

# With training.reproducible_reduction the resumed runs continue exactly: bit for bit.
exact=("${train[@]}" --set training.reproducible_reduction=true)
check "train (reproducible reduction): 2 hosts, 2 epochs" on 2 train "${exact[@]}" --set training.epochs=2 --run "$work/exact"
check "train (reproducible reduction): 2 hosts, 1 epoch" on 2 train "${exact[@]}" --set training.epochs=1 --run "$work/exact-half"
cp -r "$work/exact-half" "$work/exact-half-4"
check "resume it on 1 rank" $vaekit train "${exact[@]}" --set training.epochs=2 --run "$work/exact-half" --resume
check "resume it on 4 hosts" on 4 train "${exact[@]}" --set training.epochs=2 --run "$work/exact-half-4" --resume
for resumed in exact-half exact-half-4; do
    check "$resumed: resumed = uninterrupted, bit for bit" /usr/bin/python3 Tests/cli/compare_checkpoints.py \
        "$work/$resumed/checkpoints/checkpoint-16.h5" "$work/exact/checkpoints/checkpoint-16.h5" 0
done

# Influence and OOD across hosts give the single-host results.
for where in one hosts; do
    hosts=0; [ "$where" = hosts ] && hosts=2
    check "influence index on $where" on $hosts influence index --run "$work/$where" \
        --mode projected --checkpoints 8,16 --samples 2 --projection-dimension 64
    check "influence query on $where" on $hosts influence query --run "$work/$where" --test test:0-5 --top 5
    check "ood on $where" on $hosts ood --run "$work/$where" --count 6 --iwae-samples 10 --steps 5 --batch-size 4 \
        --ood noise --resamples 100
done
check "influence across 2 hosts = 1 rank" /usr/bin/python3 Tests/cli/compare_influence.py \
    "$work/one/influence.json" "$work/hosts/influence.json" 1e-4
check "ood across 2 hosts = 1 rank" /usr/bin/python3 Tests/cli/compare_ood.py "$work/one/ood.json" "$work/hosts/ood.json" 1e-4

# Faults. A long 2-host run (2,048 examples, a checkpoint per epoch, collective timeout 5 s) is
# cut, killed or slowed mid-run. launch/run.sh's keepalive makes mpirun notice a silent host in
# about 10 s; the watchdog names the rank that does not answer.
long=("${train[@]}" --set data.train_limit=2048 --set training.checkpoint_every=32 --set training.collective_timeout_s=5)
check "train: uninterrupted 2-host run, 2 epochs" on 2 train "${long[@]}" --set training.epochs=2 --run "$work/whole"
fault_run() {  # fault_run NAME: a 200-epoch 2-host run in the background, once its first checkpoint exists
    on 2 train "${long[@]}" --set training.epochs=200 --run "$work/$1" >"$work/$1.log" 2>&1 &
    fault_pid=$!
    for _ in $(seq 240); do [ -e "$work/$1/checkpoints/checkpoint-32.h5" ] && break; sleep 0.25; done
}
ends_within() {  # ends_within SECONDS: the background run ends, non-zero, within SECONDS
    local started status
    started=$(date +%s)
    while kill -0 "$fault_pid" 2>/dev/null; do
        if [ $(($(date +%s) - started)) -ge "$1" ]; then echo "still running after $1 s"; return 1; fi
        sleep 0.2
    done
    wait "$fault_pid"; status=$?
    echo "ended after $(($(date +%s) - started)) s with status $status"
    [ "$status" != 0 ]
}
no_process_left() {  # no_process_left NAME: no rank of run NAME is alive within 30 s
    for _ in $(seq 60); do pgrep -f -- "--run $work/$1" >/dev/null || return 0; sleep 0.5; done
    pgrep -fa -- "--run $work/$1"; return 1
}
resumes_exactly() {  # resumes_exactly NAME: from its epoch-1 checkpoint to epoch 2 = the uninterrupted run
    find "$work/$1/checkpoints" -name '*.h5' ! -name checkpoint-32.h5 -delete
    on 2 train "${long[@]}" --set training.epochs=2 --run "$work/$1" --resume >/dev/null \
        && /usr/bin/python3 Tests/cli/compare_checkpoints.py "$work/$1/checkpoints/checkpoint-64.h5" \
            "$work/whole/checkpoints/checkpoint-64.h5" 0
}

fault_run cut
launch/cluster/netns.sh cut 1
check "a cut link ends the run, non-zero, within the watchdog time + 10 s" ends_within 15
check "the cut host or its rank is named" grep -qE "rank\(s\) 1 did not answer|Remote daemon.*10\.213\.77\.11" "$work/cut.log"
newest=$(ls -v "$work/cut/checkpoints/"*.h5 | tail -1)
check "the newest checkpoint opens ($(basename "$newest"))" $vaekit evaluate --checkpoint "$newest" --count 16 --samples 2
launch/cluster/netns.sh restore 1
check "no rank is left behind the restored link" no_process_left cut
check "after restoring the link, --resume continues exactly (bit for bit)" resumes_exactly cut

fault_run killed
launch/cluster/netns.sh kill 1
check "a killed host ends the run, non-zero, within 10 s" ends_within 10
check "no rank of the killed run is left" no_process_left killed
check "the run resumes exactly on the host brought back" resumes_exactly killed

check "a 100 Mbit/s link" launch/cluster/netns.sh rate 1 100mbit
check "train: 2 hosts over the slow link" on 2 train "${long[@]}" --set training.epochs=2 --run "$work/slow"
launch/cluster/netns.sh unlimit 1
check "the slow link gives the same parameters, bit for bit" /usr/bin/python3 Tests/cli/compare_checkpoints.py \
    "$work/slow/checkpoints/checkpoint-64.h5" "$work/whole/checkpoints/checkpoint-64.h5" 0

# A real Slurm: a one-node cluster on localhost (launch/slurm/local-cluster.sh); the sbatch
# templates run to completion with srun --mpi=pmix, and give the mpirun results.
if check "a one-node Slurm cluster" launch/slurm/local-cluster.sh start; then
    sbatch=(sbatch --wait -N 1 -n 2 --ntasks-per-node=2 --cpus-per-task=1)
    slurm_train=("${train[@]:2}")
    unset 'slurm_train[${#slurm_train[@]}-1]'  # train.sbatch passes --quiet itself
    check "sbatch train.sbatch (2 tasks)" "${sbatch[@]}" -o "$work/slurm-train.out" launch/slurm/train.sbatch \
        configs/fashion-mnist-mlp.yaml "${slurm_train[@]}" --set training.epochs=2 --run "$work/slurm"
    check "Slurm's run = the 2-rank mpirun run, bit for bit" /usr/bin/python3 Tests/cli/compare_checkpoints.py \
        "$work/slurm/checkpoints/checkpoint-16.h5" "$work/local/checkpoints/checkpoint-16.h5" 0
    check "sbatch influence.sbatch" "${sbatch[@]}" -o "$work/slurm-influence.out" launch/slurm/influence.sbatch \
        "$work/slurm" "--mode projected --checkpoints 8,16 --samples 2 --projection-dimension 64" "--test test:0-5 --top 5"
    check "Slurm's influence = the 2-host influence" /usr/bin/python3 Tests/cli/compare_influence.py \
        "$work/slurm/influence.json" "$work/hosts/influence.json" 1e-4
    check "sbatch ood.sbatch" "${sbatch[@]}" -o "$work/slurm-ood.out" launch/slurm/ood.sbatch "$work/slurm" \
        --count 6 --iwae-samples 10 --steps 5 --batch-size 4 --ood noise --resamples 100
    check "Slurm's OOD scores = the 2-host scores" /usr/bin/python3 Tests/cli/compare_ood.py \
        "$work/slurm/ood.json" "$work/hosts/ood.json" 1e-4
    launch/slurm/local-cluster.sh stop
fi

# Ranks other than 0 write no file: they once "opened" their metrics log at /dev/null, and
# Foundation's createFile replaced the device with a regular file (as root).
check "/dev/null is still a character device after the multi-rank runs" test -c /dev/null
echo "cluster: $passed passed, $failed failed"
[ "$failed" = 0 ]
