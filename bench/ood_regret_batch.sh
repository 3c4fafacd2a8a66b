#!/usr/bin/env bash
# Likelihood Regret's batch of independent encoder copies: images per second at batches of 1, 4, 8
# and 32 copies (`vaekit bench regret --batch-size`, 1 rank × 2 workers, K = 200, 100 refit steps)
# for both decoders of the DCGAN VAE, trials interleaved, medians; with peak memory.
#
#   bench/ood_regret_batch.sh [trials]      (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-3}
. bench/common.sh
results ood_regret_batch "$trials" "DCGAN VAE, Bernoulli (runs/bench-dcgan, 32 images) and categorical256 (runs/lr256-speed, 16 images); K = 200, 100 refit steps, 1 rank × 2 workers; batches 1, 4, 8, 32; $trials interleaved trials, medians"
run_once runs/bench-dcgan configs/fashion-mnist-dcgan.yaml
lr256_run
declare -A rate memory
for _ in $(seq "$trials"); do
    for run in bench-dcgan lr256-speed; do
        count=32; [ "$run" = lr256-speed ] && count=16
        for batch in 1 4 8 32; do
            line=$(.build/release/vaekit bench regret --run runs/$run --images $count --iwae-samples 200 --batch-size $batch)
            rate[$run.$batch]+="$(field images_per_second <<<"$line") "
            memory[$run.$batch]+="$(field peak_resident_mib <<<"$line") "
        done
    done
done
m() { tr ' ' '\n' | grep . | median; }
printf '%-28s %8s %12s %14s\n' decoder batch images/s "peak MiB"
for run in bench-dcgan lr256-speed; do
    label="Bernoulli"; [ "$run" = lr256-speed ] && label="256-way categorical"
    for batch in 1 4 8 32; do
        printf '%-28s %8d %12.2f %14d\n' "$label" "$batch" "$(m <<<"${rate[$run.$batch]}")" "$(m <<<"${memory[$run.$batch]}")"
    done
done
