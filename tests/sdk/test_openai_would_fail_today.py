""""Would fail today" through the official ``openai`` Python SDK: in the default era (the guide's
contract) an answer the service as of today refuses is still answered, and carries the header
``x-mock-would-fail-today`` with its reason, which its journal entry repeats; an answer today's
service gives too carries neither. ("Today" is the date the fake started: these reasons hold from
2026-10-23 on, the last of the dates they name.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
import requests

from mockserver.http.server import LiveServer
from tests.conftest import API_KEY, backend_of
from tests.support.pngs import pattern, png_bytes

PNG = png_bytes(pattern((256, 256)))
HEADER = "x-mock-would-fail-today"
NO_MODEL = "no model named, answered by dall-e-2; dall-e-2 was retired on 2026-05-12"
GPT_IMAGE_1 = "gpt-image-1 was shut down on 2026-10-23"
VARIATIONS = "the variations endpoint was retired on 2026-05-12"


@pytest.fixture
def sdk(live_server: LiveServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=live_server.base_url, api_key=API_KEY, max_retries=0) as client:
        yield client


def journal(live_server: LiveServer) -> list[dict[str, Any]]:
    """The journal as a user reads it: GET /_mock/requests (newest first)."""
    entries: list[dict[str, Any]] = requests.get(live_server.url + "/_mock/requests", timeout=10).json()["requests"]
    return entries


def test_a_request_naming_no_model_is_answered_by_dall_e_2_and_marked(sdk: openai.OpenAI,
                                                                     live_server: LiveServer) -> None:
    raw = sdk.images.with_raw_response.generate(prompt="a cat", size="256x256")
    result = raw.parse()
    assert result.data is not None and result.data[0].url  # answered as the guide's contract says
    assert raw.headers[HEADER] == NO_MODEL
    assert journal(live_server)[0]["would_fail_today"] == NO_MODEL


def test_gpt_image_1_is_answered_and_marked(sdk: openai.OpenAI, live_server: LiveServer) -> None:
    raw = sdk.images.with_raw_response.generate(model="gpt-image-1", prompt="a cat", quality="low")
    assert raw.parse().data is not None
    assert raw.headers[HEADER] == GPT_IMAGE_1
    assert journal(live_server)[0]["would_fail_today"] == GPT_IMAGE_1


def test_a_streamed_gpt_image_1_answer_is_marked(sdk: openai.OpenAI) -> None:
    with sdk.images.with_streaming_response.generate(model="gpt-image-1", prompt="a cat", quality="low",
                                                     stream=True) as raw:
        assert raw.headers[HEADER] == GPT_IMAGE_1
        assert b"image_generation.completed" in raw.read()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK marks create_variation deprecated
def test_a_variation_is_answered_and_marked(sdk: openai.OpenAI, live_server: LiveServer) -> None:
    raw = sdk.images.with_raw_response.create_variation(image=("a.png", PNG, "image/png"), size="256x256")
    assert raw.parse().data is not None
    assert raw.headers[HEADER] == VARIATIONS
    assert journal(live_server)[0]["would_fail_today"] == VARIATIONS


def test_gpt_image_1_5_carries_neither(sdk: openai.OpenAI, live_server: LiveServer) -> None:
    raw = sdk.images.with_raw_response.generate(model="gpt-image-1.5", prompt="a cat", quality="low")
    assert raw.parse().data is not None
    assert HEADER not in raw.headers
    entry = journal(live_server)[0]
    assert entry["status"] == 200 and entry["would_fail_today"] is None


def test_an_edit_naming_no_model_with_a_gpt_parameter_is_gpt_image_1_5s_and_unmarked(sdk: openai.OpenAI) -> None:
    raw = sdk.images.with_raw_response.edit(image=("a.png", PNG, "image/png"), prompt="a hat", output_format="png")
    assert raw.parse().usage is not None and HEADER not in raw.headers


def test_a_refusal_carries_no_mark(sdk: openai.OpenAI, live_server: LiveServer) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        sdk.images.generate(model="gpt-image-1", prompt="a cat", size="1x1")
    assert HEADER not in raised.value.response.headers
    assert journal(live_server)[0]["would_fail_today"] is None


def test_an_era_marks_what_it_serves_and_today_does_not(sdk: openai.OpenAI, live_server: LiveServer) -> None:
    backend = backend_of(live_server.app)
    try:
        backend.configure({"as_of": "2026-06-01"})  # gpt-image-1 still served, dall-e-2 retired
        raw = sdk.images.with_raw_response.generate(model="gpt-image-1", prompt="a cat", quality="low")
        assert raw.headers[HEADER] == GPT_IMAGE_1
        with pytest.raises(openai.NotFoundError) as raised:
            sdk.images.generate(model="dall-e-2", prompt="a cat")
        assert HEADER not in raised.value.response.headers
        backend.configure({"as_of": "today"})  # today's service: what it answers, today answers
        raw = sdk.images.with_raw_response.generate(model="gpt-image-2", prompt="a cat", quality="low")
        assert raw.parse().data is not None and HEADER not in raw.headers
        with pytest.raises(openai.NotFoundError):
            sdk.images.generate(model="gpt-image-1", prompt="a cat")
    finally:
        backend.reset(config=True)
