"""contracts.shapes: the response shape written once and read two ways, exactly (the oracle) and
readably (the client). Where they part is by design: what the contract promises beyond what a
client needs to read an answer."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.shapes import images_response_problems, readable_response_problems

USAGE = {"input_tokens": 50, "input_tokens_details": {"text_tokens": 10, "image_tokens": 40},
         "output_tokens": 272, "total_tokens": 322}
GPT = {"created": 1, "data": [{"b64_json": "iVBOR"}], "background": "opaque", "output_format": "png",
       "size": "1024x1024", "quality": "low", "usage": USAGE}
DALL_E = {"created": 1, "data": [{"url": "https://x/y.png"}]}


def exact(body: Any, gpt: bool) -> list[str]:
    return images_response_problems(body, n=1, response_format="b64_json" if gpt else "url", gpt=gpt)


def readable(body: Any) -> list[str]:
    return readable_response_problems(body, n=1, response_format=None)


@pytest.mark.parametrize(("body", "gpt"), [(GPT, True), (DALL_E, False)])
def test_an_answer_as_promised_reads_both_ways(body: dict[str, Any], gpt: bool) -> None:
    assert exact(body, gpt) == [] and readable(body) == []


@pytest.mark.parametrize(("body", "gpt"), [
    ({**DALL_E, "new_field": 1}, False),  # the API grew a field
    ({**GPT, "usage": {**USAGE, "total_tokens": 1}}, True),  # counts that do not add up
    ({**GPT, "quality": "auto"}, True),  # a setting left unresolved
    ({**GPT, "usage": {**USAGE, "output_tokens_details": {"text_tokens": 0, "image_tokens": 272}}}, True),
])
def test_what_only_the_contract_promises(body: dict[str, Any], gpt: bool) -> None:
    if "output_tokens_details" in body.get("usage", {}):
        assert exact(body, gpt) == []  # [spec] optional: both readings allow it
    else:
        assert exact(body, gpt) != []
    assert readable(body) == []


@pytest.mark.parametrize("body", [
    {**DALL_E, "created": "1"},
    {**DALL_E, "data": [{"url": 5}]},
    {**DALL_E, "data": [{"url": "u", "b64_json": "b"}]},
    {**GPT, "usage": {**USAGE, "input_tokens_details": {"text_tokens": "10", "image_tokens": 40}}},
    {**GPT, "size": 1024},
])
def test_what_neither_reading_takes(body: dict[str, Any]) -> None:
    assert exact(body, "usage" in body) != [] and readable(body) != []
