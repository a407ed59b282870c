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

What decoding may cost is bounded before a byte is decoded, by :class:`DecodeLimits` (the fake's own
protections: ``mockserver.settings`` gives their values; :data:`DEFAULT_LIMITS` elsewhere): the
scans of a JPEG (its SOS markers, counted in the bytes: a decoder walks every block of the image in
each scan), the frames of an animation, the inflated size of a PNG's compressed ancillary chunks
(iCCP, zTXt, iTXt: inflated with a bound, never whole) and what decoding the image would allocate
(:func:`decode_cost`, which :mod:`contracts.uploads` sums over a request's images). An image past
one raises :class:`TooCostly`, an :class:`ImageFileError`: refused as unreadable.

A PNG is also refused where Pillow, which renders it, would refuse it (an ancillary chunk that
inflates past its 1 MiB limit, a compression method other than 0, a chunk type that is not four
letters, a row filter above 4): what the check accepts, the render can decode.

The dall-e-2 rules read PNGs more strictly (:mod:`contracts.png`, as a full decode does); both
raise :class:`ImageFileError` and :class:`TooManyPixels`, and :mod:`contracts.uploads` turns them
into each model's refusals.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib
from dataclasses import dataclass

from contracts import media
from contracts.media import JPEG, PNG, WEBP

_MB = 1 << 20

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


class TooCostly(ImageFileError):
    """Decoding the image would cost more than a :class:`DecodeLimits` allows (``what`` says which
    limit): refused before the cost is paid."""

    def __init__(self, what: str, amount: int, limit: int) -> None:
        super().__init__(f"{what}: {amount} is over the limit of {limit}")
        self.what = what
        self.amount = amount
        self.limit = limit


@dataclass(frozen=True)
class DecodeLimits:
    """What decoding uploaded images may cost (ASSUMPTION: the real API's limits are unknown; these are
    the fake's protection against decompression bombs, kept far above what real images need)."""

    # The sum of :func:`decode_cost` over one request's images (bytes).
    decode_bytes: int = 768 * _MB
    # Scans (SOS markers) in one JPEG: libjpeg writes 10 for a progressive colour image, encoders that
    # optimise the progression a few dozen; each costs a pass over every block of the image. A
    # request's JPEGs together may cost as many passes over an 8192 x 8192 image (SCAN_BLOCKS blocks).
    jpeg_scans: int = 100
    # Frames in one animated PNG (acTL, fcTL) or WebP (ANMF).
    frames: int = 4096
    # Bytes the compressed ancillary chunks of one PNG (iCCP, zTXt, iTXt) inflate to, together. At
    # most 14 MiB, so that with a 50 MiB body of text chunks Pillow's 64 MiB text limit is never
    # reached: what the check accepts, the renderer reads.
    inflated_chunks: int = 8 * _MB


DEFAULT_LIMITS = DecodeLimits()
# The blocks of an 8192 x 8192 image (8x8 pixels each): the unit of a request's JPEG scan work.
SCAN_BLOCKS = 1024 * 1024
# Pillow's limit on one compressed ancillary chunk (PngImagePlugin.MAX_TEXT_CHUNK, ImageFile.SAFEBLOCK):
# a chunk that inflates to this many bytes or more is refused, as Pillow refuses it.
PNG_CHUNK_INFLATE_MAX = 1 * _MB
_PNG_COMPRESSED_CHUNKS = (b"iCCP", b"zTXt", b"iTXt")
_PNG_CHUNK_TYPE = re.compile(rb"\w{4}")


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


def inspect(data: bytes, *, max_pixels: int, limits: DecodeLimits = DEFAULT_LIMITS) -> ImageInfo:
    """Check that ``data`` is one whole image of at most ``max_pixels``, decodable within ``limits``,
    and describe it."""
    info = header_info(data)
    if info.pixels > max_pixels:
        raise TooManyPixels(info.width, info.height)
    check_cost(data, info, limits)
    if info.format == PNG:
        _check_png(data, info)
    else:
        _decode(data, info)
    return info


def decode_cost(data: bytes, info: ImageInfo) -> int:
    """The bytes decoding ``data`` may allocate, from its headers, as the fake decodes it: a PNG
    as Pillow's image (4 bytes a pixel, rows of pointers) and its RGB copy; a WebP at 16 bytes a
    pixel (the decoder's canvas and its previous frame, the bytes handed to Pillow, Pillow's image);
    a JPEG at 4 bytes a pixel, and a progressive one with its buffered coefficients (128 bytes a
    block and component, whatever the scale it is decoded at)."""
    width, height = info.width, info.height
    rows = height * 24  # Pillow's row pointers, for the image and its copies
    if info.format == WEBP:
        return 16 * width * height + rows
    if info.format == JPEG:
        cost = 4 * width * height + rows
        if _jpeg_progressive(data):
            components = {"L": 1, "RGB": 3, "CMYK": 4}.get(info.mode, 4)
            cost += components * 128 * ((width + 7) // 8) * ((height + 7) // 8)
        return cost
    return 8 * width * height + rows


def scan_work(data: bytes, info: ImageInfo) -> int:
    """The blocks a decoder walks in the scans of a JPEG (its scans times its 8x8 blocks; 0 for
    another format), counted from the bytes."""
    if info.format != JPEG:
        return 0
    return data.count(b"\xff\xda") * ((info.width + 7) // 8) * ((info.height + 7) // 8)


def check_cost(data: bytes, info: ImageInfo, limits: DecodeLimits = DEFAULT_LIMITS) -> None:
    """Refuse ``data`` (:class:`TooCostly`) when decoding it would cost more than ``limits`` allow:
    its own decode cost, its JPEG scans, its frames, its PNG's inflated ancillary chunks. Read from
    the bytes; nothing is decoded but those chunks, each with a bound."""
    cost = decode_cost(data, info)
    if cost > limits.decode_bytes:
        raise TooCostly("decoded bytes", cost, limits.decode_bytes)
    if info.format == JPEG:
        # In entropy-coded data a 0xFF byte is always followed by 0x00 or a restart marker, so every
        # FF DA is a scan's header (or one in an embedded thumbnail's: counted too, conservatively).
        scans = data.count(b"\xff\xda")
        if scans > limits.jpeg_scans:
            raise TooCostly("JPEG scans", scans, limits.jpeg_scans)
    elif info.format == WEBP:
        frames = _webp_frames(data)
        if frames > limits.frames:
            raise TooCostly("frames", frames, limits.frames)
    elif info.format == PNG:
        check_png_chunks(data, limits)


def check_png_chunks(data: bytes, limits: DecodeLimits = DEFAULT_LIMITS) -> None:
    """A PNG's chunks as Pillow reads them, within ``limits``: each type four word characters
    (Pillow's rule; the PNG spec's are letters), the frames of an animation (acTL's count and the
    fcTL chunks) within the limit, and each compressed ancillary chunk (iCCP, zTXt, compressed
    iTXt) of compression method 0, inflated with a bound: refused when one reaches
    :data:`PNG_CHUNK_INFLATE_MAX` (Pillow's limit) or all of them together pass
    ``limits.inflated_chunks``. A stream that does not inflate is let be, as Pillow lets it be."""
    inflated = 0
    frames = claimed = 0
    pos = 8
    end = len(data)
    while pos + 8 <= end:
        length, kind = struct.unpack_from(">I4s", data, pos)
        body = pos + 8
        if length > end - body:
            return  # a chunk past the end: the structure's check refuses it
        if _PNG_CHUNK_TYPE.fullmatch(kind) is None:  # as Pillow's reader requires
            raise ImageFileError(f"a PNG chunk type that is not four letters: {kind!r}")
        if kind == b"acTL" and length >= 4:
            claimed = struct.unpack_from(">I", data, body)[0]
        elif kind == b"fcTL":
            frames += 1
        if kind in _PNG_COMPRESSED_CHUNKS:
            stream = _png_compressed_stream(kind, data[body : body + length])
            if stream is not None:
                inflated += _bounded_inflate(stream, kind, inflated, limits.inflated_chunks)
        if kind == b"IEND":
            break
        pos = body + length + 4
    frames = max(frames, claimed)
    if frames > limits.frames:
        raise TooCostly("frames", frames, limits.frames)


def _png_compressed_stream(kind: bytes, body: bytes) -> bytes | None:
    """The zlib stream of a compressed ancillary chunk as Pillow reads it, or None when Pillow
    inflates nothing (an iTXt not compressed, or by a method it leaves alone; a zTXt without a
    keyword's end or text). What Pillow refuses (an iCCP without its compression method, a method
    other than 0 in iCCP or zTXt) is refused."""
    name_end = body.find(b"\x00")
    if kind == b"iCCP":
        if name_end < 0 or name_end + 1 >= len(body) or body[name_end + 1] != 0:
            raise ImageFileError("a PNG iCCP chunk without compression method 0")
        return body[name_end + 2 :]
    if name_end < 0:
        return None
    rest = body[name_end + 1 :]
    if kind == b"iTXt":
        if len(rest) < 2 or rest[0] == 0 or rest[1] != 0:
            return None
        parts = rest[2:].split(b"\x00", 2)
        return parts[2] if len(parts) == 3 else None
    if not rest:
        return None
    if rest[0] != 0:
        raise ImageFileError(f"unknown compression method {rest[0]} in a PNG zTXt chunk")
    return rest[1:]


def _bounded_inflate(stream: bytes, kind: bytes, before: int, limit: int) -> int:
    """The bytes ``stream`` inflates to, inflating no more than the limits allow and one byte: refused
    (:class:`TooCostly`) when it reaches Pillow's limit on one chunk, or takes the chunks' sum
    (``before`` it) past ``limit``."""
    inflater = zlib.decompressobj()
    try:
        out = len(inflater.decompress(stream, max(0, min(PNG_CHUNK_INFLATE_MAX - 1, limit - before)) + 1))
    except zlib.error:
        return 0  # Pillow ignores a damaged stream in these chunks
    if out >= PNG_CHUNK_INFLATE_MAX:
        raise TooCostly(f"inflated PNG {kind.decode()} chunk", out, PNG_CHUNK_INFLATE_MAX - 1)
    if before + out > limit:
        raise TooCostly("inflated PNG ancillary chunks", before + out, limit)
    return out


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
    # Every row starts with its filter type, 0 to 4 (Pillow's decoder refuses another): checked in
    # the rows of a plain image (an interlaced one's rows are of seven sizes: left to the render).
    stride = 0 if interlace else 1 + (info.width * _PNG_CHANNELS[colour] * depth + 7) // 8
    next_filter = 0
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
                if stride and next_filter < produced + len(out):
                    if max(out[next_filter - produced :: stride]) > 4:
                        raise ImageFileError("a PNG row with an unknown filter type")
                    next_filter += -(-(produced + len(out) - next_filter) // stride) * stride
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


def _jpeg_progressive(data: bytes) -> bool:
    """Whether the first frame header of a JPEG is a progressive one (SOF2, SOF6, SOF10, SOF14),
    whose coefficients a decoder keeps whole."""
    pos = 2
    end = len(data)
    while pos + 4 <= end and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):
            pos += 2
            continue
        if marker in _SOF:
            return marker in (0xC2, 0xC6, 0xCA, 0xCE)
        if marker in (0xD9, 0xDA):
            return False
        (length,) = struct.unpack_from(">H", data, pos + 2)
        pos += 2 + length
    return False


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


def _webp_frames(data: bytes) -> int:
    """The frames (ANMF chunks) of a WebP, read from its RIFF chunks: 1 for a still image."""
    frames = 0
    pos = 12
    end = len(data)
    while pos + 8 <= end:
        kind = data[pos : pos + 4]
        (length,) = struct.unpack_from("<I", data, pos + 4)
        if kind == b"ANMF":
            frames += 1
        pos += 8 + length + (length & 1)
    return max(frames, 1)


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
