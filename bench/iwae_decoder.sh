#!/usr/bin/env bash
# The importance-weighted estimate's decoder against the machine's sgemm rate: `vaekit bench
# iwae` (one thread) estimates log p(x) of 32 test images with K samples each and counts the
# decoder's nominal FLOPs (transposed convolutions Hin·Win·Cin·Cout·k²); the sgemm rate is a
# 512×512×512 product on one thread in the same process. Both decoders of the DCGAN VAE
# (Bernoulli, and the paper's 256-way categorical); then one run's per-layer forward profile.
#
#   bench/iwae_decoder.sh [trials] [K]      (defaults 3 and 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-3}
samples=${2:-1000}
. bench/common.sh
results iwae_decoder "$trials $samples" "DCGAN VAE (runs/bench-dcgan: Bernoulli, 200 steps; runs/lr256-speed: categorical256, 50 steps); K = $samples, 32 test images (8 for the 256-way decoder), Likelihood Regret's batch and chunking, 1 thread; $trials interleaved trials, medians"
run_once runs/bench-dcgan configs/fashion-mnist-dcgan.yaml
lr256_run
declare -A rate share sgemm images
for _ in $(seq "$trials"); do
    for run in bench-dcgan lr256-speed; do
        count=32; [ "$run" = lr256-speed ] && count=8
        line=$(.build/release/vaekit bench iwae --run runs/$run --samples "$samples" --images $count)
        rate[$run]+="$(field decoder_gflops <<<"$line") "
        share[$run]+="$(field share_of_sgemm <<<"$line") "
        sgemm[$run]+="$(field sgemm_gflops <<<"$line") "
        images[$run]+="$(field images_per_second <<<"$line") "
        echo "trial $run: $line"
    done
done
m() { tr ' ' '\n' | grep . | median; }
echo
printf '%-34s %12s %14s %14s %14s\n' "decoder (K = $samples)" "images/s" "decoder GFLOP/s" "sgemm GFLOP/s" "share of sgemm"
for run in bench-dcgan lr256-speed; do
    label="DCGAN, Bernoulli"; [ "$run" = lr256-speed ] && label="DCGAN, 256-way categorical"
    printf '%-34s %12.2f %14.1f %14.1f %13.1f%%\n' "$label" "$(m <<<"${images[$run]}")" \
        "$(m <<<"${rate[$run]}")" "$(m <<<"${sgemm[$run]}")" "$(awk -v s="$(m <<<"${share[$run]}")" 'BEGIN {print 100 * s}')"
done
echo
echo "where the Bernoulli decoder's time goes (one run, forward time per layer, share of the estimate):"
.build/release/vaekit bench iwae --run runs/bench-dcgan --samples "$samples" --images 32 --profile | grep -v '^{'
