"""Deterministic image rendering for the offline fake of the OpenAI Images API.

Every image the mock server returns is produced here from a :class:`Recipe`,
the complete description of one output image (endpoint, model, prompt, size,
position in the answer and, for edits and variations, the input PNGs).
:func:`render` turns a recipe into PNG bytes:

* **generations** -- a background derived from the recipe digest (a two-colour
  gradient at a digest-chosen angle plus a few soft blurred shapes) with a
  legible label on a translucent panel: the word-wrapped prompt, then the size,
  ``i/n``, endpoint, model and a short id (first 8 hex digits of the digest).
* **edits** -- the input image, untouched wherever the mask's alpha is > 0, with
  a generated, labelled fill composited into the region where alpha == 0.
* **variations** -- the input image with per-index transforms (slight zoom into
  a chosen spot, mirror, hue rotation, saturation/contrast change, tint,
  sometimes posterisation) and a small label band at the bottom.

``render`` is pure: every pseudo-random choice comes from the recipe's digest
(``Recipe.digest()``, and for the choices spread over the n images of a
variation request, the digest of the same recipe at index 0), so the same
recipe gives byte-identical PNG output in any process and thread.

It is also cheap next to the PNG encode it ends with (see bench/bench_render.py).
There are no per-pixel Python loops.  The background is designed on a canvas of
at most 48 pixels, upscaled bicubically to a grid of blocks (a quarter of the
output side at 1024) and then by whole blocks, which does not show on a blurred
background; the caption panel is blended on that grid too.  Text is drawn at
full resolution from a cache of rendered glyphs (FreeType takes about 8 us per
glyph, pasting a cached one under 1 us).  Full-size intermediate images are kept
few, since each costs its page faults as well as its pass.  Decoded inputs are
kept in a small cache, as the n images of an edit or variation request share
their input.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import json
import math
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps, ImageStat, features

__all__ = ["PNG_SAVE_OPTIONS", "Recipe", "render"]

ENDPOINTS: Final = frozenset({"generations", "edits", "variations"})
MIN_SIDE: Final = 16
MAX_SIDE: Final = 2048

# PNG encoder settings for every image rendered here (the benchmark uses them
# for its bare encode too).  Pillow's PNG encoder spends much of its time picking
# a row filter per scanline, whatever the zlib settings; zlib's default strategy
# then adds 50-90% on our images at level 6, and 6-10x at level 9 for about 5%
# smaller files.  Z_RLE (compress_type=3) only looks for matches at distance 1,
# which is what PNG-filtered smooth images are made of -- zlib documents it as
# "almost as fast as Huffman-only, but better compression for PNG image data".
# Measured on our outputs it encodes as fast as level 1, with files up to 25%
# smaller than level 1 at 512 and 1024 and 10-20% bigger than level 6: the right
# trade for a mock server that must answer quickly.  The level does not matter
# with Z_RLE; 6 is spelled out only to make the settings explicit.
PNG_SAVE_OPTIONS: Final[dict[str, int]] = {"compress_level": 6, "compress_type": 3}

_DIGEST_TAG: Final = "mockserver.render.Recipe/v1"
_GOLDEN: Final = 0.6180339887498949


@dataclass(frozen=True)
class Recipe:
    """Everything that determines one output image."""

    endpoint: str  # "generations" | "edits" | "variations"
    model: str  # e.g. "dall-e-2"
    prompt: str | None  # None for variations
    width: int
    height: int
    index: int  # 0-based position of this image in the answer
    n: int  # how many images the request asked for
    image: bytes | None = None  # input PNG bytes (edits, variations); a decodable PNG
    mask: bytes | None = None  # mask PNG bytes (edits only); same dimensions as image

    def digest(self) -> str:
        """Return a sha256 hex digest over every field, stable across processes.

        ``image`` and ``mask`` enter through their own sha256.  The fields are
        serialised, after a format tag, as a JSON array (ASCII-only, so any
        prompt encodes, even one with lone surrogates).
        """
        return _digest(self, self.index, _sha256(self.image), _sha256(self.mask))


def _sha256(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _digest(recipe: Recipe, index: int, image_sha: str | None, mask_sha: str | None) -> str:
    fields = [
        _DIGEST_TAG,
        recipe.endpoint,
        recipe.model,
        recipe.prompt,
        recipe.width,
        recipe.height,
        index,
        recipe.n,
        image_sha,
        mask_sha,
    ]
    blob = json.dumps(fields, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("ascii")).hexdigest()


def render(recipe: Recipe) -> bytes:
    """Return the PNG bytes of the image for recipe. Pure and deterministic.

    The output is an RGB PNG of exactly ``width`` x ``height``.  Raises
    ValueError for an unknown endpoint, a side outside 16..2048, an index outside
    0..n-1, or a missing input image for edits and variations.
    """
    _validate(recipe)
    image_sha, mask_sha = _sha256(recipe.image), _sha256(recipe.mask)
    digest = _digest(recipe, recipe.index, image_sha, mask_sha)  # == recipe.digest()
    size = (recipe.width, recipe.height)
    if recipe.endpoint == "generations":
        out = _generated(recipe, digest, size, size, "bottom")
    elif recipe.endpoint == "edits":
        out = _edit(recipe, digest, size)
    else:
        # The digest of the same request at index 0 seeds the choices that are
        # spread over the indices, so that the n images differ from each other.
        out = _variation(recipe, digest, _digest(recipe, 0, image_sha, mask_sha), size)
    return _encode(out)


# --------------------------------------------------------------------------- #
# Shared helpers
# --------------------------------------------------------------------------- #


def _validate(recipe: Recipe) -> None:
    if recipe.endpoint not in ENDPOINTS:
        raise ValueError(f"unknown endpoint {recipe.endpoint!r}")
    for name, side in (("width", recipe.width), ("height", recipe.height)):
        if not MIN_SIDE <= side <= MAX_SIDE:
            raise ValueError(f"{name} {side} outside {MIN_SIDE}..{MAX_SIDE}")
    if not 0 <= recipe.index < recipe.n:
        raise ValueError(f"index {recipe.index} outside 0..{recipe.n - 1}")
    if recipe.endpoint != "generations" and recipe.image is None:
        raise ValueError(f"{recipe.endpoint} needs an input image")


def _encode(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **PNG_SAVE_OPTIONS)
    return buf.getvalue()


class _Rng:
    """Tiny deterministic generator: SHAKE-256 of a seed string, read 32 bits
    at a time (one hash call yields the first 64 numbers)."""

    _CHUNK: Final = 256

    def __init__(self, digest: str, purpose: str) -> None:
        self._hash = hashlib.shake_256(f"{digest}/{purpose}".encode("ascii"))
        self._stream = b""
        self._pos = 0

    def _u32(self) -> int:
        if self._pos + 4 > len(self._stream):  # SHAKE output extends, prefix unchanged
            self._stream = self._hash.digest(len(self._stream) + self._CHUNK)
        value = int.from_bytes(self._stream[self._pos : self._pos + 4], "big")
        self._pos += 4
        return value

    def random(self) -> float:
        """Uniform float in [0, 1)."""
        return self._u32() / 4294967296.0

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.random()

    def randint(self, low: int, high: int) -> int:
        """Uniform int in [low, high] (inclusive)."""
        return low + self._u32() % (high - low + 1)


def _hsv(h: float, s: float, v: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return (round(r * 255), round(g * 255), round(b * 255))


def _short_id(digest: str) -> str:
    return digest[:8]


def _size_text(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


# --------------------------------------------------------------------------- #
# Text
# --------------------------------------------------------------------------- #

_FREETYPE: bool = bool(features.check("freetype2"))

# Glyphs of the built-in Aileron font (checked against its .notdef glyph);
# anything else is transliterated or drawn as "?".
_ASCII: Final = frozenset(chr(c) for c in range(0x20, 0x7F))
_FREETYPE_EXTRA: Final = frozenset("©«°±·»‘’“”…‹›™")
_TRANSLITERATE: Final = {"–": "-", "—": "-", "−": "-", "×": "x", "•": "·", "„": "“", "‚": "‘"}


_ALLOWED_FREETYPE: Final = _ASCII | _FREETYPE_EXTRA


def _clean_text(text: str) -> str:
    """Whitespace-normalised text restricted to characters the font can draw."""
    if text.isascii() and text.isprintable() and "  " not in text and text.strip() == text:
        return text  # the common case, quickly
    allowed = _ALLOWED_FREETYPE if _FREETYPE else _ASCII
    out: list[str] = []
    for ch in unicodedata.normalize("NFKD", " ".join(text.split())):
        ch = _TRANSLITERATE.get(ch, ch)
        if ch in allowed:
            out.append(ch)
        elif not unicodedata.combining(ch):
            out.append("?")
    return "".join(out)


def _ellipsis() -> str:
    return "…" if _FREETYPE else "..."


def _separator() -> str:
    return "  ·  " if _FREETYPE else "  |  "


class _Face(Protocol):
    """A font at one pixel size that can measure and draw a line of text."""

    line_h: int

    def width(self, text: str) -> float: ...

    def draw(
        self, img: Image.Image, xy: tuple[int, int], text: str, colour: tuple[int, int, int]
    ) -> None: ...


@dataclass(frozen=True)
class _Glyph:
    mask: Image.Image | None  # "L" coverage of the ink box; None for blanks
    dx: int  # ink box offset from the pen position (top of the line)
    dy: int
    advance: float
    core: Any = None  # mask.im, looked up once


_tls = threading.local()


def _thread_font(px: int) -> ImageFont.FreeTypeFont:
    """The built-in font at px, one object per thread (an FT_Face must not be
    used by two threads at once)."""
    fonts: dict[int, ImageFont.FreeTypeFont] | None = getattr(_tls, "fonts", None)
    if fonts is None:
        fonts = {}
        _tls.fonts = fonts
    font = fonts.get(px)
    if font is None:
        loaded = ImageFont.load_default(size=px)
        assert isinstance(loaded, ImageFont.FreeTypeFont)
        font = loaded
        if font.layout_engine != ImageFont.Layout.BASIC:  # same layout whether or not raqm is installed
            font = font.font_variant(layout_engine=ImageFont.Layout.BASIC)
        fonts[px] = font
    return font


class _GlyphFace:
    """FreeType text drawn glyph by glyph from a cache of rendered glyphs.

    Glyphs are placed at rounded pen positions with their own advances (no
    kerning), so the result depends only on the text and the size.  The glyph
    images are never modified once made, so threads can share them.
    """

    def __init__(self, px: int) -> None:
        self.px = px
        ascent, descent = _thread_font(px).getmetrics()
        self.line_h = ascent + descent + max(1, px // 8)
        self._glyphs: dict[str, _Glyph] = {}

    def _glyph(self, ch: str) -> _Glyph:
        glyph = self._glyphs.get(ch)
        if glyph is None:
            font = _thread_font(self.px)
            x0, y0, x1, y1 = (int(v) for v in font.getbbox(ch))
            mask = None
            if x1 > x0 and y1 > y0:
                mask = Image.new("L", (x1 - x0, y1 - y0), 0)
                ImageDraw.Draw(mask).text((-x0, -y0), ch, fill=255, font=font)
            glyph = _Glyph(mask, x0, y0, float(font.getlength(ch)), None if mask is None else mask.im)
            self._glyphs[ch] = glyph  # a racing thread stores an identical glyph
        return glyph

    def width(self, text: str) -> float:
        return sum(self._glyph(ch).advance for ch in text)

    def draw(self, img: Image.Image, xy: tuple[int, int], text: str, colour: tuple[int, int, int]) -> None:
        draw = ImageDraw.Draw(img)
        # ImageDraw.bitmap(xy, mask, fill) is draw.draw.draw_bitmap(xy, mask.im,
        # ink) plus about 0.7 us of checks per call, half the cost of a glyph;
        # call the primitive directly when it is there (same pixels either way).
        core: Any = getattr(draw, "draw", None)
        fast = hasattr(core, "draw_ink") and hasattr(core, "draw_bitmap")
        ink = core.draw_ink(colour) if fast else None
        pen, y = float(xy[0]), xy[1]
        for ch in text:
            glyph = self._glyph(ch)
            if glyph.mask is not None:
                at = (round(pen) + glyph.dx, y + glyph.dy)
                if fast:
                    core.draw_bitmap(at, glyph.core, ink)
                else:
                    draw.bitmap(at, glyph.mask, fill=colour)
            pen += glyph.advance


class _BitmapFace:
    """Fallback without FreeType: Pillow's fixed bitmap font, drawn at its
    native size and enlarged by a whole factor (nearest neighbour)."""

    def __init__(self, px: int) -> None:
        self._font = ImageFont.load_default_imagefont()
        self._native_h = int(self._font.getbbox("Ag|")[3]) + 2
        self._scale = max(1, round(px / self._native_h))
        self.line_h = self._native_h * self._scale

    def width(self, text: str) -> float:
        return float(self._font.getlength(text)) * self._scale

    def draw(self, img: Image.Image, xy: tuple[int, int], text: str, colour: tuple[int, int, int]) -> None:
        if not text:
            return
        native = Image.new("L", (max(1, math.ceil(self._font.getlength(text))), self._native_h), 0)
        ImageDraw.Draw(native).text((0, 0), text, fill=255, font=self._font)
        s = self._scale
        img.paste(colour, xy, native.resize((native.width * s, native.height * s), Image.Resampling.NEAREST))


_FACES: dict[tuple[bool, int], _Face] = {}
_FACES_LOCK = threading.Lock()
_FACES_MAX: Final = 64  # the sizes in use need a handful; this bounds the memory


def _face(px: int) -> _Face:
    key = (_FREETYPE, px)
    face = _FACES.get(key)
    if face is None:
        with _FACES_LOCK:
            face = _FACES.get(key)
            if face is None:
                if len(_FACES) >= _FACES_MAX:
                    _FACES.clear()
                face = _GlyphFace(px) if _FREETYPE else _BitmapFace(px)
                _FACES[key] = face
    return face


def _fit_prefix(text: str, face: _Face, max_w: float, suffix: str = "") -> int:
    """Length of the longest prefix p of text with width(p + suffix) <= max_w."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if face.width(text[:mid] + suffix) <= max_w:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _truncate(text: str, face: _Face, max_w: float) -> str:
    """text, or its longest prefix that fits in max_w followed by an ellipsis."""
    if face.width(text) <= max_w:
        return text
    keep = _fit_prefix(text, face, max_w, _ellipsis())
    return text[:keep].rstrip() + _ellipsis() if keep else ""


def _wrap(text: str, face: _Face, max_w: float, max_lines: int) -> list[str]:
    """Greedy word wrap into at most max_lines lines, ending in an ellipsis
    when the text does not fit.  Words wider than a line are broken."""
    if max_lines <= 0 or not text:
        return []
    space = face.width(" ")
    lines: list[str] = []
    current, current_w = "", 0.0
    for word in text.split(" "):
        word_w = face.width(word)
        if current and current_w + space + word_w <= max_w:
            current, current_w = f"{current} {word}", current_w + space + word_w
            continue
        if current:
            lines.append(current)
        current, current_w = word, word_w
        while current and current_w > max_w:  # break a word wider than a line
            keep = max(1, _fit_prefix(current, face, max_w))
            lines.append(current[:keep])
            current = current[keep:]
            current_w = face.width(current)
        if len(lines) > max_lines:  # certainly cut short: stop measuring
            break
    else:
        if current:
            lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        keep = _fit_prefix(last, face, max_w, _ellipsis())
        space_at = last.rfind(" ", 0, keep + 1)
        if space_at > keep * 2 // 3:  # end on a whole word when that costs little
            keep = space_at
        lines[-1] = last[:keep].rstrip() + _ellipsis()
    return lines


def _pack(items: Sequence[str], face: _Face, max_w: float) -> list[str]:
    """Join items with a separator into as few lines as fit in max_w."""
    sep = _separator()
    lines: list[str] = []
    for item in items:
        if lines and face.width(lines[-1] + sep + item) <= max_w:
            lines[-1] += sep + item
        else:
            fitted = _truncate(item, face, max_w)
            if fitted:
                lines.append(fitted)
    return lines


# --------------------------------------------------------------------------- #
# Caption panel
# --------------------------------------------------------------------------- #


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


def _snap(v: float, block: int, up: bool) -> int:
    return (math.ceil(v / block) if up else math.floor(v / block)) * block


def _layout(
    box: tuple[int, int, int, int],
    body: str,
    meta: Sequence[str],
    px: int,
    block: int,
    anchor: Literal["bottom", "center"],
) -> _Layout | None:
    """Place a caption (wrapped body, then packed meta items) inside box.

    Lines that do not fit are dropped -- meta lines beyond the first before the
    first body line, then body lines (the last kept one gets an ellipsis).
    Returns None if not even one meta line fits.
    """
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


# --------------------------------------------------------------------------- #
# Generated images (generations, and the fill of edits)
# --------------------------------------------------------------------------- #

_SMALL_SIDE: Final = 48  # long side of the canvas the background is designed on
# A 256x256 black-to-white gradient, shrunk: rotated by any angle, its central
# 96x96 square (side / sqrt 2) stays covered.
_GRADIENT: Final = Image.linear_gradient("L").resize((136, 136), Image.Resampling.BILINEAR)
_GRADIENTS: dict[tuple[int, tuple[int, int]], Image.Image] = {}  # never modified once stored


def _gradient(degrees: int, size: tuple[int, int]) -> Image.Image:
    """The gradient turned by degrees and fitted to size (cached: rotating
    costs more than the rest of the design together)."""
    key = (degrees, size)
    grad = _GRADIENTS.get(key)
    if grad is None:
        grad = _GRADIENT.rotate(degrees, resample=Image.Resampling.BILINEAR)
        grad = grad.crop((20, 20, 116, 116)).resize(size, Image.Resampling.BILINEAR)
        if len(_GRADIENTS) >= 4096:
            _GRADIENTS.clear()
        _GRADIENTS[key] = grad  # a racing thread stores an identical image
    return grad


def _block(size: tuple[int, int]) -> int:
    """Side of the pixel blocks the background is built from (1..4)."""
    return max(1, min(4, max(size) // 128))


@dataclass(frozen=True)
class _Palette:
    light: tuple[int, int, int]
    dark: tuple[int, int, int]
    mid: tuple[int, int, int]


def _design(rng: _Rng, small: tuple[int, int]) -> tuple[Image.Image, _Palette]:
    """The background at thumbnail size: gradient at an angle plus soft shapes."""
    sw, sh = small
    hue = rng.random()
    palette = _Palette(
        light=_hsv(hue, rng.uniform(0.35, 0.7), rng.uniform(0.82, 0.98)),
        dark=_hsv(hue + rng.uniform(0.3, 0.7), rng.uniform(0.5, 0.85), rng.uniform(0.18, 0.5)),
        mid=_hsv(hue + rng.uniform(0.08, 0.25), rng.uniform(0.55, 0.9), rng.uniform(0.6, 0.9)),
    )
    grad = _gradient(rng.randint(0, 359), small)
    ends = (palette.light, palette.dark) if rng.random() < 0.5 else (palette.dark, palette.light)
    img = Image.composite(Image.new("RGB", small, ends[0]), Image.new("RGB", small, ends[1]), grad)

    draw = ImageDraw.Draw(img, "RGBA")
    short = min(sw, sh)
    for _ in range(rng.randint(3, 6)):
        cx, cy = rng.uniform(0, sw), rng.uniform(0, sh)
        rx = short * rng.uniform(0.1, 0.38)
        ry = rx * rng.uniform(0.6, 1.5)
        colour = _hsv(hue + rng.uniform(-0.2, 0.55), rng.uniform(0.3, 0.95), rng.uniform(0.3, 1.0))
        fill = (*colour, rng.randint(100, 200))
        if rng.random() < 0.7:
            draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=fill)
        else:
            turn = rng.uniform(0, math.tau)
            draw.polygon(
                [
                    (cx + rx * math.cos(turn + k * math.tau / 3), cy + ry * math.sin(turn + k * math.tau / 3))
                    for k in range(3)
                ],
                fill=fill,
            )
    return img.filter(ImageFilter.GaussianBlur(max(0.8, short * 0.03))), palette


def _label_px(size: tuple[int, int]) -> int:
    """Body font size: about 1/18 of the short side, never below 10 px."""
    return max(10, round(min(size) / 18))


def _generated(
    recipe: Recipe,
    digest: str,
    size: tuple[int, int],
    full_size: tuple[int, int],
    anchor: Literal["bottom", "center"],
    text_box: tuple[int, int, int, int] | None = None,
) -> Image.Image:
    """A generations-style labelled image of size.

    full_size is the size of the whole output (it sets the font size and is
    the size the label states); text_box, if given, is where the caption goes.
    """
    w, h = size
    block = _block(size)
    grid = (math.ceil(w / block), math.ceil(h / block))
    k = _SMALL_SIDE / max(w, h)
    small = (max(2, round(w * k)), max(2, round(h * k)))
    design, palette = _design(_Rng(digest, "background"), small)
    coarse = design.resize(grid, Image.Resampling.BICUBIC)  # bilinear shows its kinks as a grid

    items = (
        _size_text(full_size),
        f"{recipe.index + 1}/{recipe.n}",
        recipe.endpoint,
        recipe.model,
        _short_id(digest),
    )
    text_box = text_box or (0, 0, w, h)
    px = min(
        _label_px(full_size), max(9, round(min(text_box[2] - text_box[0], text_box[3] - text_box[1]) / 9))
    )
    layout = _layout(
        text_box,
        _clean_text(recipe.prompt or ""),
        [_clean_text(item) for item in items],
        px,
        block,
        anchor,
    )
    colours: tuple[tuple[int, int, int], tuple[int, int, int]] = ((0, 0, 0), (0, 0, 0))
    if layout is not None:
        # Dark panel and white text on a bright background, and vice versa.
        x0, y0, x1, y1 = layout.panel
        under = design.crop(
            (int(x0 * k), int(y0 * k), max(int(x0 * k) + 1, int(x1 * k)), max(int(y0 * k) + 1, int(y1 * k)))
        ).convert("L")
        if ImageStat.Stat(under).mean[0] >= 120:
            panel, opacity, colours = (16, 18, 24), 168, ((255, 255, 255), (214, 218, 226))
        else:
            panel, opacity, colours = (250, 250, 246), 190, ((12, 12, 16), (52, 56, 64))
        cx0, cy0, cx1, cy1 = (v // block for v in layout.panel)
        shape = Image.new("L", (cx1 - cx0, cy1 - cy0), 0)
        radius = max(1, round(px * 0.5 / block))
        ImageDraw.Draw(shape).rounded_rectangle(
            (0, 0, shape.width - 1, shape.height - 1), radius, fill=opacity
        )
        coarse.paste(panel, (cx0, cy0), shape)
        ax0, ay0, ax1, ay1 = (v // block for v in layout.accent)
        coarse.paste(palette.mid, (ax0, ay0, ax1, ay1))

    img = coarse
    if block > 1:
        img = coarse.resize((grid[0] * block, grid[1] * block), Image.Resampling.NEAREST)
        if img.size != size:
            img = img.crop((0, 0, w, h))
    if layout is not None:
        for line in layout.lines:
            line.face.draw(img, line.xy, line.text, colours[1] if line.meta else colours[0])
    return img


# --------------------------------------------------------------------------- #
# Decoded inputs
# --------------------------------------------------------------------------- #


class _Input:
    """An input PNG, decoded, with its colour and alpha worked out on first use.

    Shared between threads through the cache: the images handed out are never
    modified by anyone.
    """

    def __init__(self, data: bytes) -> None:
        img = Image.open(io.BytesIO(data))
        img.load()
        self._img = img
        self._lock = threading.Lock()  # one conversion of the decoded file at a time
        self._rgb: Image.Image | None = None
        self._alpha: tuple[Image.Image | None] | None = None

    @property
    def size(self) -> tuple[int, int]:
        return self._img.size

    def rgb(self) -> Image.Image:
        """The colour, any alpha dropped (not composited).  Do not modify."""
        with self._lock:
            if self._rgb is None:
                self._rgb = _rgb(self._img)
            return self._rgb

    def alpha(self) -> Image.Image | None:
        """The "L" alpha band, or None when the PNG has none.  Do not modify."""
        with self._lock:
            if self._alpha is None:
                self._alpha = (_alpha(self._img),)
            return self._alpha[0]


_INPUTS: OrderedDict[bytes, _Input] = OrderedDict()
_INPUTS_LOCK = threading.Lock()
_INPUTS_MAX: Final = 4


def _input(data: bytes) -> _Input:
    """The decoded input PNG, from a small cache: the n images of one request
    share their input, and decoding costs about half a PNG encode."""
    with _INPUTS_LOCK:
        hit = _INPUTS.get(data)
        if hit is not None:
            _INPUTS.move_to_end(data)
            return hit
    decoded = _Input(data)
    with _INPUTS_LOCK:
        _INPUTS[data] = decoded
        while len(_INPUTS) > _INPUTS_MAX:
            _INPUTS.popitem(last=False)
    return decoded


def _alpha(img: Image.Image) -> Image.Image | None:
    """The alpha band of img, or None when it has none (treated as opaque).

    RGBA/LA/PA use their A band; P uses its transparency (tRNS) if any; every
    other mode, L included, is fully opaque.
    """
    if img.mode in ("RGBA", "LA"):
        return img.getchannel("A")
    if img.mode == "PA" or (img.mode == "P" and "transparency" in img.info):
        return img.convert("RGBA").getchannel("A")
    return None


def _rgb(img: Image.Image) -> Image.Image:
    """img as RGB, dropping (not compositing) any alpha."""
    if img.mode == "RGB":
        return img
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):  # 16-bit grey
        img = img.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    elif img.mode in ("P", "PA"):
        img = img.convert("RGBA")
    return img.convert("RGB")


# --------------------------------------------------------------------------- #
# Edits
# --------------------------------------------------------------------------- #

_REGION_LUT: Final = [255] + [0] * 255  # alpha == 0 -> 255 (to edit), else 0


def _edit(recipe: Recipe, digest: str, size: tuple[int, int]) -> Image.Image:
    assert recipe.image is not None
    src = _input(recipe.image)
    alpha = _input(recipe.mask).alpha() if recipe.mask is not None else src.alpha()

    if src.size == size:
        out = src.rgb().copy()
    elif (src_alpha := src.alpha()) is not None:
        # Resize premultiplied (Pillow does for RGBA) so that colours hidden
        # under transparent pixels do not bleed into the kept area.
        rgba = src.rgb().copy()
        rgba.putalpha(src_alpha)
        out = rgba.resize(size, Image.Resampling.LANCZOS).convert("RGB")
    else:
        out = src.rgb().resize(size, Image.Resampling.LANCZOS)

    if alpha is None:
        return out
    if alpha.size != size:
        alpha = alpha.resize(size, Image.Resampling.NEAREST)  # keeps the region crisp
    region = alpha.point(_REGION_LUT)
    bbox = region.getbbox()
    if bbox is None:
        return out
    # Generate the fill over the region's bounding box only and paste it
    # through the region, so no pixel outside the region changes.
    left, top, right, bottom = bbox
    region = region.crop(bbox)
    box = (0, 0, right - left, bottom - top)
    if ImageStat.Stat(region).mean[0] < 250:
        # Not a rectangle: keep the caption to the middle (an ellipse's
        # inscribed rectangle leaves about 15% each side).
        dx, dy = (right - left) * 15 // 100, (bottom - top) * 15 // 100
        box = (dx, dy, right - left - dx, bottom - top - dy)
    fill = _generated(recipe, digest, (right - left, bottom - top), size, "center", box)
    out.paste(fill, (left, top), region)
    return out


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
    src = _input(recipe.image)
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
