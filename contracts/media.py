"""Image formats on the wire: each ``output_format`` as a file (its media type and extension), and
which format some bytes are in, told from their first bytes rather than from what anyone claims.

The format names are the API's ``output_format`` values [spec] (``svg`` and ``gif`` [sdk-py]);
the media types and extensions are the registered ones (IANA), which the answers' Content-Type,
a ``data:`` URL and a saved file use. The fake's renderer, its gallery, its image URLs, the upload
rules and the client all read them here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

JSON = "application/json"  # [spec] the media type of JSON bodies: requests, answers and errors

PNG = "png"
JPEG = "jpeg"
WEBP = "webp"
GIF = "gif"
SVG = "svg"


@dataclass(frozen=True)
class ImageFormat:
    """One image format: the API's name for it, its media type and its file extension."""

    name: str
    media_type: str
    extension: str  # with the dot
    aliases: tuple[str, ...] = ()  # other extensions that mean the same format


FORMATS: Mapping[str, ImageFormat] = MappingProxyType({
    f.name: f
    for f in (
        ImageFormat(PNG, "image/png", ".png"),
        ImageFormat(JPEG, "image/jpeg", ".jpg", (".jpeg", ".jpe")),
        ImageFormat(WEBP, "image/webp", ".webp"),
        ImageFormat(GIF, "image/gif", ".gif"),
        ImageFormat(SVG, "image/svg+xml", ".svg"),
    )
})
MEDIA_TYPES: Mapping[str, str] = MappingProxyType({name: f.media_type for name, f in FORMATS.items()})

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_START = b"\xff\xd8\xff"
_GIF_SIGNATURES = (b"GIF87a", b"GIF89a")
# An SVG document: an XML declaration, comments and a doctype may come before the <svg> element.
_SVG_START = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!DOCTYPE[^>]*>\s*)?<svg[\s>]", re.S)
_UTF8_BOM = b"\xef\xbb\xbf"


def media_type(output_format: str) -> str:
    """The Content-Type of an image in ``output_format`` ("png" -> "image/png", ...)."""
    try:
        return MEDIA_TYPES[output_format]
    except KeyError:
        raise ValueError(f"unknown output_format {output_format!r}") from None


def sniff(data: bytes) -> str | None:
    """The format ``data`` is in, from its signature: one of :data:`FORMATS`' names, or None."""
    if data[:8] == PNG_SIGNATURE:
        return PNG
    if data[:3] == _JPEG_START:
        return JPEG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[:6] in _GIF_SIGNATURES:
        return GIF
    if _SVG_START.match(data.removeprefix(_UTF8_BOM)[:4096]):
        return SVG
    return None
