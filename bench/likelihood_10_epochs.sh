#!/usr/bin/env bash
# Do VAEKit and PyTorch train the same model to the same likelihood? The MLP VAE of
# configs/fashion-mnist-mlp.yaml (dynamically binarized Fashion-MNIST, Adam 1e-3, batch 128,
# 10 epochs) trained by `vaekit train` and by bench/reference/torch_vae.py --mode train, SEEDS
# seeds each; test −ELBO and IWAE NLL (K = 1000) on the first COUNT test images, each side's
# test set binarized once by its own fixed draw. Mean ± s.d. per side, the difference of the
# means with Welch's t. Writes bench/results/likelihood_10_epochs.txt.
#
#   bench/likelihood_10_epochs.sh [seeds] [count]      (defaults 3 and 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-3}
count=${2:-2000}
. bench/common.sh
results likelihood_10_epochs "$seeds $count" "configs/fashion-mnist-mlp.yaml, 10 epochs, seeds 1..$seeds per side; IWAE K = 1000 on the first $count test images; VAEKit 1 rank × 2 workers, PyTorch 2 threads"
values=$(mktemp)
trap 'rm -f "$values"' EXIT
for seed in $(seq "$seeds"); do
    run=runs/ll10-vaekit-s$seed
    rm -rf "$run"
    .build/release/vaekit train --config configs/fashion-mnist-mlp.yaml --set seed="$seed" --run "$run" --quiet >/dev/null
    .build/release/vaekit evaluate --checkpoint "$run/checkpoints/checkpoint-4680.h5" --count "$count" \
        --samples 1000 --json "$run/evaluation.json" --quiet >/dev/null
    echo "vaekit $seed $(field neg_elbo <"$run/evaluation.json") $(field nll <"$run/evaluation.json")" | tee -a "$values"
    json=$(OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/reference/torch_vae.py --mode train --model mlp --epochs 10 \
        --seed "$seed" --threads 2 --test-limit "$count" --iwae-samples 1000 2>/dev/null | tail -1)
    echo "pytorch $seed $(field test_neg_elbo <<<"$json") $(field test_iwae_nll <<<"$json")" | tee -a "$values"
done
/usr/bin/python3 - "$values" <<'PY'
import statistics, sys
from scipy import stats
rows = [line.split() for line in open(sys.argv[1])]
sides = {side: {"elbo": [float(r[2]) for r in rows if r[0] == side], "nll": [float(r[3]) for r in rows if r[0] == side]}
         for side in ("vaekit", "pytorch")}
def welch(a, b):
    """Welch's t, its Welch–Satterthwaite degrees of freedom and the two-sided p (scipy)."""
    result = stats.ttest_ind(a, b, equal_var=False)
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    return result.statistic, df, result.pvalue
print(f"\n{'nats (mean ± s.d., n = ' + str(len(sides['vaekit']['elbo'])) + ' seeds each)':<44} {'VAEKit':>18} {'PyTorch':>18} {'difference, Welch t':>32}")
for key, name in (("elbo", "test −ELBO"), ("nll", "IWAE NLL, K = 1000")):
    a, b = sides["vaekit"][key], sides["pytorch"][key]
    t, df, p = welch(a, b)
    print(f"{name:<44} {statistics.mean(a):10.2f} ± {statistics.stdev(a):5.2f} {statistics.mean(b):10.2f} ± {statistics.stdev(b):5.2f}"
          f"   {statistics.mean(a) - statistics.mean(b):+7.2f} (t({df:.1f}) = {t:.2f}, p = {p:.2f})")
PY
