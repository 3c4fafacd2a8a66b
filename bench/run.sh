#!/usr/bin/env bash
# Every benchmark of the project against its reference, one after the other on this machine,
# then one table of ratios (bench/results/summary.txt). Each benchmark's full output goes to
# bench/results/<name>.txt.
#
#   bench/run.sh [trials]      (default 3; about 25 minutes on 2 cores with 3 trials)
#
#   engine          Linear forward+backward through the engine / raw OpenBLAS sgemm (same shapes)
#   training        VAEKit / PyTorch training throughput, MLP and DCGAN VAEs, and VAEKit / JAX for
#                   the MLP (bench/train_throughput.sh)
#   data-parallel   VAEKit 2 ranks / PyTorch DDP (gloo) 2 processes (bench/data_parallel.sh)
#   per-example     exact per-example gradients: VAEKit factors / PyTorch vmap (bench/per_example.sh)
#   regret          Likelihood Regret images/s: VAEKit / PyTorch official-style loop, and the refit's
#                   cost per example-step / training's per example (bench/ood_regret.sh)
#   iwae            the IWAE estimate's decoder GFLOP/s / the sgemm rate, K = 1000 (bench/iwae_decoder.sh)
#   index           the demo's projected influence index, examples/s per rank (bench/influence_demo_index.sh)
#   256-way         the paper's 256-way decoder: training and Likelihood Regret, VAEKit / PyTorch
#                   (bench/ood_256way_speed.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
# `bench/run.sh --summary [trials]` writes only the ratio table, from the files already there.
invocation="$0 $*"
summary_only=0
if [ "${1:-}" = --summary ]; then summary_only=1; shift; fi
trials=${1:-3}
launch/setup.sh
. launch/env.sh
mkdir -p bench/results

# Each script writes its own bench/results/<name>.txt, headed by its command, settings and date.
scripts=(
    "bench/engine.sh"
    "bench/train_throughput.sh $trials"
    "bench/data_parallel.sh $trials"
    "bench/per_example.sh $trials"
    "bench/ood_regret.sh $trials 200"
    "bench/iwae_decoder.sh $trials 1000"
    "bench/influence_demo_index.sh"
    "bench/ood_256way_speed.sh $trials"
)
[ "$summary_only" = 1 ] && scripts=()
for command in "${scripts[@]}"; do
    echo "== bench: $command"
    started=$(date +%s)
    # shellcheck disable=SC2086
    $command >/dev/null
    echo "   ($(($(date +%s) - started)) s)"
done

exec > >(tee bench/results/summary.txt) 2>&1
echo "$invocation — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(git rev-parse --short HEAD)"
echo "settings: the ratios of the files above (bench/results/{engine,train_throughput,data_parallel,per_example,ood_regret,iwae_decoder,influence_demo_index,ood_256way_speed}.txt), medians of $trials trials"
printf '%-52s %s\n' "benchmark" "ratio"
{
    awk '/^128x784->512/ || /^128×784→512/ {print "engine 128×784→512 (engine / raw sgemm)", $NF}' bench/results/engine.txt
    awk '$1 == "mlp" || $1 == "dcgan" {print "training " $1 " (VAEKit / PyTorch)", $5} $1 == "mlp" {print "training mlp (VAEKit / JAX)", $6}' bench/results/train_throughput.txt
    awk -F': *' '/PyTorch DDP:/ {print "data-parallel 2 ranks (VAEKit / PyTorch DDP)", $2}' bench/results/data_parallel.txt
    awk '/^ratio: per-example/ {s=$4; print "per-example gradients " s " (factors / vmap)", $NF "x"}' bench/results/per_example.txt
    awk '/^VAEKit, 1 rank/ {print "Likelihood Regret, 1 rank (VAEKit / PyTorch)", $(NF-2)} /^VAEKit, 2 ranks/ {print "Likelihood Regret, 2 ranks (VAEKit / PyTorch)", $NF}' bench/results/ood_regret.txt
    awk '/^refit:/ {print "Likelihood Regret refit per example-step / training per example", $NF}' bench/results/ood_regret.txt
    awk '/^DCGAN, Bernoulli/ {print "IWAE decoder K = 1000, Bernoulli (GFLOP/s / sgemm)", $NF} /^DCGAN, 256-way/ {print "IWAE decoder K = 1000, 256-way (GFLOP/s / sgemm)", $NF}' bench/results/iwae_decoder.txt
    awk '/examples\/s per rank/ {gsub(/[(]/, "", $0); for (i = 1; i <= NF; i++) if ($i == "examples/s") r = $(i-1)} END {print "influence index, demo, S = 16 (examples/s per rank, last checkpoint)", r}' bench/results/influence_demo_index.txt
    awk '/^training \(examples/ {print "256-way decoder training, 2 ranks (VAEKit / PyTorch)", $NF} /^Likelihood Regret \(images/ {print "256-way decoder Likelihood Regret (VAEKit / PyTorch)", $NF}' bench/results/ood_256way_speed.txt
} | awk '{ratio=$NF; $NF=""; printf "%-52s %s\n", $0, ratio}'
