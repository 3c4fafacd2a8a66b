# Sourced by the benchmark scripts: set-up, the environment, Debian's torch for the PyTorch
# references, the Fashion-MNIST files, and median/field helpers.
launch/setup.sh
. launch/env.sh
if ! /usr/bin/python3 -c "import torch, scipy" 2>/dev/null; then
    echo "bench: installing Debian's python3-torch (the references) and python3-scipy (t-tests)"
    if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq python3-torch python3-scipy
fi
[ -f data/fashion-mnist/train.h5 ] || .build/release/vaekit data prepare fashion-mnist
# JAX (XLA on CPU) for bench/reference/jax_vae.py, from PyPI in its own virtual environment.
if [ ! -x .build/jax/bin/python ] || ! .build/jax/bin/python -c "import jax" 2>/dev/null; then
    echo "bench: installing jax from PyPI into .build/jax"
    /usr/bin/python3 -m venv .build/jax && .build/jax/bin/pip install -q jax
fi

# median: the median of numbers on standard input, one per line.
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
# field NAME: the last `"NAME": number` on standard input.
field() { grep -o "\"$1\" *: *[-0-9.e+]*" | tail -1 | awk -F': *' '{print $2}'; }
# rate: examples per second from a JSON line.
rate() { field examples_per_second; }
# run_once RUN CONFIG: a briefly trained run (200 steps) for throughput benchmarks, made when missing.
run_once() {
    if [ -z "$(ls "$1"/checkpoints/*.h5 2>/dev/null)" ]; then
        rm -rf "$1"
        .build/release/vaekit train --config "$2" --run "$1" --max-steps 200 --quiet
    fi
}
# lr256_run: runs/lr256-speed, the DCGAN VAE with the 256-way decoder trained for 50 steps on 2
# ranks (the 256-way speed benchmarks' model), made when missing.
lr256_config=(--config configs/fashion-mnist-dcgan.yaml --set model.likelihood=categorical256 --set training.workers=1)
lr256_run() {
    if [ -z "$(ls runs/lr256-speed/checkpoints/*.h5 2>/dev/null)" ]; then
        rm -rf runs/lr256-speed
        mpirun -np 2 --bind-to core -x OPENBLAS_CORETYPE .build/release/vaekit train "${lr256_config[@]}" \
            --run runs/lr256-speed --max-steps 50 --quiet
    fi
}
# results NAME ARGS SETTINGS: this script's output, also into bench/results/NAME.txt, headed by the
# command with its arguments, the date, the machine, the commit, and the settings.
results() {
    exec > >(tee "bench/results/$1.txt") 2>&1
    local tree
    tree=$(git rev-parse --short HEAD)
    [ -z "$(git status --porcelain --untracked-files=no -- Sources Package.swift)" ] \
        || tree="$tree + uncommitted changes to Sources"
    echo "$0 $2 — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $tree"
    echo "settings: $3"
}
# demo_run RUN [--set …]: the demo model (configs/demo.yaml, 5 epochs, a checkpoint per epoch)
# trained on 2 ranks into RUN, unless RUN has checkpoints.
demo_run() {
    if [ -z "$(ls "$1"/checkpoints/*.h5 2>/dev/null)" ]; then
        rm -rf "$1"
        mpirun --oversubscribe -np 2 .build/release/vaekit train --config configs/demo.yaml --run "$@" --quiet >/dev/null
    fi
}
# projected_index RUN: RUN's projected index (S = 16, D = 256) on 2 ranks, built or resumed unless
# it is there.
projected_index() {
    if ! /usr/bin/python3 -c "import json,sys; m=json.load(open('$1/gradients/manifest.json')); sys.exit(not (m['mode']=='projected' and m['samples']==16 and m['projection_dimension']==256))" 2>/dev/null; then
        local start; start=$(date +%s)
        mpirun --oversubscribe -np 2 .build/release/vaekit influence index --run "$1" --mode projected --samples 16 --resume >/dev/null
        echo "projected index of $1 (S = 16, D = 256, 2 ranks, --resume): $(($(date +%s) - start)) s wall"
    fi
}
