"""The strategies' own promises: loud arguments, cases that say what they break, and
messages computed from the catalogue (never from contracts.rules)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis.errors import InvalidArgument

from contracts.errors import CATALOGUE
from contracts.spec import DALL_E_2, ENDPOINTS
from contracts.strategies import (
    RULES,
    Case,
    Refusal,
    Success,
    from_profile,
    invalid_routes,
    invalid_uploads,
    pngs,
    prompts,
    valid_generations,
)
from tests.contract import targets


@pytest.mark.parametrize("make", [
    lambda: valid_generations(sizes=["300x300"]),
    lambda: valid_generations(sizes="256x256"),
    lambda: valid_generations(min_n=0),
    lambda: valid_generations(min_n=5, max_n=4),
    lambda: prompts(max_size=DALL_E_2.prompt_max_chars + 1),
    lambda: pngs(max_side=5000),
    lambda: invalid_uploads(endpoints=["generations"]),
    lambda: from_profile(DALL_E_2, exclude=RULES, valid=False),
])
def test_bad_arguments_are_refused_loudly(make: object) -> None:
    with pytest.raises(InvalidArgument):
        make().validate()  # type: ignore[operator]


@targets.budget(1.0)
@given(case=from_profile(DALL_E_2))
def test_a_case_is_a_success_or_a_catalogued_refusal(case: Case) -> None:
    if isinstance(case.expect, Success):
        assert case.expect.size in DALL_E_2.sizes and DALL_E_2.n_min <= case.expect.n <= DALL_E_2.n_max
        return
    assert isinstance(case.expect, Refusal) and case.expect.rule in RULES
    spec = CATALOGUE[case.expect.rule]
    assert case.expect.body()["error"] == {"message": case.expect.message, "type": spec.type,
                                          "param": case.expect.param, "code": case.expect.code}
    assert case.expect.status == spec.status
    assert case.label and case.summary(2000) in repr(case)


@targets.budget(0.2)
@given(case=invalid_routes())
def test_a_route_case_names_the_full_path(case: Case) -> None:
    assert isinstance(case.expect, Refusal)
    assert case.expect.message == f"Invalid URL ({case.method} /v1{case.path})"
    assert not (case.method == "POST" and case.path in {e.path for e in ENDPOINTS.values()}), "that is an endpoint"
