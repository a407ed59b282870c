"""Valid builders: prompts, parameters and uploads that every rule accepts, with the
:class:`Success` they must get."""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from PIL import Image

from contracts.models import DALL_E_2, EDITS, GENERATIONS, VARIATIONS, ModelProfile, SizeRule
from contracts.policy import DEFAULT_BLOCKED_TERMS
from contracts.spec import ENDPOINTS
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



def _resolved(size: str, profile: ModelProfile) -> str:
    return profile.auto_size if size == "auto" and profile.auto_size is not None else size


def _fits_gif(size: str, profile: ModelProfile) -> bool:
    gif = profile.gif
    if gif is None:
        return True
    width, _, height = _resolved(size, profile).partition("x")
    return max(int(width), int(height)) <= gif.max_edge


@st.composite
def free_sizes(draw: st.DrawFn, rule: SizeRule, max_edge: int) -> str:
    """``WIDTHxHEIGHT`` sizes within a free-form size rule, no side longer than ``max_edge``."""
    m = rule.multiple
    first = max(1, math.ceil(math.sqrt(rule.min_pixels / rule.max_ratio) / m))
    width = m * draw(st.integers(first, max(first, max_edge // m)))
    low = max(math.ceil(width / rule.max_ratio), math.ceil(rule.min_pixels / width), m)
    high = min(width * rule.max_ratio, max_edge, rule.max_pixels // width)
    assume(math.ceil(low / m) <= high // m)
    height = m * draw(st.integers(math.ceil(low / m), high // m))
    return f"{width}x{height}" if draw(st.booleans()) else f"{height}x{width}"


def _presence(draw: st.DrawFn, form: bool) -> str:
    return draw(st.sampled_from(["absent", "given", "null"] if not form else ["absent", "given"]))


@st.composite
def valid_params(draw: st.DrawFn, limits: Limits, endpoint: str, *, form: bool) -> tuple[dict[str, Any], Success]:
    """Valid parameters (no uploads) for ``endpoint``: JSON values, or strings for a form.
    A parameter whose default is allowed may be left out (or, in JSON, sent as null).

    The output format is drawn first, since it decides what else fits: a transparent
    background (png, webp), a compression below the maximum (jpeg, webp), GIF frames and
    the GIF size limit, SVG's ``n``."""
    profile = limits.profile
    low, high = limits.n
    params: dict[str, Any] = {}
    if ENDPOINTS[endpoint].requires_prompt:
        params["prompt"] = draw(prompts(profile=profile, max_size=limits.prompt_max, avoid=limits.avoid))
    formats = limits.output_formats
    if profile.svg is not None and low > profile.svg.n_max:
        formats = tuple(f for f in formats if f != "svg")
    default_format = profile.output_format.default if profile.output_format is not None else "png"
    if profile.accepts(endpoint, "output_format") and formats:
        presence = _presence(draw, form) if default_format in formats else "given"
        if presence != "absent":
            params["output_format"] = None if presence == "null" else draw(st.sampled_from(formats))
    output_format = params.get("output_format") or default_format
    if output_format == "svg" and profile.svg is not None:
        high = min(high, profile.svg.n_max)
    listed = [s for s in limits.sizes if output_format != "gif" or _fits_gif(s, profile)]
    size_values: st.SearchStrategy[str] = st.sampled_from(listed)
    if limits.free_edge and profile.size_rule is not None:
        edge = limits.free_edge if output_format != "gif" or profile.gif is None else min(
            limits.free_edge, profile.gif.max_edge)
        size_values = st.one_of(size_values, free_sizes(profile.size_rule, edge))
    choices: dict[str, tuple[st.SearchStrategy[Any], bool]] = {
        "n": (st.integers(low, high), low <= profile.default_n <= high),
        "size": (size_values, profile.default_size in listed),
        "response_format": (st.sampled_from(limits.formats), profile.default_response_format in limits.formats),
        "user": (st.text(max_size=64), True),
        "model": (st.just(profile.name), ENDPOINTS[endpoint].default_model == profile.name),
    }
    # Today's parameters, each where the model takes it (none for dall-e-2).
    for name in ("quality", "style", "moderation", "input_fidelity", "complexity"):
        allowed = limits.choices(name)
        choice = getattr(profile, name)
        if allowed and choice is not None:
            choices[name] = (st.sampled_from(allowed), choice.default in allowed)
    if profile.background is not None:
        backgrounds = [b for b in profile.background.values
                       if b != "transparent" or output_format in profile.transparent_formats]
        choices["background"] = (st.sampled_from(backgrounds), profile.background.default in backgrounds)
    compressions: st.SearchStrategy[int] = (st.integers(profile.compression_min, profile.compression_max)
                    if output_format in profile.compression_formats else st.just(profile.compression_max))
    choices["output_compression"] = (compressions, True)
    choices["safety_identifier"] = (st.text(max_size=64), True)
    if output_format == "gif" and profile.gif is not None:
        gif = profile.gif
        choices["frame_count"] = (st.integers(gif.frame_count_min, gif.frame_count_max), True)
        choices["frame_duration_ms"] = (st.integers(gif.frame_duration_min, 2000), True)
    if output_format == "svg" and profile.svg is not None:
        choices["svg"] = (svg_objects(profile.svg.efforts), True)
    for name, (values, optional) in choices.items():
        if not profile.accepts(endpoint, name):
            continue
        if optional:
            presence = _presence(draw, form)
            if presence == "absent":
                continue
            if presence == "null":
                params[name] = None
                continue
        params[name] = draw(values)
    n = params.get("n")
    quality = params.get("quality") or (profile.quality.default if profile.quality is not None else None)
    background = params.get("background") or (profile.background.default if profile.background else None)
    expect = Success(
        n=n if isinstance(n, int) else profile.default_n,
        size=_resolved(params.get("size") or profile.default_size, profile),
        response_format=params.get("response_format") or profile.default_response_format,
        output_format=output_format,
        model=profile.name,
        quality=profile.quality.resolve(quality) if profile.quality is not None and quality else None,
        background=profile.background.resolve(background) if profile.background is not None and background else None,
    )
    if form:
        params = dict(_form_fields(params))
    return params, expect


@st.composite
def svg_objects(draw: st.DrawFn, efforts: Collection[str]) -> dict[str, Any]:
    """[sdk-py] ``svg``: an author ``model``, and sometimes ``reasoning`` with (or without) an ``effort``
    of the SDK's values."""
    value: dict[str, Any] = {"model": draw(st.text(max_size=24))}
    reasoning = draw(st.sampled_from(["absent", "empty", "effort"]))
    if reasoning != "absent":
        value["reasoning"] = {"effort": draw(st.sampled_from(sorted(efforts)))} if reasoning == "effort" else {}
    return value


def _form_fields(params: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    """A form's fields: a value as its text, an object as bracketed fields ([sdk-py] "Use multipart fields such
    as `svg[model]`": ``svg[model]``, ``svg[reasoning][effort]``; an empty object sends no field)."""
    for name, value in params.items():
        if isinstance(value, Mapping):
            yield from _form_fields({f"{name}[{key}]": inner for key, inner in value.items()})
        else:
            yield name, str(value)


@st.composite
def valid_uploads(draw: st.DrawFn, limits: Limits, endpoint: str, *, mask: bool | None = None) -> list[Part]:
    """Valid uploads; ``mask`` (today's models): always a mask (True), never a mask nor a markup (False, as
    GIF output needs [sdk-py]), or either or neither (None)."""
    profile = limits.profile
    limit = profile.uploads.max_bytes
    if not profile.uploads.square:
        return draw(_gpt_uploads(limits, mask))
    side = draw(sides(1, limits.max_side))
    if endpoint == VARIATIONS:
        image = draw(drawn_png(modes=BUILD_MODES, width=side, height=side, max_bytes=limit))
        return [as_part("image", image, draw)]
    if draw(st.booleans()):  # with a mask, which carries the edit region: the image may be any mode
        image = draw(drawn_png(modes=BUILD_MODES, width=side, height=side, max_bytes=limit))
        carrier = draw(drawn_png(modes=carrier_modes(profile), width=side, height=side, max_bytes=limit))
        expect_mode(carrier, profile.uploads.transparency_modes)
        return [as_part("image", image, draw), as_part("mask", carrier, draw)]
    image = draw(drawn_png(modes=carrier_modes(profile), width=side, height=side, max_bytes=limit))
    expect_mode(image, profile.uploads.transparency_modes)
    return [as_part("image", image, draw)]


# ASSUMPTION: a few images are enough to stand for "up to max_images" in valid cases.
_MAX_VALID_IMAGES = 3


@st.composite
def _gpt_uploads(draw: st.DrawFn, limits: Limits, mask: bool | None = None) -> list[Part]:
    """Today's edit inputs: one PNG as ``image``, or one to a few as ``image[]`` (of any
    dimensions), sent as the SDK sends them (``image.png``, ``image/png``); sometimes a mask of
    the first image's dimensions, with alpha, or (a model that takes one) a markup like it
    ([sdk-py] "Cannot be combined with mask"). ``mask``: see :func:`valid_uploads`."""
    profile = limits.profile
    limit = profile.uploads.max_bytes
    count = draw(st.integers(1, min(_MAX_VALID_IMAGES, profile.uploads.max_images)))
    name = "image[]" if count > 1 or draw(st.booleans()) else "image"
    parts, first = [], None
    for _ in range(count):
        width, height = draw(sides(1, limits.max_side)), draw(sides(1, limits.max_side))
        image = draw(drawn_png(modes=BUILD_MODES, width=width, height=height, max_bytes=limit))
        first = first or image
        parts.append(Part(name, "image.png", "image/png", image.data, image.note))
    guides = ["mask"] if mask else [] if mask is False else ["none", "mask"]
    if mask is None and profile.accepts(EDITS, "markup"):
        guides.append("markup")
    guide = draw(st.sampled_from(guides)) if guides else "none"
    if first is not None and guide != "none":
        drawn = draw(drawn_png(modes=("RGBA", "LA"), width=first.width, height=first.height, max_bytes=limit))
        parts.append(Part(guide, f"{guide}.png", "image/png", drawn.data, drawn.note))
    return parts


@st.composite
def valid_case(draw: st.DrawFn, limits: Limits, endpoint: str) -> Case:
    if ENDPOINTS[endpoint].body == "json":
        body, expect = draw(valid_params(limits, endpoint, form=False))
        return json_case(endpoint, body, expect, "valid")
    fields, expect = draw(valid_params(limits, endpoint, form=True))
    # [sdk-py] "GIF output does not support [...] masks"
    files = draw(valid_uploads(limits, endpoint, mask=False if expect.output_format == "gif" else None))
    profile = limits.profile
    if endpoint == EDITS and profile.auto_size is not None and fields.get("size", profile.default_size) == "auto":
        expect = replace(expect, size=_auto_edit_size(files[0], profile))
    order = draw(st.permutations(list(fields.items())))
    return form_case(endpoint, order, files, expect, "valid")


def _auto_edit_size(first: Part, profile: ModelProfile) -> str:
    """ASSUMPTION (the contract's): an edit's ``size=auto`` is the listed size whose shape is
    nearest the first image's, as built here (ratios compared on a log scale)."""
    with Image.open(io.BytesIO(first.data)) as image:
        width, height = image.size
    listed = [size for size in profile.sizes if size != "auto"]

    def distance(size: str) -> float:
        w, _, h = size.partition("x")
        return abs(math.log(int(w) / int(h)) - math.log(width / height))

    return min(listed, key=distance)


# The longest side of a free-form size valid cases draw by default: rendering costs pixels.
DEFAULT_MAX_SIZE_EDGE = 1536


def _edge(profile: ModelProfile, max_size_edge: int) -> int:
    rule = profile.size_rule
    return min(max_size_edge, rule.max_edge) if rule is not None else 0


def _today(profile: ModelProfile, qualities: Iterable[str] | None, output_formats: Iterable[str] | None,
           max_size_edge: int, max_prompt_chars: int | None) -> dict[str, Any]:
    """The keyword arguments of limits_for() for today's parameters."""
    return {"qualities": qualities, "output_formats": output_formats, "max_size_edge": _edge(profile, max_size_edge),
            "max_prompt_chars": max_prompt_chars}


def _valid(endpoint: str, profile: ModelProfile, sizes: Iterable[str] | None, min_n: int | None,
           max_n: int | None, response_formats: Iterable[str] | None, max_side: int,
           avoid: Collection[str], today: Mapping[str, Any]) -> CaseStrategy:
    limits = limits_for(profile, sizes, min_n, max_n, response_formats, max_side, avoid, **today)
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
    qualities: Iterable[str] | None = None,
    output_formats: Iterable[str] | None = None,
    max_size_edge: int = DEFAULT_MAX_SIZE_EDGE,
    max_prompt_chars: int | None = None,
) -> CaseStrategy:
    """Valid ``POST /images/generations`` JSON bodies: any prompt within the limit (or
    ``max_prompt_chars``), every size (free-form ones up to ``max_size_edge`` a side, for a
    model with a size rule), ``n`` and format (or a subset of them), every parameter of today's
    models that the profile takes (``qualities`` and ``output_formats`` may narrow two of them),
    optional fields absent, given or null."""
    return _valid(GENERATIONS, profile, sizes, min_n, max_n, response_formats, 1, avoid,
                  _today(profile, qualities, output_formats, max_size_edge, max_prompt_chars))


def valid_edits(
    *,
    profile: ModelProfile = DALL_E_2,
    sizes: Iterable[str] | None = None,
    min_n: int | None = None,
    max_n: int | None = None,
    response_formats: Iterable[str] | None = None,
    max_side: int = 1024,
    avoid: Collection[str] = DEFAULT_BLOCKED_TERMS,
    qualities: Iterable[str] | None = None,
    output_formats: Iterable[str] | None = None,
    max_size_edge: int = DEFAULT_MAX_SIZE_EDGE,
    max_prompt_chars: int | None = None,
) -> CaseStrategy:
    """Valid ``POST /images/edits`` forms: for DALL·E, a square PNG that carries transparency
    (a mode the profile accepts for that), or a PNG of any mode with a mask that does; for
    today's models, one to a few PNGs of any dimensions (``image`` or ``image[]``), sometimes
    with a mask of the first one's. Parameters as :func:`valid_generations`."""
    return _valid(EDITS, profile, sizes, min_n, max_n, response_formats, max_side, avoid,
                  _today(profile, qualities, output_formats, max_size_edge, max_prompt_chars))


def valid_variations(
    *,
    profile: ModelProfile = DALL_E_2,
    sizes: Iterable[str] | None = None,
    min_n: int | None = None,
    max_n: int | None = None,
    response_formats: Iterable[str] | None = None,
    max_side: int = 1024,
    avoid: Collection[str] = DEFAULT_BLOCKED_TERMS,
    qualities: Iterable[str] | None = None,
    output_formats: Iterable[str] | None = None,
    max_size_edge: int = DEFAULT_MAX_SIZE_EDGE,
    max_prompt_chars: int | None = None,
) -> CaseStrategy:
    """Valid ``POST /images/variations`` forms: a square PNG of any mode and side."""
    return _valid(VARIATIONS, profile, sizes, min_n, max_n, response_formats, max_side, avoid,
                  _today(profile, qualities, output_formats, max_size_edge, max_prompt_chars))


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
    qualities: Iterable[str] | None = None,
    output_formats: Iterable[str] | None = None,
    max_size_edge: int = DEFAULT_MAX_SIZE_EDGE,
    max_prompt_chars: int | None = None,
) -> CaseStrategy:
    """Valid requests to any of ``endpoints`` (default: every endpoint the profile serves)."""
    chosen = served_endpoints(profile, endpoints)
    today = _today(profile, qualities, output_formats, max_size_edge, max_prompt_chars)
    return st.one_of([_valid(e, profile, sizes, min_n, max_n, response_formats, max_side, avoid, today)
                      for e in chosen])

