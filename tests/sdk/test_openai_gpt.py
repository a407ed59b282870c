"""Today's models through the official ``openai`` Python SDK (current line), base URL changed only.

Each served model answers a valid generation with decodable images of the size and format asked
(and GPT models with ``usage``); gpt-image-2 draws a free size; dall-e-3 revises prompts and
refuses n=2; GPT models refuse ``response_format``; moderation and verification refusals arrive as
the SDK's exception classes with the API's fields.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai.types import ImagesResponse
from PIL import Image

from contracts.models import GPT_ANSWER, MODELS
from mockserver.http.server import LiveServer
from tests.conftest import API_KEY, backend_of

PROMPT = "a white siamese cat"
PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF"}
GENERATION_MODELS = [name for name, p in MODELS.items() if "generations" in p.endpoints]


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=live_server.base_url, api_key=API_KEY, max_retries=0) as sdk:
        yield sdk


def decode(result: ImagesResponse, index: int = 0) -> Image.Image:
    assert result.data is not None
    b64 = result.data[index].b64_json
    assert b64 is not None
    return Image.open(io.BytesIO(base64.b64decode(b64)))


def _format_for(model: str) -> str:
    """A format per model, so that png, jpeg and webp (and gif where served) are all exercised."""
    formats = MODELS[model].output_format
    assert formats is not None
    usable = [f for f in formats.values if f != "svg"]
    return usable[GENERATION_MODELS.index(model) % len(usable)]


@pytest.mark.parametrize("model", GENERATION_MODELS)
def test_each_model_answers_a_valid_generation(client: openai.OpenAI, model: str) -> None:
    profile = MODELS[model]
    params: dict[str, Any] = {"model": model, "prompt": PROMPT, "size": "1024x1024"}
    if profile.answer == GPT_ANSWER:
        output_format = _format_for(model)
        params.update(output_format=output_format, quality="low", n=2)
    else:
        output_format = "png"
        params["response_format"] = "b64_json"
    result = client.images.generate(**params)
    assert result.data is not None and len(result.data) == params.get("n", 1)
    for index in range(len(result.data)):
        image = decode(result, index)
        assert (image.format, image.size) == (PIL_FORMATS[output_format], (1024, 1024))
    if profile.answer == GPT_ANSWER:
        assert result.usage is not None
        assert result.usage.output_tokens == 2 * 272  # two low 1024x1024 images
        assert result.usage.input_tokens_details.text_tokens == 5  # 19 characters, one token per 4 started
        assert result.usage.total_tokens == result.usage.input_tokens + result.usage.output_tokens
        assert (result.output_format, result.size, result.quality, result.background) == (
            output_format, "1024x1024", "low", "opaque")
        assert all(item.url is None for item in result.data)
    else:
        assert result.usage is None


def test_gpt_image_2_draws_1536x864(client: openai.OpenAI) -> None:
    result = client.images.generate(model="gpt-image-2", prompt=PROMPT, size="1536x864", quality="low")
    assert decode(result).size == (1536, 864)
    assert result.size == "1536x864"


@pytest.mark.parametrize("output_format", ["jpeg", "webp"])
def test_compression_changes_the_byte_count(client: openai.OpenAI, output_format: Any) -> None:
    def size(compression: int) -> int:
        result = client.images.generate(model="gpt-image-1.5", prompt=PROMPT, quality="low",
                                        output_format=output_format, output_compression=compression)
        assert result.data is not None and result.data[0].b64_json is not None
        return len(base64.b64decode(result.data[0].b64_json))

    assert size(10) < size(100)


def test_a_transparent_webp_carries_alpha(client: openai.OpenAI) -> None:
    result = client.images.generate(model="gpt-image-1.5", prompt=PROMPT, background="transparent",
                                    output_format="webp")
    image = decode(result)
    assert image.format == "WEBP" and image.convert("RGBA").getextrema()[3][0] < 255
    assert result.background == "transparent"


def test_dall_e_3_returns_revised_prompt(client: openai.OpenAI) -> None:
    result = client.images.generate(model="dall-e-3", prompt=PROMPT)
    assert result.data is not None
    assert result.data[0].revised_prompt == "A white siamese cat. Rendered in a vivid style, with rich detail."
    assert result.data[0].url is not None


def test_dall_e_3_refuses_n_2(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="dall-e-3", prompt=PROMPT, n=2)
    assert (caught.value.code, caught.value.param) == ("integer_above_max_value", "n")
    assert caught.value.message == (
        "Error code: 400 - Invalid 'n': integer above maximum value. Expected a value <= 1, but got 2 instead.")


def test_a_gpt_model_refuses_response_format(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="gpt-image-1.5", prompt=PROMPT, response_format="url")
    assert (caught.value.code, caught.value.param, caught.value.type) == (
        "unknown_parameter", "response_format", "invalid_request_error")
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["message"] == "Unknown parameter: 'response_format'."


def test_moderation_blocked_is_a_bad_request_error_with_its_details(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="gpt-image-2", prompt="a nude figure")
    error = caught.value
    assert (error.status_code, error.code, error.type) == (400, "moderation_blocked", "image_generation_user_error")
    assert isinstance(error.body, dict)
    assert error.body["moderation_details"] == {"moderation_stage": "input", "categories": ["sexual"]}
    assert error.request_id is not None and error.request_id in error.body["message"]


def test_organization_must_be_verified_is_a_permission_denied_error(
    client: openai.OpenAI, live_server: LiveServer
) -> None:
    backend = backend_of(live_server.app)
    backend.configure({"verification_required_models": ["gpt-image-1"]})
    try:
        with pytest.raises(openai.PermissionDeniedError) as caught:
            client.images.generate(model="gpt-image-1", prompt=PROMPT)
    finally:
        backend.reset(config=True)
    assert caught.value.status_code == 403 and caught.value.code == "organization_must_be_verified"
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["message"].startswith(
        "Your organization must be verified to use the model `gpt-image-1`.")
