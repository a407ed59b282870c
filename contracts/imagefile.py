"""Recognise and inspect the images GPT image models take: PNG, JPEG and WebP.

The format is read from the bytes (the magic numbers), never from a file name or
a part's content type. The dimensions and whether the image carries alpha come
from the headers (PNG IHDR and tRNS, JPEG SOF, WebP VP8/VP8L/VP8X), so that an
image whose header claims more pixels than allowed is refused before a byte of
it is decoded. Then the file is checked whole, as cheaply as its format allows:

* PNG: every chunk's CRC up to an intact IEND, and the IDAT stream inflated
  (output discarded) to exactly the bytes the header promises -- no image is
  allocated;
* JPEG: decoded through Pillow's draft mode at 1/8 scale, which walks the whole
  entropy-coded stream (a truncated or damaged file fails) at a 64th of the
  memory; MPO files (multi-picture JPEGs) are refused, as the real API does;
* WebP: decoded by Pillow (its decoder has no cheaper mode), within the limit.

The dall-e-2 rules read PNGs more strictly (:mod:`contracts.png`, as a full decode does); both
raise :class:`ImageFileError` and :class:`TooManyPixels`, and :mod:`contracts.uploads` turns them
into each model's refusals.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from dataclasses import dataclass

from contracts import media
from contracts.media import JPEG, PNG, WEBP

FORMATS = (PNG, JPEG, WEBP)  # what an upload to a GPT image model may be

_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples per pixel
_PNG_MODES = {0: "L", 2: "RGB", 3: "P", 4: "LA", 6: "RGBA"}
# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic; not DHT/JPG/DAC).
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_JPEG_MODES = {1: "L", 3: "RGB", 4: "CMYK"}
_WEBP_ALPHA_FLAG = 0x10  # VP8X flags: ICC 0x20, alpha 0x10, EXIF 0x08, XMP 0x04, animation 0x02


class ImageFileError(ValueError):
    """The bytes are not one whole, decodable image of the format a check reads (here PNG, JPEG or
    WebP; :mod:`contracts.png` raises it too, as ``PngError``)."""


class TooManyPixels(ImageFileError):
    """The header claims more pixels than the limit: refused before a byte is decoded (both
    checks raise this one)."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__(f"{width}x{height} is over the pixel limit")
        self.width = width
        self.height = height


@dataclass(frozen=True)
class ImageInfo:
    """What the headers say about one image."""

    format: str  # "png", "jpeg" or "webp"
    width: int
    height: int
    alpha: bool  # an alpha channel, or a PNG tRNS transparency
    mode: str  # Pillow's mode as the header implies it: 'RGB', 'RGBA', 'L', 'LA', 'P', 'CMYK'

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def media_type(self) -> str:
        return media.media_type(self.format)


def sniff(data: bytes) -> str | None:
    """The format of ``data`` from its first bytes (:func:`contracts.media.sniff`) when it is one
    an upload may be: "png", "jpeg", "webp" or None."""
    kind = media.sniff(data)
    return kind if kind in FORMATS else None


def header_info(data: bytes) -> ImageInfo:
    """The format, dimensions and alpha of ``data`` from its headers, decoding nothing."""
    kind = sniff(data)
    if kind == PNG:
        return _png_header(data)
    if kind == JPEG:
        return _jpeg_header(data)
    if kind == WEBP:
        return _webp_header(data)
    raise ImageFileError("not a PNG, JPEG or WebP image")


def inspect(data: bytes, *, max_pixels: int) -> ImageInfo:
    """Check that ``data`` is one whole image of at most ``max_pixels`` and describe it."""
    info = header_info(data)
    if info.pixels > max_pixels:
        raise TooManyPixels(info.width, info.height)
    if info.format == PNG:
        _check_png(data, info)
    else:
        _decode(data, info)
    return info


# --- PNG --------------------------------------------------------------------------------


def _png_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, start of data, length) of every chunk, CRCs checked, up to and with IEND."""
    chunks = []
    pos = 8
    end = len(data)
    while True:
        if pos + 12 > end:
            raise ImageFileError("a PNG chunk runs past the end of the file")
        length, kind = struct.unpack_from(">I4s", data, pos)
        body = pos + 8
        if length > end - body - 4:
            raise ImageFileError("a PNG chunk runs past the end of the file")
        (crc,) = struct.unpack_from(">I", data, body + length)
        if zlib.crc32(data[pos + 4 : body + length]) != crc:
            raise ImageFileError(f"bad CRC in the PNG chunk {kind!r}")
        chunks.append((kind, body, length))
        pos = body + length + 4
        if kind == b"IEND":
            return chunks


def _png_header(data: bytes) -> ImageInfo:
    if len(data) < 33:
        raise ImageFileError("too short for a PNG")
    length, kind, width, height, depth, colour, _, _, interlace = struct.unpack_from(
        ">I4sIIBBBBB", data, 8
    )
    if kind != b"IHDR" or length != 13 or width == 0 or height == 0 or colour not in _PNG_MODES:
        raise ImageFileError("no valid IHDR chunk")
    if depth not in (1, 2, 4, 8, 16) or interlace > 1:
        raise ImageFileError("unsupported PNG bit depth or interlace method")
    # tRNS (transparency for palette, grey or RGB images) comes before the first IDAT.
    has_trns = False
    pos = 33
    while pos + 8 <= len(data):
        chunk_length, chunk = struct.unpack_from(">I4s", data, pos)
        if chunk in (b"IDAT", b"IEND"):
            break
        if chunk == b"tRNS":
            has_trns = True
            break
        pos += 12 + chunk_length
    alpha = colour in (4, 6) or has_trns
    mode = _PNG_MODES[colour]
    if has_trns and colour == 3:
        mode = "PA"  # a palette with transparency, as Pillow reads it once converted
    return ImageInfo(PNG, width, height, alpha, mode)


def _png_scanline_bytes(info: ImageInfo, depth: int, colour: int, interlace: int) -> int:
    """The bytes the IDAT stream inflates to (filter byte included in every row)."""
    samples = _PNG_CHANNELS[colour]

    def rows(width: int, height: int) -> int:
        if width == 0 or height == 0:
            return 0
        return height * (1 + (width * samples * depth + 7) // 8)

    if interlace == 0:
        return rows(info.width, info.height)
    total = 0  # Adam7: seven reduced images
    for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
                           (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)):
        total += rows((info.width - x0 + dx - 1) // dx, (info.height - y0 + dy - 1) // dy)
    return total


def _check_png(data: bytes, info: ImageInfo) -> None:
    if not data.endswith(_PNG_IEND):
        raise ImageFileError("the file does not end with an intact IEND chunk")
    chunks = _png_chunks(data)
    if chunks[-1][1] + 4 != len(data):
        raise ImageFileError("bytes after the IEND chunk")
    depth, colour, _, _, interlace = struct.unpack_from(">BBBBB", data, 24)
    if colour == 3 and not any(kind == b"PLTE" for kind, _, _ in chunks):
        raise ImageFileError("a palette image without PLTE")
    expected = _png_scanline_bytes(info, depth, colour, interlace)
    inflater = zlib.decompressobj()
    produced = 0
    try:
        for kind, start, length in chunks:
            if kind != b"IDAT":
                continue
            view = data[start : start + length]
            while view:
                # Bounded: never more than one expected stream plus a byte in memory.
                out = inflater.decompress(view, 1 << 20)
                produced += len(out)
                if produced > expected:
                    raise ImageFileError("the IDAT stream holds more than the header promises")
                view = inflater.unconsumed_tail
    except zlib.error as exc:
        raise ImageFileError(f"the IDAT stream is damaged: {exc}") from None
    if not inflater.eof or produced != expected:
        raise ImageFileError("the IDAT stream is incomplete")


# --- JPEG -------------------------------------------------------------------------------


def _jpeg_header(data: bytes) -> ImageInfo:
    pos = 2
    end = len(data)
    while pos < end:
        if data[pos] != 0xFF:
            raise ImageFileError("a JPEG segment does not start with a marker")
        while pos < end and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= end:
            break
        marker = data[pos]
        pos += 1
        if marker in (0x01, *range(0xD0, 0xD8)):  # stand-alone markers
            continue
        if marker in (0xD9, 0xDA):  # end of image, or the scan with no frame seen
            break
        if pos + 2 > end:
            break
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2 or pos + length > end:
            break
        if marker == 0xE2 and data[pos + 2 : pos + 6] == b"MPF\x00":
            # [obs] multi-picture JPEGs (MPO, as phones write them) get invalid_image_file.
            raise ImageFileError("an MPO (multi-picture) JPEG")
        if marker in _SOF:
            if length < 8:
                break
            _, height, width, components = struct.unpack_from(">BHHB", data, pos + 2)
            if width == 0 or height == 0 or components not in _JPEG_MODES:
                raise ImageFileError("a JPEG frame without usable dimensions")
            return ImageInfo(JPEG, width, height, False, _JPEG_MODES[components])
        pos += length
    raise ImageFileError("no JPEG frame header")


# --- WebP -------------------------------------------------------------------------------


def _webp_header(data: bytes) -> ImageInfo:
    if len(data) < 30:
        raise ImageFileError("too short for a WebP")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    if riff_size + 8 != len(data) and riff_size + 9 != len(data):  # odd sizes are padded
        raise ImageFileError("the RIFF size does not match the file")
    kind = data[12:16]
    payload = data[20:]
    if kind == b"VP8X":
        flags = payload[0]
        width = 1 + int.from_bytes(payload[4:7], "little")
        height = 1 + int.from_bytes(payload[7:10], "little")
        alpha = bool(flags & _WEBP_ALPHA_FLAG)
    elif kind == b"VP8L":
        if payload[0] != 0x2F:
            raise ImageFileError("a VP8L chunk without its signature")
        (bits,) = struct.unpack_from("<I", payload, 1)
        width = 1 + (bits & 0x3FFF)
        height = 1 + ((bits >> 14) & 0x3FFF)
        alpha = bool((bits >> 28) & 1)
    elif kind == b"VP8 ":
        if payload[3:6] != b"\x9d\x01\x2a":
            raise ImageFileError("a VP8 chunk without its start code")
        width = struct.unpack_from("<H", payload, 6)[0] & 0x3FFF
        height = struct.unpack_from("<H", payload, 8)[0] & 0x3FFF
        alpha = False
    else:
        raise ImageFileError("no WebP image chunk")
    if width == 0 or height == 0:
        raise ImageFileError("a WebP image without dimensions")
    return ImageInfo(WEBP, width, height, alpha, "RGBA" if alpha else "RGB")


# --- decoding ---------------------------------------------------------------------------


def _decode(data: bytes, info: ImageInfo) -> None:
    """Decode ``data`` once (JPEG at 1/8 scale) so that a damaged file is refused."""
    from PIL import Image  # here: `import contracts` does not load Pillow

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[info.format.upper()]) as image:
                if info.format == JPEG:
                    image.draft(image.mode, (max(1, info.width // 8), max(1, info.height // 8)))
                image.load()
                full_size = image.size if info.format != JPEG else None
                got_format = image.format
    except Exception as exc:  # Pillow raises many kinds for bad input; all mean "not an image"
        raise ImageFileError(str(exc)) from exc
    if got_format != info.format.upper():  # e.g. Pillow reading a JPEG as MPO
        raise ImageFileError(f"read as {got_format}")
    if full_size is not None and full_size != (info.width, info.height):
        raise ImageFileError("decoded size differs from the header")
