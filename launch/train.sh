#!/usr/bin/env bash
# Data-parallel training under mpirun with sane defaults:
#
#   launch/train.sh [-n RANKS] [--hostfile FILE] [--threads-per-rank T] -- <vaekit train arguments>
#   launch/train.sh -n 2 -- --config configs/fashion-mnist-mlp.yaml --run runs/mlp-2ranks
#
# RANKS defaults to the number of cores; each rank runs 1 in-process worker with T BLAS threads
# (default 1), bound to its cores when the ranks fit the machine, oversubscribed otherwise. Root
# is allowed (containers, CI). Extra Open MPI options: VAEKIT_MPIRUN_OPTIONS="--mca btl self,vader,tcp".
set -euo pipefail
cd "$(dirname "$0")/.."
. launch/env.sh

ranks=$(nproc)
hostfile=()
threads=1
while [ $# -gt 0 ]; do
    case "$1" in
        -n | --ranks) ranks=$2; shift 2 ;;
        --hostfile) hostfile=(--hostfile "$2"); shift 2 ;;
        --threads-per-rank) threads=$2; shift 2 ;;
        --) shift; break ;;
        *) echo "train.sh: unknown option $1 (see the header of this script)" >&2; exit 2 ;;
    esac
done
[ -x .build/release/vaekit ] || launch/setup.sh

placement=(--bind-to core --map-by "core:PE=$threads")
if [ ${#hostfile[@]} -eq 0 ] && [ $((ranks * threads)) -gt "$(nproc)" ]; then
    placement=(--oversubscribe --bind-to none)
fi
# shellcheck disable=SC2086
exec mpirun -np "$ranks" "${hostfile[@]}" "${placement[@]}" \
    -x OPENBLAS_CORETYPE -x OPENBLAS_NUM_THREADS="$threads" -x OMP_NUM_THREADS=1 -x PATH \
    ${VAEKIT_MPIRUN_OPTIONS:-} \
    .build/release/vaekit train --set training.workers=1 --set training.blas_threads="$threads" "$@"
