"""contracts.media: the formats' media types and extensions, and the one signature reader the
renderer, the upload rules and the client share."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from client._formats import sniff as client_sniff
from contracts import imagefile, media
from mockserver.render import MEDIA_TYPES as RENDER_MEDIA_TYPES
from tests.support.pngs import pattern


def encoded(fmt: str) -> bytes:
    buf = io.BytesIO()
    pattern((16, 16), "RGB").save(buf, fmt)
    return buf.getvalue()


SAMPLES = {
    "png": encoded("PNG"),
    "jpeg": encoded("JPEG"),
    "webp": encoded("WEBP"),
    "gif": encoded("GIF"),
    "svg": b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- made by hand -->\n<!DOCTYPE svg>\n<svg width="1"/>',
}


def test_the_media_types() -> None:
    assert dict(media.MEDIA_TYPES) == {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp",
                                       "gif": "image/gif", "svg": "image/svg+xml"}
    assert RENDER_MEDIA_TYPES is media.MEDIA_TYPES  # what the fake's answers are typed with
    with pytest.raises(ValueError, match="unknown output_format 'bmp'"):
        media.media_type("bmp")


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_every_reader_tells_a_format_from_its_bytes_alike(fmt: str) -> None:
    data = SAMPLES[fmt]
    assert media.sniff(data) == fmt
    found = client_sniff(data)
    assert found is not None and found.name == fmt and found.media_type == media.media_type(fmt)
    # The upload rules read only what an upload may be; the rest is no image to them.
    assert imagefile.sniff(data) == (fmt if fmt in ("png", "jpeg", "webp") else None)


@pytest.mark.parametrize("data", [b"", b"BM\x00\x00", b"<html><svg>", b"RIFF\x00\x00\x00\x00WAVE", b"GIF90a"])
def test_other_bytes_are_no_format(data: bytes) -> None:
    assert media.sniff(data) is None and client_sniff(data) is None and imagefile.sniff(data) is None


def test_a_gif_is_read_as_pillow_reads_it() -> None:
    with Image.open(io.BytesIO(SAMPLES["gif"])) as image:
        assert image.format == "GIF"
