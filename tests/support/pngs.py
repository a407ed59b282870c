"""Build test images with Pillow (the inputs our tests upload) or chunk by chunk (damaged and
hostile ones), and read them back."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageDraw


def png_bytes(image: Image.Image, **save: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG", **save)
    return buf.getvalue()


def pattern(size: int | tuple[int, int] = 256, mode: str = "RGB") -> Image.Image:
    """A busy, asymmetric picture, so that kept and changed pixels are easy to tell apart."""
    width, height = (size, size) if isinstance(size, int) else size
    image = Image.new("RGB", (width, height), (30, 90, 160))
    draw = ImageDraw.Draw(image)
    step = max(4, width // 16)
    for x in range(0, width, step):
        draw.line([(x, 0), (width - x, height)], fill=(250, 200 - x % 200, x % 256), width=2)
    draw.ellipse([width // 8, height // 8, width // 2, height // 2], fill=(240, 240, 40))
    return image.convert(mode)


def rgba_with_hole(size: int = 256, hole: tuple[int, int, int, int] | None = None) -> Image.Image:
    """A pattern whose ``hole`` box (default: the right half) is fully transparent."""
    image = pattern(size, "RGBA")
    box = hole or (size // 2, 0, size, size)
    alpha = Image.new("L", image.size, 255)
    ImageDraw.Draw(alpha).rectangle([box[0], box[1], box[2] - 1, box[3] - 1], fill=0)
    image.putalpha(alpha)
    return image


def mask(size: int = 256, hole: tuple[int, int, int, int] | None = None) -> Image.Image:
    """An RGBA mask: opaque black, with ``hole`` (default: the right half) at alpha 0."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 255))
    box = hole or (size // 2, 0, size, size)
    ImageDraw.Draw(image).rectangle([box[0], box[1], box[2] - 1, box[3] - 1], fill=(0, 0, 0, 0))
    return image


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """The size of ``data``, which must be a PNG that decodes whole."""
    assert data[:8] == SIGNATURE, f"not a PNG: {data[:16]!r}"
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        image.load()
        return image.size


def chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk, its length and CRC right: PNGs written by hand, chunk by chunk."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def claiming(width: int, height: int, *, colour_type: int = 6, raw: bytes = b"\0" * 64) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (8-bit, ``colour_type``) over
    only ``raw`` compressed: a decompression bomb's shape, refused before any decode."""
    head = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0))
    return SIGNATURE + head + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
