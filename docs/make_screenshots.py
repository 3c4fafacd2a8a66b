#!/usr/bin/env -S /usr/bin/python3
"""Screenshots of a report's sections for the docs, each whole and nothing else.

    docs/make_screenshots.py runs/demo/report.html docs

For each section id (summary, ood, influence) a page with the report's style and that section
alone (the OOD section's metrics and plots, the first two explained test examples) is rendered by headless Chromium at 1000 px wide, and the white space below it is cropped
(Pillow): docs/report-<id>.png.
"""

import os
import re
import subprocess
import sys
import tempfile

from PIL import Image, ImageChops

SECTIONS = ["summary", "ood", "influence"]
CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]


def section_page(report, section):
    """The report's <head> and the one <section id=...>, as a page: OOD up to its image strips
    (metrics, ROC curves, histograms), influence with its first two test examples."""
    head = re.search(r"<head>.*?</head>", report, re.S).group(0)
    body = re.search(rf'<section id="{section}">.*?</section>', report, re.S)
    if body is None:
        raise SystemExit(f"the report has no section {section}")
    html = body.group(0)
    if section == "ood" and "<h3>Most OOD-looking" in html:
        html = html[:html.index("<h3>Most OOD-looking")] + "</section>"
    if section == "influence":
        blocks = [m.start() for m in re.finditer(r'<div class="influence">', html)]
        if len(blocks) > 2:
            html = html[:blocks[2]] + "</section>"
    return f"<!DOCTYPE html><html lang=\"en\">{head}<body>{html}</body></html>"


def crop(path):
    """Crops the white space under (and right of) the content, keeping a 12 px margin."""
    image = Image.open(path).convert("RGB")
    box = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
    if box:
        image.crop((0, 0, min(image.width, box[2] + 12), min(image.height, box[3] + 12))).save(path)


def main():
    report_path, folder = sys.argv[1], sys.argv[2]
    report = open(report_path, encoding="utf-8").read()
    for section in SECTIONS:
        with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False, encoding="utf-8") as page:
            page.write(section_page(report, section))
        shot = os.path.join(folder, f"report-{section}.png")
        subprocess.run(CHROMIUM + ["--window-size=1000,5000", f"--screenshot={os.path.abspath(shot)}",
                                   "file://" + page.name], capture_output=True, timeout=120, check=True)
        os.unlink(page.name)
        crop(shot)
        print(f"wrote {shot}: {Image.open(shot).size}")


if __name__ == "__main__":
    main()
