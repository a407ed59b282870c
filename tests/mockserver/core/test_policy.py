"""The stand-in for the safety system: blocked prompt terms and blocked images."""

from __future__ import annotations

import hashlib
import io

import pytest

from mockserver import create_app
from mockserver.testing.handle import FakeHandle
from tests.conftest import AUTH
from tests.support.pngs import pattern, png_bytes, rgba_with_hole

PROMPT_REFUSAL = {"error": {
    "message": "Your request was rejected as a result of our safety system. Your prompt may contain text that "
               "is not allowed by our safety system.",
    "type": "invalid_request_error", "param": None, "code": "content_policy_violation"}}


@pytest.mark.parametrize("prompt", [
    "a nude statue", "NUDE", "Nude, in oils", "a ＮＵＤＥ statue", "a gore-fest", "nsfw!", "porn\tstar",
])
def test_blocked_prompts(prompt: str) -> None:
    response = create_app().test_client().post("/v1/images/generations", json={"prompt": prompt}, headers=AUTH)
    assert response.status_code == 400
    assert response.get_json() == PROMPT_REFUSAL


@pytest.mark.parametrize("prompt", ["denuded hills", "a gorey story", "pornographic? no: a pornograph", "nu de"])
def test_only_whole_words_are_blocked(prompt: str) -> None:
    response = create_app().test_client().post("/v1/images/generations",
                                               json={"prompt": prompt, "size": "256x256"}, headers=AUTH)
    assert response.status_code == 200


def test_terms_and_prompts_compare_after_nfkc() -> None:
    app = create_app(blocked_terms=("café noir", "ﬁre"))  # a decomposed-accent phrase, a ligature
    client = app.test_client()
    for prompt in ("un CAFÉ NOIR", "un cafe\u0301   noir", "fire and ice", "ＦＩＲＥ"):
        response = client.post("/v1/images/generations", json={"prompt": prompt}, headers=AUTH)
        assert response.get_json() == PROMPT_REFUSAL, prompt


def test_edit_prompts_are_checked_too() -> None:
    client = create_app(blocked_terms=("flamingo",)).test_client()
    data = {"prompt": "a pool with a Flamingo", "image": (io.BytesIO(png_bytes(rgba_with_hole(64))), "i.png")}
    response = client.post("/v1/images/edits", data=data, headers=AUTH, content_type="multipart/form-data")
    assert response.get_json() == PROMPT_REFUSAL


def test_blocked_images() -> None:
    image = png_bytes(pattern(64))
    client = create_app(blocked_image_sha256=(hashlib.sha256(image).hexdigest(),)).test_client()
    response = client.post("/v1/images/variations", data={"image": (io.BytesIO(image), "i.png")}, headers=AUTH,
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.get_json() == {"error": {
        "message": "Your input image may contain content that is not allowed by our safety system.",
        "type": "invalid_request_error", "param": None, "code": "content_policy_violation"}}
    other = png_bytes(pattern(32))
    ok = client.post("/v1/images/variations", data={"image": (io.BytesIO(other), "i.png")}, headers=AUTH,
                     content_type="multipart/form-data")
    assert ok.status_code == 200


def test_blocked_terms_change_at_run_time() -> None:
    app = create_app()
    client = app.test_client()
    assert client.post("/v1/images/generations", json={"prompt": "a kraken"}, headers=AUTH).status_code == 200
    FakeHandle.in_process(app).block_terms("kraken", replace=True)
    assert client.post("/v1/images/generations", json={"prompt": "a kraken"}, headers=AUTH).status_code == 400
    assert client.post("/v1/images/generations", json={"prompt": "a nude"}, headers=AUTH).status_code == 200
