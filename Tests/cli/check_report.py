#!/usr/bin/env -S /usr/bin/python3
"""Checks a VAEKit report.html the way a reader's browser sees it.

    check_report.py REPORT_HTML ARTIFACT_DIR

1. Headless Chromium (Debian's `chromium`) loads the page: no console message at all (the page
   has no script, so any message is an error: a parse problem, a blocked resource, ...), and
   the checker itself is first shown to catch a page that logs an error.
2. The DOM Chromium built has every section (summary, run, training, images, ood, influence,
   self-influence, commands), each filled: tables, inline SVG plots, images; the summary box
   gives an OOD verdict per set and the influence score; the Reproduce section names the
   commands that wrote the data and the background model.
3. Self-contained: no <script>, no external URL in src/href, every image an inline PNG.
4. Every inline PNG decodes with an independent decoder (Pillow), and example images of the
   training set decode to exactly the bytes of the HDF5 dataset (read with h5py), captioned with
   the class name the dataset gives their label (/class_names).
5. A screenshot goes to ARTIFACT_DIR/report.png.
Exits 1 with the failures listed.
"""

import base64
import html.parser
import io
import json
import os
import re
import subprocess
import sys
import tempfile

import h5py
import numpy
from PIL import Image

SECTIONS = ["summary", "run", "training", "images", "ood", "influence", "self-influence", "commands"]
CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--enable-logging=stderr", "--v=0"]


def console_messages(path):
    """Chromium's DOM of the page and every console message it logged."""
    run = subprocess.run(CHROMIUM + ["--dump-dom", "file://" + os.path.abspath(path)],
                         capture_output=True, text=True, timeout=120)
    messages = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    return run.stdout, messages


class Collector(html.parser.HTMLParser):
    """Elements with the section they sit in."""

    def __init__(self):
        super().__init__()
        self.section = None
        self.depth = 0
        self.found = {name: {} for name in SECTIONS}
        self.images = []      # (section, alt, src)
        self.scripts = 0
        self.external = []
        self.text = {name: "" for name in SECTIONS}
        self.in_class_name = False
        self.class_names = {}  # alt of the figure's image → the class name in its caption

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and attrs.get("id") in SECTIONS:
            self.section = attrs["id"]
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            if key not in attrs:
                continue
            value = attrs[key] or ""
            if re.match(r"^[a-z]+:", value) and not value.startswith("data:") or value.startswith("//") \
                    or (key == "src" and not value.startswith("data:")):
                self.external.append(f"<{tag} {key}={value[:60]}>")
        if self.section:
            self.found[self.section][tag] = self.found[self.section].get(tag, 0) + 1
            if tag == "img":
                self.images.append((self.section, attrs.get("alt", ""), attrs.get("src", "")))
            if tag == "span" and attrs.get("class") == "class-name":
                self.in_class_name = True

    def handle_endtag(self, tag):
        if tag == "section":
            self.section = None

    def handle_data(self, data):
        if self.section:
            self.text[self.section] += data
        if self.in_class_name and self.images:
            self.class_names[self.images[-1][1]] = data
            self.in_class_name = False


def main():
    report, artifacts = sys.argv[1], sys.argv[2]
    os.makedirs(artifacts, exist_ok=True)
    failures = []

    # The console check must catch a page that logs an error.
    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False) as bad:
        bad.write("<!DOCTYPE html><html><body><script>console.error('planted')</script></body></html>")
    _, planted = console_messages(bad.name)
    os.unlink(bad.name)
    if not any("planted" in line for line in planted):
        failures.append("the console check missed a planted console.error (Chromium logging changed?)")

    dom, messages = console_messages(report)
    failures += [f"console: {line}" for line in messages]
    if "<section" not in dom:
        failures.append("Chromium produced no DOM for the page")

    page = Collector()
    page.feed(dom)
    needs = {
        "summary": {"table": 1}, "run": {"table": 1}, "training": {"svg": 1}, "images": {"img": 2},
        "ood": {"table": 1, "svg": 4, "img": 2}, "influence": {"img": 3},
        "self-influence": {"img": 2}, "commands": {"pre": 1},
    }
    for section, wanted in needs.items():
        for tag, count in wanted.items():
            have = page.found[section].get(tag, 0)
            if have < count:
                failures.append(f"section #{section}: {have} <{tag}>, expected at least {count}")
        if "Produce it with" in page.text[section]:
            failures.append(f"section #{section} says its results are missing")
    if "vaekit" not in page.text["commands"]:
        failures.append("section #commands lists no vaekit command")
    summary = page.text["summary"]
    ood_sets = [s for s in json.load(open(os.path.join(os.path.dirname(report), "ood.json")))["order"][1:]]
    for name in ood_sets:
        if not re.search(re.escape(name) + r": [a-z ]+ — .+ AUROC [0-9.]+", summary):
            failures.append(f"the summary box gives no OOD verdict for {name}")
    if not re.search(r"score (tracin|cosine|relatif)", summary):
        failures.append("the summary box does not name the influence score")
    if page.scripts:
        failures.append(f"{page.scripts} <script> element(s): the report must not need scripts")
    failures += [f"external resource {item}" for item in page.external]

    # Every image decodes with Pillow; training examples match the dataset's bytes.
    data = json.load(open(os.path.join(os.path.dirname(report), "report.json")))
    train_path = data["run"]["train_data"]
    train_file = h5py.File(train_path, "r") if os.path.exists(train_path) else None
    train = train_file["images"] if train_file else None
    if train_file and "command" in train_file.attrs:
        made_by = train_file.attrs["command"]
        made_by = made_by.decode() if isinstance(made_by, bytes) else made_by
        if made_by not in page.text["commands"]:
            failures.append(f"section #commands does not list the command that wrote the data: {made_by}")
    background = json.load(open(os.path.join(os.path.dirname(report), "ood.json"))).get("background")
    if background and f"--run {background}" not in page.text["commands"]:
        failures.append(f"section #commands does not list the training of the background model {background}")
    names = None
    if train_file and "class_names" in train_file:
        names = [n.decode() if isinstance(n, bytes) else n for n in train_file["class_names"][()]]
        labels = train_file["labels"][()]
    named = 0
    compared = 0
    for section, alt, src in page.images:
        prefix = "data:image/png;base64,"
        if not src.startswith(prefix):
            failures.append(f"#{section} image '{alt}' is not an inline PNG")
            continue
        try:
            image = Image.open(io.BytesIO(base64.b64decode(src[len(prefix):])))
            image.load()
        except Exception as error:  # any decoder complaint is a failure
            failures.append(f"#{section} image '{alt}' does not decode: {error}")
            continue
        match = re.match(r"train #(\d+)", alt)
        if match and train is not None and data["run"]["image_shape"][0] == 1:
            expected = numpy.asarray(train[int(match.group(1))])[0]
            pixels = numpy.asarray(image)
            if pixels.shape != expected.shape or not numpy.array_equal(pixels, expected):
                failures.append(f"#{section} image '{alt}' differs from the dataset's pixels")
            compared += 1
        if match and names is not None:
            expected_name = names[labels[int(match.group(1))]]
            if page.class_names.get(alt) != expected_name:
                failures.append(f"#{section} image '{alt}' is captioned {page.class_names.get(alt)!r}, "
                                f"expected the class name {expected_name!r}")
            named += 1
    if train is not None and compared == 0:
        failures.append("no training-example image was compared with the dataset")
    if names is not None and named == 0:
        failures.append("no training-example image was checked for its class name")

    shot = os.path.join(artifacts, "report.png")
    subprocess.run(CHROMIUM + ["--window-size=1200,3200", f"--screenshot={shot}",
                               "file://" + os.path.abspath(report)],
                   capture_output=True, timeout=120)
    if not os.path.exists(shot) or Image.open(shot).size != (1200, 3200):
        failures.append("no screenshot")

    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"report ok: {sum(len(v) for v in page.found.values())} element kinds, {len(page.images)} images "
          f"({compared} compared with the dataset, {named} class names checked), summary verdicts for "
          f"{len(ood_sets)} OOD sets, screenshot {shot}")


if __name__ == "__main__":
    main()
