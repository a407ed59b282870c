"""Recognise and inspect PNG bytes safely.

Uploads are recognised from their bytes, never from a file name or a part's
content type (the legacy SDK sends ``application/octet-stream`` named ``image``).
The header is read first so that no image is decoded whose IHDR claims more
pixels than allowed; then every chunk's CRC is verified and the pixels are
decoded once, so a truncated or corrupt file is refused rather than half-read.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

from PIL import Image

SIGNATURE = b"\x89PNG\r\n\x1a\n"
IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the last chunk of every PNG: no data, a fixed CRC
_IHDR = struct.Struct(">I4sIIBBBBB")  # length, type, width, height, depth, colour, ...


class PngError(ValueError):
    """The bytes are not a complete, decodable PNG."""


class TooManyPixels(PngError):
    def __init__(self, width: int, height: int) -> None:
        super().__init__(f"{width}x{height} is over the pixel limit")
        self.width = width
        self.height = height


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
    return data[:8] == SIGNATURE


def header_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the IHDR chunk, without decoding anything."""
    if not is_png(data) or len(data) < 8 + _IHDR.size:
        raise PngError("not a PNG")
    length, kind, width, height, *_ = _IHDR.unpack_from(data, 8)
    if kind != b"IHDR" or length != 13 or width == 0 or height == 0:
        raise PngError("no valid IHDR chunk")
    return width, height


def inspect(data: bytes, *, max_pixels: int) -> PngInfo:
    """Check that ``data`` is one whole PNG of at most ``max_pixels`` and describe it."""
    width, height = header_size(data)
    if width * height > max_pixels:
        raise TooManyPixels(width, height)
    if not data.endswith(IEND):
        # Pillow stops reading at the last IDAT, so a damaged or missing end goes unseen there.
        raise PngError("the file does not end with an intact IEND chunk")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG"]) as probe:
                probe.verify()  # every chunk's CRC and the chunk structure
            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                image.load()  # the pixels, once: a truncated IDAT fails here
                mode = image.mode
                size = image.size
    except Exception as exc:  # Pillow raises many kinds for bad input; all mean "not a PNG"
        raise PngError(str(exc)) from exc
    if size != (width, height):
        raise PngError("decoded size differs from the header")
    return PngInfo(width, height, mode)
