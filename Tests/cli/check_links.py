"""Checks the relative links of README.md and docs/*.md: every linked file exists (anchors and
web addresses are not followed). Prints each broken link and exits 1 if there is one."""
import glob
import os
import re
import sys

broken = []
for page in ["README.md"] + sorted(glob.glob("docs/*.md")):
    text = open(page, encoding="utf-8").read()
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        path = os.path.normpath(os.path.join(os.path.dirname(page), target.split("#")[0]))
        if not os.path.exists(path):
            broken.append(f"{page}: {target}")
for line in broken:
    print(line)
print(f"{len(broken)} broken relative link(s)")
sys.exit(1 if broken else 0)
