#!/usr/bin/env bash
# Every benchmark of the project against its reference, one after the other on this machine,
# then one table of ratios. Each benchmark's full output goes to bench/results/<name>.txt.
#
#   bench/run.sh [trials]      (default 3; about 25 minutes on 2 cores with 3 trials)
#
#   engine          Linear forward+backward through the engine / raw OpenBLAS sgemm (same shapes)
#   training        VAEKit / PyTorch training throughput, MLP and DCGAN VAEs (bench/train_throughput.sh)
#   data-parallel   VAEKit 2 ranks / PyTorch DDP (gloo) 2 processes (bench/data_parallel.sh)
#   per-example     exact per-example gradients: VAEKit factors / PyTorch vmap (bench/per_example.sh)
#   regret          Likelihood Regret images/s: VAEKit / PyTorch official-style loop (bench/ood_regret.sh)
#   256-way         the paper's 256-way decoder: training and Likelihood Regret, VAEKit / PyTorch
#                   (bench/ood_256way_speed.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-3}
launch/setup.sh
. launch/env.sh
mkdir -p bench/results

runs=(
    "engine|.build/release/vaekit bench engine --threads 2"
    "training|bench/train_throughput.sh $trials"
    "data-parallel|bench/data_parallel.sh $trials"
    "per-example|bench/per_example.sh $trials"
    "regret|bench/ood_regret.sh $trials 200"
    "256-way|bench/ood_256way_speed.sh $trials"
)
for entry in "${runs[@]}"; do
    name=${entry%%|*}
    command=${entry#*|}
    echo "== bench: $name ($command)"
    started=$(date +%s)
    # shellcheck disable=SC2086
    { echo "$command (bench/run.sh $trials) — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(git rev-parse --short HEAD)"
      $command 2>&1 | grep -v -e '^\[' -e '^setup:' -e '^Building' -e '^Build '; } | tee "bench/results/$name.txt"
    echo "   ($(($(date +%s) - started)) s)"
done

echo
echo "VAEKit against its references on $(nproc) cores ($(date -u +%Y-%m-%d)), medians of $trials trials:"
printf '%-52s %s\n' "benchmark" "ratio"
{
    awk '/^128x784->512/ || /^128×784→512/ {print "engine 128×784→512 (engine / raw sgemm)", $NF}' bench/results/engine.txt
    awk '$1 == "mlp" || $1 == "dcgan" {print "training " $1 " (VAEKit / PyTorch)", $NF}' bench/results/training.txt
    awk -F': *' '/PyTorch DDP:/ {print "data-parallel 2 ranks (VAEKit / PyTorch DDP)", $2}' bench/results/data-parallel.txt
    awk '/^ratio: per-example/ {s=$4; print "per-example gradients " s " (factors / vmap)", $NF "x"}' bench/results/per-example.txt
    awk '/^VAEKit, 1 rank/ {print "Likelihood Regret, 1 rank (VAEKit / PyTorch)", $(NF-2)} /^VAEKit, 2 ranks/ {print "Likelihood Regret, 2 ranks (VAEKit / PyTorch)", $NF}' bench/results/regret.txt
    awk '/^training \(examples/ {print "256-way decoder training, 2 ranks (VAEKit / PyTorch)", $NF} /^Likelihood Regret \(images/ {print "256-way decoder Likelihood Regret (VAEKit / PyTorch)", $NF}' bench/results/256-way.txt
} | awk '{ratio=$NF; $NF=""; printf "%-52s %s\n", $0, ratio}'
