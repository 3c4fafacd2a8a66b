#!/usr/bin/env bash
# The main job: from a fresh machine to an OOD and influence report, on 2 ranks.
#
#   launch/demo.sh              set-up, then train → influence index → queries → OOD → report
#   launch/demo.sh --fresh      delete the demo's run folders first and redo everything
#
# Re-running resumes: training continues from the newest checkpoint, and a stage whose output
# is already there (and newer than what it was computed from) is skipped. Environment:
# VAEKIT_DEMO_RANKS (default 2), VAEKIT_DEMO_RUN (default runs/demo).
set -euo pipefail
cd "$(dirname "$0")/.."

fresh=0
for argument in "$@"; do
    case "$argument" in
        --fresh) fresh=1 ;;
        *) echo "demo.sh: unknown option $argument (expected --fresh)" >&2; exit 2 ;;
    esac
done

started=$(date +%s)
stage() { printf '\n== demo [%s, %ds]: %s\n' "$1" "$(($(date +%s) - started))" "$2"; }

stage 0/7 "set-up (Debian packages, release build)"
launch/setup.sh
. launch/env.sh

ranks=${VAEKIT_DEMO_RANKS:-2}
run=${VAEKIT_DEMO_RUN:-runs/demo}
background=$run-background
vaekit=.build/release/vaekit
mpi=(mpirun -np "$ranks" --oversubscribe --bind-to none -x OPENBLAS_CORETYPE -x PATH)
if [ "$fresh" = 1 ]; then rm -rf "$run" "$background"; fi

# newer OUTPUT INPUT...: OUTPUT exists and is newer than every INPUT.
newer() {
    local output=$1; shift
    [ -f "$output" ] || return 1
    for input in "$@"; do [ "$input" -nt "$output" ] && return 1; done
    return 0
}
latest() { ls -t "$1"/checkpoints/checkpoint-*.h5 2>/dev/null | head -1; }

stage 1/7 "Fashion-MNIST from Debian's dataset-fashion-mnist"
[ -f data/fashion-mnist/train.h5 ] && [ -f data/fashion-mnist/test.h5 ] || $vaekit data prepare fashion-mnist

train() {  # train RUN [--set …]
    local folder=$1; shift
    if [ -f "$folder/config.yaml" ] && [ -n "$(latest "$folder")" ]; then
        "${mpi[@]}" $vaekit train --config configs/demo.yaml --run "$folder" --resume "$@"
    else
        rm -rf "$folder"
        "${mpi[@]}" $vaekit train --config configs/demo.yaml --run "$folder" "$@"
    fi
}
stage 2/7 "train the MLP VAE on $ranks ranks (5 epochs, a checkpoint per epoch)"
train "$run"

stage 3/7 "train the background model for the likelihood-ratio baseline (inputs perturbed, 20 %)"
train "$background" --set name=demo-background --set data.perturbation=0.2

stage 4/7 "influence index: per-example gradients of all 60,000 training examples at 5 checkpoints"
if newer "$run/gradients/manifest.json" "$(latest "$run")" && grep -q '"preconditioner" : "adam"' "$run/gradients/manifest.json"; then
    echo "index is up to date ($run/gradients/manifest.json)"
else
    # --resume: an interrupted build continues from its next checkpoint. Adam's preconditioner:
    # the demo model is Adam-trained (docs/influence.md: the best self-retrieval and label agreement).
    "${mpi[@]}" $vaekit influence index --run "$run" --mode projected --samples 16 --preconditioner adam --resume
fi

stage 5/7 "influence queries: 100 test images, self-influence of every training image"
if newer "$run/influence.json" "$run/gradients/manifest.json" && [ -f "$run/self-influence.json" ]; then
    echo "influence.json is up to date"
else
    "${mpi[@]}" $vaekit influence query --run "$run" --test test:0-99 --top 10 --self
    $vaekit experiment self-influence --run "$run"
fi

stage 6/7 "OOD: Likelihood Regret and baselines, 200 images per set, verdicts at 95 % TPR"
# The digits are the paper's case: likelihood ranks them as more in-distribution than clothes.
if newer "$run/ood.json" "$(latest "$run")" "$(latest "$background")" && grep -q '"digits"' "$run/ood.json" \
    && grep -q '"calibration"' "$run/ood.json"; then
    echo "ood.json is up to date"
else
    "${mpi[@]}" $vaekit ood --run "$run" --in fashion-mnist:test --ood noise,constant,vflip,invert,digits \
        --count 200 --iwae-samples 1000 --background "$background" --flag-at-tpr 0.95 --calibration 200
fi

stage 7/7 "report"
$vaekit report --run "$run"
echo
echo "demo: done in $(($(date +%s) - started)) s; open $run/report.html"
