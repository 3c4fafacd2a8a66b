"""Compares the per-example scores of two ood.json files (same sets and indices) within a
tolerance relative to each example's NLL."""
import json
import sys

first, second, tolerance = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), float(sys.argv[3])
assert first["order"] == second["order"], (first["order"], second["order"])
worst = 0.0
for name in first["order"]:
    a = sorted(first["scores"][name], key=lambda s: s["index"])
    b = sorted(second["scores"][name], key=lambda s: s["index"])
    assert [s["index"] for s in a] == [s["index"] for s in b], name
    for x, y in zip(a, b):
        scale = abs(x["negative_log_likelihood"])
        for key in ("negative_log_likelihood", "regret", "input_complexity"):
            assert (x.get(key) is None) == (y.get(key) is None), (name, key)
            if x.get(key) is not None:
                worst = max(worst, abs(x[key] - y[key]) / scale)
print(f"largest score difference relative to the NLL: {worst:.2g} (tolerance {tolerance})")
sys.exit(0 if worst <= tolerance else 1)
