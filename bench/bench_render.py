"""Benchmark mockserver.render: render() time versus a bare PNG encode.

For each size (256, 512, 1024 square) and endpoint, times ``render()`` and a
bare ``Image.save(buf, "PNG", **PNG_SAVE_OPTIONS)`` of the very image it
rendered (decoded once beforehand), and prints the medians and their ratio.
The target is ratio <= 1.5: drawing must be cheap next to encoding.

The recipes cycle through index 0..3 of an n=4 request, so the variation
transforms (which depend on the index) are all exercised.  Edits and
variations take a rendered generation of the same size as input (the usual
case: editing an image the API returned); the edit mask erases a centred
ellipse covering about a fifth of the image.  render() keeps decoded inputs in
a small cache because the n images of one request share their input; the
"cold" columns clear that cache before every run, so they include decoding the
input PNG(s).

Times are thread CPU time, so other processes on the machine disturb them less
(the wall-clock ratio is printed too).  Page faults do count: freeing two
full-size images at once lets glibc hand the top of the heap back to the
system, and the next render faults it in again, which is why render() makes
only one full-size image per variation (see _in_bands).  Expect some noise on
a shared machine; run it twice.

A second table does the same for the GPT formats: generations (gpt-image-2,
quality shown in the label) in png, jpeg and webp at 1024x1024 and 3840x2160,
against a bare ``Image.save`` of the decoded output with the very settings
render() uses (``save_options(format, compression)``), at compression 100 (the
API's default) and 75.  Aim: ratio <= 1.5.

Run by hand:  PYTHONPATH=. .venv/bin/python bench/bench_render.py [--runs N] [--only seed|formats]
"""

from __future__ import annotations

import argparse
import gc
import io
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from PIL import Image, ImageDraw

from mockserver import render as render_module
from mockserver.render import PNG_SAVE_OPTIONS, Recipe, render, save_options

PROMPT = (
    "A watercolour painting of a lighthouse on a rocky island at dawn, "
    "seagulls circling, soft pink and orange sky, gentle waves"
)
SIZES = (256, 512, 1024)
ENDPOINTS = ("generations", "edits", "variations")
N = 4


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _recipes(endpoint: str, side: int) -> list[Recipe]:
    if endpoint == "generations":
        return [Recipe("generations", "dall-e-2", PROMPT, side, side, i, N) for i in range(N)]
    source = render(Recipe("generations", "dall-e-2", "a cat on a sofa", side, side, 0, 1))
    if endpoint == "variations":
        return [Recipe("variations", "dall-e-2", None, side, side, i, N, source) for i in range(N)]
    mask = Image.new("RGBA", (side, side), (0, 0, 0, 255))
    ImageDraw.Draw(mask).ellipse((side * 0.25, side * 0.25, side * 0.75, side * 0.75), fill=(0, 0, 0, 0))
    return [Recipe("edits", "dall-e-2", PROMPT, side, side, i, N, source, _png(mask)) for i in range(N)]


def _time(fn: Callable[[], object], before: Callable[[], None] | None = None) -> tuple[float, float]:
    """(CPU seconds of this thread, wall seconds) taken by fn()."""
    if before is not None:
        before()
    cpu, wall = time.thread_time(), time.perf_counter()
    fn()
    return time.thread_time() - cpu, time.perf_counter() - wall


def _median_ms(samples: list[tuple[float, float]], which: int) -> float:
    return statistics.median(sample[which] for sample in samples) * 1000


FORMAT_SIZES = ((1024, 1024), (3840, 2160))
FORMAT_CELLS = (("png", 100), ("jpeg", 100), ("jpeg", 75), ("webp", 100), ("webp", 75))


def formats(runs: int) -> None:
    """render() against a bare encode with the same settings, per format and size."""
    header = (
        f"{'size':>9} {'format':<8} {'compr':>5} {'render ms':>9} {'encode ms':>9} {'ratio':>6} {'wall':>6}"
        f" {'out KB':>7}"
    )
    print(header)
    print("-" * len(header))
    for width, height in FORMAT_SIZES:
        big = width * height > 4_000_000
        cell_runs = max(5, runs // 6) if big else runs
        for fmt, compression in FORMAT_CELLS:
            gc.collect()
            base = Recipe("generations", "gpt-image-2", PROMPT, width, height, 0, N, quality="high")
            recipes = [replace(base, index=i, output_format=fmt, compression=compression) for i in range(N)]
            outputs = [render(r) for r in recipes]
            decoded = [Image.open(io.BytesIO(out)) for out in outputs]
            for img in decoded:
                img.load()
            name, options = save_options(fmt, compression)
            warm: list[tuple[float, float]] = []
            bare: list[tuple[float, float]] = []
            for run in range(cell_runs):
                recipe, img = recipes[run % N], decoded[run % N]
                warm.append(_time(partial(render, recipe)))
                bare.append(_time(partial(img.save, io.BytesIO(), name, **options)))
            r_ms, e_ms = _median_ms(warm, 0), _median_ms(bare, 0)
            wall_ratio = _median_ms(warm, 1) / _median_ms(bare, 1)
            kb = statistics.mean(len(out) for out in outputs) / 1024
            print(
                f"{width:>4}x{height:<4} {fmt:<8} {compression:>5} {r_ms:9.2f} {e_ms:9.2f} {r_ms / e_ms:6.2f}"
                f" {wall_ratio:6.2f} {kb:7.1f}"
            )
    print(
        f"\nmedians of thread CPU time ({runs} runs at 1024, {max(5, runs // 6)} at 3840x2160);"
        " ratio = render / bare encode of the same picture with the same settings."
    )


def seed(runs: int) -> None:
    """The seed's table: dall-e-2 generations, edits and variations as PNG."""

    def clear_cache() -> None:
        render_module.CACHES[0].clear()  # the decoded inputs

    header = (
        f"{'size':>9} {'endpoint':<12} {'render ms':>9} {'encode ms':>9} {'ratio':>6} {'wall':>6}"
        f" {'cold ms':>8} {'cold':>6} {'out KB':>7}"
    )
    print(header)
    print("-" * len(header))
    for side in SIZES:
        for endpoint in ENDPOINTS:
            gc.collect()
            recipes = _recipes(endpoint, side)
            outputs = [render(r) for r in recipes]
            decoded = [Image.open(io.BytesIO(out)) for out in outputs]
            for img in decoded:
                img.load()
            warm: list[tuple[float, float]] = []
            cold: list[tuple[float, float]] = []
            bare: list[tuple[float, float]] = []
            for run in range(runs):
                recipe, img = recipes[run % N], decoded[run % N]
                # Interleaved, so that noise hits all columns alike.
                warm.append(_time(partial(render, recipe)))
                bare.append(_time(partial(img.save, io.BytesIO(), "PNG", **PNG_SAVE_OPTIONS)))
                if endpoint != "generations":
                    cold.append(_time(partial(render, recipe), clear_cache))
            r_ms, e_ms = _median_ms(warm, 0), _median_ms(bare, 0)
            wall_ratio = _median_ms(warm, 1) / _median_ms(bare, 1)
            kb = statistics.mean(len(out) for out in outputs) / 1024
            if cold:
                c_ms = _median_ms(cold, 0)
                cold_cols = f"{c_ms:8.2f} {c_ms / e_ms:6.2f}"
            else:
                cold_cols = f"{'-':>8} {'-':>6}"
            print(
                f"{side:>4}x{side:<4} {endpoint:<12} {r_ms:9.2f} {e_ms:9.2f} {r_ms / e_ms:6.2f}"
                f" {wall_ratio:6.2f} {cold_cols} {kb:7.1f}"
            )
    print(
        f"\nPNG settings {PNG_SAVE_OPTIONS}; medians over {runs} runs of thread CPU time"
        " (immune to other processes sharing the machine);\nratio = render / bare encode;"
        " wall = the same ratio from wall-clock medians; cold = render with an empty input cache."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60, help="runs per cell (default 60)")
    parser.add_argument("--only", choices=("seed", "formats"), help="run one of the two tables")
    args = parser.parse_args()
    gc.disable()
    try:
        if args.only != "formats":
            seed(args.runs)
            print()
        if args.only != "seed":
            formats(args.runs)
    finally:
        gc.enable()


if __name__ == "__main__":
    main()
