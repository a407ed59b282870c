"""Image formats: what an ``output_format`` is as a file (media type, extension), and telling
the format of some bytes from their first bytes rather than from what anyone claims.

The format names are the API's ``output_format`` values; the media types and extensions are
the registered ones (IANA), not a contract of the Images API.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError


@dataclass(frozen=True)
class ImageFormat:
    """One image format: the API's name for it, its media type and its file extension."""

    name: str
    media_type: str
    extension: str  # with the dot
    aliases: tuple[str, ...] = ()  # other extensions that mean the same format


FORMATS: dict[str, ImageFormat] = {
    f.name: f
    for f in (
        ImageFormat("png", "image/png", ".png"),
        ImageFormat("jpeg", "image/jpeg", ".jpg", (".jpeg", ".jpe")),
        ImageFormat("webp", "image/webp", ".webp"),
        ImageFormat("gif", "image/gif", ".gif"),
        ImageFormat("svg", "image/svg+xml", ".svg"),
    )
}
PNG = FORMATS["png"]

_SVG_START = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!DOCTYPE[^>]*>\s*)?<svg[\s>]", re.S)


def sniff(data: bytes) -> ImageFormat | None:
    """The format ``data`` is in, from its signature; None when it is none of :data:`FORMATS`."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return FORMATS["png"]
    if data.startswith(b"\xff\xd8\xff"):
        return FORMATS["jpeg"]
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return FORMATS["webp"]
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return FORMATS["gif"]
    if _SVG_START.match(data.removeprefix(b"\xef\xbb\xbf")[:4096]):
        return FORMATS["svg"]
    return None


def raster_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a raster image's header (Pillow reads no pixels); None if unreadable."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def with_extension(name: str, image_format: ImageFormat) -> str:
    """``name`` ending in the format's extension: kept when it already names the format,
    added when there is none, replaced when it names another."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or "/" in suffix or "\\" in suffix:
        return name + image_format.extension
    if f".{suffix.lower()}" in (image_format.extension, *image_format.aliases):
        return name
    return stem + image_format.extension
