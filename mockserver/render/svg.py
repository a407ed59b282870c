"""The SVG writer: a well-formed SVG document of the asked size.

* **generations** -- the same design as the raster picture, as vectors: the
  gradient as a ``linearGradient`` over the whole canvas (left out for a
  transparent background), the soft shapes as ellipses and triangles under a
  Gaussian blur, the caption panel as a rounded ``rect`` and the label as real
  ``<text>`` at the raster layout's positions and widths (a sans-serif at 88%
  of the raster's size, ``textLength`` the raster line's width).
  Input thumbnails, if any, are small embedded PNGs.
* **edits and variations** -- their picture (input-derived, label drawn in) as
  an embedded PNG, with the label as real text in ``<title>`` and ``<desc>``.

The root carries ``width``, ``height`` and ``viewBox="0 0 W H"``.  A partial
image wraps the whole drawing in a blur filter.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable
from xml.sax.saxutils import escape, quoteattr

from PIL import Image

from mockserver.render.design import (
    _SMALL_SIDE,
    _block,
    _items,
    _label_px,
    _layout,
    _paint,
    _plan,
    _style,
)
from mockserver.render.encode import PNG_SAVE_OPTIONS
from mockserver.render.inputs import _thumbnail
from mockserver.render.recipe import Recipe, _Rng
from mockserver.render.text import _ascent, _clean_text

_FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _png_uri(img: Image.Image) -> str:
    buf = io.BytesIO()
    img.save(buf, "PNG", **PNG_SAVE_OPTIONS)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


def render_svg(
    recipe: Recipe, digest: str, picture: Callable[[Recipe], Image.Image], blur: float = 0.0
) -> bytes:
    """The SVG of a valid recipe; picture(recipe) gives the raster of edits and variations."""
    w, h = recipe.width, recipe.height
    body = _clean_text(recipe.prompt or "")
    meta = _items(recipe, digest, (w, h))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">',
        f"<title>{escape(body or meta[0])}</title>",
        f"<desc>{escape(' | '.join(meta))}</desc>",
    ]
    if blur:
        out.append(
            '<defs><filter id="partial" x="0" y="0" width="100%" height="100%">'
            f'<feGaussianBlur stdDeviation="{_num(blur)}"/></filter></defs><g filter="url(#partial)">'
        )
    if recipe.endpoint == "generations":
        out.extend(_generated_svg(recipe, digest, body, meta))
    else:
        out.append(f'<image x="0" y="0" width="{w}" height="{h}" href="{_png_uri(picture(recipe))}"/>')
    if blur:
        out.append("</g>")
    out.append("</svg>")
    return ("\n".join(out) + "\n").encode("utf-8")


def _generated_svg(recipe: Recipe, digest: str, body: str, meta: list[str]) -> list[str]:
    w, h = recipe.width, recipe.height
    transparent = recipe.background == "transparent"
    k = _SMALL_SIDE / max(w, h)
    small = (max(2, round(w * k)), max(2, round(h * k)))
    plan = _plan(_Rng(digest, "background"), small)
    sx, sy = w / small[0], h / small[1]
    out = ["<defs>"]
    # The raster's gradient: 0 at the top, 255 at the bottom of a square turned
    # by `degrees` counter-clockwise, its central 96/136 kept, stretched to the
    # canvas -- in bounding-box units, the same stretch.
    turn = math.radians(plan.degrees)
    dx, dy = math.sin(turn), math.cos(turn)
    reach = 0.5 * 136 / 96
    out.append(
        f'<linearGradient id="bg" x1="{_num(0.5 - dx * reach)}" y1="{_num(0.5 - dy * reach)}"'
        f' x2="{_num(0.5 + dx * reach)}" y2="{_num(0.5 + dy * reach)}">'
        f'<stop offset="0" stop-color="{_hex(plan.ends[1])}"/><stop offset="1" stop-color="{_hex(plan.ends[0])}"/>'
        "</linearGradient>"
    )
    out.append(
        f'<filter id="soft" x="-50%" y="-50%" width="200%" height="200%">'
        f'<feGaussianBlur stdDeviation="{_num(plan.blur)}"/></filter>'
    )
    out.append("</defs>")
    if not transparent:
        out.append(f'<rect width="{w}" height="{h}" fill="url(#bg)"/>')
    out.append(f'<g transform="scale({_num(sx)} {_num(sy)})" filter="url(#soft)">')
    for shape in plan.shapes:
        see_through = "" if transparent else f' fill-opacity="{_num(shape.alpha / 255)}"'
        fill = f'fill="{_hex(shape.colour)}"{see_through}'
        if shape.turn is None:
            centre = f'cx="{_num(shape.cx)}" cy="{_num(shape.cy)}"'
            out.append(f'<ellipse {centre} rx="{_num(shape.rx)}" ry="{_num(shape.ry)}" {fill}/>')
        else:
            points = " ".join(f"{_num(x)},{_num(y)}" for x, y in shape.corners())
            out.append(f'<polygon points="{points}" {fill}/>')
    out.append("</g>")

    px = _label_px((w, h))
    px = min(px, max(9, round(min(w, h) / 9)))
    layout = _layout((0, 0, w, h), body, meta, px, _block((w, h)), "bottom", len(recipe.extra_images))
    if layout is None:
        return out
    panel, opacity, colours = _style(_paint(plan), layout.panel, k, transparent)
    x0, y0, x1, y1 = layout.panel
    out.append(
        f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" rx="{_num(px * 0.5)}"'
        f' fill="{_hex(panel)}" fill-opacity="{_num(opacity / 255)}"/>'
    )
    ax0, ay0, ax1, ay1 = layout.accent
    out.append(f'<rect x="{ax0}" y="{ay0}" width="{ax1 - ax0}" height="{ay1 - ay0}" fill="{_hex(plan.palette.mid)}"/>')
    for line in layout.lines:
        colour = colours[1] if line.meta else colours[0]
        x, y = line.xy
        # The viewer's sans-serif may be wider than the raster's font (DejaVu Sans
        # is about 12% wider): a slightly smaller size keeps the line in the panel,
        # and textLength (where honoured) spaces it to the raster's width.
        out.append(
            f'<text x="{x}" y="{y + _ascent(line.face.px)}" font-family={quoteattr(_FONT)}'
            f' font-size="{_num(line.face.px * 0.88)}" textLength="{_num(line.face.width(line.text))}"'
            f' lengthAdjust="spacing" fill="{_hex(colour)}" xml:space="preserve">{escape(line.text)}</text>'
        )
    for (x, y, side), data in zip(layout.slots, recipe.extra_images, strict=False):
        href = _png_uri(_thumbnail(data, side))
        out.append(f'<image x="{x}" y="{y}" width="{side}" height="{side}" href="{href}"/>')
    return out
