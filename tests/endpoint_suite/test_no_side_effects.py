"""Nothing refused spends quota or leaves an image behind (fake only: the control plane shows it).

Each example starts from a reset fake with a quota on, spends ``spent`` images on a valid
request, then sends one invalid request: its answer reports the same remaining quota, the
journal shows exactly the two requests with their statuses and error codes, and the store
holds only the valid request's images.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.headers import RATELIMIT_REMAINING_IMAGES as HEADER_REMAINING
from contracts.models import GENERATIONS
from contracts.spec import ENDPOINTS
from contracts.strategies import DEFAULT_AUTHORIZATION, Case, Refusal, Success, invalid_requests
from contracts.verify import refusal_problems
from tests.endpoint_suite import targets
from tests.endpoint_suite.targets import Target

pytestmark = pytest.mark.fake_only
LIMIT = 1000


@pytest.fixture(scope="module")
def metered(target: Target) -> Iterator[Target]:
    """The target with a quota on (the suite's fake runs without one)."""
    with target.configured(rate_limits=f"{LIMIT}/1h"):
        yield target


def spend(spent: int) -> Case:
    """A valid generation of ``spent`` URL images: the cheapest kind (nothing is rendered)."""
    body = {"prompt": "a lighthouse at dusk", "n": spent, "size": "256x256"}
    return Case(GENERATIONS, Success(spent, "256x256", "url"), "json", ENDPOINTS[GENERATIONS].path, json=body)


@targets.budget(2.0)
@given(case=invalid_requests(), spent=st.integers(1, 3))
def test_a_refusal_spends_no_quota_and_leaves_no_image(metered: Target, case: Case, spent: int) -> None:
    fake = metered.fake
    assert fake is not None and isinstance(case.expect, Refusal)
    fake.reset()
    before = metered.send(spend(spent))
    assert before.status == 200 and before.headers[HEADER_REMAINING] == str(LIMIT - spent)

    answer = metered.send(case)
    assert not refusal_problems(case.expect, answer, metered.era), answer.describe()
    if case.authorization == DEFAULT_AUTHORIZATION:
        assert answer.headers.get(HEADER_REMAINING) == str(LIMIT - spent)
    else:  # no key, no account to report on
        assert HEADER_REMAINING not in answer.headers

    journal = [(entry["status"], entry["error_code"]) for entry in fake.requests()]
    assert journal == [(200, None), (case.expect.status, case.expect.code)]
    assert fake.images()["count"] == spent  # the store holds only the valid request's URLs
