"""The strategies' own promises: loud arguments, cases that say what they break, and
messages computed from the catalogue (never from contracts.rules)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from contracts.errors import CATALOGUE
from contracts.models import DALL_E_2, MODELS
from contracts.spec import ENDPOINTS
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
    rules_of,
    valid_generations,
)
from tests.endpoint_suite import targets


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


@pytest.mark.parametrize("name", list(MODELS))
@targets.budget(0.1)
@given(data=st.data())
def test_every_profile_draws_valid_and_one_rule_broken_cases(name: str, data: st.DataObject) -> None:
    profile = MODELS[name]
    case = data.draw(from_profile(profile), label="case")
    if isinstance(case.expect, Success):
        expect = case.expect
        assert expect.model == name and profile.n_min <= expect.n <= profile.n_max
        assert re.fullmatch(r"[1-9][0-9]*x[1-9][0-9]*", expect.size), "the size is resolved"
        formats = profile.output_format.values if profile.output_format else ("png",)
        assert expect.output_format in formats
        if profile.quality is not None:
            assert expect.quality in profile.quality.values and expect.quality != "auto"
        if expect.background == "transparent":
            assert expect.output_format in profile.transparent_formats
        return
    assert isinstance(case.expect, Refusal) and case.expect.rule in rules_of(profile)


def test_rules_of_a_profile_are_read_from_it() -> None:
    assert "size_ratio" in rules_of(MODELS["gpt-image-2"]) and "size_ratio" not in rules_of(MODELS["gpt-image-1.5"])
    assert "image_mode" in rules_of(DALL_E_2) and "image_mode" not in rules_of(MODELS["gpt-image-1.5"])
    assert "invalid_size" in rules_of(MODELS["dall-e-3"])
    assert set(rules_of(DALL_E_2)) < set(RULES)


def test_a_breaker_is_registered_once_for_a_catalogued_rule() -> None:
    from contracts.strategies._breakers import breaks

    with pytest.raises(ValueError, match="already has a breaker"):
        breaks("invalid_value", "generations")
    with pytest.raises(ValueError, match="not a catalogue entry"):
        breaks("no_such_rule", "generations")
    with pytest.raises(ValueError, match="no such endpoint"):
        breaks("server_error", "nowhere")
