"""The strategies' own promises: loud arguments, cases that say what they break, and
messages computed from the catalogue (never from contracts.rules)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, find, given, settings
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
    invalid_edits,
    invalid_generations,
    invalid_routes,
    invalid_uploads,
    pngs,
    prompts,
    rules_of,
    valid_edits,
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


# --- the SDK's newer rules (markup, GIF and masks, svg as bracketed fields, svg.reasoning.effort) --------

_FLARE = MODELS["gpt-image-2.5-flare"]
_FIND = settings(max_examples=2000, database=None, suppress_health_check=list(HealthCheck))


def test_the_markup_and_gif_rules_are_read_from_the_profiles() -> None:
    markup_rules = {"markup_with_mask", "markup_missing_alpha", "markup_size_mismatch", "markup_not_png"}
    assert markup_rules <= set(rules_of(_FLARE)) and markup_rules <= set(RULES)
    for name in ("gpt-image-2", "gpt-image-2.6-flare", "gpt-image-1.5"):
        assert not markup_rules & set(rules_of(MODELS[name]))
    assert "gif_mask" in rules_of(_FLARE) and "gif_mask" in rules_of(MODELS["gpt-image-2.6-flare"])
    assert "gif_mask" not in rules_of(MODELS["gpt-image-2"])


def test_valid_edits_send_a_markup_to_a_model_that_takes_one() -> None:
    case = find(valid_edits(profile=_FLARE), lambda c: any(p.field == "markup" for p in c.files), settings=_FIND)
    assert isinstance(case.expect, Success) and not any(p.field == "mask" for p in case.files)


@given(case=valid_edits(profile=_FLARE, output_formats=["gif"]))
def test_a_valid_gif_edit_has_no_mask(case: Case) -> None:
    assert isinstance(case.expect, Success) and case.expect.output_format == "gif"
    assert not any(p.field in ("mask", "markup") for p in case.files)


def test_valid_svg_edits_send_the_svg_object_as_bracketed_fields() -> None:
    case = find(valid_edits(profile=_FLARE, output_formats=["svg"]),
                lambda c: "svg[reasoning][effort]" in dict(c.fields), settings=_FIND)
    fields = dict(case.fields)
    assert "svg[model]" in fields and "svg" not in fields
    assert fields["svg[reasoning][effort]"] in _FLARE.svg.efforts  # type: ignore[union-attr]
    body = find(valid_generations(profile=_FLARE, output_formats=["svg"]),
                lambda c: bool(((c.json or {}).get("svg") or {}).get("reasoning")), settings=_FIND).json
    assert body is not None and set(body["svg"]) == {"model", "reasoning"}


@pytest.mark.parametrize("endpoint", ["generations", "edits"])
def test_a_bad_effort_is_one_rule_broken(endpoint: str) -> None:
    strategy = (invalid_generations if endpoint == "generations" else invalid_edits)(
        profile=_FLARE, rules=["invalid_value"])
    case = find(strategy, lambda c: isinstance(c.expect, Refusal) and c.expect.param == "svg.reasoning.effort",
                settings=_FIND)
    assert isinstance(case.expect, Refusal) and case.expect.code == "invalid_value"


def test_gif_with_a_mask_and_a_markup_with_a_mask_are_one_rule_broken() -> None:
    gif = find(invalid_edits(profile=_FLARE, rules=["gif_mask"]), lambda c: True, settings=_FIND)
    assert dict(gif.fields)["output_format"] == "gif" and [p.field for p in gif.files].count("mask") == 1
    both = find(invalid_edits(profile=_FLARE, rules=["markup_with_mask"]), lambda c: True, settings=_FIND)
    assert {"mask", "markup"} <= {p.field for p in both.files}
