#!/usr/bin/env bash
# Data-parallel training under mpirun with sane defaults (launch/run.sh with `train`):
#
#   launch/train.sh [-n RANKS] [--hostfile FILE | --hosts netns:N] [--threads-per-rank T] -- <vaekit train arguments>
#   launch/train.sh -n 2 -- --config configs/fashion-mnist-mlp.yaml --run runs/mlp-2ranks
#
# Each rank runs 1 in-process worker with T BLAS threads (default 1); the other options are
# launch/run.sh's.
set -euo pipefail
cd "$(dirname "$0")/.."
options=()
threads=1
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    [ "$1" = "--threads-per-rank" ] && threads=${2:-1}
    options+=("$1")
    shift
done
[ $# -gt 0 ] && shift
exec launch/run.sh "${options[@]}" -- train --set training.workers=1 --set training.blas_threads="$threads" "$@"
