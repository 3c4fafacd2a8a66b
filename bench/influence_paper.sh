#!/usr/bin/env bash
# The VAE-TracIn paper's experiments on the demo model (configs/demo.yaml, 5 epochs, a checkpoint
# per epoch, projected S = 16, D = 256, 2 ranks):
#   (a) self-influence against the training loss (Spearman over all 60,000 training examples);
#   (c) proponents against the latent norm ‖μ‖ (mean ‖μ‖ of the top-10 proponents of 100 test
#       images, TracIn and cosine, against all training examples');
#   (b) unusual training examples: 150 training images replaced by their vertical flips and 150
#       by their inversions (random, seeded), the model retrained and indexed, and how well
#       self-influence ranks the injected images first (AUROC against the clean ones, precision at
#       300), next to the training loss (−ELBO) as a baseline.
# Writes bench/results/influence_paper.txt (command, settings and date first).
#
#   bench/influence_paper.sh [RUN]     (default runs/bench-influence; trained and indexed when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-runs/bench-influence}
. bench/common.sh
vaekit=.build/release/vaekit
mpi=(mpirun --oversubscribe -np 2)
results influence_paper "$run" \
    "configs/demo.yaml, 2 ranks, projected S = 16, D = 256, 5 checkpoints; injected: 150 vflip + 150 invert (seed 0)"

echo
echo "(a), (c) on $run:"
demo_run "$run"
projected_index "$run"
for score in tracin cosine; do
    "${mpi[@]}" $vaekit influence query --run "$run" --test test:0-99 --top 10 --self --score "$score" >/dev/null
    $vaekit experiment self-influence --run "$run" | grep -v wrote
done

echo
echo "(b) unusual training examples:"
injected=runs/bench-unusual
mkdir -p "$injected"
/usr/bin/python3 - "$injected/train.h5" "$injected/injected.json" <<'EOF'
import json, sys
import h5py, numpy as np
with h5py.File("data/fashion-mnist/train.h5") as source:
    images, labels = source["images"][...], source["labels"][...]
chosen = np.random.RandomState(0).choice(len(images), 300, replace=False)
flipped, inverted = sorted(chosen[:150].tolist()), sorted(chosen[150:].tolist())
images[flipped] = images[flipped][:, :, ::-1, :]
images[inverted] = 255 - images[inverted]
with h5py.File(sys.argv[1], "w", libver="latest") as target:
    target["images"] = images
    target["labels"] = labels
    target.attrs["format"] = "vaekit-dataset-1"
    target.attrs["source"] = "fashion-mnist with 150 vflips and 150 inversions"
    target.attrs["split"] = "train"
json.dump({"vflip": flipped, "invert": inverted}, open(sys.argv[2], "w"))
EOF
demo_run "$injected/run" --set data.train="$injected/train.h5" --set name=bench-unusual
projected_index "$injected/run"
"${mpi[@]}" $vaekit influence query --run "$injected/run" --self >/dev/null
$vaekit experiment self-influence --run "$injected/run" | grep -v wrote
/usr/bin/python3 - "$injected" <<'EOF'
import json, sys
import numpy as np
folder = sys.argv[1]
injected = json.load(open(f"{folder}/injected.json"))
values = np.array(json.load(open(f"{folder}/run/self-influence.json"))["values"])
losses = np.array(json.load(open(f"{folder}/run/self-influence-analysis.json"))["losses"])
def auroc(scores, positive):
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores)); ranks[order] = np.arange(1, len(scores) + 1)
    n1 = positive.sum(); n0 = len(scores) - n1
    return (ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
everything = np.zeros(len(values), bool)
for kind in ["vflip", "invert"]:
    everything[injected[kind]] = True
for name, scores in [("self-influence", values), ("training loss (−ELBO)", losses)]:
    parts = []
    for kind in ["vflip", "invert"]:
        positive = np.zeros(len(values), bool); positive[injected[kind]] = True
        keep = positive | ~everything
        parts.append(f"{kind} AUROC {auroc(scores[keep], positive[keep]):.3f}")
    top = np.argsort(-scores)[:300]
    precision = everything[top].mean()
    print(f"  {name}: {', '.join(parts)}, both AUROC {auroc(scores, everything):.3f}; precision at 300: {precision:.3f} (chance {300 / len(values):.4f})")
EOF
