"""Package.swift and the sources agree: every target declares exactly the modules its files
import (the package's own targets, its system libraries and its package products), and the C
kernels are imported by TensorCore alone.

    python3 Tests/cli/check_imports.py      (from the repository root; exit 1 with the mismatches)
"""
import pathlib
import re
import sys

package = pathlib.Path("Package.swift").read_text()


def call_body(start):
    """The text of the call whose opening parenthesis follows `start`."""
    i = package.index("(", start) + 1
    depth = 1
    while depth:
        depth += {"(": 1, ")": -1}.get(package[i], 0)
        i += 1
    return package[start:i]


declared = {}
for match in re.finditer(r'\.(target|executableTarget|testTarget|systemLibrary)\(\s*name: "(\w+)"', package):
    body = call_body(match.start())
    deps = re.search(r'dependencies: \[(.*?)\]\s*[,)]', body, re.S)
    # A product is named by its module in `import` (ArgumentParser, Yams): keep the names.
    declared[match.group(2)] = set(re.findall(r'"(\w+)"', deps.group(1))) - {"swift", "Yams"} | (
        {"Yams"} if deps and '"Yams"' in deps.group(1) else set()) if deps else set()
    declared[match.group(2)] -= {"swift-argument-parser"}
modules = set(declared) | {"ArgumentParser", "Yams"}

problems = []
for name, deps in sorted(declared.items()):
    folder = pathlib.Path("Sources", name)
    if not folder.is_dir():
        folder = pathlib.Path("Tests", name)
    files = sorted(folder.rglob("*.swift"))
    if not files:
        continue
    imported = set()
    for path in files:
        for module in re.findall(r'^(?:@testable |internal |public )?import (\w+)', path.read_text(), re.M):
            if module in modules:
                imported.add(module)
            if module == "_CTensorKernels" and name != "TensorCore":
                problems.append(f"{path}: imports the C kernels, which are private to TensorCore")
    for module in sorted(imported - deps):
        problems.append(f"{name}: imports {module} but Package.swift does not declare it")
    for module in sorted(deps - imported):
        problems.append(f"{name}: Package.swift declares {module} but no file imports it")

for problem in problems:
    print(problem)
print(f"{len(declared)} targets checked, {len(problems)} mismatches")
sys.exit(1 if problems else 0)
