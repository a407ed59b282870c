"""Recognise and inspect PNG bytes safely.

Uploads are recognised from their bytes, never from a file name or a part's
content type (the legacy SDK sends ``application/octet-stream`` named ``image``).
The header is read first so that no image is decoded whose IHDR claims more
pixels than allowed; then every chunk's CRC is verified and the image data is
checked whole, so a truncated or corrupt file is refused rather than half-read.

Checking the image data does what Pillow's ``load()`` does, less building the
picture: the IDAT stream is inflated in the pieces Pillow's loader feeds its
decoder (the run of IDAT chunks after the header, at most ``MAXBLOCK`` bytes at a
time) up to exactly the bytes the header promises, every row's filter type is
checked (Pillow refuses one above 4), and Pillow's own handlers then read the
chunks after the image data (``load_end``), as after a decode. So a file is
refused exactly when a decode refuses it (tests/contracts/test_png_checks.py holds
the two side by side), for about two thirds of the cost on a photo-like upload
and less on a flat one: inflating is most of a decode. What Pillow decides row by
row -- a stream that ends before the picture does, or whose end lies in a later
IDAT chunk than its last row -- and interlaced or animated PNGs, rare as uploads,
are decoded in full as before. The picture itself is decoded when an image is
rendered from it (``mockserver.render``, cached).
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from contracts.imagefile import (
    DEFAULT_LIMITS,
    DecodeLimits,
    ImageFileError,
    ImageInfo,
    TooCostly,
    TooManyPixels,
    check_png_chunks,
    decode_cost,
)
from contracts.media import PNG_SIGNATURE

if TYPE_CHECKING:
    from PIL import PngImagePlugin

__all__ = ["IEND", "PngError", "PngInfo", "TooManyPixels", "header_size", "inspect", "is_png"]

IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the last chunk of every PNG: no data, a fixed CRC
_IHDR = struct.Struct(">I4sIIBBBBB")  # length, type, width, height, depth, colour, ...
_CHUNK_HEAD = struct.Struct(">I4s")
_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples per pixel
_MAX_FILTER = 4  # PNG filter types 0-4 (none, sub, up, average, Paeth)


# The bytes are not a complete, decodable PNG: the one error of the image checks.
PngError = ImageFileError


@dataclass(frozen=True)
class PngInfo:
    width: int
    height: int
    mode: str  # Pillow's mode: 'RGB', 'RGBA', 'L', 'LA', 'P', 'I;16', ...

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def square(self) -> bool:
        return self.width == self.height


def is_png(data: bytes) -> bool:
    return data[:8] == PNG_SIGNATURE


def header_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the IHDR chunk, without decoding anything."""
    if not is_png(data) or len(data) < 8 + _IHDR.size:
        raise PngError("not a PNG")
    length, kind, width, height, *_ = _IHDR.unpack_from(data, 8)
    if kind != b"IHDR" or length != 13 or width == 0 or height == 0:
        raise PngError("no valid IHDR chunk")
    return width, height


def inspect(data: bytes, *, max_pixels: int, limits: DecodeLimits = DEFAULT_LIMITS) -> PngInfo:
    """Check that ``data`` is one whole PNG of at most ``max_pixels``, decodable within ``limits``
    (:func:`contracts.imagefile.check_cost`'s rules for a PNG), and describe it."""
    width, height = header_size(data)
    if width * height > max_pixels:
        raise TooManyPixels(width, height)
    cost = decode_cost(data, ImageInfo("png", width, height, False, "RGB"))
    if cost > limits.decode_bytes:
        raise TooCostly("decoded bytes", cost, limits.decode_bytes)
    check_png_chunks(data, limits)  # before Pillow reads a chunk: each inflated with a bound
    if not data.endswith(IEND):
        # Pillow stops reading at the last IDAT, so a damaged or missing end goes unseen there.
        raise PngError("the file does not end with an intact IEND chunk")
    from PIL import Image, PngImagePlugin  # here: `import contracts` does not load Pillow

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG"]) as probe:
                probe.verify()  # every chunk's CRC and the chunk structure
            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                if not isinstance(image, PngImagePlugin.PngImageFile) or not _check_image_data(image, data):
                    image.load()  # the pixels, once: a truncated IDAT fails here
                mode = image.mode
                size = image.size
    except Exception as exc:  # Pillow raises many kinds for bad input; all mean "not a PNG"
        raise PngError(str(exc)) from exc
    if size != (width, height):
        raise PngError("decoded size differs from the header")
    return PngInfo(width, height, mode)


def _check_image_data(image: PngImagePlugin.PngImageFile, data: bytes) -> bool:
    """What ``image.load()`` would refuse, found without building the picture; False when
    the image is left to ``load()`` (interlaced, animated, or laid out otherwise)."""
    if image.info.get("interlace") or image.is_animated:
        return False
    width, height = image.size
    tiles = image.tile
    if len(tiles) != 1:
        return False
    codec, extents, offset = tiles[0][:3]  # a tuple in older Pillows, a named tuple since
    if codec != "zip" or tuple(extents or ()) != (0, 0, width, height):
        return False
    depth, colour = data[24], data[25]
    stride = 1 + (width * _SAMPLES[colour] * depth + 7) // 8  # a row: its filter type, then its bytes
    expected = height * stride
    block = image.decodermaxblock
    inflater = zlib.decompressobj()
    produced = 0  # bytes of the stream inflated so far
    next_filter = 0  # where in the stream the next row's filter type is
    pos = offset - 8  # the first IDAT chunk
    end = pos
    while produced < expected:
        if pos + 8 > len(data):
            raise ValueError("image file is truncated")
        length, kind = _CHUNK_HEAD.unpack_from(data, pos)
        if kind in (b"DDAT", b"fdAT"):
            return False  # what Pillow reads as more image data in an odd file: left to load()
        if kind != b"IDAT":
            raise ValueError("image file is truncated")  # the stream ended before the picture
        start, end = pos + 8, pos + 8 + length
        # The pieces Pillow's loader hands its decoder: at most `block` bytes, never across chunks.
        for piece_at in range(start, end, block):
            try:
                out = inflater.decompress(data[piece_at : min(piece_at + block, end)], expected - produced)
            except zlib.error as exc:
                raise ValueError(f"broken data stream: {exc}") from None
            if next_filter < produced + len(out):
                if max(out[next_filter - produced :: stride]) > _MAX_FILTER:
                    raise ValueError("unknown PNG filter type")
                next_filter += -(-(produced + len(out) - next_filter) // stride) * stride
            produced += len(out)
            if produced >= expected:
                if not inflater.eof and not inflater.unconsumed_tail:
                    # The stream goes on in a later piece: Pillow's decoder, which inflates one row
                    # at a time, may have stopped short here, waiting for input. Left to load().
                    return False
                break
            if inflater.eof:
                return False  # a stream that ends before the picture does: Pillow's rules, in load()
        pos = end + 4
    # As after a decode: Pillow's handlers read the chunks after the image data, from the
    # CRC of the chunk in which the picture was complete.
    assert image.fp is not None
    image.fp.seek(end)
    image._PngImageFile__idat = 0  # type: ignore[attr-defined]  # nothing left of that chunk to skip
    image.load_end()
    return True

