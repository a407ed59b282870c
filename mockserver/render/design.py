"""The generated picture: a background designed from the digest, and its label panel.

The background is a two-colour gradient at a digest-chosen angle plus a few soft
blurred shapes, designed on a canvas of at most 48 pixels, upscaled bicubically to
a grid of blocks (a quarter of the output side at 1024) and then by whole blocks,
which does not show on a blurred background; the caption panel is blended on that
grid too.  The label (the word-wrapped prompt, then size, ``i/n``, endpoint, model,
quality and a short id) is drawn at full resolution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from PIL import Image, ImageDraw, ImageFilter, ImageStat

from mockserver.render.inputs import _thumbnail
from mockserver.render.recipe import Recipe, _hsv, _Rng, _short_id, _size_text
from mockserver.render.text import _clean_text, _Face, _face, _pack, _wrap


@dataclass(frozen=True)
class _Line:
    face: _Face
    text: str
    xy: tuple[int, int]
    meta: bool  # meta lines are drawn in a softer colour


@dataclass(frozen=True)
class _Layout:
    panel: tuple[int, int, int, int]  # full-resolution box, on the block grid
    accent: tuple[int, int, int, int]  # full-resolution box, on the block grid
    lines: tuple[_Line, ...]
    slots: tuple[tuple[int, int, int], ...] = ()  # (x, y, side) of the thumbnails' squares


def _snap(v: float, block: int, up: bool) -> int:
    return (math.ceil(v / block) if up else math.floor(v / block)) * block


def _layout(
    box: tuple[int, int, int, int],
    body: str,
    meta: Sequence[str],
    px: int,
    block: int,
    anchor: Literal["bottom", "center"],
    thumbs: int = 0,
) -> _Layout | None:
    """Place a caption (a row of thumbs square slots, wrapped body, then packed
    meta items) inside box.

    Lines that do not fit are dropped -- meta lines beyond the first before the
    first body line, then body lines (the last kept one gets an ellipsis); the
    row of slots goes first when even one meta line does not fit with it.
    Returns None if not even one meta line fits.
    """
    if thumbs:
        with_row = _layout(box, body, meta, px, block, anchor)
        side = max(8, round(px * 1.7))
        gap = max(2, px // 3)
        if with_row is not None:
            text_w = with_row.panel[2] - with_row.lines[0].xy[0] - max(2, round(px * 0.45))
            fit = min(thumbs, max(0, (text_w + gap) // (side + gap)))
            top = with_row.panel[1] - _snap(side + gap, block, True) * (1 if anchor == "bottom" else 0.5)
            if fit and top >= 0:
                return _with_row(with_row, fit, side, gap, block, anchor)
        return with_row
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    body_face, meta_face = _face(px), _face(max(9, round(px * 0.72)))
    margin = max(block, min(round(px * 0.7), min(bw, bh) // 12))
    pad = max(2, round(px * 0.45))
    accent_w = max(2, px // 6)
    inner_left = pad + accent_w + max(1, pad // 2)
    text_w = bw - 2 * margin - inner_left - pad
    if text_w < 8:
        return None
    max_h = (int(bh * 0.62) if anchor == "bottom" else bh) - 2 * margin - 2 * pad
    meta_lines = _pack(meta, meta_face, text_w)
    gap = max(1, px // 3)
    room = max_h - len(meta_lines) * meta_face.line_h - gap
    while body and len(meta_lines) > 1 and room < body_face.line_h:
        meta_lines.pop()
        room += meta_face.line_h
    while meta_lines and len(meta_lines) * meta_face.line_h > max_h:
        meta_lines.pop()
    if not meta_lines:
        return None
    body_lines = _wrap(body, body_face, text_w, room // body_face.line_h)
    text_h = (
        len(body_lines) * body_face.line_h + (gap if body_lines else 0) + len(meta_lines) * meta_face.line_h
    )

    px0, px1 = _snap(x0 + margin, block, True), _snap(x1 - margin, block, False)
    if anchor == "bottom":
        py1 = _snap(y1 - margin, block, False)
        py0 = _snap(py1 - text_h - 2 * pad, block, False)
    else:
        mid = (y0 + y1) / 2
        py0 = _snap(mid - text_h / 2 - pad, block, False)
        py1 = _snap(mid + text_h / 2 + pad, block, True)
    ay0, ay1 = _snap(py0 + pad, block, True), _snap(py1 - pad, block, False)
    ax0 = _snap(px0 + pad // 2, block, True)
    accent = (ax0, ay0, ax0 + _snap(accent_w, block, True), max(ay0 + block, ay1))

    lines: list[_Line] = []
    tx, ty = px0 + inner_left, py0 + (py1 - py0 - text_h) // 2
    for text in body_lines:
        lines.append(_Line(body_face, text, (tx, ty), False))
        ty += body_face.line_h
    if body_lines:
        ty += gap
    for text in meta_lines:
        lines.append(_Line(meta_face, text, (tx, ty), True))
        ty += meta_face.line_h
    return _Layout((px0, py0, px1, py1), accent, tuple(lines))


def _with_row(layout: _Layout, count: int, side: int, gap: int, block: int, anchor: str) -> _Layout:
    """layout grown upwards by a row of count square slots above its first line."""
    px0, py0, px1, py1 = layout.panel
    grow = _snap(side + gap, block, True)
    tx, ty = layout.lines[0].xy
    slots = tuple((tx + i * (side + gap), ty - grow + (grow - side - gap) // 2, side) for i in range(count))
    if anchor == "center":  # keep the caption centred: move the text down by half a row
        half = _snap(grow / 2, block, False)
        lines = tuple(_Line(ln.face, ln.text, (ln.xy[0], ln.xy[1] + half), ln.meta) for ln in layout.lines)
        slots = tuple((x, y + half, side) for x, y, side in slots)
        ax0, ay0, ax1, ay1 = layout.accent
        return _Layout((px0, py0 - grow + half, px1, py1 + half), (ax0, ay0 - grow + half, ax1, ay1 + half),
                       lines, slots)  # fmt: skip
    ax0, ay0, ax1, ay1 = layout.accent
    return _Layout((px0, py0 - grow, px1, py1), (ax0, ay0 - grow, ax1, ay1), layout.lines, slots)


# --------------------------------------------------------------------------- #
# Generated images (generations, and the fill of edits)
# --------------------------------------------------------------------------- #

_SMALL_SIDE: Final = 48  # long side of the canvas the background is designed on
# A 256x256 black-to-white gradient, shrunk: rotated by any angle, its central
# 96x96 square (side / sqrt 2) stays covered.
_GRADIENT: Final = Image.linear_gradient("L").resize((136, 136), Image.Resampling.BILINEAR)
_GRADIENTS: dict[tuple[int, tuple[int, int]], Image.Image] = {}  # never modified once stored
# The gradients are small (the design's coarse canvas, at most 48 pixels a side): bounded in bytes all
# the same, emptied whole when full (a racing thread's count may be off by one image: harmless).
_GRADIENTS_MAX_BYTES: Final = 8 << 20
_gradients_bytes = 0


def _gradient(degrees: int, size: tuple[int, int]) -> Image.Image:
    """The gradient turned by degrees and fitted to size (cached: rotating
    costs more than the rest of the design together)."""
    key = (degrees, size)
    grad = _GRADIENTS.get(key)
    if grad is None:
        grad = _GRADIENT.rotate(degrees, resample=Image.Resampling.BILINEAR)
        grad = grad.crop((20, 20, 116, 116)).resize(size, Image.Resampling.BILINEAR)
        global _gradients_bytes
        if _gradients_bytes + grad.width * grad.height > _GRADIENTS_MAX_BYTES or not _GRADIENTS:
            _GRADIENTS.clear()
            _gradients_bytes = 0
        _GRADIENTS[key] = grad  # a racing thread stores an identical image
        _gradients_bytes += grad.width * grad.height
    return grad


def _block(size: tuple[int, int]) -> int:
    """Side of the pixel blocks the background is built from: 1..4 up to 2048
    (the seed's sizes), 8 above, where the blurred background still shows no
    steps and the full-size upscale is the biggest cost of the picture."""
    side = max(size)
    return 8 if side > 2048 else max(1, min(4, side // 128))


@dataclass(frozen=True)
class _Palette:
    light: tuple[int, int, int]
    dark: tuple[int, int, int]
    mid: tuple[int, int, int]


@dataclass(frozen=True)
class _Shape:
    """One soft shape of the background, in the coordinates of the small canvas."""

    cx: float
    cy: float
    rx: float
    ry: float
    colour: tuple[int, int, int]
    alpha: int
    turn: float | None  # None for an ellipse, else the angle of a triangle's first corner

    def box(self) -> tuple[float, float, float, float]:
        return (self.cx - self.rx, self.cy - self.ry, self.cx + self.rx, self.cy + self.ry)

    def corners(self) -> list[tuple[float, float]]:
        assert self.turn is not None
        turn = self.turn
        angles = [turn + k * math.tau / 3 for k in range(3)]
        return [(self.cx + self.rx * math.cos(a), self.cy + self.ry * math.sin(a)) for a in angles]


@dataclass(frozen=True)
class _Plan:
    """The background as data: what _paint draws and the SVG writer writes as vectors."""

    small: tuple[int, int]
    palette: _Palette
    degrees: int  # the gradient's turn (counter-clockwise, as Image.rotate)
    ends: tuple[tuple[int, int, int], tuple[int, int, int]]  # colour where the gradient is 0, where it is 255
    shapes: tuple[_Shape, ...]
    blur: float  # Gaussian radius on the small canvas


def _plan(rng: _Rng, small: tuple[int, int]) -> _Plan:
    """The background's choices, drawn from rng in a fixed order."""
    sw, sh = small
    hue = rng.random()
    palette = _Palette(
        light=_hsv(hue, rng.uniform(0.35, 0.7), rng.uniform(0.82, 0.98)),
        dark=_hsv(hue + rng.uniform(0.3, 0.7), rng.uniform(0.5, 0.85), rng.uniform(0.18, 0.5)),
        mid=_hsv(hue + rng.uniform(0.08, 0.25), rng.uniform(0.55, 0.9), rng.uniform(0.6, 0.9)),
    )
    degrees = rng.randint(0, 359)
    ends = (palette.light, palette.dark) if rng.random() < 0.5 else (palette.dark, palette.light)
    short = min(sw, sh)
    shapes: list[_Shape] = []
    for _ in range(rng.randint(3, 6)):
        cx, cy = rng.uniform(0, sw), rng.uniform(0, sh)
        rx = short * rng.uniform(0.1, 0.38)
        ry = rx * rng.uniform(0.6, 1.5)
        colour = _hsv(hue + rng.uniform(-0.2, 0.55), rng.uniform(0.3, 0.95), rng.uniform(0.3, 1.0))
        alpha = rng.randint(100, 200)
        turn = None if rng.random() < 0.7 else rng.uniform(0, math.tau)
        shapes.append(_Shape(cx, cy, rx, ry, colour, alpha, turn))
    return _Plan(small, palette, degrees, ends, tuple(shapes), max(0.8, short * 0.03))


def _paint(plan: _Plan) -> Image.Image:
    """The background at thumbnail size: gradient at an angle plus soft shapes."""
    small = plan.small
    grad = _gradient(plan.degrees, small)
    img = Image.composite(Image.new("RGB", small, plan.ends[0]), Image.new("RGB", small, plan.ends[1]), grad)
    draw = ImageDraw.Draw(img, "RGBA")
    for shape in plan.shapes:
        fill = (*shape.colour, shape.alpha)
        if shape.turn is None:
            draw.ellipse(shape.box(), fill=fill)
        else:
            draw.polygon(shape.corners(), fill=fill)
    return img.filter(ImageFilter.GaussianBlur(plan.blur))


def _paint_alpha(plan: _Plan) -> Image.Image:
    """The alpha of a transparent background at thumbnail size: the shapes, opaque
    and soft-edged, on nothing (the gradient is the backdrop that goes away)."""
    img = Image.new("L", plan.small, 0)
    draw = ImageDraw.Draw(img)
    for shape in plan.shapes:
        if shape.turn is None:
            draw.ellipse(shape.box(), fill=255)
        else:
            draw.polygon(shape.corners(), fill=255)
    return img.filter(ImageFilter.GaussianBlur(plan.blur))


def _label_px(size: tuple[int, int]) -> int:
    """Body font size: about 1/18 of the short side, never below 10 px; above a
    short side of 1024 it grows with the square root, so that a 3840x2160 label
    is as legible as a 1024 one without covering the picture."""
    short = min(size)
    if short > 1024:
        return round(1024 / 18 * math.sqrt(short / 1024))
    return max(10, round(short / 18))


def _items(recipe: Recipe, digest: str, size: tuple[int, int]) -> list[str]:
    """The meta items of a label: size, i/n, endpoint, model, quality, inputs, short id."""
    items = [_size_text(size), f"{recipe.index + 1}/{recipe.n}", recipe.endpoint, recipe.model]
    if recipe.quality:
        items.append(f"{recipe.quality} quality")
    if recipe.extra_images:
        items.append(f"{1 + len(recipe.extra_images)} images in")
    items.append(_short_id(digest))
    return [_clean_text(item) for item in items]


Colours = tuple[tuple[int, int, int], tuple[int, int, int]]
_Style = tuple[tuple[int, int, int], int, Colours]
_ON_BRIGHT: Final[_Style] = ((16, 18, 24), 168, ((255, 255, 255), (214, 218, 226)))
_ON_DARK: Final[_Style] = ((250, 250, 246), 190, ((12, 12, 16), (52, 56, 64)))
_ON_NOTHING: Final[_Style] = ((16, 18, 24), 255, ((255, 255, 255), (214, 218, 226)))  # transparent: a solid panel


def _style(
    design: Image.Image, panel: tuple[int, int, int, int], k: float, transparent: bool
) -> _Style:
    """(panel colour, panel opacity, (text colour, meta colour)) for a panel at
    panel over the small design (k: small/full scale): a dark panel with white
    text on a bright background, and vice versa; solid and dark on nothing."""
    if transparent:
        return _ON_NOTHING
    x0, y0, x1, y1 = panel
    under = design.crop(
        (int(x0 * k), int(y0 * k), max(int(x0 * k) + 1, int(x1 * k)), max(int(y0 * k) + 1, int(y1 * k)))
    ).convert("L")
    return _ON_BRIGHT if ImageStat.Stat(under).mean[0] >= 120 else _ON_DARK


def _generated(
    recipe: Recipe,
    digest: str,
    size: tuple[int, int],
    full_size: tuple[int, int],
    anchor: Literal["bottom", "center"],
    text_box: tuple[int, int, int, int] | None = None,
    thumbs: Sequence[bytes] = (),
    transparent: bool = False,
) -> Image.Image:
    """A generations-style labelled image of size (RGB, or RGBA when transparent).

    full_size is the size of the whole output (it sets the font size and is
    the size the label states); text_box, if given, is where the caption goes;
    thumbs are input images shown as small squares above the caption.
    """
    w, h = size
    block = _block(size)
    grid = (math.ceil(w / block), math.ceil(h / block))
    k = _SMALL_SIDE / max(w, h)
    small = (max(2, round(w * k)), max(2, round(h * k)))
    plan = _plan(_Rng(digest, "background"), small)
    design = _paint(plan)
    coarse = design.resize(grid, Image.Resampling.BICUBIC)  # bilinear shows its kinks as a grid
    if transparent:
        coarse.putalpha(_paint_alpha(plan).resize(grid, Image.Resampling.BICUBIC))

    text_box = text_box or (0, 0, w, h)
    px = min(
        _label_px(full_size), max(9, round(min(text_box[2] - text_box[0], text_box[3] - text_box[1]) / 9))
    )
    body = _clean_text(recipe.prompt or "")
    layout = _layout(text_box, body, _items(recipe, digest, full_size), px, block, anchor, len(thumbs))
    colours: Colours = ((0, 0, 0), (0, 0, 0))
    if layout is not None:
        # Dark panel and white text on a bright background, and vice versa.
        panel, opacity, colours = _style(design, layout.panel, k, transparent)
        cx0, cy0, cx1, cy1 = (v // block for v in layout.panel)
        shape = Image.new("L", (cx1 - cx0, cy1 - cy0), 0)
        radius = max(1, round(px * 0.5 / block))
        ImageDraw.Draw(shape).rounded_rectangle(
            (0, 0, shape.width - 1, shape.height - 1), radius, fill=opacity
        )
        coarse.paste((*panel, 255) if transparent else panel, (cx0, cy0), shape)
        ax0, ay0, ax1, ay1 = (v // block for v in layout.accent)
        coarse.paste((*plan.palette.mid, 255) if transparent else plan.palette.mid, (ax0, ay0, ax1, ay1))

    img = coarse
    if block > 1:
        img = coarse.resize((grid[0] * block, grid[1] * block), Image.Resampling.NEAREST)
        if img.size != size:
            img = img.crop((0, 0, w, h))
    if layout is not None:
        _draw_caption(img, layout, colours, thumbs)
    return img


def _draw_caption(img: Image.Image, layout: _Layout, colours: Colours, thumbs: Sequence[bytes]) -> None:
    """The caption's text and thumbnails, at full resolution, onto img."""
    for line in layout.lines:
        line.face.draw(img, line.xy, line.text, colours[1] if line.meta else colours[0])
    for (x, y, side), data in zip(layout.slots, thumbs, strict=False):
        thumb = _thumbnail(data, side)
        img.paste(colours[1], (x - 1, y - 1, x + side + 1, y + side + 1))  # a thin frame
        img.paste(thumb, (x, y))
