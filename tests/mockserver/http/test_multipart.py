"""The multipart parser that compiles nothing per boundary (mockserver/http/multipart.py) finds
what Werkzeug's finds, and the fake parses bodies with a new random boundary each time as
it parses any other: same fields, same files, same limits, same refusals.

The oracle for the boundary search is Werkzeug's own pair of compiled patterns, built the
way its decoder builds them, run on the same bytes."""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from werkzeug.formparser import FormDataParser
from werkzeug.sansio.multipart import LINE_BREAK, MultipartDecoder

from contracts.limits import MAX_FORM_FIELD_BYTES, MAX_FORM_PARTS
from mockserver import create_app
from mockserver.http.multipart import BoundarySearch, Decoder
from tests.support.pngs import png_bytes
from tests.support.profiles import budget

AUTH = {"Authorization": "Bearer sk-test"}


def werkzeug_patterns(boundary: bytes) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """(preamble, boundary) patterns, exactly as MultipartDecoder.__init__ compiles them."""
    decoder = MultipartDecoder(boundary)
    return decoder.preamble_re, decoder.boundary_re


def test_the_decoder_sets_the_state_werkzeugs_sets() -> None:
    # If a Werkzeug upgrade adds state to MultipartDecoder.__init__, Decoder must set it too.
    assert set(vars(Decoder(b"x", 10, max_parts=3))) == set(vars(MultipartDecoder(b"x", 10, max_parts=3)))
    assert LINE_BREAK == b"(?:\r\n|\n|\r)"


# Boundaries as clients make them (RFC 2046 bchars), short ones to make overlaps likely.
boundaries = st.text(alphabet="ab-_'()+,./:=? 0123456789", min_size=1, max_size=6).map(str.encode).filter(
    lambda b: not b.endswith(b" "))


@st.composite
def haystacks(draw: st.DrawFn) -> tuple[bytes, bytes, int]:
    boundary = draw(boundaries)
    pieces = st.sampled_from([b"--" + boundary, b"--", boundary, b"\r\n", b"\r", b"\n", b" ", b"\t", b"x",
                              b"-", boundary[:1], boundary[-1:]])
    data = b"".join(draw(st.lists(pieces, max_size=16)))
    return boundary, data, draw(st.integers(0, len(data)))


@budget(30)  # a cheap pure function: many cases
@given(haystacks())
def test_boundary_search_finds_what_werkzeugs_patterns_find(case: tuple[bytes, bytes, int]) -> None:
    boundary, data, pos = case
    preamble_re, boundary_re = werkzeug_patterns(boundary)
    for pattern, ours in ((preamble_re, BoundarySearch(boundary, optional_break=True)),
                          (boundary_re, BoundarySearch(boundary, optional_break=False))):
        for subject in (data, bytearray(data)):
            want = pattern.search(subject, pos)
            got = ours.search(subject, pos)
            if want is None:
                assert got is None
            else:
                assert got is not None
                assert (got.start(), got.end(), bytes(got.group(1))) == (want.start(), want.end(),
                                                                         bytes(want.group(1)))


# --- the fake, end to end ----------------------------------------------------------------


def png(size: int = 256, mode: str = "RGB") -> bytes:
    """A plain square of one colour (transparent in RGBA)."""
    return png_bytes(Image.new(mode, (size, size), (10, 20, 30, 0) if mode == "RGBA" else (10, 20, 30)))


def form(boundary: str, fields: list[tuple[str, str]], files: list[tuple[str, bytes]]) -> bytes:
    b = boundary.encode()
    body = b"".join(b'--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (b, k.encode(), v.encode())
                    for k, v in fields)
    for name, data in files:
        body += (b'--%s\r\nContent-Disposition: form-data; name="%s"; filename="image.png"\r\n'
                 b"Content-Type: image/png\r\n\r\n" % (b, name.encode())) + data + b"\r\n"
    return body + b"--%s--\r\n" % b


def post(client: object, path: str, boundary: str, body: bytes) -> object:
    return client.post(path, data=body, headers={  # type: ignore[attr-defined]
        **AUTH, "Content-Type": f"multipart/form-data; boundary={boundary}"})


@pytest.fixture
def client() -> object:
    return create_app(rate_limits=()).test_client()


def werkzeug_client() -> object:
    """The same fake, parsing forms with Werkzeug's own parser (the one it used before)."""
    app = create_app(rate_limits=())
    app.request_class = type("StockRequest", (app.request_class,), {"form_data_parser_class": FormDataParser})
    return app.test_client()


def same_answer(client: object, path: str, boundary: str, body: bytes) -> object:
    """Post body to the fake and to the fake with Werkzeug's parser: the same status and bytes."""
    ours = post(client, path, boundary, body)
    stock = post(werkzeug_client(), path, boundary, body)
    assert ours.status_code == stock.status_code  # type: ignore[attr-defined]
    if ours.status_code == 200:  # type: ignore[attr-defined]
        # An answer: the same images ("created" is the clock's second, which may have turned).
        assert ours.get_json()["data"] == stock.get_json()["data"]  # type: ignore[attr-defined]
    else:
        assert ours.get_data() == stock.get_data()  # type: ignore[attr-defined]
    return ours


def test_random_boundaries_parse_as_a_fixed_one(client: object) -> None:
    """httpx's boundaries (32 random hex digits), one per request, and a fixed one: same answers."""
    image = png()
    fields = [("n", "2"), ("size", "256x256"), ("response_format", "b64_json")]
    answers = []
    for boundary in [os.urandom(16).hex() for _ in range(3)] + ["fixed-boundary"]:
        response = post(client, "/v1/images/variations", boundary, form(boundary, fields, [("image", image)]))
        assert response.status_code == 200, response.get_data()  # type: ignore[attr-defined]
        answers.append([d["b64_json"] for d in response.get_json()["data"]])  # type: ignore[attr-defined]
    assert all(a == answers[0] for a in answers) and len(answers[0]) == 2


def test_repeated_fields_and_array_names_parse_as_before(client: object) -> None:
    """``image[]`` repeated (a GPT edit's array) arrives as several images, in order."""
    boundary = os.urandom(16).hex()
    body = form(boundary, [("prompt", "a cat"), ("model", "gpt-image-1.5"), ("size", "1024x1024"),
                           ("quality", "low")],
                [("image[]", png(64)), ("image[]", png(64, "RGBA"))])
    response = post(client, "/v1/images/edits", boundary, body)
    assert response.status_code == 200, response.get_data()  # type: ignore[attr-defined]


def test_too_many_parts_is_still_refused(client: object) -> None:
    boundary = os.urandom(16).hex()
    body = form(boundary, [("n", "1")] * (MAX_FORM_PARTS + 1), [])
    response = same_answer(client, "/v1/images/variations", boundary, body)
    assert response.status_code == 413  # type: ignore[attr-defined]
    assert str(MAX_FORM_PARTS) in response.get_json()["error"]["message"]  # type: ignore[attr-defined]


def test_a_field_over_its_size_is_still_refused(client: object) -> None:
    boundary = os.urandom(16).hex()
    body = form(boundary, [("prompt", "x" * (MAX_FORM_FIELD_BYTES + 1))], [("image", png())])
    response = same_answer(client, "/v1/images/edits", boundary, body)
    assert response.status_code == 413  # type: ignore[attr-defined]
    assert f"{MAX_FORM_FIELD_BYTES:,}".replace(",", "") in response.get_json()["error"]["message"].replace(
        ",", "")  # type: ignore[attr-defined]


@pytest.mark.parametrize("damage", [
    lambda body, b: body.replace(b"--%s--" % b, b""),  # never closed
    lambda body, b: body.replace(b"Content-Disposition", b"Content-Dispositio"),  # a part without one
    lambda body, b: body.replace(b"--%s\r\n" % b, b"--%sX\r\n" % b),  # boundaries that do not match
    lambda body, b: body.replace(b"\r\n", b"\n"),  # bare LF line breaks (accepted, as before)
    lambda body, b: body[: len(body) // 2],  # cut in the middle of the image
    lambda body, b: b"preamble\r\n" + body + b"epilogue",
])
def test_a_broken_or_odd_body_answers_as_before(client: object, damage: object) -> None:
    boundary = os.urandom(16).hex()
    body = form(boundary, [("n", "1"), ("response_format", "b64_json")], [("image", png(64))])
    broken = damage(body, boundary.encode())  # type: ignore[operator]
    response = same_answer(client, "/v1/images/variations", boundary, broken)
    assert response.status_code in (200, 400)  # type: ignore[attr-defined]


def _crc_valid_png_with_broken_stream(filter_type: int = 0, damage_stream: bool = True) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(bytes([filter_type]) + bytes(range(256)) * 3 for _ in range(256))
    stream = bytearray(zlib.compress(rows))
    if damage_stream:
        stream[len(stream) // 2] ^= 0xFF  # inside the deflate data; every CRC is computed after
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 256, 256, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", bytes(stream)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("bad", [
    _crc_valid_png_with_broken_stream(),  # a damaged deflate stream
    _crc_valid_png_with_broken_stream(filter_type=7, damage_stream=False),  # an unknown row filter
])
def test_a_png_only_a_decode_finds_broken_is_still_refused_with_the_same_error(client: object, bad: bytes) -> None:
    """Every CRC right, the damage inside the image data: refused as a PNG cut short is."""
    answers = []
    for image in (bad, png()[:-20]):
        boundary = os.urandom(16).hex()
        response = post(client, "/v1/images/variations", boundary, form(boundary, [("n", "1")], [("image", image)]))
        answers.append((response.status_code, response.get_data()))  # type: ignore[attr-defined]
    assert answers[0] == answers[1]
    assert answers[0][0] == 400
