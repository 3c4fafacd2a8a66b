#!/usr/bin/env bash
# Why Jacobian-L1 does not raise local MIG here: per seed, the decoder Jacobian's Σ|J|, its
# sparsity (share of entries holding 90 % of Σ|J|) and per-latent pixel spread, the training KL
# and local MIG / modularity at locality 0.1, from the studies of bench/variant_study.sh
# (runs/study-jacobian-l1 and, when it was run, runs/study-jacobian-l1-paper-lr); then the same
# Welch tests without the seeds whose posterior collapsed (training KL < 0.1 nats).
# Writes bench/results/jacobian_l1_mechanism.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
results jacobian_l1_mechanism "" "reads runs/study-jacobian-l1*/study.json (made by bench/variant_study.sh jacobian-l1 and jacobian-l1-paper-lr); collapsed = train_kl < 0.1"
/usr/bin/python3 - <<'PY'
import json, os
from scipy import stats
keys = ["train_kl", "train_jacobian_l1", "jacobian_l1", "jacobian_mass_fraction_90", "jacobian_pixel_spread",
        "local_mig_0.1", "local_modularity_0.1"]
for folder in ("runs/study-jacobian-l1", "runs/study-jacobian-l1-paper-lr"):
    path = f"{folder}/study.json"
    if not os.path.exists(path):
        print(f"\n{folder}: not run")
        continue
    study = json.load(open(path))
    cells = {(q["name"], c["setting"]): c["values"] for q in study["quantities"] for c in q["cells"]}
    settings = [s["name"] for s in study["settings"]]
    print(f"\n{folder} ({study['command']}; {study['date']})")
    print("per seed " + ", ".join(str(s) for s in study["seeds"]))
    for key in keys:
        for setting in settings:
            print(f"  {key:<27}{setting:<11}" + "  ".join(f"{v:8.4f}" for v in cells[(key, setting)]))
    kept = {s: [i for i, kl in enumerate(cells[("train_kl", s)]) if kl >= 0.1] for s in settings}
    print("without collapsed seeds: " + "; ".join(f"{s}: {len(kept[s])} of {len(study['seeds'])} kept" for s in settings))
    base, other = settings[0], settings[1]
    for key in keys[2:]:
        a = [cells[(key, base)][i] for i in kept[base]]
        b = [cells[(key, other)][i] for i in kept[other]]
        if len(a) < 2 or len(b) < 2:
            continue
        t = stats.ttest_ind(b, a, equal_var=False)
        va, vb = stats.tvar(a) / len(a), stats.tvar(b) / len(b)
        df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1)) if va + vb > 0 else float("nan")
        print(f"  {key:<27}{base} {sum(a)/len(a):.4f}  {other} {sum(b)/len(b):.4f}  t({df:.1f}) = {t.statistic:.2f}, p = {t.pvalue:.2g}")
PY
