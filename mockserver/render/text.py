"""Label text: the built-in font drawn glyph by glyph from a cache, and word wrapping.

FreeType text is drawn from a cache of rendered glyphs (FreeType takes about 8 us
per glyph, pasting a cached one under 1 us); without FreeType, Pillow's bitmap font
is enlarged by a whole factor.  Glyphs go at rounded pen positions with their own
advances (no kerning), so the result depends only on the text and the size.
"""

from __future__ import annotations

import math
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from PIL import Image, ImageDraw, ImageFont, features

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
    px: int

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
            _count_glyph(0 if mask is None else mask.width * mask.height + 64)
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
        self.px = px
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
# The glyphs of every face, together, in bytes: a prompt of thousands of distinct characters (any
# script) would otherwise keep them all, at every size. Past the bound every face starts afresh.
_GLYPHS_MAX_BYTES: Final = 32 << 20
_glyph_bytes = 0


def _count_glyph(size: int) -> None:
    """Count a new glyph's bytes; past the bound, forget every face (and so their glyphs)."""
    global _glyph_bytes
    _glyph_bytes += size
    if _glyph_bytes > _GLYPHS_MAX_BYTES:
        empty_faces()


def empty_faces() -> None:
    """Forget every face and its glyphs (made again on use)."""
    global _glyph_bytes
    with _FACES_LOCK:
        _FACES.clear()
        _glyph_bytes = 0


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
    """Length of the longest prefix p of text with width(p + suffix) <= max_w.

    Galloping, then bisecting: the cost follows the prefix's length, not the text's, so
    a 32,000-character word costs a line's worth of measuring per line, not the word's."""
    n, hi = len(text), 1
    while hi < n and face.width(text[:hi] + suffix) <= max_w:
        hi *= 2
    if hi >= n:
        if face.width(text + suffix) <= max_w:
            return n
        hi = n
    lo, hi = hi // 2, hi - 1  # text[:lo] fits (or lo is 0); text[:hi + 1] does not
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
            if len(lines) > max_lines:  # certainly cut short: the rest is never measured
                break
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




def _ascent(px: int) -> int:
    """Distance from the top of a line to its baseline, for a face of px."""
    if _FREETYPE:
        return int(_thread_font(px).getmetrics()[0])
    return round(px * 0.8)
