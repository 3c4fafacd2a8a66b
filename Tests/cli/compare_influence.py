"""Compares two influence.json files: same proponents and opponents (ties aside) and scores
within a relative tolerance."""
import json
import sys

first, second, tolerance = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), float(sys.argv[3])
worst = 0.0
for a, b in zip(first["tests"], second["tests"]):
    assert a["index"] == b["index"], (a["index"], b["index"])
    for kind in ("proponents", "opponents"):
        for x, y in zip(a[kind], b[kind]):
            scale = max(abs(x["score"]), abs(y["score"]), 1e-12)
            worst = max(worst, abs(x["score"] - y["score"]) / scale)
            if x["index"] != y["index"] and abs(x["score"] - y["score"]) > tolerance * scale:
                sys.exit(f"test {a['index']}: {kind} differ: {x} vs {y}")
print(f"largest relative score difference {worst:.2g} (tolerance {tolerance})")
sys.exit(0 if worst <= tolerance else 1)
