"""contracts.imagefile: formats from the bytes, dimensions and alpha from the headers, damaged
files refused, and the pixel limit applied before anything is decoded."""

from __future__ import annotations

import io
import struct
import time
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from contracts import imagefile
from tests.support.pngs import claiming, pattern
from tests.support.profiles import budget

LIMIT = 4096 * 4096


def encode(image: Image.Image, fmt: str, **save: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **save)
    return buf.getvalue()


def transparent(size: tuple[int, int]) -> Image.Image:
    image = pattern(size, "RGBA")
    image.putalpha(128)
    return image


# (what, bytes, format, width, height, alpha)
GOOD = [
    ("png rgb", encode(pattern((300, 200)), "PNG"), "png", 300, 200, False),
    ("png rgba", encode(transparent((64, 96)), "PNG"), "png", 64, 96, True),
    ("png grey", encode(pattern(40, "L"), "PNG"), "png", 40, 40, False),
    ("png grey+alpha", encode(pattern(40, "LA"), "PNG"), "png", 40, 40, True),
    ("png palette", encode(pattern(48, "P"), "PNG"), "png", 48, 48, False),
    ("png palette with tRNS", encode(pattern(48, "P"), "PNG", transparency=0), "png", 48, 48, True),
    ("png rgb with tRNS", encode(pattern(32), "PNG", transparency=(30, 90, 160)), "png", 32, 32, True),
    ("png 16-bit", encode(pattern(32, "I;16"), "PNG"), "png", 32, 32, False),
    ("png interlaced", encode(pattern((37, 23)), "PNG", interlace=1), "png", 37, 23, False),
    ("png 1-bit", encode(pattern((33, 9), "1"), "PNG"), "png", 33, 9, False),
    ("jpeg baseline", encode(pattern((320, 240)), "JPEG"), "jpeg", 320, 240, False),
    ("jpeg progressive", encode(pattern((200, 120)), "JPEG", progressive=True), "jpeg", 200, 120, False),
    ("jpeg grey", encode(pattern(64, "L"), "JPEG"), "jpeg", 64, 64, False),
    ("webp lossy", encode(pattern((250, 130)), "WEBP", quality=60), "webp", 250, 130, False),
    ("webp lossless", encode(pattern((99, 77)), "WEBP", lossless=True), "webp", 99, 77, False),
    ("webp lossy alpha", encode(transparent((120, 80)), "WEBP", quality=60), "webp", 120, 80, True),
    ("webp lossless alpha", encode(transparent((50, 70)), "WEBP", lossless=True), "webp", 50, 70, True),
]


@pytest.mark.parametrize(("what", "data", "fmt", "width", "height", "alpha"), GOOD, ids=[g[0] for g in GOOD])
def test_good_images_are_described_from_their_headers(
    what: str, data: bytes, fmt: str, width: int, height: int, alpha: bool
) -> None:
    assert imagefile.sniff(data) == fmt
    header = imagefile.header_info(data)
    assert (header.format, header.width, header.height, header.alpha) == (fmt, width, height, alpha)
    assert imagefile.inspect(data, max_pixels=LIMIT) == header


@pytest.mark.parametrize("data", [b"", b"GIF89a" + b"\0" * 40, b"BM" + b"\0" * 60, b"RIFF\0\0\0\0WAVEfmt ",
                                  b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"\xff\xd8"])
def test_other_bytes_are_no_image(data: bytes) -> None:
    assert imagefile.sniff(data) is None
    with pytest.raises(imagefile.ImageFileError):
        imagefile.inspect(data, max_pixels=LIMIT)


PNG = encode(pattern((300, 200)), "PNG")
JPEG = encode(pattern((320, 240)), "JPEG")
WEBP = encode(pattern((250, 130)), "WEBP", quality=60)


def _idat_recompressed(data: bytes, payload: bytes) -> bytes:
    """``data`` (a PNG with one IDAT) with its IDAT replaced by ``payload`` (CRC fixed)."""
    start = data.index(b"IDAT") - 4
    (length,) = struct.unpack_from(">I", data, start)
    chunk = struct.pack(">I", len(payload)) + b"IDAT" + payload
    chunk += struct.pack(">I", zlib.crc32(b"IDAT" + payload))
    return data[:start] + chunk + data[start + 12 + length:]


def _raw_idat(data: bytes) -> bytes:
    start = data.index(b"IDAT") - 4
    (length,) = struct.unpack_from(">I", data, start)
    return zlib.decompress(data[start + 8 : start + 8 + length])


DAMAGED = [
    ("png truncated", PNG[: len(PNG) // 2]),
    ("png without IEND", PNG[:-12]),
    ("png with a bad CRC", PNG[:40] + bytes([PNG[40] ^ 1]) + PNG[41:]),
    ("png with junk after IEND", PNG + b"junk"),
    ("png whose pixels are short (CRC intact)", _idat_recompressed(PNG, zlib.compress(_raw_idat(PNG)[:-50]))),
    ("png whose pixels are long (CRC intact)", _idat_recompressed(PNG, zlib.compress(_raw_idat(PNG) + b"\0" * 9))),
    ("png whose stream is cut (CRC intact)", _idat_recompressed(PNG, zlib.compress(_raw_idat(PNG))[:-8])),
    ("jpeg truncated", JPEG[: len(JPEG) // 2]),
    ("jpeg header only", JPEG[:600]),
    ("webp truncated", WEBP[: len(WEBP) // 2]),
    ("webp with a wrong RIFF size", WEBP[:4] + struct.pack("<I", len(WEBP) + 100) + WEBP[8:]),
    ("webp lossless with a broken bitstream",
     encode(pattern(64), "WEBP", lossless=True)[:30] + b"\xff" * 300),
]


@pytest.mark.parametrize(("what", "data"), DAMAGED, ids=[d[0] for d in DAMAGED])
def test_damaged_files_are_refused(what: str, data: bytes) -> None:
    with pytest.raises(imagefile.ImageFileError):
        imagefile.inspect(data, max_pixels=LIMIT)


def test_an_mpo_jpeg_is_refused() -> None:
    # [obs] the real API refuses multi-picture JPEGs (as phones write them).
    first, second = pattern((64, 48)), pattern((64, 48), "RGB").rotate(180)
    data = encode(first, "MPO", save_all=True, append_images=[second])
    assert imagefile.sniff(data) == "jpeg"
    with pytest.raises(imagefile.ImageFileError):
        imagefile.inspect(data, max_pixels=LIMIT)


def _png_claiming(width: int, height: int) -> bytes:
    return claiming(width, height, colour_type=2, raw=b"\0" * 1024)  # RGB, 1 KB of pixel data


def _jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(JPEG)
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


@pytest.mark.parametrize("data", [_png_claiming(60000, 60000), _jpeg_claiming(65000, 65000)])
def test_the_pixel_limit_is_applied_before_decoding(data: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(imagefile.TooManyPixels) as caught:
        imagefile.inspect(data, max_pixels=LIMIT)
    assert time.perf_counter() - started < 1.0  # nothing of 3.6 gigapixels was decoded
    assert caught.value.width * caught.value.height > LIMIT


def test_a_header_that_lies_about_the_size_is_refused() -> None:
    assert imagefile.header_info(_jpeg_claiming(640, 480)).size == "640x480"
    with pytest.raises(imagefile.ImageFileError):
        imagefile.inspect(_png_claiming(64, 64), max_pixels=LIMIT)  # 64x64 RGB is not 1024 bytes


def test_a_cmyk_jpeg_says_so() -> None:
    info = imagefile.inspect(encode(pattern(32, "CMYK"), "JPEG"), max_pixels=LIMIT)
    assert (info.format, info.mode, info.alpha) == ("jpeg", "CMYK", False)


PREFIXES = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF\x20\x00\x00\x00WEBPVP8 ", b"RIFF\x20\x00\x00\x00WEBPVP8L",
            b"RIFF\x20\x00\x00\x00WEBPVP8X", PNG[:40], JPEG[:200], WEBP[:30]]


@budget(1.5)
@given(prefix=st.sampled_from(PREFIXES), tail=st.binary(max_size=300), cut=st.integers(0, 400))
def test_any_bytes_are_described_or_refused_never_crash(prefix: bytes, tail: bytes, cut: int) -> None:
    data = (prefix + tail)[: max(cut, len(prefix))]
    try:
        info = imagefile.inspect(data, max_pixels=LIMIT)
    except imagefile.ImageFileError:
        return
    assert info.format in imagefile.FORMATS and info.width > 0 and info.height > 0
