"""contracts.parity.compare on the fake's own answers: two answers to one request are the same
to a client; each thing a client relies on, changed, is named; an assumed value is told apart."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from contracts.parity import MUST_DIFFER, compare, describe, describe_image, source_of
from contracts.parity.recorded import answer, api_path
from contracts.usage import ANSWER_SOURCES
from contracts.verify.sending import Answer
from mockserver import create_app
from mockserver.testing.transport import requests_session
from tests.support.pngs import pattern, png_bytes

AUTH = {"Authorization": "Bearer sk-test"}
BASE = "http://fake.test/v1"
GPT = {"model": "gpt-image-1", "prompt": "a lighthouse", "size": "1024x1024", "quality": "low"}


@pytest.fixture
def http() -> Iterator[requests.Session]:
    session = requests_session(create_app(rate_limits="off"))
    yield session
    session.close()


def post(http: requests.Session, body: dict[str, Any], path: str = "/images/generations") -> Answer:
    response = http.post(BASE + path, json=body, headers=AUTH)
    return answer(response.status_code, dict(response.headers), response.content)


def changed(original: Answer, edit: Any = None, *, status: int | None = None,
            drop_header: str | None = None) -> Answer:
    body = copy.deepcopy(original.body)
    if edit is not None:
        edit(body)
    headers = {k: v for k, v in original.headers.items() if k.lower() != (drop_header or "").lower()}
    return Answer(status or original.status, CaseInsensitiveDict(headers), json.dumps(body).encode(), body)


def test_two_answers_to_one_request_are_the_same_to_a_client(http: requests.Session) -> None:
    one, other = post(http, GPT), post(http, GPT)
    assert one.headers["x-request-id"] != other.headers["x-request-id"]  # what must differ does
    assert compare(one, other) == []
    assert describe(one).startswith("200 1 image(s) [png 1024x1024]")


def test_streams_compare_event_types_in_order(http: requests.Session) -> None:
    one = post(http, {**GPT, "stream": True, "partial_images": 1})
    assert compare(one, post(http, {**GPT, "stream": True, "partial_images": 1})) == []
    fewer = post(http, {**GPT, "stream": True, "partial_images": 0})
    found = compare(one, fewer)
    assert found[0].where == "events"
    assert found[0].recorded == "[image_generation.partial_image, image_generation.completed]"
    assert found[0].got == "[image_generation.completed]"


def test_each_difference_a_client_sees_is_named(http: requests.Session) -> None:
    good = post(http, GPT)

    def jpeg(body: dict[str, Any]) -> None:
        body["data"][0]["b64_json"] = base64.b64encode(png_bytes(pattern(512))).decode()
        body["output_format"] = "jpeg"
        body["size"] = 7

    found = {f.where: f for f in compare(good, changed(good, jpeg, drop_header="openai-version"))}
    assert str(found["header openai-version"]) == (
        "header openai-version: recorded present, got absent")
    assert str(found["data[0].b64_json"]) == "data[0].b64_json: recorded png 1024x1024, got png 512x512"
    assert str(found["output_format"]) == 'output_format: recorded "png", got "jpeg"'
    assert str(found["size"]) == 'size: recorded "1024x1024" (string), got 7 (integer)'
    assert not any(f.assumed for f in found.values())

    more = compare(good, changed(good, lambda b: b["data"].append(b["data"][0])))
    assert [str(f) for f in more] == ["data (items): recorded 1, got 2"]


def test_error_fields_are_compared_by_value(http: requests.Session) -> None:
    refused = post(http, {**GPT, "size": "17x17"})
    assert refused.status == 400
    other = post(http, {**GPT, "n": 99})
    wheres = {f.where for f in compare(refused, other)}
    assert {"error.message", "error.param"} <= wheres
    assert describe(refused).startswith("400 error type='invalid_request_error'")
    good = post(http, GPT)
    assert [str(f) for f in compare(refused, good)][:1] == ["status: recorded 400, got 200"]


def test_a_value_the_contract_assumes_is_told_apart(http: requests.Session) -> None:
    good = post(http, GPT)

    def more_tokens(body: dict[str, Any]) -> None:
        body["usage"]["input_tokens"] += 5
        body["usage"]["total_tokens"] += 5

    found = compare(good, changed(good, more_tokens))
    assert [f.where for f in found] == ["usage.input_tokens", "usage.total_tokens"]
    assert all(f.assumed for f in found)
    assert found[0].source == ANSWER_SOURCES["usage.input_tokens"]
    # The mark is the contract's data: a value it sources ([guide]) is not assumed, one it does not name is not.
    assert source_of("event 2 (image_edit.completed) usage.output_tokens_details.text_tokens") == (
        ANSWER_SOURCES["usage.output_tokens_details"])
    assert source_of("data[0].b64_json") is None


def test_what_must_differ_is_never_compared(http: requests.Session) -> None:
    good = post(http, GPT)
    assert "created" in MUST_DIFFER
    assert compare(good, changed(good, lambda b: b.update(created=1))) == []


def test_images_are_decoded() -> None:
    assert describe_image(base64.b64encode(png_bytes(pattern(64))).decode()) == "png 64x64"
    assert describe_image(base64.b64encode(b"\x89PNG\r\n\x1a\n broken").decode()).startswith(
        "an image that cannot be decoded (png")
    assert describe_image("not base64!") == "no base64 image"


def test_the_recorded_path_is_sent_after_the_base_url() -> None:
    assert api_path("https://api.example.test/v1/images/edits") == "/images/edits"
    assert api_path("http://127.0.0.1:5000/v1/images/generations?x=1") == "/images/generations?x=1"
    assert api_path("http://127.0.0.1:5000/health") == "/health"


def test_every_assumed_place_is_a_field_of_an_answer(http: requests.Session) -> None:
    """ANSWER_SOURCES names fields the answers have (an SVG answer has them all), so no mark goes stale."""
    svg = post(http, {**GPT, "model": "gpt-image-2.5-sunburst", "output_format": "svg"})
    assert svg.status == 200
    for path in ANSWER_SOURCES:
        value: Any = svg.body
        for key in path.split("."):
            assert isinstance(value, dict) and key in value, f"{path}: no {key!r} in the answer"
            value = value[key]
