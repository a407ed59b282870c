"""The reference client fuzzed against the fake: every valid call succeeds with a typed result
(``n`` images of the size asked, in the format asked), every invalid one raises the exception
class of its status with the API's type, code, param and message, whatever form the picture
is given in (bytes, bytearray, memoryview, a file object, a path, or a PIL image)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from client import APIStatusError, Picture
from contracts.spec import parse_size
from contracts.strategies import Case, Part, Refusal, Success, invalid_requests, valid_requests
from tests.endpoint_suite import targets
from tests.endpoint_suite.calls import assert_raised_as, client_call
from tests.endpoint_suite.targets import Target

pytestmark = pytest.mark.fake_only  # many successful calls: not for a paid endpoint

# Rules whose cases the client can express (its signature takes strings, an integer n, pictures).
CLIENT_RULES = (
    "invalid_type", "invalid_value", "empty_string", "string_above_max_length", "integer_above_max_value",
    "integer_below_min_value", "content_policy_prompt", "invalid_image_format", "image_not_square", "image_mode",
    "mask_size_mismatch", "image_too_large",
)
CASES = st.one_of(valid_requests(max_side=256), invalid_requests(rules=CLIENT_RULES)).filter(
    lambda case: client_call(case) is not None)


def picture_forms(folder: Path) -> dict[str, Callable[[Part], Picture]]:
    def path(part: Part) -> Picture:
        target = folder / f"{part.field}.png"
        target.write_bytes(part.data)
        return target

    return {
        "bytes": lambda part: part.data,
        "bytearray": lambda part: bytearray(part.data),
        "memoryview": lambda part: memoryview(part.data),
        "file object": lambda part: io.BytesIO(part.data),
        "path": path,
        # Re-encoded by the client: the same picture, other bytes (valid cases only).
        "PIL image": lambda part: Image.open(io.BytesIO(part.data)),
    }


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Callable[[Part], Picture]]:
    return picture_forms(tmp_path_factory.mktemp("pictures"))


@targets.budget(2.0)
@given(case=CASES, form=st.sampled_from(sorted(picture_forms(Path()))))
def test_the_client_succeeds_or_raises_as_the_contract_says(
    target: Target, forms: dict[str, Callable[[Part], Picture]], case: Case, form: str
) -> None:
    if isinstance(case.expect, Refusal) and form == "PIL image":
        form = "bytes"  # the client would re-encode the very bytes the rule is about
    call = client_call(case, forms[form])
    assert call is not None
    target.forget_calls()
    if isinstance(case.expect, Refusal):
        with pytest.raises(APIStatusError) as caught:
            call(target.client())
        assert_raised_as(caught.value, case.expect, case.expect.body(target.era))
        return
    expect = case.expect
    assert isinstance(expect, Success)
    result = call(target.client())
    assert result.size == expect.size and len(result.data) == expect.n
    for item in result.data:
        assert (item.url if expect.response_format == "url" else item.b64_json) is not None
        with Image.open(io.BytesIO(item.png_bytes())) as image:
            assert image.size == parse_size(expect.size)
