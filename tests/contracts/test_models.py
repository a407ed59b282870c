"""The model profiles: one per name the official SDK knows, each value with its source, and no
code that asks which model it is looking at."""

from __future__ import annotations

import re
import typing

import pytest
from openai.types import ImageModel

from contracts.models import GPT_ANSWER, GPT_DEFAULT_MODEL, GPT_SPECIFIC_PARAMETERS, MODELS, ModelProfile
from contracts.spec import ENDPOINTS
from tests.support import ROOT


def test_every_model_of_the_sdk_has_a_profile() -> None:
    assert list(MODELS) == list(typing.get_args(ImageModel))


@pytest.mark.parametrize("profile", MODELS.values(), ids=list(MODELS))
def test_each_profile_is_consistent(profile: ModelProfile) -> None:
    assert profile.default_size in profile.sizes
    assert profile.n_min <= profile.default_n <= profile.n_max
    for choice in (profile.quality, profile.style, profile.background, profile.output_format,
                   profile.moderation, profile.input_fidelity, profile.complexity):
        if choice is not None:
            assert choice.default in choice.values
    for reported in (profile.quality, profile.background):  # answers report these resolved
        if reported is not None and "auto" in reported.values:
            assert reported.resolve("auto") in reported.values and reported.resolve("auto") != "auto"
    for endpoint, accepted in profile.parameters.items():
        assert endpoint in profile.endpoints
        assert {"prompt", "model"} <= accepted or endpoint == "variations"
    assert profile.sources.get("lifecycle"), "release/retirement dates need a source"
    if profile.answer == GPT_ANSWER:
        assert profile.response_formats == () and profile.auto_size in profile.sizes
        assert not profile.accepts("generations", "response_format")
        assert profile.prompt_max_chars == 32_000
    if profile.snapshot_of is not None:
        assert profile.quota_family == MODELS[profile.snapshot_of].quota_family


def test_the_gpt_default_takes_every_gpt_specific_parameter_of_generations_it_knows() -> None:
    gpt = MODELS[GPT_DEFAULT_MODEL]
    assert gpt.answer == GPT_ANSWER and ENDPOINTS["generations"].gpt_default_model == GPT_DEFAULT_MODEL
    assert ENDPOINTS["edits"].default_model == "dall-e-2"
    dall_e = {p for name, m in MODELS.items() if name.startswith("dall-e") for e in m.parameters.values() for p in e}
    assert not GPT_SPECIFIC_PARAMETERS & dall_e


def test_no_code_asks_which_model_it_is() -> None:
    pattern = re.compile(r"""(model|\.name)\s*(==|!=|in)\s*\(?["'](dall-e|gpt-image|chatgpt)""")
    for package in ("contracts", "mockserver"):
        for path in (ROOT / package).rglob("*.py"):
            assert not pattern.search(path.read_text()), path
