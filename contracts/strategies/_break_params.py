"""Breakers of the parameter rules: unknown, missing, mistyped, unlisted or out-of-range
values, and the content policy's prompt terms."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from contracts.limits import MAX_FORM_FIELD_BYTES
from contracts.models import EDITS, GENERATIONS, GPT_SPECIFIC_PARAMETERS, MODELS, VARIATIONS
from contracts.policy import DEFAULT_BLOCKED_TERMS
from contracts.spec import ENDPOINTS
from contracts.strategies._bounds import Limits
from contracts.strategies._breakers import base_params, breaks, broken, json_values
from contracts.strategies._case import Case, CaseStrategy, Refusal, form_case, listing, python_list, quote, refusal
from contracts.strategies._images import as_part, carrier_modes, drawn_png, sides
from contracts.strategies._valid import mentions, repeated, valid_uploads

_NAME_CHARS = string.ascii_lowercase + "_"


@breaks("unknown_parameter", GENERATIONS, EDITS, VARIATIONS)
def _unknown_parameter(limits: Limits, endpoint: str) -> CaseStrategy:
    profile = limits.profile
    known_elsewhere = sorted({p for ps in profile.parameters.values() for p in ps}
                             | {"quality", "style", "background", "output_format", "moderation", "stream"})
    if ENDPOINTS[endpoint].body == "json":
        names = st.one_of(st.sampled_from(known_elsewhere), st.text(min_size=1, max_size=24))
        values: st.SearchStrategy[Any] = json_values()
    else:
        names = st.one_of(st.sampled_from(known_elsewhere), st.text(_NAME_CHARS, min_size=1, max_size=16))
        values = st.text(max_size=20)
    # A GPT-specific parameter sent without a model picks the GPT default model [spec], which may
    # accept it: such names are no unknown parameter of a request that names no model.
    gpt_picked = GPT_SPECIFIC_PARAMETERS if ENDPOINTS[endpoint].gpt_default_model else frozenset()
    names = names.filter(lambda name: not profile.accepts(endpoint, name) and name not in ("image", "mask")
                         and name not in gpt_picked)

    def change(draw: st.DrawFn, params: dict[str, Any]) -> tuple[dict[str, Any], Refusal, str]:
        name = draw(names)
        return {**params, name: draw(values)}, refusal("unknown_parameter", param=name), "an unknown parameter"

    strategies = [broken(limits, endpoint, change)]
    if endpoint != EDITS and not profile.accepts(endpoint, "mask") and ENDPOINTS[endpoint].body == "multipart":
        strategies.append(_mask_where_none_belongs(limits, endpoint))
    return st.one_of(strategies)


@st.composite
def _mask_where_none_belongs(draw: st.DrawFn, limits: Limits, endpoint: str) -> Case:
    params, _ = draw(base_params(limits, endpoint))
    files = draw(valid_uploads(limits, endpoint))
    side = draw(sides(1, 64))
    mask = draw(drawn_png(modes=carrier_modes(limits.profile), width=side, height=side,
                     max_bytes=limits.profile.uploads.max_bytes))
    return form_case(endpoint, params, [*files, as_part("mask", mask, draw)],
                      refusal("unknown_parameter", param="mask"), "a mask where none belongs")


@breaks("missing_required_parameter", GENERATIONS, EDITS, VARIATIONS)
def _missing(limits: Limits, endpoint: str) -> CaseStrategy:
    strategies = []
    if ENDPOINTS[endpoint].requires_prompt:
        def no_prompt(draw: st.DrawFn, params: dict[str, Any]) -> tuple[dict[str, Any], Refusal, str]:
            rest = {k: v for k, v in params.items() if k != "prompt"}
            return rest, refusal("missing_required_parameter", param="prompt"), "no prompt"
        strategies.append(broken(limits, endpoint, no_prompt))
    if ENDPOINTS[endpoint].requires_image:
        def no_image(draw: st.DrawFn, params: dict[str, Any]) -> tuple[dict[str, Any], Refusal, str]:
            # At least one part: a multipart body with none is refused as unparseable instead.
            params = params or {"n": str(limits.profile.default_n)}
            return params, refusal("missing_required_parameter", param="image"), "no image"
        strategies.append(broken(limits, endpoint, no_image, uploads=False))
    return st.one_of(strategies)


# JSON values of one type, with how the current validator names that type.
_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
_WRONG_TYPES: dict[str, tuple[tuple[st.SearchStrategy[Any], str], ...]] = {
    "string": (
        (st.integers(), "an integer"),
        (_FLOATS, "a decimal number"),
        (st.booleans(), "a boolean"),
        (st.lists(st.integers() | st.text(max_size=5), max_size=3), "an array"),
        (st.dictionaries(st.text(max_size=6), st.integers(), max_size=2), "an object"),
    ),
    "integer": (
        (st.text(max_size=10), "a string"),
        (_FLOATS, "a decimal number"),
        (st.booleans(), "a boolean"),
        (st.lists(st.integers(), max_size=3), "an array"),
        (st.dictionaries(st.text(max_size=6), st.integers(), max_size=2), "an object"),
    ),
}


def _typed_fields(limits: Limits, endpoint: str) -> list[tuple[str, str, str]]:
    """(field, schema type, how the error names what was expected) of each typed field."""
    profile = limits.profile
    fields = [
        ("prompt", "string", "a string"),
        ("n", "integer", "an integer"),
        ("size", "string", "one of " + listing(profile.sizes, "or")),
        ("response_format", "string", "one of " + listing(profile.response_formats, "or")),
        ("user", "string", "a string"),
        ("model", "string", "a string"),
    ]
    return [f for f in fields if profile.accepts(endpoint, f[0])]


@breaks("invalid_type", GENERATIONS, EDITS, VARIATIONS)
def _invalid_type(limits: Limits, endpoint: str) -> CaseStrategy:
    if ENDPOINTS[endpoint].body == "multipart":
        return _form_invalid_type(limits, endpoint)
    typed = _typed_fields(limits, endpoint)

    def change(draw: st.DrawFn, params: dict[str, Any]) -> tuple[dict[str, Any], Refusal, str]:
        name, schema, expected = draw(st.sampled_from(typed))
        options = list(_WRONG_TYPES[schema])
        if name == "prompt":  # required: null is not "absent" there
            options.append((st.none(), "null"))
        values, got = draw(st.sampled_from(options))
        value = draw(values)
        error = refusal("invalid_type", param=name, expected=expected, got=got, value=repr(value),
                        schema_type=schema)
        return {**params, name: value}, error, f"{name} as {got}"

    return broken(limits, endpoint, change)


# How a form's text reads where an integer is expected: (texts, type name, the value it reads as).
_DIGITS = st.text("0123456789", min_size=1, max_size=4)


def _form_decimals() -> st.SearchStrategy[tuple[str, object]]:
    return st.tuples(_DIGITS, _DIGITS).map(lambda p: (f"{p[0]}.{p[1]}", float(f"{p[0]}.{p[1]}")))


def _form_words() -> st.SearchStrategy[tuple[str, object]]:
    # Letters only: never a number, and never 'true'/'false' (those read as booleans).
    words = st.text(string.ascii_letters, min_size=1, max_size=10).filter(lambda w: w not in ("true", "false"))
    return words.map(lambda w: (w, w))


def _form_invalid_type(limits: Limits, endpoint: str) -> CaseStrategy:
    readings: list[tuple[st.SearchStrategy[tuple[str, object]], str]] = [
        (_form_decimals(), "a decimal number"),
        (st.sampled_from([("true", True), ("false", False)]), "a boolean"),
        (_form_words(), "a string"),
    ]

    def change(draw: st.DrawFn, params: dict[str, Any]) -> tuple[dict[str, Any], Refusal, str]:
        texts, got = draw(st.sampled_from(readings))
        text, value = draw(texts)
        error = refusal("invalid_type", param="n", expected="an integer", got=got, value=repr(value),
                        schema_type="integer")
        return {**params, "n": text}, error, f"n as {got} ({text!r})"

    return broken(limits, endpoint, change)


# Today's parameters that take one of a few strings (a Choice of the profile).
_CHOICES = ("quality", "style", "background", "output_format", "moderation", "input_fidelity", "complexity")
_NEAR: dict[str, tuple[str, ...]] = {
    "quality": ("standard", "ultra", "xhigh", "max", "Medium"),
    "style": ("vivid ", "Natural", "photo"),
    "background": ("transparent ", "white", "none"),
    "output_format": ("jpg", "gif", "svg", "PNG", "image/png", "tiff"),
    "moderation": ("high", "strict", "off"),
    "input_fidelity": ("medium", "max"),
    "complexity": ("max", "simple"),
}


@breaks("invalid_value", GENERATIONS, EDITS, VARIATIONS)
def _invalid_value(limits: Limits, endpoint: str) -> CaseStrategy:
    profile = limits.profile
    models = [name for name, p in MODELS.items() if endpoint in p.endpoints]
    listed: list[tuple[str, Sequence[str]]] = [("response_format", profile.response_formats), ("model", models)]
    if profile.size_rule is None and profile.size_error == "invalid_value":  # else: the size rules' own errors
        listed.insert(0, ("size", profile.sizes))
    for name in _CHOICES:
        choice = getattr(profile, name)
        if choice is not None:
            listed.append((name, choice.values))
    choices = [(name, allowed) for name, allowed in listed if profile.accepts(endpoint, name)]
    near_misses = {
        "size": [f"{w}x{h}" for w, h in ((300, 300), (1792, 1024), (1024, 1792), (64, 64), (2048, 2048))]
        + [s.replace("x", "×") for s in profile.sizes] + [s.upper() for s in profile.sizes] + [""],
        "response_format": ["png", "URL", "b64", "json", "base64", ""],
        "model": ["dall-e-3", "gpt-image-1", "DALL-E-2", "dall-e-9", ""],
    }
    for name in _CHOICES:
        near_misses[name] = ["", "AUTO", "none", "true", "png", "low", "hd", "high ", *_NEAR[name]]

    def change(draw: st.DrawFn, params: dict[str, Any]) -> tuple[dict[str, Any], Refusal, str]:
        name, allowed = draw(st.sampled_from(choices))
        value = draw(st.one_of(st.sampled_from(near_misses[name]), st.text(max_size=20)).filter(
            lambda v: v not in allowed))
        error = refusal("invalid_value", param=name, value=quote(value), supported=listing(allowed, "and"),
                        supported_list=python_list(allowed))
        return {**params, name: value}, error, f"{name} not allowed"

    strategies = [broken(limits, endpoint, change)]
    if profile.svg is not None and profile.accepts(endpoint, "svg"):
        strategies.append(_bad_effort(limits, endpoint, profile.svg.efforts))
    return st.one_of(strategies)


# Efforts the SDK does not name [sdk-py SvgReasoning.effort], near its values.
_NEAR_EFFORTS = ("", "ultra", "HIGH", "auto", "maximum", "medium ", "xlow", "default")


def _bad_effort(limits: Limits, endpoint: str, efforts: Sequence[str]) -> CaseStrategy:
    """``svg.reasoning.effort`` of a value the SDK's Literal does not have: as the ``svg`` object of a JSON
    body, or a form's bracketed ``svg[reasoning][effort]`` field."""
    form = ENDPOINTS[endpoint].body == "multipart"

    def change(draw: st.DrawFn, params: dict[str, Any]) -> tuple[dict[str, Any], Refusal, str]:
        value = draw(st.one_of(st.sampled_from(_NEAR_EFFORTS), st.text(max_size=20)).filter(
            lambda v: v not in efforts))
        error = refusal("invalid_value", param="svg.reasoning.effort", value=quote(value),
                        supported=listing(efforts, "and"), supported_list=python_list(efforts))
        if form:
            rest = {k: v for k, v in params.items() if not k.startswith("svg[")}
            return {**rest, "svg[model]": "author", "svg[reasoning][effort]": value}, error, "svg effort not allowed"
        return {**params, "svg": {"model": "author", "reasoning": {"effort": value}}}, error, "svg effort not allowed"

    return broken(limits, endpoint, change)


@breaks("empty_string", GENERATIONS, EDITS)
def _empty_prompt(limits: Limits, endpoint: str) -> CaseStrategy:
    def change(draw: st.DrawFn, params: dict[str, Any]) -> tuple[dict[str, Any], Refusal, str]:
        return {**params, "prompt": ""}, refusal("empty_string", param="prompt"), "empty prompt"

    return broken(limits, endpoint, change)


@breaks("string_above_max_length", GENERATIONS, EDITS)
def _long_prompt(limits: Limits, endpoint: str) -> CaseStrategy:
    maximum = limits.profile.prompt_max_chars
    longest = 4 * maximum
    if ENDPOINTS[endpoint].body == "multipart":
        # A form's text field past MAX_FORM_FIELD_BYTES is refused as too large before the prompt
        # is read (form_field_too_large, its own rule): a prompt that only breaks its length stays
        # within it, whatever its characters (at most 4 bytes each in UTF-8).
        longest = min(longest, MAX_FORM_FIELD_BYTES // 4)

    def change(draw: st.DrawFn, params: dict[str, Any]) -> tuple[dict[str, Any], Refusal, str]:
        length = draw(st.integers(maximum + 1, maximum + 3) | st.integers(maximum + 1, longest))
        prompt = draw(repeated(length))
        error = refusal("string_above_max_length", param="prompt", maximum=maximum, length=length)
        return {**params, "prompt": prompt}, error, "prompt too long"

    return broken(limits, endpoint, change)


def _n_out_of_range(rule: str, limits: Limits, endpoint: str) -> CaseStrategy:
    profile = limits.profile
    above = rule == "integer_above_max_value"
    ints = (st.integers(min_value=profile.n_max + 1) if above else st.integers(max_value=profile.n_min - 1))
    form = ENDPOINTS[endpoint].body == "multipart"

    def change(draw: st.DrawFn, params: dict[str, Any]) -> tuple[dict[str, Any], Refusal, str]:
        n = draw(ints)
        bound = {"maximum": profile.n_max} if above else {"minimum": profile.n_min}
        error = refusal(rule, param="n", value=n, **bound)
        return {**params, "n": str(n) if form else n}, error, f"n {'above' if above else 'below'} the range"

    return broken(limits, endpoint, change)


@breaks("integer_above_max_value", GENERATIONS, EDITS, VARIATIONS)
def _n_above(limits: Limits, endpoint: str) -> CaseStrategy:
    return _n_out_of_range("integer_above_max_value", limits, endpoint)


@breaks("integer_below_min_value", GENERATIONS, EDITS, VARIATIONS)
def _n_below(limits: Limits, endpoint: str) -> CaseStrategy:
    return _n_out_of_range("integer_below_min_value", limits, endpoint)


@breaks("content_policy_prompt", GENERATIONS, EDITS,
        applies=lambda profile: profile.policy_errors[0] == "content_policy_prompt")
def _blocked_prompt(limits: Limits, endpoint: str) -> CaseStrategy:
    terms = [t for t in DEFAULT_BLOCKED_TERMS if t.strip()]
    words = st.text(string.ascii_lowercase, min_size=1, max_size=8).filter(lambda w: not mentions(w, terms))
    maximum = limits.profile.prompt_max_chars

    def change(draw: st.DrawFn, params: dict[str, Any]) -> tuple[dict[str, Any], Refusal, str]:
        term = draw(st.sampled_from(terms))
        term = draw(st.sampled_from([term, term.upper(), term.title()]))
        before = draw(st.lists(words, max_size=4))
        after = draw(st.lists(words, max_size=4))
        prompt = " ".join([*before, term, *after])[:maximum]
        return {**params, "prompt": prompt}, refusal("content_policy_prompt"), f"prompt with {term!r}"

    return broken(limits, endpoint, change)


