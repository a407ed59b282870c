"""Decoded input images (png, jpeg or webp), cached, and fitted to an output size.

The n images of one request share their inputs, and decoding costs about half a
PNG encode, so the last few decoded inputs are kept.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from typing import Final

from PIL import Image


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




def _cover_box(src: tuple[int, int], size: tuple[int, int]) -> tuple[float, float, float, float] | None:
    """The centred box of src with the aspect of size (what "cover" keeps), or
    None when src already has that aspect (within a pixel)."""
    sw, sh = src
    w, h = size
    if abs(sw * h - sh * w) < max(w, h):  # rounding, not another aspect
        return None
    if sw * h > sh * w:  # wider than the output: crop the sides
        cw = sh * w / h
        return ((sw - cw) / 2, 0.0, (sw + cw) / 2, float(sh))
    ch = sw * h / w
    return (0.0, (sh - ch) / 2, float(sw), (sh + ch) / 2)


def _fit(img: Image.Image, size: tuple[int, int], resample: Image.Resampling) -> Image.Image:
    """img scaled to cover size and centred (the overflow cropped evenly), or
    plainly resized when it has the output's aspect (the seed's rule)."""
    if img.size == size:
        return img
    return img.resize(size, resample, box=_cover_box(img.size, size))


_THUMBS: OrderedDict[tuple[bytes, int], Image.Image] = OrderedDict()
_THUMBS_MAX: Final = 64


def _thumbnail(data: bytes, side: int) -> Image.Image:
    """The input image as an RGB side x side square (cover fit), cached by the
    input's sha256 (an input may be 50 MB; its thumbnail is a few KB)."""
    key = (hashlib.sha256(data).digest(), side)
    with _INPUTS_LOCK:
        hit = _THUMBS.get(key)
        if hit is not None:
            return hit
    img = Image.open(io.BytesIO(data))
    img.draft("RGB", (side, side))  # JPEG decodes at a fraction of its size
    rgb = _rgb(img)
    box = _cover_box(rgb.size, (side, side))
    thumb = rgb.resize((side, side), Image.Resampling.BILINEAR, box=box, reducing_gap=2.0)
    with _INPUTS_LOCK:
        _THUMBS[key] = thumb
        while len(_THUMBS) > _THUMBS_MAX:
            _THUMBS.popitem(last=False)
    return thumb
