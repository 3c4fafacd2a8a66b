#!/usr/bin/env bash
# The paper's case on the demo's model: Fashion-MNIST against digits, where likelihood ranks the
# OOD images as more likely. Three seeds of configs/demo.yaml (MLP VAE, Bernoulli decoder on
# intensities, 5 epochs, 2 ranks); each scored by `vaekit ood` on 200 Fashion-MNIST test images
# against 200 generated digits (`digits`, drawn by VAEKit from Debian's fonts) and 200 real
# handwritten digits VAEKit did not make (UCI optdigits from scikit-learn's wheel, normalized as
# MNIST by bench/reference/real_digits.py), K = 1000, 100 refit steps, verdicts at 95 % TPR.
# Output: bench/results/ood_digits.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
results ood_digits "" "configs/demo.yaml seeds 1-3 (2 ranks); vaekit ood --in fashion-mnist:test --ood digits,runs/real-digits.h5 --count 200 --iwae-samples 1000 --steps 100 --flag-at-tpr 0.95 --calibration 200, 2 ranks"
if [ ! -f runs/real-digits.h5 ]; then
    wheel_dir=$(mktemp -d)
    python3 -m pip download scikit-learn==1.5.2 --no-deps --only-binary=:all: -d "$wheel_dir" -q
    /usr/bin/python3 bench/reference/real_digits.py "$wheel_dir"/scikit_learn-*.whl runs/real-digits.h5
    rm -rf "$wheel_dir"
fi
mpi=(mpirun -np 2 --bind-to core -x OPENBLAS_CORETYPE)
for seed in 1 2 3; do
    run=runs/digits-demo-s$seed
    demo_run $run --set seed=$seed --set name=digits-demo-s$seed
    [ -f $run/ood.json ] || "${mpi[@]}" .build/release/vaekit ood --run $run --in fashion-mnist:test \
        --ood digits,runs/real-digits.h5 --count 200 --iwae-samples 1000 --steps 100 --flag-at-tpr 0.95 \
        --calibration 200 | grep -v "^set "
done
/usr/bin/python3 - <<'PY'
import json, math
sets = ["digits", "runs/real-digits.h5"]
rows = {(m, s): [] for m in ["likelihood_regret", "iwae_nll"] for s in sets}
for seed in (1, 2, 3):
    d = json.load(open(f"runs/digits-demo-s{seed}/ood.json"))
    for (m, s), values in rows.items():
        values.append(d["metrics"][m][s]["auroc"])
print("\nAUROC over 3 seeds (mean ± s.d.), and LR − NLL paired over seeds (t, 2 d.f.):")
for s in sets:
    lr, nll = rows[("likelihood_regret", s)], rows[("iwae_nll", s)]
    diff = [a - b for a, b in zip(lr, nll)]
    mean = lambda v: sum(v) / len(v)
    sd = lambda v: math.sqrt(sum((x - mean(v)) ** 2 for x in v) / (len(v) - 1))
    t = mean(diff) / (sd(diff) / math.sqrt(3)) if sd(diff) > 0 else float("inf")
    # two-sided p for t with 2 d.f.: p = 1 - |t| / sqrt(t^2 + 2)
    p = 1 - abs(t) / math.sqrt(t * t + 2)
    print(f"{s:22} LR {mean(lr):.3f} ± {sd(lr):.3f}   NLL {mean(nll):.3f} ± {sd(nll):.3f}   "
          f"LR − NLL {mean(diff):+.3f}, t(2) = {t:.2f}, p = {p:.3f}")
PY
