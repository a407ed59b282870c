"""Valid builders: prompts, parameters and uploads that every rule accepts, with the
:class:`Success` they must get."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterable
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from contracts.policy import DEFAULT_BLOCKED_TERMS
from contracts.spec import DALL_E_2, EDITS, ENDPOINTS, GENERATIONS, VARIATIONS, ModelProfile
from contracts.strategies._bounds import Limits, checked_profile, limits_for, served_endpoints
from contracts.strategies._case import Case, CaseStrategy, Part, Success, form_case, json_case
from contracts.strategies._images import BUILD_MODES, as_part, carrier_modes, drawn_png, expect_mode, sides

# --- prompts -----------------------------------------------------------------------------


def mentions(text: str, terms: Collection[str]) -> bool:
    """Whether ``text`` might contain a term: any word of it as a substring, in either order
    of NFKC and case folding. Wider than the content policy's whole-word match, on purpose."""
    words = [w for term in terms for w in term.casefold().split()]
    if not words:
        return False
    forms = {
        unicodedata.normalize("NFKC", text).casefold(),
        unicodedata.normalize("NFKC", text.casefold()),
    }
    return any(word in form for word in words for form in forms)


def repeated(length: int) -> st.SearchStrategy[str]:
    """Texts of exactly ``length`` characters, cheaply: a short drawn text repeated."""
    return st.text(min_size=1, max_size=12).map(lambda s: (s * (length // len(s) + 1))[:length])


def prompts(
    *,
    profile: ModelProfile = DALL_E_2,
    min_size: int = 1,
    max_size: int | None = None,
    avoid: Collection[str] = DEFAULT_BLOCKED_TERMS,
) -> st.SearchStrategy[str]:
    """Any Unicode prompt the profile accepts (1 to ``prompt_max_chars`` characters, the
    limit itself included), containing none of the ``avoid`` terms in any case or form."""
    profile = checked_profile(profile)
    top = profile.prompt_max_chars if max_size is None else max_size
    if not 1 <= min_size <= top <= profile.prompt_max_chars:
        raise InvalidArgument(
            f"need 1 <= min_size <= max_size <= {profile.prompt_max_chars}, got {min_size}, {max_size}"
        )
    terms = tuple(avoid)
    texts = st.one_of(st.text(min_size=min_size, max_size=top), repeated(top))
    return texts.filter(lambda p: not mentions(p, terms))



@st.composite
def valid_params(draw: st.DrawFn, limits: Limits, endpoint: str, *, form: bool) -> tuple[dict[str, Any], Success]:
    """Valid parameters (no uploads) for ``endpoint``: JSON values, or strings for a form.
    A parameter whose default is allowed may be left out (or, in JSON, sent as null)."""
    profile = limits.profile
    low, high = limits.n
    choices: dict[str, tuple[st.SearchStrategy[Any], bool]] = {
        "n": (st.integers(low, high), low <= profile.default_n <= high),
        "size": (st.sampled_from(limits.sizes), profile.default_size in limits.sizes),
        "response_format": (st.sampled_from(limits.formats), profile.default_response_format in limits.formats),
        "user": (st.text(max_size=64), True),
        "model": (st.just(profile.name), ENDPOINTS[endpoint].default_model == profile.name),
    }
    params: dict[str, Any] = {}
    if ENDPOINTS[endpoint].requires_prompt:
        params["prompt"] = draw(prompts(profile=profile, avoid=limits.avoid))
    for name, (values, optional) in choices.items():
        if not profile.accepts(endpoint, name):
            continue
        if optional:
            presence = draw(st.sampled_from(["absent", "given", "null"] if not form else ["absent", "given"]))
            if presence == "absent":
                continue
            if presence == "null":
                params[name] = None
                continue
        params[name] = draw(values)
    n = params.get("n")
    expect = Success(
        n=n if isinstance(n, int) else profile.default_n,
        size=params.get("size") or profile.default_size,
        response_format=params.get("response_format") or profile.default_response_format,
    )
    if form:
        params = {k: str(v) for k, v in params.items()}
    return params, expect


@st.composite
def valid_uploads(draw: st.DrawFn, limits: Limits, endpoint: str) -> list[Part]:
    profile = limits.profile
    side = draw(sides(1, limits.max_side))
    limit = profile.uploads.max_bytes
    if endpoint == VARIATIONS:
        image = draw(drawn_png(modes=BUILD_MODES, width=side, height=side, max_bytes=limit))
        return [as_part("image", image, draw)]
    if draw(st.booleans()):  # with a mask, which carries the edit region: the image may be any mode
        image = draw(drawn_png(modes=BUILD_MODES, width=side, height=side, max_bytes=limit))
        mask = draw(drawn_png(modes=carrier_modes(profile), width=side, height=side, max_bytes=limit))
        expect_mode(mask, profile.uploads.transparency_modes)
        return [as_part("image", image, draw), as_part("mask", mask, draw)]
    image = draw(drawn_png(modes=carrier_modes(profile), width=side, height=side, max_bytes=limit))
    expect_mode(image, profile.uploads.transparency_modes)
    return [as_part("image", image, draw)]



@st.composite
def valid_case(draw: st.DrawFn, limits: Limits, endpoint: str) -> Case:
    if ENDPOINTS[endpoint].body == "json":
        body, expect = draw(valid_params(limits, endpoint, form=False))
        return json_case(endpoint, body, expect, "valid")
    fields, expect = draw(valid_params(limits, endpoint, form=True))
    files = draw(valid_uploads(limits, endpoint))
    order = draw(st.permutations(list(fields.items())))
    return form_case(endpoint, order, files, expect, "valid")


def _valid(endpoint: str, profile: ModelProfile, sizes: Iterable[str] | None, min_n: int | None,
           max_n: int | None, response_formats: Iterable[str] | None, max_side: int,
           avoid: Collection[str]) -> CaseStrategy:
    limits = limits_for(profile, sizes, min_n, max_n, response_formats, max_side, avoid)
    if endpoint not in limits.profile.endpoints:
        raise InvalidArgument(f"{limits.profile.name} does not serve {endpoint}")
    return valid_case(limits, endpoint)


def valid_generations(
    *,
    profile: ModelProfile = DALL_E_2,
    sizes: Iterable[str] | None = None,
    min_n: int | None = None,
    max_n: int | None = None,
    response_formats: Iterable[str] | None = None,
    avoid: Collection[str] = DEFAULT_BLOCKED_TERMS,
) -> CaseStrategy:
    """Valid ``POST /images/generations`` JSON bodies: any prompt within the limit, every
    size, ``n`` and format (or a subset of them), optional fields absent, given or null."""
    return _valid(GENERATIONS, profile, sizes, min_n, max_n, response_formats, 1, avoid)


def valid_edits(
    *,
    profile: ModelProfile = DALL_E_2,
    sizes: Iterable[str] | None = None,
    min_n: int | None = None,
    max_n: int | None = None,
    response_formats: Iterable[str] | None = None,
    max_side: int = 1024,
    avoid: Collection[str] = DEFAULT_BLOCKED_TERMS,
) -> CaseStrategy:
    """Valid ``POST /images/edits`` forms: a square PNG that carries transparency (a mode
    the profile accepts for that), or a PNG of any mode with a mask that does."""
    return _valid(EDITS, profile, sizes, min_n, max_n, response_formats, max_side, avoid)


def valid_variations(
    *,
    profile: ModelProfile = DALL_E_2,
    sizes: Iterable[str] | None = None,
    min_n: int | None = None,
    max_n: int | None = None,
    response_formats: Iterable[str] | None = None,
    max_side: int = 1024,
    avoid: Collection[str] = DEFAULT_BLOCKED_TERMS,
) -> CaseStrategy:
    """Valid ``POST /images/variations`` forms: a square PNG of any mode and side."""
    return _valid(VARIATIONS, profile, sizes, min_n, max_n, response_formats, max_side, avoid)


def valid_requests(
    *,
    profile: ModelProfile = DALL_E_2,
    endpoints: Iterable[str] | None = None,
    sizes: Iterable[str] | None = None,
    min_n: int | None = None,
    max_n: int | None = None,
    response_formats: Iterable[str] | None = None,
    max_side: int = 1024,
    avoid: Collection[str] = DEFAULT_BLOCKED_TERMS,
) -> CaseStrategy:
    """Valid requests to any of ``endpoints`` (default: every endpoint the profile serves)."""
    chosen = served_endpoints(profile, endpoints)
    return st.one_of([_valid(e, profile, sizes, min_n, max_n, response_formats, max_side, avoid)
                      for e in chosen])

