"""contracts.png.inspect refuses exactly the PNGs a full decode refuses, without decoding.

The oracle is what inspect did before it stopped building the picture: Pillow's verify()
then load(), run here on the same bytes. The PNGs are written chunk by chunk, so that the
damage a decode alone could see can be made with every CRC still right: a broken deflate
stream, a stream too short or too long, a row with an unknown filter type, the image data
split over many IDAT chunks or interrupted by another chunk, a broken chunk after the data.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from contracts import png
from contracts.media import PNG_SIGNATURE
from tests.support.pngs import chunk
from tests.support.profiles import budget

SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}


def before(data: bytes) -> png.PngInfo | None:
    """What inspect answered before: None for a refusal."""
    try:
        width, height = png.header_size(data)
        if not data.endswith(png.IEND):
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG"]) as probe:
                probe.verify()
            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                image.load()
                if image.size != (width, height):
                    return None
                return png.PngInfo(width, height, image.mode)
    except Exception:  # any refusal
        return None


def now(data: bytes) -> png.PngInfo | None:
    try:
        return png.inspect(data, max_pixels=1 << 20)
    except png.PngError:
        return None


@st.composite
def pngs(draw: st.DrawFn) -> bytes:
    colour = draw(st.sampled_from(sorted(SAMPLES)))
    depth = draw(st.sampled_from(DEPTHS[colour]))
    width, height = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    stride = (width * SAMPLES[colour] * depth + 7) // 8
    rows = b"".join(bytes([draw(st.integers(0, 4))]) + draw(st.binary(min_size=stride, max_size=stride))
                    for _ in range(height))
    # Damage that only reading the image data shows (CRCs stay right).
    damage = draw(st.sampled_from(["none", "filter", "short", "long", "flip", "no-end", "garbage-after"]))
    if damage == "filter":
        at = draw(st.integers(0, height - 1)) * (stride + 1)
        rows = rows[:at] + bytes([draw(st.integers(5, 255))]) + rows[at + 1 :]
    elif damage == "short":
        rows = rows[: draw(st.integers(0, len(rows) - 1))]
    elif damage == "long":
        rows += draw(st.binary(min_size=1, max_size=20))
    stream = zlib.compress(rows, draw(st.integers(0, 9)))
    if damage == "flip":
        at = draw(st.integers(0, len(stream) - 1))
        stream = stream[:at] + bytes([stream[at] ^ draw(st.integers(1, 255))]) + stream[at + 1 :]
    elif damage == "no-end":
        stream = stream[: draw(st.integers(1, len(stream)))]
    elif damage == "garbage-after":
        stream += draw(st.binary(min_size=1, max_size=8))
    head = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0))
    if colour == 3:
        head += chunk(b"PLTE", bytes(i % 256 for i in range(3 * (1 << depth))))
        if draw(st.booleans()):
            head += chunk(b"tRNS", bytes([0, 128]))
    elif colour in (0, 2) and draw(st.booleans()):
        head += chunk(b"tRNS", bytes(2 * SAMPLES[colour]))
    # The stream over several IDAT chunks (empty ones too), maybe with another chunk between.
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=4)))
    pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    idats = [chunk(b"IDAT", piece) for piece in pieces]
    if len(idats) > 1 and draw(st.booleans()):
        idats.insert(draw(st.integers(1, len(idats) - 1)), chunk(b"tEXt", b"k\x00v"))
    tail = draw(st.sampled_from([
        b"",
        chunk(b"tEXt", b"Comment\x00after the data"),
        chunk(b"zTXt", b"Comment\x00\x01" + zlib.compress(b"x")),  # an unknown compression method
        chunk(b"zTXt", b"Comment\x00\x00" + b"not zlib"),
        chunk(b"pHYs", b"\x00"),  # too short for its fields
        chunk(b"sRGB", b""),  # truncated
        chunk(b"vpAg", b"private"),
    ]))
    return PNG_SIGNATURE + head + b"".join(idats) + tail + png.IEND


@budget(15)  # chunk by chunk, many ways to be damaged: many cases
@given(pngs())
def test_inspect_refuses_what_a_decode_refuses(data: bytes) -> None:
    assert now(data) == before(data)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "1", "I;16"])
@pytest.mark.parametrize("interlace", [False, True])
def test_pillow_written_pngs_answer_as_before(mode: str, interlace: bool) -> None:
    image = Image.linear_gradient("L").resize((37, 23)).convert(mode)
    out = io.BytesIO()
    image.save(out, "PNG", **({"interlace": 1} if interlace else {}))  # type: ignore[arg-type]
    data = out.getvalue()
    assert now(data) == before(data) is not None
    broken = data[:-40] + bytes([data[-40] ^ 1]) + data[-39:]  # a CRC or data byte damaged
    assert now(broken) == before(broken) is None


def test_a_corrupt_idat_with_right_crcs_is_refused() -> None:
    rows = b"".join(b"\x00" + bytes(range(48)) for _ in range(16))
    stream = bytearray(zlib.compress(rows))
    stream[5] ^= 0xFF  # damage inside the deflate data; the chunk's CRC is computed after
    data = (PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", bytes(stream)) + png.IEND)
    assert before(data) is None
    with pytest.raises(png.PngError):
        png.inspect(data, max_pixels=1 << 20)


@st.composite
def big_pngs(draw: st.DrawFn) -> bytes:
    """Streams longer than the 64 KB pieces Pillow's loader reads: where a piece ends matters."""
    import random

    rng = random.Random(draw(st.integers(0, 3)))
    width, height = 200, draw(st.integers(100, 140))
    stride = width * 3
    rows = b"".join(bytes([rng.randrange(5)]) + rng.randbytes(stride) for _ in range(height))
    stream = zlib.compress(rows, draw(st.sampled_from([0, 1, 6])))
    damage = draw(st.sampled_from(["none", "cut", "flip", "short-rows"]))
    if damage == "cut":
        stream = stream[: draw(st.integers(1, len(stream) - 1))]
    elif damage == "flip":
        at = draw(st.integers(2, len(stream) - 1))
        stream = stream[:at] + bytes([stream[at] ^ 0x55]) + stream[at + 1 :]
    elif damage == "short-rows":  # a whole stream that ends on a row boundary, early
        stream = zlib.compress(rows[: draw(st.integers(1, height - 1)) * (stride + 1)])
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=3)))
    idats = b"".join(chunk(b"IDAT", stream[a:b]) for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True))
    head = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    return PNG_SIGNATURE + head + idats + png.IEND


@budget(0.5)  # each one megapixels to decode
@given(big_pngs())
def test_inspect_refuses_what_a_decode_refuses_across_pieces(data: bytes) -> None:
    assert now(data) == before(data)
