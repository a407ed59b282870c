"""Benchmark the edit inputs: what checking an upload costs, side by side, in one run.

1. Inspection of one 1024x1024 image, median of --runs: dall-e-2's ``contracts.png.inspect``
   (CRCs, then a full decode) and ``contracts.imagefile.inspect`` (GPT models: header, then
   CRCs and a streamed inflate for PNG, a 1/8-scale decode for JPEG, a full decode for WebP),
   against a bare Pillow ``Image.open(...).load()`` of the same bytes (the floor a full check
   would cost). Aim: imagefile at most 1.0x the bare decode for PNG and JPEG.
2. The rules of a whole multipart edit (``contracts.rules.parse_form_request``), in-process,
   median of --runs: dall-e-2 with one 256x256 RGBA PNG (today's path, unchanged), a GPT
   model with the same PNG, with two images (PNG + JPEG), and a JSON edit with a data: URL.
3. One whole edit request through the Flask test client (render included): dall-e-2 256x256
   b64_json against gpt-image-1.5 with two images (1024x1024 output).

Run:  .venv/bin/python bench/bench_edits.py [--runs 30]
"""

from __future__ import annotations

import argparse
import base64
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contracts import imagefile, png
from contracts.rules import Upload, parse_form_request, parse_json_edit
from mockserver import create_app
from tests.support.pngs import pattern, png_bytes, rgba_with_hole


def encode(image: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt)
    return buf.getvalue()


def median_ms(call: Callable[[], object], runs: int) -> float:
    call()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def bare_decode(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        image.load()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    limit = 8192 * 8192

    print("1. inspecting one 1024x1024 image (ms, median)")
    picture = pattern((1024, 1024), "RGBA")
    samples = {
        "png": png_bytes(picture),
        "jpeg": encode(picture.convert("RGB"), "JPEG"),
        "webp": encode(picture, "WEBP"),
    }
    print(f"   {'format':<6} {'bytes':>9} {'bare decode':>12} {'imagefile':>10} {'ratio':>6} {'png.inspect':>12}")
    for fmt, data in samples.items():
        bare = median_ms(lambda data=data: bare_decode(data), runs)
        ours = median_ms(lambda data=data: imagefile.inspect(data, max_pixels=limit), runs)
        legacy = (f"{median_ms(lambda data=data: png.inspect(data, max_pixels=limit), runs):12.2f}"
                  if fmt == "png" else f"{'-':>12}")
        print(f"   {fmt:<6} {len(data):>9} {bare:12.2f} {ours:10.2f} {ours / bare:5.2f}x {legacy}")

    print("2. the rules of one edit (ms, median)")
    seed_png = png_bytes(rgba_with_hole(256))
    jpeg = samples["jpeg"]
    url = "data:image/png;base64," + base64.b64encode(seed_png).decode()
    cases: dict[str, Callable[[], object]] = {
        "dall-e-2, one 256x256 PNG": lambda: parse_form_request(
            "edits", [("prompt", "p")], [Upload("image", "a.png", "image/png", seed_png)]),
        "gpt-image-1.5, the same PNG": lambda: parse_form_request(
            "edits", [("model", "gpt-image-1.5"), ("prompt", "p")], [Upload("image", "a.png", "image/png", seed_png)]),
        "gpt-image-1.5, PNG + 1024 JPEG": lambda: parse_form_request(
            "edits", [("model", "gpt-image-1.5"), ("prompt", "p")],
            [Upload("image[]", "a.png", "image/png", seed_png), Upload("image[]", "b.jpg", "image/jpeg", jpeg)]),
        "JSON edit, the PNG as a data: URL": lambda: parse_json_edit(
            {"prompt": "p", "images": [{"image_url": url}]}, lambda _: None),
    }
    for name, call in cases.items():
        print(f"   {name:<36} {median_ms(call, runs):8.2f}")

    print("3. one whole edit request through the test client (ms, median)")
    client = create_app(rate_limits="off").test_client()
    headers = {"Authorization": "Bearer sk-bench"}

    def dalle() -> None:
        response = client.post("/v1/images/edits", headers=headers, content_type="multipart/form-data", data={
            "prompt": "p", "size": "256x256", "response_format": "b64_json",
            "image": (io.BytesIO(seed_png), "a.png", "image/png")})
        assert response.status_code == 200, response.get_json()

    def gpt() -> None:
        response = client.post("/v1/images/edits", headers=headers, content_type="multipart/form-data", data={
            "model": "gpt-image-1.5", "prompt": "p", "quality": "low",
            "image[]": [(io.BytesIO(seed_png), "a.png", "image/png"), (io.BytesIO(jpeg), "b.jpg", "image/jpeg")]})
        assert response.status_code == 200, response.get_json()

    print(f"   {'dall-e-2, 256x256 b64_json':<36} {median_ms(dalle, max(5, runs // 3)):8.2f}")
    print(f"   {'gpt-image-1.5, 2 images, 1024x1024':<36} {median_ms(gpt, max(5, runs // 3)):8.2f}")


if __name__ == "__main__":
    main()
