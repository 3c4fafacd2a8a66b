#!/usr/bin/env bash
# One variant study at the scale this 2-core machine allows in a session, with its seeds:
#
#   bench/variant_study.sh consistency    λ ∈ {0, 1e-3, 1e-2, 1e-1, 1} and the plain VAE, 3 seeds, 5 epochs;
#                                         representation metrics and IWAE NLL (K = 1000, 1,000 test images)
#   bench/variant_study.sh jacobian-l1    γ ∈ {0, 0.1}, 5 seeds, configs/three-dots-jacobian-l1.yaml as it is;
#                                         local MIG / modularity, the decoder Jacobian's Σ|J|, sparsity, locality
#   bench/variant_study.sh jacobian-l1-paper-lr   3 seeds per γ at the paper's learning rate (1e-4) and annealing
#                                         proportion (a third of training), trained 8 epochs (6,248 steps)
#   bench/variant_study.sh supervised     α ∈ {50, 5, 1}, 3 seeds, 5 epochs; preservation, its control, z_n
#   bench/variant_study.sh hvae           the VAE and HVAE K ∈ {1, 5, 10} × tempering {none, fixed, free},
#                                         3 seeds, 2 epochs; IWAE NLL (K = 100 through the flow, 500 images)
#
# Each writes bench/results/study_<name>.txt (the study's table after its header). Runs go to
# runs/study-<name>; pass --resume as a second argument to keep finished runs of an earlier call.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: bench/variant_study.sh consistency|jacobian-l1|supervised|hvae [--resume]}
. bench/common.sh
case $name in
consistency) args=(--seeds 3 --set training.epochs=5 --nll-samples 1000 --nll-count 1000) ;;
jacobian-l1)
    [ -f data/three-dots/train.h5 ] || .build/release/vaekit data prepare three-dots --count 50000 --size 32
    args=(--seeds 5 --cluster-samples 10000 --jacobian-count 100) ;;
jacobian-l1-paper-lr)
    [ -f data/three-dots/train.h5 ] || .build/release/vaekit data prepare three-dots --count 50000 --size 32
    args=(--seeds 3 --cluster-samples 10000 --jacobian-count 100 --set training.learning_rate=0.0001
        --set training.epochs=8 --set objective.anneal_steps=2083 --folder runs/study-jacobian-l1-paper-lr) ;;
supervised) args=(--seeds 3 --set training.epochs=5 --classifier-weights 50,5,1 --nll-samples 1000 --nll-count 1000) ;;
hvae) args=(--seeds 3 --set training.epochs=2 --nll-samples 100 --nll-count 500) ;;
*) echo "unknown study $name" >&2; exit 2 ;;
esac
[ "${2:-}" = --resume ] || rm -rf "runs/study-$name"
results "study_${name//-/_}" "$*" "vaekit experiment $name ${args[*]} --quiet (1 rank × 2 workers)"
.build/release/vaekit experiment "${name%-paper-lr}" "${args[@]}" --quiet
