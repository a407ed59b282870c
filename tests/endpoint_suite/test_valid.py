"""Valid requests get what the contract promises: 200 and ``n`` images of the size asked, in
the format asked, on every endpoint, for every model of the contract; through the reference
client whenever it can say the request (else as raw HTTP on the client's session). On the fake,
a base64 answer repeats byte for byte."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from contracts.models import DALL_E_2, MODELS
from contracts.spec import parse_size
from contracts.strategies import Case, Success, valid_edits, valid_generations, valid_requests, valid_variations
from contracts.verify import cheap_bounds, image_problems
from tests.endpoint_suite import targets
from tests.endpoint_suite.calls import client_call
from tests.endpoint_suite.targets import Target

SPEC = targets.current()
MODEL = targets.model()
# On a live target a success costs money: one image of the first size at the lowest quality, small uploads.
LIMITS: dict[str, Any] = {"profile": MODEL, **(cheap_bounds(MODEL) if SPEC.cheap else {})}
UPLOADS: dict[str, Any] = {"max_side": 64 if SPEC.cheap else 1024}
# Today's models, a few examples each: prompts up to each model's limit, at most two images, small uploads.
TODAY = [name for name in MODELS if name != DALL_E_2.name]
TODAY_LIMITS: dict[str, Any] = {"max_side": 256}


def assert_success(target: Target, case: Case) -> None:
    expect = case.expect
    assert isinstance(expect, Success)
    call = client_call(case)
    if call is None:
        answer = target.send(case)
        found = target.problems(case, answer)
        assert not found, f"{answer.describe()}\n" + "\n".join(found)
        return
    target.forget_calls()
    result = call(target.client())
    assert len(result.data) == expect.n
    profile = MODELS[expect.model]
    for item in result.data:
        assert (item.url is not None, item.b64_json is not None) == (
            expect.response_format == "url", expect.response_format == "b64_json")
        assert (item.revised_prompt is not None) == profile.revised_prompt
        picture = item.decode(expected_size=expect.size)
        assert picture.format.name == expect.output_format
        # The oracle is Pillow (or, for SVG, the document's start) reading the bytes, not the client's check.
        assert not image_problems(picture.data, expect, profile)
        if expect.output_format == "png":
            with Image.open(io.BytesIO(picture.data)) as image:
                assert (image.format, image.size) == ("PNG", parse_size(expect.size))
    if profile.answer == "gpt-image":
        assert (result.size, result.output_format, result.quality, result.background) == (
            expect.size, expect.output_format, expect.quality, expect.background)
        assert result.usage is not None and result.usage.total_tokens == (
            result.usage.input_tokens + result.usage.output_tokens)


@targets.budget(1.0)
@given(case=valid_generations(**LIMITS))
def test_valid_generations(target: Target, case: Case) -> None:
    assert_success(target, case)


@targets.budget(0.5)
@given(case=valid_edits(**LIMITS, **UPLOADS))
def test_valid_edits(target: Target, case: Case) -> None:
    assert_success(target, case)


@pytest.mark.skipif("variations" not in MODEL.endpoints, reason=f"{MODEL.name} does not serve variations")
@targets.budget(0.5)
@given(case=valid_variations(**LIMITS, **UPLOADS) if "variations" in MODEL.endpoints else valid_generations())
def test_valid_variations(target: Target, case: Case) -> None:
    assert_success(target, case)


@pytest.mark.fake_only  # every model, many images: not for a paid endpoint
@pytest.mark.parametrize("name", TODAY)
@targets.budget(0.04)
@given(data=st.data())
def test_valid_requests_of_every_model(target: Target, name: str, data: st.DataObject) -> None:
    profile = MODELS[name]
    case = data.draw(valid_requests(profile=profile, max_n=min(2, profile.n_max), **TODAY_LIMITS), label="case")
    assert isinstance(case.expect, Success) and case.expect.model == name
    assert_success(target, case)


@pytest.mark.fake_only  # the real service draws new pictures every time
@targets.budget(0.3)
@given(case=valid_requests(response_formats=["b64_json"], max_side=256, **({"max_n": 3} | LIMITS)))
def test_a_b64_answer_repeats_byte_for_byte(target: Target, case: Case) -> None:
    first = target.send(case)
    assert not target.problems(case, first)
    second = target.send(case)
    assert target.images(second, "b64_json") == target.images(first, "b64_json")
