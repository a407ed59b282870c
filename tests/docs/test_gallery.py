"""The gallery page: the build renders its images through the fake (never committed), and each
decodes to the format and size its caption says; every model family shows each format it serves,
a transparent background where it has one, and an edit."""

from __future__ import annotations

import io
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from PIL import Image

from contracts.models import MODELS
from tests.support import ROOT
from tests.support.docsite import Page

CAPTION = re.compile(r"^(?P<model>[\w.-]+) · (?P<format>PNG|JPEG|WebP|GIF|SVG) · (?P<width>\d+)x(?P<height>\d+)"
                     r"(?: · (?P<note>.+))?$")
PILLOW_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "WebP": "WEBP", "GIF": "GIF"}


def _figures(site: Path) -> list[tuple[Path, re.Match[str]]]:
    figures = Page((site / "gallery.html").read_text(encoding="utf-8")).figures
    found = []
    for src, caption in figures:
        match = CAPTION.match(caption)
        assert match, f"a caption that does not say model, format and size: {caption!r}"
        found.append((site / src, match))
    return found


def test_every_gallery_image_is_what_its_caption_says(docs_site: Path) -> None:
    figures = _figures(docs_site)
    assert len(figures) >= 40
    for path, caption in figures:
        assert path.is_file(), f"{path.name} ({caption.group(0)}) is not in the built site"
        size = (int(caption["width"]), int(caption["height"]))
        data = path.read_bytes()
        if caption["format"] == "SVG":
            svg = ET.fromstring(data)
            assert svg.tag.endswith("svg"), path.name
            shown = (round(float(svg.attrib["width"])), round(float(svg.attrib["height"])))
            assert shown == size, f"{path.name}: {shown} is not {caption.group(0)}"
            continue
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == PILLOW_FORMATS[caption["format"]], f"{path.name}: {image.format}, {caption.group(0)}"
            assert image.size == size, f"{path.name}: {image.size}, {caption.group(0)}"
            if caption["note"] == "transparent background":
                alpha = image.convert("RGBA").getchannel("A")
                assert alpha.getextrema()[0] == 0, f"{path.name}: no transparent pixel"
            if caption["format"] == "GIF":
                assert getattr(image, "n_frames", 1) > 1, f"{path.name}: not animated"


def test_the_gallery_shows_each_family_in_each_format_it_serves_and_an_edit(docs_site: Path) -> None:
    shown: dict[str, set[str]] = {}
    for _, caption in _figures(docs_site):
        shown.setdefault(caption["model"], set()).add(
            f"{caption['format']} {caption['note']}" if caption["note"] else caption["format"])
    names = {"png": "PNG", "jpeg": "JPEG", "webp": "WebP", "gif": "GIF", "svg": "SVG"}
    families = [m for m in MODELS.values() if m.snapshot_of is None]
    assert {m.name for m in families} == set(shown)
    for model in families:
        expected = {names[f] for f in (model.output_format.values if model.output_format else ("png",))}
        if model.background is not None and "transparent" in model.background.values:
            expected.add("PNG transparent background")
        if "edits" in model.endpoints:
            expected |= {"PNG edit: the input image", "PNG edit: the mask (transparent: may change)",
                         "PNG edit: the answer"}
        assert shown[model.name] == expected, model.name
    every = set().union(*shown.values())
    assert {"PNG", "JPEG", "WebP", "GIF", "SVG", "PNG transparent background", "PNG edit: the answer"} <= every


def test_the_gallery_images_are_made_by_the_build_not_kept() -> None:
    tracked = subprocess.run(["git", "ls-files", "docs"], cwd=ROOT, capture_output=True, text=True, check=True,
                             timeout=60).stdout.split()
    assert not [name for name in tracked if name.startswith("docs/gallery/")]
