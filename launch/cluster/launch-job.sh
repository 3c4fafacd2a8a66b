#!/usr/bin/env bash
# launch-job RANKS [vaekit train arguments…]: on the compose cluster's head, a hostfile from the
# running containers (the head and every worker), Fashion-MNIST on the shared volume, and a
# data-parallel training run under mpirun over ssh.
set -euo pipefail
ranks=${1:-2}
shift || true
{
    echo "head slots=1"
    getent ahosts worker | awk '{print $1}' | sort -u | awk '{print $1 " slots=1"}'
} >/shared/hostfile
[ -f /shared/data/fashion-mnist/train.h5 ] \
    || vaekit data prepare fashion-mnist --output /shared/data/fashion-mnist
exec mpirun -np "$ranks" --hostfile /shared/hostfile --bind-to none -x OPENBLAS_NUM_THREADS=1 \
    vaekit train --config /opt/vaekit/configs/fashion-mnist-mlp.yaml \
    --set data.train=/shared/data/fashion-mnist/train.h5 --set data.test=/shared/data/fashion-mnist/test.h5 \
    --set training.workers=1 --set training.blas_threads=1 --run /shared/runs/cluster "$@"
