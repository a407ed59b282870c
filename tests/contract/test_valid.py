"""Valid requests get what the contract promises: 200 and ``n`` images of the size asked, in
the format asked, on every endpoint; through the reference client whenever it can say the
request (else as raw HTTP on the client's session). On the fake, a base64 answer repeats
byte for byte."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import given
from PIL import Image

from contracts.spec import DALL_E_2, parse_size
from contracts.strategies import Case, Success, valid_edits, valid_generations, valid_requests, valid_variations
from tests.contract import targets
from tests.contract.calls import client_call
from tests.contract.targets import Target

SPEC = targets.current()
# On a live target a success costs money: one image of the smallest size, small uploads.
LIMITS: dict[str, Any] = {"sizes": [DALL_E_2.sizes[0]], "max_n": DALL_E_2.n_min} if SPEC.cheap else {}
UPLOADS: dict[str, Any] = {"max_side": 64 if SPEC.cheap else 1024}


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
    for item in result.data:
        assert (item.url is not None, item.b64_json is not None) == (
            expect.response_format == "url", expect.response_format == "b64_json")
        # The oracle is Pillow reading the bytes, not the client's own check.
        with Image.open(io.BytesIO(item.png_bytes(expected_size=expect.size))) as image:
            assert (image.format, image.size) == ("PNG", parse_size(expect.size))


@targets.budget(1.0)
@given(case=valid_generations(**LIMITS))
def test_valid_generations(target: Target, case: Case) -> None:
    assert_success(target, case)


@targets.budget(0.5)
@given(case=valid_edits(**LIMITS, **UPLOADS))
def test_valid_edits(target: Target, case: Case) -> None:
    assert_success(target, case)


@targets.budget(0.5)
@given(case=valid_variations(**LIMITS, **UPLOADS))
def test_valid_variations(target: Target, case: Case) -> None:
    assert_success(target, case)


@pytest.mark.fake_only  # the real service draws new pictures every time
@targets.budget(0.3)
@given(case=valid_requests(response_formats=["b64_json"], max_side=256, **({"max_n": 3} | LIMITS)))
def test_a_b64_answer_repeats_byte_for_byte(target: Target, case: Case) -> None:
    first = target.send(case)
    assert not target.problems(case, first)
    second = target.send(case)
    assert target.images(second, "b64_json") == target.images(first, "b64_json")
