"""Edits and variations: what render() does to its input images.

* **edits** -- the first input image fitted to the output size, untouched wherever
  the mask's alpha is > 0, with a generated, labelled fill composited into the
  region where alpha == 0.  Fitting: an input of the output's aspect is resized
  (Lanczos), as the seed always did; another aspect is scaled to cover the output
  and centred, the overflow cropped evenly from both sides (the mask, which has
  the input's dimensions, by the same box, nearest neighbour).  The extra input
  images show as thumbnails above the caption.  With no region to edit, a seed
  recipe returns its input (the seed's rule) and a GPT recipe gets its input
  with a caption panel along the bottom.  With a transparent background the
  kept part is opaque and the fill carries its own alpha.
* **variations** -- the input image with per-index transforms (slight zoom into a
  chosen spot, mirror, hue rotation, saturation/contrast change, tint, sometimes
  posterisation) and a small label band at the bottom.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

from PIL import Image, ImageDraw, ImageOps, ImageStat

from mockserver.render.design import _ON_BRIGHT, _draw_caption, _generated, _items, _label_px, _layout
from mockserver.render.inputs import _cover_box, _input
from mockserver.render.recipe import _GOLDEN, Recipe, _hsv, _Rng, _short_id, _size_text
from mockserver.render.text import _clean_text, _face, _separator, _truncate

_REGION_LUT: Final = [255] + [0] * 255  # alpha == 0 -> 255 (to edit), else 0


def _marked_up(rgb: Image.Image, markup: bytes, size: tuple[int, int],
               box: tuple[float, float, float, float] | None) -> Image.Image:
    """The first image with the markup drawn over it (the markup's opaque strokes shown, its
    transparent pixels letting the image through), fitted to the output as the image is."""
    marked = rgb.copy()
    mark = _input(markup, size)
    layer = mark.rgb()
    mark_alpha = mark.alpha()
    if mark_alpha is not None and layer.size == marked.size:
        marked.paste(layer, (0, 0), mark_alpha)
    return marked if marked.size == size else marked.resize(size, Image.Resampling.LANCZOS, box=box)


def _edit(recipe: Recipe, digest: str, size: tuple[int, int]) -> Image.Image:
    """The edit of recipe.image: RGB, or RGBA for a transparent background
    (the kept part opaque, the generated fill with its own alpha)."""
    assert recipe.image is not None
    src = _input(recipe.image, size)
    alpha = _input(recipe.mask, size).alpha() if recipe.mask is not None else src.alpha()
    box = _cover_box(src.size, size)
    transparent = recipe.background == "transparent"

    if recipe.markup is not None:
        out = _marked_up(src.rgb(), recipe.markup, size, box)
    elif src.size == size:
        out = src.rgb().copy()
    elif (src_alpha := src.alpha()) is not None:
        # Resize premultiplied (Pillow does for RGBA) so that colours hidden
        # under transparent pixels do not bleed into the kept area.
        rgba = src.rgb().copy()
        rgba.putalpha(src_alpha)
        out = rgba.resize(size, Image.Resampling.LANCZOS, box=box).convert("RGB")
    else:
        out = src.rgb().resize(size, Image.Resampling.LANCZOS, box=box)

    region = None
    if alpha is not None:
        if alpha.size != size:
            # The mask has the image's dimensions: fitted by the same box, nearest
            # neighbour keeping the region crisp.
            alpha = alpha.resize(size, Image.Resampling.NEAREST, box=_cover_box(alpha.size, size))
        region = alpha.point(_REGION_LUT)
    bbox = None if region is None else region.getbbox()
    if bbox is None or region is None:
        if recipe.is_seed():
            return out  # the seed's rule: nothing to edit, the input comes back
        # A GPT edit without a region edits the whole picture: the input fitted
        # to the output, with the label over it.
        if transparent:
            out.putalpha(255)
        _label_over(out, recipe, digest)
        return out
    # Generate the fill over the region's bounding box only and paste it
    # through the region, so no pixel outside the region changes.
    left, top, right, bottom = bbox
    region = region.crop(bbox)
    text_box = (0, 0, right - left, bottom - top)
    if ImageStat.Stat(region).mean[0] < 250:
        # Not a rectangle: keep the caption to the middle (an ellipse's
        # inscribed rectangle leaves about 15% each side).
        dx, dy = (right - left) * 15 // 100, (bottom - top) * 15 // 100
        text_box = (dx, dy, right - left - dx, bottom - top - dy)
    fill = _generated(
        recipe, digest, (right - left, bottom - top), size, "center", text_box, recipe.extra_images, transparent
    )
    if transparent:
        out.putalpha(255)
    out.paste(fill, (left, top), region)
    return out


def _label_over(img: Image.Image, recipe: Recipe, digest: str) -> None:
    """A caption panel at the bottom of a full-resolution picture, in place."""
    px = _label_px(img.size)
    layout = _layout(
        (0, 0, img.width, img.height),
        _clean_text(recipe.prompt or ""),
        _items(recipe, digest, img.size),
        px,
        1,
        "bottom",
        len(recipe.extra_images),
    )
    if layout is None:
        return
    panel, opacity, colours = _ON_BRIGHT
    x0, y0, x1, y1 = layout.panel
    shape = Image.new("L", (x1 - x0, y1 - y0), 0)
    radius = max(1, round(px * 0.5))
    ImageDraw.Draw(shape).rounded_rectangle((0, 0, shape.width - 1, shape.height - 1), radius, fill=max(opacity, 210))
    solid = img.mode == "RGB"
    img.paste(panel if solid else (*panel, 255), (x0, y0), shape)
    accent = _accent_colour(digest)
    img.paste(accent if solid else (*accent, 255), layout.accent)
    _draw_caption(img, layout, colours, recipe.extra_images)


def _accent_colour(digest: str) -> tuple[int, int, int]:
    return _hsv(_Rng(digest, "accent").random(), 0.7, 0.9)


# --------------------------------------------------------------------------- #
# Variations
# --------------------------------------------------------------------------- #


def _colour_matrix(
    degrees: float,
    saturation: float,
    contrast: float,
    tint: tuple[int, int, int],
    tint_amount: float,
    channel_mix: bool = True,
) -> tuple[float, ...]:
    """RGB->RGB 3x4 matrix: hue rotation, saturation, contrast, then a tint.

    Hue rotation and saturation use the luminance-preserving SVG feColorMatrix
    coefficients, so the picture keeps its light and shade.  With channel_mix
    False only the diagonal is kept (for per-channel tables).
    """
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    hue = (
        (0.213 + c * 0.787 - s * 0.213, 0.715 - c * 0.715 - s * 0.715, 0.072 - c * 0.072 + s * 0.928),
        (0.213 - c * 0.213 + s * 0.143, 0.715 + c * 0.285 + s * 0.140, 0.072 - c * 0.072 - s * 0.283),
        (0.213 - c * 0.213 - s * 0.787, 0.715 - c * 0.715 + s * 0.715, 0.072 + c * 0.928 + s * 0.072),
    )
    lum = (0.213, 0.715, 0.072)
    sat = [[lum[j] * (1 - saturation) + (saturation if i == j else 0.0) for j in range(3)] for i in range(3)]
    keep = (1 - tint_amount) * contrast
    matrix: list[float] = []
    for i in range(3):
        row = [sum(sat[i][m] * hue[m][j] for m in range(3)) * keep for j in range(3)]
        if not channel_mix:
            row = [value if j == i else 0.0 for j, value in enumerate(row)]
        offset = (1 - tint_amount) * 128 * (1 - contrast) + tint_amount * tint[i]
        matrix.extend((*row, offset))
    return tuple(matrix)


_RAMP: Final = Image.frombytes("RGB", (256, 1), bytes(v for v in range(256) for _ in range(3)))


def _posterise_table(bits: int, contrast: float, tint: tuple[int, int, int], tint_amount: float) -> list[int]:
    """A 3x256 point() table: contrast and tint, then posterisation to bits.

    Built by putting the identity ramp through the same Pillow operations,
    which is much cheaper than computing 768 entries in Python.
    """
    ramp = _RAMP.convert("RGB", _colour_matrix(0.0, 1.0, contrast, tint, tint_amount, channel_mix=False))
    ramp = ImageOps.posterize(ramp, bits)
    return [value for band in ramp.split() for value in band.tobytes()]


def _variation(recipe: Recipe, digest: str, request_digest: str, size: tuple[int, int]) -> Image.Image:
    assert recipe.image is not None
    src = _input(recipe.image, size)
    rgb, alpha = src.rgb(), src.alpha()
    if alpha is not None and alpha.getextrema() != (255, 255):
        # Show transparent areas as neutral grey, not whatever colour they hide.
        rgb = Image.new("RGB", src.size, (128, 128, 128))
        rgb.paste(src.rgb(), (0, 0), alpha)

    # Hue and mirroring are spread over the images of one answer: mirrored
    # every other index, and hue angles along the golden-ratio sequence, so no
    # two land close together.  Everything else comes from this image's digest.
    shared = _Rng(request_digest, "variation-spread")
    spread = (shared.random() + recipe.index * _GOLDEN) % 1.0
    degrees = -110 + 220 * spread
    if abs(degrees) < 18:
        degrees = math.copysign(18, degrees)
    mirror = (shared.randint(0, 1) + recipe.index) % 2 == 1
    rng = _Rng(digest, "variation")

    # Zoom slightly into a digest-chosen spot (and mirror) in one pass.  At the
    # same size the zoom is at most 16%, which nearest neighbour does almost
    # invisibly and 20x faster than bilinear.  This is the one full-size image
    # made; everything after works on it in place.
    zoom = rng.uniform(1.04, 1.16)
    cw, ch = rgb.width / zoom, rgb.height / zoom
    cx, cy = rng.uniform(0, rgb.width - cw), rng.uniform(0, rgb.height - ch)
    if rgb.size == size:
        sx, sy = cw / size[0], ch / size[1]
        coeffs = (-sx, 0.0, cx + cw, 0.0, sy, cy) if mirror else (sx, 0.0, cx, 0.0, sy, cy)
        img = rgb.transform(size, Image.Transform.AFFINE, coeffs, Image.Resampling.NEAREST)
    else:
        img = rgb.resize(size, Image.Resampling.BICUBIC, box=(cx, cy, cx + cw, cy + ch), reducing_gap=3.0)
        if mirror:
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)

    # One colour pass: usually a hue rotation with saturation, contrast and a
    # tint; sometimes a posterisation with a tint instead, as a per-channel table.
    tint = _hsv(rng.random(), rng.uniform(0.4, 0.9), rng.uniform(0.6, 1.0))
    tint_amount = rng.uniform(0.05, 0.2)
    contrast = rng.uniform(0.88, 1.12)
    if rng.random() < 0.25:
        table = _posterise_table(rng.randint(3, 4), contrast, tint, tint_amount)
        _in_bands(img, lambda band: band.point(table))
    else:
        matrix = _colour_matrix(degrees, rng.uniform(0.75, 1.35), contrast, tint, tint_amount)
        _in_bands(img, lambda band: band.convert("RGB", matrix))
    _draw_band(img, recipe, digest)
    return img


_BAND_BYTES: Final = 1 << 18


def _in_bands(img: Image.Image, op: Callable[[Image.Image], Image.Image]) -> None:
    """Replace img, in place, by op(img) for a pixel-wise op, a band of rows at
    a time.

    A second full-size image costs about as much as the pass itself: once both
    are freed, glibc hands the top of the heap back to the system, and the next
    render page-faults it in again (measured at 512x512: 2.1 ms for the whole
    variation with a second image, 1.3 ms without).  Bands of 256 KiB keep the
    peak to the one full-size image.
    """
    rows = max(1, _BAND_BYTES // (4 * img.width))
    for top in range(0, img.height, rows):
        box = (0, top, img.width, min(img.height, top + rows))
        img.paste(op(img.crop(box)), box)


def _draw_band(img: Image.Image, recipe: Recipe, digest: str) -> None:
    """A dark translucent band along the bottom with a one-line label."""
    face = _face(max(9, round(min(img.size) / 24)))
    pad = max(1, face.line_h // 5)
    band_h = face.line_h + 2 * pad
    if band_h > img.height // 2:
        return
    top = img.height - band_h
    img.paste((10, 10, 14), (0, top, img.width, img.height), Image.new("L", (img.width, band_h), 165))
    items = (f"variation {recipe.index + 1}/{recipe.n}", _size_text(img.size), _short_id(digest))
    text = _truncate(_clean_text(_separator().join(items)), face, img.width - 4 * pad)
    face.draw(img, (2 * pad, top + pad), text, (240, 240, 240))
