#!/usr/bin/env bash
# Likelihood Regret against training length, explained from the data: the DCGAN VAE with the
# Bernoulli decoder (configs/fashion-mnist-dcgan.yaml) trained 15 epochs on 2 ranks with a
# checkpoint per epoch; each of epochs 1, 2, 3, 5, 8, 10 and 15 scored by `vaekit ood` (100 test,
# noise and digit images, K = 200, 100 refit steps) — AUROC with 95 % bootstrap intervals, the
# mean NLL before and after the refit, and the share of negative regrets; then, at epochs 5 and 15,
# the refit lengthened to 400 steps on the same 24 noise and 24 test images (how much of the
# attainable gap 100 steps close).
# Output: bench/results/ood_epochs.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
results ood_epochs "" "configs/fashion-mnist-dcgan.yaml (Bernoulli), 15 epochs, checkpoint_every 468, 2 ranks; vaekit ood --in test --ood noise,digits --count 100 --iwae-samples 200 --steps 100 per checkpoint; longer refit: vaekit bench regret --images 24 --iwae-samples 200 --steps 100|400"
mpi=(mpirun -np 2 --bind-to core -x OPENBLAS_CORETYPE)
run=runs/epochs-dcgan
if [ ! -f $run/checkpoints/checkpoint-7020.h5 ]; then
    rm -rf $run
    "${mpi[@]}" .build/release/vaekit train --config configs/fashion-mnist-dcgan.yaml --run $run \
        --set name=epochs-dcgan --set training.epochs=15 --set training.checkpoint_every=468 \
        --set training.workers=1 --quiet
fi
mkdir -p $run/ood-epochs
for epoch in 1 2 3 5 8 10 15; do
    out=$run/ood-epochs/epoch-$epoch.json
    [ -f $out ] && continue
    "${mpi[@]}" .build/release/vaekit ood --run $run --checkpoint $run/checkpoints/checkpoint-$((epoch * 468)).h5 \
        --in test --ood noise,digits --count 100 --iwae-samples 200 --steps 100 >/dev/null
    cp $run/ood.json $out
done
/usr/bin/python3 - "$run" <<'PY'
import json, sys
run = sys.argv[1]
curves = {json.loads(l)["epoch"]: json.loads(l) for l in open(f"{run}/metrics.jsonl") if l.strip()}
print(f"{'epoch':>5} {'test -ELBO':>10} | {'AUROC LR noise':>22} {'AUROC LR digits':>22} {'AUROC NLL digits':>22} | "
      f"{'noise NLL before/after':>22} {'neg. regrets noise/test':>23}")
for epoch in (1, 2, 3, 5, 8, 10, 15):
    d = json.load(open(f"{run}/ood-epochs/epoch-{epoch}.json"))
    def auroc(method, s):
        a, i = d["metrics"][method][s]["auroc"], d["intervals"][method][s]["auroc"]
        return f"{a:.3f} [{i['lower']:.3f}, {i['upper']:.3f}]"
    noise = d["scores"]["noise"]
    before = sum(x["negative_log_likelihood"] for x in noise) / len(noise)
    after = sum(x["negative_log_likelihood"] - x["regret"] for x in noise) / len(noise)
    negative = lambda s: sum(x["regret"] < 0 for x in d["scores"][s]) / len(d["scores"][s])
    print(f"{epoch:5d} {curves[epoch]['test_neg_elbo']:10.1f} | {auroc('likelihood_regret', 'noise'):>22} "
          f"{auroc('likelihood_regret', 'digits'):>22} {auroc('iwae_nll', 'digits'):>22} | "
          f"{before:10.1f} / {after:9.1f} {negative('noise'):11.0%} / {negative('test'):.0%}")
PY
echo
echo "longer refit (24 images per set, K = 200): mean regret in nats"
for epoch in 5 15; do
    for set in noise test; do
        for steps in 100 400; do
            value=$("${mpi[@]}" .build/release/vaekit bench regret --run $run --checkpoint \
                $run/checkpoints/checkpoint-$((epoch * 468)).h5 --set $set --images 24 --iwae-samples 200 \
                --steps $steps | field mean_regret)
            echo "epoch $epoch, $set, $steps steps: $value"
        done
    done
done
