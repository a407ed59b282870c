"""contracts.imagefile's cost model: what decoding an upload may cost is read from its bytes and
refused before it is paid (issue 22, findings 1-3), and what the checks accept Pillow (the
renderer) decodes."""

from __future__ import annotations

import io
import struct
import time
import zlib

import pytest
from PIL import Image

from contracts import imagefile, png, uploads
from contracts.errors import ApiError
from contracts.imagefile import DecodeLimits, TooCostly
from contracts.models import DALL_E_2_UPLOADS, GPT_UPLOADS
from tests.support import bombs
from tests.support.pngs import pattern, png_bytes

PIXELS = 8192 * 8192


def encode(image: Image.Image, fmt: str, **save: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **save)
    return buf.getvalue()


def decodes(data: bytes) -> bool:
    """Whether Pillow reads ``data`` whole (as the renderer does)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
        return True
    except Exception:  # Pillow's many kinds of "cannot read"
        return False


# --- each bomb refused, at once ------------------------------------------------------------------


BOMBS = {
    "progressive JPEG of 300 scans": lambda: bombs.jpeg_scan_bomb(300),
    "8192x8192 lossless WebP": bombs.webp_lossless_bomb,
    "1x67,108,864 PNG": bombs.png_tall,
    "iCCP inflating past 1 MiB": bombs.png_iccp_bomb,
    "zTXt inflating past 1 MiB": bombs.png_ztxt_bomb,
    "zTXt past 1 MiB after the image data": lambda: bombs.png_ztxt_bomb(after_image=True),
    "3,000 zTXt of 1 MB": bombs.png_many_ztxt,
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_each_bomb_is_refused_before_it_is_decoded(name: str) -> None:
    data = BOMBS[name]()
    started = time.process_time()
    with pytest.raises(TooCostly):
        imagefile.inspect(data, max_pixels=PIXELS)
    if data[:4] == b"\x89PNG":
        with pytest.raises(TooCostly):
            png.inspect(data, max_pixels=PIXELS)
    assert time.process_time() - started < 1.0


def test_the_scan_limit_counts_the_scans_in_the_bytes() -> None:
    progressive = encode(pattern((64, 48)), "JPEG", progressive=True)
    scans = progressive.count(b"\xff\xda")
    assert scans > 1
    assert imagefile.inspect(progressive, max_pixels=PIXELS, limits=DecodeLimits(jpeg_scans=scans)).format == "jpeg"
    with pytest.raises(TooCostly, match="JPEG scans"):
        imagefile.inspect(progressive, max_pixels=PIXELS, limits=DecodeLimits(jpeg_scans=scans - 1))
    # The bomb within the limit is a valid JPEG: the limit, not damage, refuses it.
    assert imagefile.inspect(bombs.jpeg_scan_bomb(20, side=256), max_pixels=PIXELS).width == 256


def test_the_decode_cost_follows_the_format() -> None:
    webp = bombs.webp_lossless_bomb(1024, 1024)
    info = imagefile.header_info(webp)
    cost = imagefile.decode_cost(webp, info)
    assert cost >= 16 * 1024 * 1024
    imagefile.inspect(webp, max_pixels=PIXELS, limits=DecodeLimits(decode_bytes=cost))
    with pytest.raises(TooCostly, match="decoded bytes"):
        imagefile.inspect(webp, max_pixels=PIXELS, limits=DecodeLimits(decode_bytes=cost - 1))
    tall = bombs.png_tall(1 << 20)  # a pointer a row: a tall PNG costs more than its pixels say
    assert imagefile.decode_cost(tall, imagefile.header_info(tall)) > 8 * (1 << 20)


def test_frames_are_counted() -> None:
    frames = [pattern(16).point(lambda v, k=k: (v + 40 * k) % 256) for k in range(5)]
    apng = encode(frames[0], "PNG", save_all=True, append_images=frames[1:])
    webp = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    for data in (apng, webp):
        imagefile.inspect(data, max_pixels=PIXELS, limits=DecodeLimits(frames=5))
        with pytest.raises(TooCostly, match="frames"):
            imagefile.inspect(data, max_pixels=PIXELS, limits=DecodeLimits(frames=4))


def test_inflated_chunks_are_bounded_together() -> None:
    text = bombs.png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b" " * 500_000))
    data = bombs.small_png(16, before=text * 3)  # 1.5 MB in all, each under Pillow's 1 MiB
    assert decodes(data)
    imagefile.inspect(data, max_pixels=PIXELS, limits=DecodeLimits(inflated_chunks=1_500_000))
    with pytest.raises(TooCostly, match="ancillary chunks"):
        imagefile.inspect(data, max_pixels=PIXELS, limits=DecodeLimits(inflated_chunks=1_499_999))


# --- what the checks accept, the renderer reads ----------------------------------------------


def _with_filter(data: bytes, filter_type: int) -> bytes:
    """``data`` (a small PNG of zeros) with its first row's filter type changed."""
    width, height = struct.unpack_from(">II", data, 16)
    raw = bytearray(height * (1 + width * 4))
    raw[0] = filter_type
    return bombs.small_png(width)[:33] + bombs.png_chunk(b"IDAT", zlib.compress(bytes(raw))) + data[-12:]


def _with_chunk(kind: bytes, body: bytes) -> bytes:
    return bombs.small_png(16, before=bombs.png_chunk(kind, body))


REFUSED_BY_PILLOW = {
    "iCCP of compression method 1": _with_chunk(b"iCCP", b"p\x00\x01" + zlib.compress(b"x")),
    "zTXt of compression method 1": _with_chunk(b"zTXt", b"k\x00\x01" + zlib.compress(b"x")),
    "a chunk type that is not four letters": _with_chunk(b"a-b!", b""),
    "a row of filter type 5": _with_filter(bombs.small_png(16), 5),
    "iCCP just past 1 MiB": bombs.png_iccp_bomb((1 << 20) + 1),
}


@pytest.mark.parametrize("name", list(REFUSED_BY_PILLOW))
def test_what_pillow_cannot_read_is_refused(name: str) -> None:
    data = REFUSED_BY_PILLOW[name]
    assert not decodes(data)
    with pytest.raises(imagefile.ImageFileError):
        imagefile.inspect(data, max_pixels=PIXELS)
    with pytest.raises(imagefile.ImageFileError):
        png.inspect(data, max_pixels=PIXELS)


def test_what_pillow_reads_is_accepted() -> None:
    kept = {
        "zTXt of 1 MiB less a byte": bombs.png_ztxt_bomb((1 << 20) - 1),
        "iTXt compressed": bombs.small_png(16, before=bombs.png_chunk(
            b"iTXt", b"k\x00\x01\x00en\x00k\x00" + zlib.compress("caf\u00e9".encode()))),
        "iCCP whose stream is damaged": bombs.small_png(16, before=bombs.png_chunk(b"iCCP", b"p\x00\x00garbage")),
        "a row of filter type 4": _with_filter(bombs.small_png(16), 4),
        "a pattern": png_bytes(pattern(32)),
    }
    for name, data in kept.items():
        assert decodes(data), name
        info = imagefile.inspect(data, max_pixels=PIXELS)
        assert info.format == "png", name
        assert png.inspect(data, max_pixels=PIXELS).size == info.size, name


# --- a request's images, together ---------------------------------------------------------------


def test_a_request_s_images_are_costed_together_before_any_is_decoded() -> None:
    one = bombs.webp_lossless_bomb(4096, 4096)  # 256 MiB and a little: two fit in 768 MiB, not three
    parts = [uploads.Part(f"image[{i}]", "image/webp", one) for i in range(16)]
    started = time.process_time()
    with pytest.raises(ApiError) as refused:
        uploads.check_parts(parts, None, GPT_UPLOADS, array="image")
    assert time.process_time() - started < 0.5  # nothing decoded
    body = refused.value.body()["error"]
    assert body["code"] == "invalid_image_file"
    assert "image 3" in body["message"]
    checked = uploads.check_parts(parts[:2], None, GPT_UPLOADS, array="image")
    assert len(checked.images) == 2


def test_dall_e_2_refuses_in_its_own_words() -> None:
    for data in (bombs.png_iccp_bomb(), bombs.png_many_ztxt(100)):
        with pytest.raises(ApiError) as refused:
            uploads.inspect(uploads.Part("image", None, data), DALL_E_2_UPLOADS)
        assert refused.value.body()["error"]["code"] == "invalid_image_format"


def test_a_request_s_jpeg_scans_are_weighed_together() -> None:
    """Four 4096x4096 JPEGs of 100 scans walk as many blocks as one 8192x8192 of 100 scans: the limit.
    A fifth is refused before any is decoded."""
    one = bombs.jpeg_scan_bomb(100, side=4096)
    parts = [uploads.Part(f"image[{i}]", "image/jpeg", one) for i in range(5)]
    assert imagefile.scan_work(one, imagefile.header_info(one)) * 4 == 100 * imagefile.SCAN_BLOCKS
    started = time.process_time()
    with pytest.raises(ApiError) as refused:
        uploads.check_parts(parts, None, GPT_UPLOADS, array="image")
    assert time.process_time() - started < 0.5
    assert "image 5" in refused.value.body()["error"]["message"]
