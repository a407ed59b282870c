"""Decoded input images (png, jpeg or webp), cached, and fitted to an output size.

The n images of one request share their inputs, and decoding costs about half a
PNG encode, so decoded inputs are kept -- in caches bounded in bytes, emptied by
:func:`empty_caches` (``POST /_mock/reset``). An input is decoded at the size the
answer needs: an image more than twice the output's size each way is reduced by a
whole factor to at least twice it (a JPEG decoded at that scale by its decoder's
draft mode), so the cache holds a few MB for a 50 MB upload. An input the decoder
cannot read raises :class:`UnreadableInput` (the upload checks refuse such files
first; this is the renderer's word if one gets through).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import hashlib
import io
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Final, Generic, TypeVar

from PIL import Image

_V = TypeVar("_V")
_MB: Final = 1 << 20


class UnreadableInput(ValueError):
    """An input image the renderer cannot decode (or decode within memory)."""


class ByteBoundedCache(Generic[_V]):
    """A least-recently-used cache bounded in bytes (each value's size told when it is stored);
    a value larger than the bound is not kept. Thread-safe."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[Hashable, tuple[_V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> _V | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            self._items.move_to_end(key)
            return hit[0]

    def put(self, key: Hashable, value: _V, size: int) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            if size > self.max_bytes:
                return
            self._items[key] = (value, size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0


def image_bytes(img: Image.Image) -> int:
    """About what Pillow holds for ``img``: 1 byte a pixel for one-band 8-bit modes, 2 for 16-bit
    grey, 4 for the rest (Pillow stores 2-4 bands in 4 bytes), and a row pointer a row."""
    mode = img.mode
    per_pixel = 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4
    return img.width * img.height * per_pixel + 8 * img.height


def _reduction(src: tuple[int, int], size: tuple[int, int]) -> int:
    """The whole factor an input of ``src`` pixels may be reduced by for an output of ``size`` and
    still have twice the pixels the output needs each way (1: decode it whole)."""
    return max(1, min(src[0] // size[0], src[1] // size[1]) // 2)


# Modes Image.reduce() averages correctly (premultiplied for the alpha ones); others are decoded whole.
_REDUCIBLE: Final = ("L", "LA", "RGB", "RGBA")


def _decoded(data: bytes, size: tuple[int, int] | None) -> Image.Image:
    """``data`` decoded, reduced for an output of ``size`` (None: whole)."""
    try:
        img: Image.Image = Image.open(io.BytesIO(data))
        if size is not None and img.format == "JPEG" and img.mode in _REDUCIBLE:
            factor = _reduction(img.size, size)
            if factor > 1:  # the decoder's scale, at least the size asked for
                img.draft(img.mode, (-(-img.width // factor), -(-img.height // factor)))
        img.load()
        if size is not None and img.mode in _REDUCIBLE:
            factor = _reduction(img.size, size)
            if factor > 1:
                img = img.reduce(factor)
        return img
    except Exception as exc:  # Pillow raises many kinds (and MemoryError) for what it cannot read
        raise UnreadableInput(f"cannot decode an input image: {exc}") from exc


class _Input:
    """An input image, decoded (reduced for the output size it was asked for), with its colour and
    alpha worked out on first use.

    Shared between threads through the cache: the images handed out are never
    modified by anyone.
    """

    def __init__(self, data: bytes, size: tuple[int, int] | None = None) -> None:
        img = _decoded(data, size)
        self._img = img
        self._lock = threading.Lock()  # one conversion of the decoded file at a time
        self._rgb: Image.Image | None = None
        self._alpha: tuple[Image.Image | None] | None = None
        # What it may come to hold: the decoded image, its RGB copy and its alpha band.
        pixels = img.width * img.height
        self.bytes = image_bytes(img) + (0 if img.mode == "RGB" else 4 * pixels) + pixels

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


# The decoded inputs kept between requests (a client often sends the same input again); within one
# request they are held whatever their size (:func:`holding_inputs`).
_INPUTS: Final = ByteBoundedCache[_Input](128 * _MB)
_HELD = threading.local()  # .inputs: this thread's held inputs, inside holding_inputs()


@contextlib.contextmanager
def holding_inputs() -> Iterator[None]:
    """Within it, the inputs this thread decodes are held, whatever their size, and let go at its end:
    the n images of one answer share one decode of an input too large for the cache. (Nested, the
    outer one holds.)"""
    if getattr(_HELD, "inputs", None) is not None:
        yield
        return
    held: dict[tuple[bytes, tuple[int, int] | None], _Input] = {}
    _HELD.inputs = held
    try:
        yield
    finally:
        if getattr(_HELD, "inputs", None) is held:  # (a generator may be closed on another thread)
            _HELD.inputs = None


def _input(data: bytes, size: tuple[int, int] | None = None) -> _Input:
    """The decoded input image, for an output of ``size`` (None: at its own size), held for the
    request or from the cache: the n images of one request share their input, and decoding costs
    about half a PNG encode."""
    key = (data, size)
    held: dict[tuple[bytes, tuple[int, int] | None], _Input] | None = getattr(_HELD, "inputs", None)
    hit = held.get(key) if held is not None else None
    if hit is None:
        hit = _INPUTS.get(key)
    if hit is None:
        hit = _Input(data, size)
        _INPUTS.put(key, hit, hit.bytes)
    if held is not None:
        held[key] = hit
    return hit


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


_THUMBS: Final = ByteBoundedCache[Image.Image](16 * _MB)


def _thumbnail(data: bytes, side: int) -> Image.Image:
    """The input image as an RGB side x side square (cover fit), cached by the
    input's sha256 (an input may be 50 MB; its thumbnail is a few KB)."""
    key = (hashlib.sha256(data).digest(), side)
    hit = _THUMBS.get(key)
    if hit is not None:
        return hit
    try:
        img = Image.open(io.BytesIO(data))
        img.draft("RGB", (side, side))  # JPEG decodes at a fraction of its size
        img.load()
        rgb = _rgb(img)
    except Exception as exc:  # as in _decoded
        raise UnreadableInput(f"cannot decode an input image: {exc}") from exc
    box = _cover_box(rgb.size, (side, side))
    thumb = rgb.resize((side, side), Image.Resampling.BILINEAR, box=box, reducing_gap=2.0)
    _THUMBS.put(key, thumb, image_bytes(thumb))
    return thumb


def _libc_trim() -> None:
    """Hand the C heap's free memory back to the system (glibc's ``malloc_trim``): after large
    images are freed their pages may stay with the process (glibc keeps freed memory in its arenas).
    Nothing where the C library has no such call."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return
    trim.argtypes = [ctypes.c_size_t]
    trim(0)


def empty_input_caches() -> None:
    """Forget every decoded input and thumbnail, and give the memory back to the system."""
    _INPUTS.clear()
    _THUMBS.clear()
    _libc_trim()
