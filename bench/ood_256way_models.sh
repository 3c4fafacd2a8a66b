#!/usr/bin/env bash
# Issue 14's discrepancy: with the 256-way decoder, VAEKit's Likelihood Regret disagreed with an
# independent PyTorch run. Two checks:
#   1. the refit itself: VAEKit's trace (every ε, every step's loss) replayed by the official
#      procedure in PyTorch on the same weights and images (bench/reference/torch_regret_replay.py);
#   2. the model: the same DCGAN VAE (no BatchNorm, 28×28 zero-padded to 32×32) trained 1 epoch on
#      all 60,000 images, Adam 1e-3, batch 128, by VAEKit (seeds 1–3, 2 ranks) and by PyTorch
#      (bench/reference/torch_vae.py, seeds 1–2), every model scored by `vaekit ood` on the same
#      images: 60 test, noise and digit images, K = 200, 100 refit steps. VAEKit's config trains
#      with the official code's Adam weight decay (3e-5, L2 on the gradient), the PyTorch reference
#      without; a VAEKit run with training.weight_decay=0 (seed 1) is the control for that.
# Models are kept in runs/lr256-* and reused when present. Output: bench/results/ood_256way_models.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
results ood_256way_models "" "DCGAN VAE, categorical256, 1 epoch on 60,000, Adam 1e-3, batch 128; VAEKit seeds 1-3 (2 ranks), PyTorch seeds 1-2 (2 threads); vaekit ood --in test --ood noise,digits --count 60 --iwae-samples 200 --steps 100 on 2 ranks"
mpi=(mpirun -np 2 --bind-to core -x OPENBLAS_CORETYPE)
train=(--config configs/fashion-mnist-dcgan.yaml --set model.likelihood=categorical256 --set training.epochs=1
    --set training.learning_rate=0.001 --set training.workers=1 --quiet)
for seed in 1 2 3; do
    run=runs/lr256-vaekit-s$seed
    if [ -z "$(ls $run/checkpoints/*.h5 2>/dev/null)" ]; then
        rm -rf $run
        "${mpi[@]}" .build/release/vaekit train "${train[@]}" --run $run --set seed=$seed --set name=lr256-vaekit-s$seed
    fi
    echo "vaekit seed $seed: $(tail -1 $run/metrics.jsonl)"
done
run=runs/lr256-vaekit-wd0-s1
if [ -z "$(ls $run/checkpoints/*.h5 2>/dev/null)" ]; then
    rm -rf $run
    "${mpi[@]}" .build/release/vaekit train "${train[@]}" --run $run --set seed=1 --set training.weight_decay=0 \
        --set name=lr256-vaekit-wd0-s1
fi
echo "vaekit weight decay 0, seed 1: $(tail -1 $run/metrics.jsonl)"
for seed in 1 2; do
    run=runs/lr256-torch-s$seed
    if [ -z "$(ls $run/checkpoints/*.h5 2>/dev/null)" ]; then
        /usr/bin/python3 bench/reference/torch_vae.py --mode train --model dcgan --likelihood categorical \
            --lr 1e-3 --epochs 1 --iwae-samples 10 --test-limit 1000 --threads 2 --seed $seed \
            --save-params runs/lr256-torch-s$seed.h5 | tail -1
        # The PyTorch weights in a copy of a VAEKit run folder (same config and layout).
        rm -rf $run && cp -r runs/lr256-vaekit-s1 $run && rm -f $run/ood.json
        /usr/bin/python3 - "$run" "runs/lr256-torch-s$seed.h5" <<'PY'
import glob, sys, h5py
run, params = sys.argv[1], sys.argv[2]
with h5py.File(params, "r") as src, h5py.File(sorted(glob.glob(f"{run}/checkpoints/*.h5"))[-1], "r+") as dst:
    for name in src["params"]:
        assert dst["params"][name].shape == src["params"][name].shape, name
        dst["params"][name][...] = src["params"][name][()]
PY
    fi
done
echo
echo "1. the refit on the same weights and images (VAEKit seed 1, 4 noise and 4 test images, K = 200):"
for set in noise test; do
    .build/release/vaekit bench regret --run runs/lr256-vaekit-s1 --set $set --images 4 --iwae-samples 200 \
        --workers 1 --trace runs/lr256-trace-$set.h5 >/dev/null
    echo "$set: $(/usr/bin/python3 bench/reference/torch_regret_replay.py runs/lr256-vaekit-s1/checkpoints/checkpoint-468.h5 runs/lr256-trace-$set.h5 | tail -1)"
done
echo
echo "2. every model scored by vaekit ood on the same images:"
for run in runs/lr256-vaekit-s1 runs/lr256-vaekit-s2 runs/lr256-vaekit-s3 runs/lr256-vaekit-wd0-s1 \
    runs/lr256-torch-s1 runs/lr256-torch-s2; do
    [ -f $run/ood.json ] || "${mpi[@]}" .build/release/vaekit ood --run $run --in test --ood noise,digits \
        --count 60 --iwae-samples 200 --steps 100 >/dev/null
done
/usr/bin/python3 - <<'PY'
import json
print(f"{'model':20} {'set':6} {'mean regret':>12} {'± s.e.':>7} {'neg.':>5} {'mean NLL':>9} {'AUROC LR [95 % CI]':>22} {'AUROC NLL [95 % CI]':>22}")
groups = {"vaekit": [], "torch": []}
for name in ["vaekit-s1", "vaekit-s2", "vaekit-s3", "vaekit-wd0-s1", "torch-s1", "torch-s2"]:
    d = json.load(open(f"runs/lr256-{name}/ood.json"))
    for s in d["order"]:
        r = [x["regret"] for x in d["scores"][s]]
        n = [x["negative_log_likelihood"] for x in d["scores"][s]]
        mean = sum(r) / len(r)
        se = (sum((v - mean) ** 2 for v in r) / (len(r) - 1) / len(r)) ** 0.5
        neg = sum(v < 0 for v in r) / len(r)
        cells = ""
        for m in ["likelihood_regret", "iwae_nll"]:
            if s in d["metrics"][m]:
                a, i = d["metrics"][m][s]["auroc"], d["intervals"][m][s]["auroc"]
                cells += f" {a:8.3f} [{i['lower']:.3f}, {i['upper']:.3f}]"
        print(f"{name:20} {s:6} {mean:12.1f} {se:7.1f} {neg:5.0%} {sum(n)/len(n):9.1f}{cells}")
    if "wd0" not in name:
        groups[name.split("-")[0]].append(d)
print("\nover seeds (mean ± s.d.; Welch t and its d.f., VAEKit 3 seeds against PyTorch 2):")
def stats(values):
    m = sum(values) / len(values)
    return m, (sum((v - m) ** 2 for v in values) / (len(values) - 1)) ** 0.5
for label, get in [
    ("AUROC LR noise", lambda d: d["metrics"]["likelihood_regret"]["noise"]["auroc"]),
    ("AUROC LR digits", lambda d: d["metrics"]["likelihood_regret"]["digits"]["auroc"]),
    ("AUROC NLL digits", lambda d: d["metrics"]["iwae_nll"]["digits"]["auroc"]),
    ("mean regret test", lambda d: sum(x["regret"] for x in d["scores"]["test"]) / len(d["scores"]["test"])),
    ("mean regret noise", lambda d: sum(x["regret"] for x in d["scores"]["noise"]) / len(d["scores"]["noise"])),
]:
    a, b = [get(d) for d in groups["vaekit"]], [get(d) for d in groups["torch"]]
    (ma, sa), (mb, sb) = stats(a), stats(b)
    va, vb = sa ** 2 / len(a), sb ** 2 / len(b)
    t = (ma - mb) / (va + vb) ** 0.5 if va + vb > 0 else float("nan")
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1)) if va + vb > 0 else float("nan")
    print(f"{label:18} VAEKit {ma:8.3f} ± {sa:.3f}   PyTorch {mb:8.3f} ± {sb:.3f}   t = {t:.2f}, d.f. = {df:.1f}")
PY
