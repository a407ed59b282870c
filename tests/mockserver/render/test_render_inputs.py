"""mockserver.render.inputs: decoded inputs kept at the size the answer needs, in caches bounded in
bytes and emptied by ``POST /_mock/reset``; an input the decoder cannot read is an
:class:`UnreadableInput`, and the API's JSON refusal, never a 500 (issue 22, findings 2 and 3)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from PIL import Image

import mockserver.render as render_module
from mockserver.render import Recipe, UnreadableInput, empty_caches, render
from mockserver.render.inputs import _INPUTS, _THUMBS, ByteBoundedCache, image_bytes
from tests.support.pngs import pattern, png_bytes


def edit(image: bytes, side: int = 256, **changes: Any) -> Recipe:
    return Recipe("edits", "dall-e-2", "add a boat", side, side, 0, 1, image, None, **changes)


def test_the_cache_is_bounded_in_bytes_least_recently_used_first() -> None:
    cache = ByteBoundedCache[str](100)
    cache.put("a", "A", 40)
    cache.put("b", "B", 40)
    assert cache.get("a") == "A"  # now the most recently used
    cache.put("c", "C", 40)  # 120 bytes: the least recently used goes
    assert (cache.get("a"), cache.get("b"), cache.get("c"), cache.bytes) == ("A", None, "C", 80)
    cache.put("huge", "H", 101)  # larger than the whole cache: not kept, nothing dropped for it
    assert (cache.get("huge"), len(cache), cache.bytes) == (None, 2, 80)
    cache.clear()
    assert (len(cache), cache.bytes) == (0, 0)


def test_a_large_input_is_kept_at_the_size_the_answer_needs() -> None:
    empty_caches()
    large = png_bytes(pattern(1024, "RGBA"))  # 4 MB decoded, for a 128x128 answer
    out = Image.open(io.BytesIO(render(edit(large, 128))))
    assert out.size == (128, 128)
    assert len(_INPUTS) == 1
    assert _INPUTS.bytes <= 9 * 256 * 256 + 8 * 256  # reduced to twice the answer's side: 256x256
    # A JPEG is decoded at that scale by its decoder already.
    buf = io.BytesIO()
    pattern(2048).save(buf, "JPEG")
    empty_caches()
    render(edit(buf.getvalue(), 128))
    assert _INPUTS.bytes <= 9 * 256 * 256 + 8 * 256


def test_an_input_of_the_answer_s_size_is_decoded_as_it_is() -> None:
    """(The seed's edits and variations, pinned byte for byte by test_render_golden.py.)"""
    empty_caches()
    same = png_bytes(pattern(256, "RGBA"))
    render(edit(same))
    assert _INPUTS.bytes == image_bytes(Image.open(io.BytesIO(same))) + 5 * 256 * 256


def test_the_decoded_inputs_stay_within_their_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_INPUTS, "max_bytes", 3 << 20)  # room for five 256x256 inputs (590 KB each)
    empty_caches()
    for shade in range(8):
        image = pattern(256, "RGBA").point(lambda v, s=shade: (v + 20 * s) % 256)
        render(edit(png_bytes(image), 256))
    assert 0 < _INPUTS.bytes <= 3 << 20
    assert len(_INPUTS) == 5


def test_an_input_the_decoder_cannot_read_is_an_unreadable_input() -> None:
    whole = png_bytes(pattern(64))
    truncated = whole[: len(whole) // 2] + whole[-12:]
    with pytest.raises(UnreadableInput):
        render(edit(truncated, 64))
    with pytest.raises(UnreadableInput):  # as an extra image's thumbnail
        render(Recipe("edits", "gpt-image-1", "a boat", 1024, 1024, 0, 1, whole, None, extra_images=(b"\x89PNG",)))


def test_reset_empties_the_render_caches(client: FlaskClient) -> None:
    large = png_bytes(pattern(1024, "RGBA"))
    answer = client.post("/v1/images/edits", headers={"Authorization": "Bearer sk-test"},
                         data={"image": (io.BytesIO(large), "in.png"), "prompt": "a boat", "size": "256x256",
                               "response_format": "b64_json"},
                         content_type="multipart/form-data")
    assert answer.status_code == 200, answer.get_json()
    assert len(_INPUTS) > 0 and len(render_module.CACHES[2]) > 0  # the decoded input, the faces
    assert client.post("/_mock/reset", json={}).status_code == 200
    assert (len(_INPUTS), len(_THUMBS), len(render_module.CACHES[2]), len(render_module.CACHES[3])) == (0, 0, 0, 0)


def test_the_images_of_one_answer_share_one_decode_of_an_input_too_large_to_keep(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from mockserver.render import inputs

    decodes: list[int] = []
    real = inputs._decoded
    monkeypatch.setattr(inputs, "_decoded", lambda data, size: decodes.append(len(data)) or real(data, size))
    monkeypatch.setattr(_INPUTS, "max_bytes", 1 << 20)  # a 400x400 input (1.4 MB held) is too large to keep
    empty_caches()
    large = png_bytes(pattern(400, "RGBA"))
    recipes = [Recipe("edits", "gpt-image-1", "a boat", 256, 256, i, 3, large, None) for i in range(3)]
    with render_module.holding_inputs():
        outputs = [render(r) for r in recipes]
    assert len(decodes) == 1
    assert len(_INPUTS) == 0  # let go once the answer is made
    decodes.clear()
    assert [render(r) for r in recipes] == outputs  # the same pictures, decoded once each without
    assert len(decodes) == 3
