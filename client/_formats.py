"""Image formats: what an ``output_format`` is as a file (media type, extension), and telling
the format of some bytes from their first bytes rather than from what anyone claims.

The formats, their media types and extensions, and the signatures are :mod:`contracts.media`'s.
"""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from contracts import media
from contracts.media import FORMATS, ImageFormat

PNG = FORMATS["png"]


def sniff(data: bytes) -> ImageFormat | None:
    """The format ``data`` is in, from its signature; None when it is none of :data:`FORMATS`."""
    name = media.sniff(data)
    return FORMATS[name] if name is not None else None


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
