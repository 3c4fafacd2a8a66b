#!/usr/bin/env -S /usr/bin/python3
"""Every figure in the docs comes from a results file that exists and says how it was made.

1. Every `bench/results/NAME` that README.md, docs/*.md or python/README.md cites exists.
2. Every bench/results/*.txt starts with the command that wrote it (a `bench/`, `launch/` or
   `vaekit` command line) and a date (YYYY-MM-DD); a .json there (the values behind a table) has
   a headed .txt of the same name.
Exits 1 listing what is missing.
"""

import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    os.chdir(ROOT)
    failures = []
    documents = ["README.md", "python/README.md"] + sorted(glob.glob("docs/*.md"))
    cited = set()
    for document in documents:
        text = open(document, encoding="utf-8").read()
        for name in re.findall(r"bench/results/([A-Za-z0-9_.-]+\.(?:txt|json))", text):
            cited.add(name)
            if not os.path.exists(f"bench/results/{name}"):
                failures.append(f"{document} cites bench/results/{name}, which does not exist")
    header = re.compile(r"^(bench/|launch/|vaekit )\S.*\b20\d\d-\d\d-\d\d\b")
    for path in sorted(glob.glob("bench/results/*")):
        name = os.path.basename(path)
        if name.endswith(".json"):
            companion = path[: -len(".json")] + ".txt"
            if not os.path.exists(companion):
                failures.append(f"{path}: no {os.path.basename(companion)} saying how it was made")
            continue
        first = open(path, encoding="utf-8").readline().strip()
        if not header.match(first):
            failures.append(f"{path}: the first line does not give the command and the date: {first[:80]!r}")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    files = len(glob.glob("bench/results/*"))
    print(f"{len(cited)} results files cited by the docs exist; all {files} files in bench/results are headed")


if __name__ == "__main__":
    main()
