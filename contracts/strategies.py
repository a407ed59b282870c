"""Hypothesis strategies for the Images API contract, built from the contract's data.

The one module of ``contracts`` that imports Hypothesis. Every strategy draws a
:class:`Case`: one request (a JSON body, multipart fields and files, or raw bytes)
and the outcome the contract promises for it, either a :class:`Success` (``n``
images of ``size`` in ``response_format``) or a :class:`Refusal` (a catalogue
entry with its template filled from how the request was built; never by asking
:mod:`contracts.rules`, the code under test).

    valid_generations()   valid_edits()   valid_variations()   valid_requests()
    invalid_generations() invalid_edits() invalid_variations() invalid_uploads()
    invalid_routes()      invalid_requests(rules=...)          from_profile(profile)
    prompts()             pngs()                               search(strategy, check)

Sizes, the ``n`` range, the prompt limit, the formats and the upload rules come
from a :class:`~contracts.spec.ModelProfile` (``profile=``, default dall-e-2); the
errors from :data:`~contracts.errors.CATALOGUE`. An invalid case breaks exactly one
rule, named by ``Refusal.rule``; :data:`RULES` lists the rules the strategies know
how to break. Bounds are keyword-only and checked loudly (``InvalidArgument``).
"""

from __future__ import annotations

import functools
import io
import json
import math
import string
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeAlias

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as use_seed
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from PIL import Image, ImageDraw

from contracts.errors import CATALOGUE, CURRENT
from contracts.png import SIGNATURE
from contracts.policy import DEFAULT_BLOCKED_TERMS
from contracts.spec import (
    API_PREFIX,
    DALL_E_2,
    EDITS,
    ENDPOINTS,
    GENERATIONS,
    GPT_SPECIFIC_PARAMETERS,
    MAX_REQUEST_BYTES,
    MB,
    MODELS,
    VARIATIONS,
    ModelProfile,
)

__all__ = [
    "BUILD_MODES",
    "DEFAULT_AUTHORIZATION",
    "RULES",
    "Case",
    "CaseStrategy",
    "Part",
    "Png",
    "Refusal",
    "Search",
    "Success",
    "from_profile",
    "invalid_edits",
    "invalid_generations",
    "invalid_requests",
    "invalid_routes",
    "invalid_uploads",
    "invalid_variations",
    "pngs",
    "prompts",
    "search",
    "valid_edits",
    "valid_generations",
    "valid_requests",
    "valid_variations",
]

# Sent as the Authorization header; ``{api_key}`` is filled in by whoever sends the case.
DEFAULT_AUTHORIZATION = "Bearer {api_key}"
JSON_CONTENT_TYPE = "application/json"

# Every mode Pillow writes as PNG, as it reads them back.
BUILD_MODES: tuple[str, ...] = ("RGBA", "LA", "L", "RGB", "P", "1", "I;16")

# The catalogue entries a single request can break, and so the strategies can draw.
# The others depend on the server's state or configuration (quota, blocked images,
# accepted keys), on faults, or belong to the fake's control plane.
UPLOAD_RULES: tuple[str, ...] = (
    "invalid_image_format",
    "image_not_square",
    "image_mode",
    "mask_size_mismatch",
    "image_too_large",
    "array_above_max_length",
)
RULES: tuple[str, ...] = (
    "invalid_json",
    "invalid_url",
    "body_too_large",
    "invalid_multipart",
    "not_multipart",
    "missing_api_key",
    "unknown_parameter",
    "missing_required_parameter",
    "invalid_type",
    "invalid_value",
    "empty_string",
    "string_above_max_length",
    "integer_above_max_value",
    "integer_below_min_value",
    *UPLOAD_RULES,
    "content_policy_prompt",
)


# --- what a case is ---------------------------------------------------------------


@dataclass(frozen=True)
class Success:
    """The contract's promise for a valid request: ``n`` images of ``size`` in ``response_format``."""

    n: int
    size: str
    response_format: str


@dataclass(frozen=True)
class Refusal:
    """The catalogued error a request must get, with the values that fill its template."""

    rule: str  # the catalogue key
    status: int
    type: str
    code: str | None
    param: str | None
    message: str  # in the current era; body(era) gives any era
    values: tuple[tuple[str, Any], ...] = ()

    def body(self, era: str = CURRENT) -> dict[str, Any]:
        """The whole error envelope, as the API writes it in ``era``."""
        return CATALOGUE[self.rule].body(era, **dict(self.values))


def refusal(rule: str, **values: Any) -> Refusal:
    """The :class:`Refusal` of catalogue entry ``rule`` filled with ``values``."""
    spec = CATALOGUE[rule]
    error = spec.body(CURRENT, **values)["error"]
    return Refusal(rule, spec.status, spec.type, error["code"], error["param"], error["message"],
                   tuple(values.items()))


@dataclass(frozen=True)
class Part:
    """One multipart file part."""

    field: str
    filename: str
    content_type: str
    data: bytes
    note: str = ""  # what the bytes are, for reports: "RGBA 64x64 PNG"

    def describe(self) -> str:
        return f"{self.field}: {self.note or 'bytes'} ({len(self.data)} bytes)"

    def __repr__(self) -> str:
        return f"Part({self.describe()})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


BodyKind: TypeAlias = Literal["json", "multipart", "raw", "empty"]


@dataclass(frozen=True)
class Case:
    """One request and what the contract says it must get.

    ``path`` is relative to the base URL (``/images/generations``); ``authorization``
    is the header to send, with ``{api_key}`` filled in (None: no header).
    """

    endpoint: str | None  # None for a path that is no endpoint
    expect: Success | Refusal
    kind: BodyKind
    path: str
    method: str = "POST"
    json: Mapping[str, Any] | None = None
    fields: tuple[tuple[str, str], ...] = ()
    files: tuple[Part, ...] = ()
    raw: bytes | None = None
    content_type: str | None = None
    authorization: str | None = DEFAULT_AUTHORIZATION
    label: str = ""  # how the request was built, e.g. "n above the maximum"

    @property
    def valid(self) -> bool:
        return isinstance(self.expect, Success)

    def summary(self, limit: int = 400) -> str:
        """The request in one line, long strings and bytes abbreviated."""
        text = f"{self.method} {API_PREFIX}{self.path}"
        if self.kind == "json":
            text += " json=" + json.dumps(_abbreviated(self.json), ensure_ascii=False)
        elif self.kind == "multipart":
            text += " fields=" + json.dumps(_abbreviated(dict(self.fields)), ensure_ascii=False)
            if len({name for name, _ in self.fields}) != len(self.fields):
                text += f" (repeated: {[name for name, _ in self.fields]})"
            text += " files=[" + ", ".join(p.describe() for p in self.files) + "]"
        elif self.kind == "raw" and self.raw is not None:
            head = self.raw[:80]
            more = f"…({len(self.raw)} bytes)" if len(self.raw) > len(head) else ""
            text += f" content-type={self.content_type!r} body={head!r}{more}"
        if self.authorization != DEFAULT_AUTHORIZATION:
            text += " authorization=" + ("(none)" if self.authorization is None else repr(self.authorization))
        if len(text) > limit:
            text = text[: limit - 1] + "…"
        return text

    def __repr__(self) -> str:
        outcome = (f"expect {self.expect!r}" if isinstance(self.expect, Success)
                   else f"expect {self.expect.status} {self.expect.rule}")
        return f"Case({self.label or self.kind}: {self.summary(2000)}; {outcome})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def _abbreviated(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 80:
        return f"{value[:60]}…({len(value)} characters)"
    if isinstance(value, Mapping):
        return {k: _abbreviated(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_abbreviated(v) for v in value]
    return value


CaseStrategy: TypeAlias = st.SearchStrategy[Case]


# --- the API's way of writing values in messages (independent of contracts.rules) ----------


def _quoted(value: str) -> str:
    return f"'{value}'"


def _listing(values: Sequence[str], conjunction: str) -> str:
    """'a', 'b', and 'c'  /  'a' and 'b'  /  'a'"""
    quoted = [_quoted(v) for v in values]
    if len(quoted) < 3:
        return f" {conjunction} ".join(quoted)
    return ", ".join(quoted[:-1]) + f", {conjunction} {quoted[-1]}"


def _python_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_quoted(v) for v in values) + "]"


# --- argument checks -----------------------------------------------------------------


def _profile(profile: ModelProfile) -> ModelProfile:
    if not isinstance(profile, ModelProfile):
        raise InvalidArgument(f"profile must be a contracts.spec.ModelProfile, not {profile!r}")
    return profile


def _subset(name: str, given_values: Iterable[str] | None, allowed: Sequence[str]) -> tuple[str, ...]:
    if given_values is None:
        return tuple(allowed)
    if isinstance(given_values, str):
        raise InvalidArgument(f"{name} must be a collection of strings, not the string {given_values!r}")
    chosen = tuple(given_values)
    unknown = [v for v in chosen if v not in allowed]
    if unknown or not chosen:
        raise InvalidArgument(f"{name}={chosen!r}: each must be one of {list(allowed)} (and at least one given)")
    return chosen


def _n_bounds(profile: ModelProfile, min_n: int | None, max_n: int | None) -> tuple[int, int]:
    low = profile.n_min if min_n is None else min_n
    high = profile.n_max if max_n is None else max_n
    if not profile.n_min <= low <= high <= profile.n_max:
        raise InvalidArgument(
            f"need {profile.n_min} <= min_n <= max_n <= {profile.n_max} for {profile.name}, "
            f"got min_n={min_n}, max_n={max_n}"
        )
    return low, high


def _side_bound(profile: ModelProfile, max_side: int) -> int:
    limit = math.isqrt(profile.uploads.max_pixels)
    if isinstance(max_side, bool) or not isinstance(max_side, int) or not 1 <= max_side <= limit:
        raise InvalidArgument(f"max_side must be an integer from 1 to {limit}, not {max_side!r}")
    return max_side


def _endpoints(profile: ModelProfile, endpoints: Iterable[str] | None) -> tuple[str, ...]:
    served = [name for name in ENDPOINTS if name in profile.endpoints]
    return _subset("endpoints", endpoints, served)


def _rules(rules: Iterable[str] | None) -> tuple[str, ...]:
    return _subset("rules", rules, RULES)


# --- prompts -----------------------------------------------------------------------------


def _mentions(text: str, terms: Collection[str]) -> bool:
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


def _repeated(length: int) -> st.SearchStrategy[str]:
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
    profile = _profile(profile)
    top = profile.prompt_max_chars if max_size is None else max_size
    if not 1 <= min_size <= top <= profile.prompt_max_chars:
        raise InvalidArgument(
            f"need 1 <= min_size <= max_size <= {profile.prompt_max_chars}, got {min_size}, {max_size}"
        )
    terms = tuple(avoid)
    texts = st.one_of(st.text(min_size=min_size, max_size=top), _repeated(top))
    return texts.filter(lambda p: not _mentions(p, terms))


# --- PNGs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Png:
    """PNG bytes made with Pillow, and what Pillow reads back: size and mode."""

    data: bytes
    width: int
    height: int
    mode: str
    transparency: str  # "alpha hole", "opaque", "tRNS", "none"

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def note(self) -> str:
        return f"{self.mode} {self.size} PNG ({self.transparency})"

    def __repr__(self) -> str:
        return f"Png({self.note}, {len(self.data)} bytes)"


@functools.lru_cache(maxsize=256)
def _encode_png(
    mode: str,
    width: int,
    height: int,
    hole: tuple[int, int, int, int] | None,
    trns: bool,
    tint: tuple[int, int, int],
) -> tuple[bytes, str]:
    """A picture with a shape on a tinted ground; ``hole`` is cut to alpha 0 (modes with
    alpha), ``trns`` adds a tRNS colour key (L, RGB, P). Returns the bytes and the mode
    Pillow reads back."""
    image = Image.new("RGBA", (width, height), (*tint, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse([width // 4, height // 4, (3 * width) // 4, (3 * height) // 4],
                 fill=(255 - tint[0], tint[2], 255 - tint[1], 255))
    if hole is not None:
        draw.rectangle(list(hole), fill=(0, 0, 0, 0))
    converted = image.convert("L").convert("I;16") if mode == "I;16" else image.convert(mode)
    options: dict[str, Any] = {"compress_level": 1}
    if trns:
        options["transparency"] = (0, 0, 0) if mode == "RGB" else 0
    buffer = io.BytesIO()
    converted.save(buffer, "PNG", **options)
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as probe:  # the header only: Image.open is lazy
        return data, probe.mode


def _sides(min_side: int, max_side: int) -> st.SearchStrategy[int]:
    """Square sides: small ones often, the output sizes and the bounds sometimes."""
    marks = [s for s in (min_side, 128, 256, 512, 1024, 2048, 4096, max_side) if min_side <= s <= max_side]
    return st.one_of(
        st.integers(min_side, min(max_side, max(min_side, 64))),
        st.sampled_from(sorted(set(marks))),
        st.integers(min_side, max_side),
    )


@st.composite
def _png(
    draw: st.DrawFn,
    *,
    modes: Sequence[str],
    width: int,
    height: int,
    max_bytes: int,
) -> Png:
    mode = draw(st.sampled_from(modes))
    hole: tuple[int, int, int, int] | None = None
    trns = False
    transparency = "none"
    if mode in ("RGBA", "LA"):
        if draw(st.booleans()):
            x0 = draw(st.integers(0, width - 1))
            y0 = draw(st.integers(0, height - 1))
            hole = (x0, y0, draw(st.integers(x0, width - 1)), draw(st.integers(y0, height - 1)))
            transparency = "alpha hole"
        else:
            transparency = "opaque"
    elif mode in ("L", "RGB", "P") and draw(st.booleans()):
        trns, transparency = True, "tRNS"
    tint = (draw(st.integers(0, 255)), draw(st.integers(0, 255)), draw(st.integers(0, 255)))
    data, read_mode = _encode_png(mode, width, height, hole, trns, tint)
    if len(data) >= max_bytes:
        # Smooth pictures stay far below the limit; this is a guard, not a filter.
        raise InvalidArgument(f"a {mode} {width}x{height} test PNG took {len(data)} bytes")
    return Png(data, width, height, read_mode, transparency)


def pngs(
    *,
    profile: ModelProfile = DALL_E_2,
    modes: Sequence[str] = BUILD_MODES,
    min_side: int = 1,
    max_side: int = 1024,
) -> st.SearchStrategy[Png]:
    """Square PNGs the profile accepts as uploads: every mode in ``modes``, sides from
    ``min_side`` to ``max_side``, with an alpha hole, fully opaque, or a tRNS colour key."""
    profile = _profile(profile)
    modes = tuple(_subset("modes", modes, BUILD_MODES))
    max_side = _side_bound(profile, max_side)
    if not 1 <= min_side <= max_side:
        raise InvalidArgument(f"need 1 <= min_side <= max_side, got {min_side}, {max_side}")
    limit = profile.uploads.max_bytes
    return _sides(min_side, max_side).flatmap(
        lambda side: _png(modes=modes, width=side, height=side, max_bytes=limit)
    )


def _carrier_modes(profile: ModelProfile) -> tuple[str, ...]:
    """Build modes Pillow reads back as a mode that may carry the edit region."""
    return tuple(m for m in BUILD_MODES if m in profile.uploads.transparency_modes)


def _opaque_modes(profile: ModelProfile) -> tuple[str, ...]:
    return tuple(m for m in BUILD_MODES if m not in profile.uploads.transparency_modes)


def _part(name: str, image: Png, draw: st.DrawFn) -> Part:
    filename, content_type = draw(st.sampled_from(
        [("image.png", "image/png"), (name, "application/octet-stream"), (f"{name}.PNG", "image/png")]
    ))
    return Part(name, filename, content_type, image.data, image.note)


# --- valid requests ---------------------------------------------------------------


@dataclass(frozen=True)
class _Limits:
    """What valid requests may ask for (a subset of the profile, e.g. to keep a live run cheap)."""

    profile: ModelProfile
    sizes: tuple[str, ...]
    n: tuple[int, int]
    formats: tuple[str, ...]
    max_side: int
    avoid: tuple[str, ...]


def _limits(
    profile: ModelProfile,
    sizes: Iterable[str] | None,
    min_n: int | None,
    max_n: int | None,
    response_formats: Iterable[str] | None,
    max_side: int,
    avoid: Collection[str],
) -> _Limits:
    profile = _profile(profile)
    return _Limits(
        profile,
        _subset("sizes", sizes, profile.sizes),
        _n_bounds(profile, min_n, max_n),
        _subset("response_formats", response_formats, profile.response_formats),
        _side_bound(profile, max_side),
        tuple(avoid),
    )


@st.composite
def _params(draw: st.DrawFn, limits: _Limits, endpoint: str, *, form: bool) -> tuple[dict[str, Any], Success]:
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


def _json_case(endpoint: str, body: Mapping[str, Any], expect: Success | Refusal, label: str,
               **changes: Any) -> Case:
    case = Case(endpoint, expect, "json", ENDPOINTS[endpoint].path, json=dict(body), label=label)
    return replace(case, **changes) if changes else case


def _form_case(endpoint: str, fields: Mapping[str, str] | Sequence[tuple[str, str]], files: Sequence[Part],
               expect: Success | Refusal, label: str) -> Case:
    pairs = tuple(fields.items()) if isinstance(fields, Mapping) else tuple(fields)
    return Case(endpoint, expect, "multipart", ENDPOINTS[endpoint].path, fields=pairs, files=tuple(files),
                label=label)


@st.composite
def _valid_uploads(draw: st.DrawFn, limits: _Limits, endpoint: str) -> list[Part]:
    profile = limits.profile
    side = draw(_sides(1, limits.max_side))
    limit = profile.uploads.max_bytes
    if endpoint == VARIATIONS:
        image = draw(_png(modes=BUILD_MODES, width=side, height=side, max_bytes=limit))
        return [_part("image", image, draw)]
    if draw(st.booleans()):  # with a mask, which carries the edit region: the image may be any mode
        image = draw(_png(modes=BUILD_MODES, width=side, height=side, max_bytes=limit))
        mask = draw(_png(modes=_carrier_modes(profile), width=side, height=side, max_bytes=limit))
        _expect_mode(mask, profile.uploads.transparency_modes)
        return [_part("image", image, draw), _part("mask", mask, draw)]
    image = draw(_png(modes=_carrier_modes(profile), width=side, height=side, max_bytes=limit))
    _expect_mode(image, profile.uploads.transparency_modes)
    return [_part("image", image, draw)]


def _expect_mode(image: Png, modes: Collection[str], *, inside: bool = True) -> None:
    if (image.mode in modes) != inside:
        raise InvalidArgument(f"Pillow read a {image.note} back; the strategy expected its mode "
                              f"{'in' if inside else 'outside'} {sorted(modes)}")


@st.composite
def _valid_case(draw: st.DrawFn, limits: _Limits, endpoint: str) -> Case:
    if ENDPOINTS[endpoint].body == "json":
        body, expect = draw(_params(limits, endpoint, form=False))
        return _json_case(endpoint, body, expect, "valid")
    fields, expect = draw(_params(limits, endpoint, form=True))
    files = draw(_valid_uploads(limits, endpoint))
    order = draw(st.permutations(list(fields.items())))
    return _form_case(endpoint, order, files, expect, "valid")


def _valid(endpoint: str, profile: ModelProfile, sizes: Iterable[str] | None, min_n: int | None,
           max_n: int | None, response_formats: Iterable[str] | None, max_side: int,
           avoid: Collection[str]) -> CaseStrategy:
    limits = _limits(profile, sizes, min_n, max_n, response_formats, max_side, avoid)
    if endpoint not in limits.profile.endpoints:
        raise InvalidArgument(f"{limits.profile.name} does not serve {endpoint}")
    return _valid_case(limits, endpoint)


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
    chosen = _endpoints(profile, endpoints)
    return st.one_of([_valid(e, profile, sizes, min_n, max_n, response_formats, max_side, avoid)
                      for e in chosen])


# --- invalid requests: each breaks exactly one rule --------------------------------------

Breaker: TypeAlias = Callable[[_Limits, str], CaseStrategy]
_BREAKERS: dict[str, tuple[tuple[str, ...], Breaker]] = {}  # rule -> (endpoints, breaker)


def _breaks(rule: str, *endpoints: str) -> Callable[[Breaker], Breaker]:
    def register(breaker: Breaker) -> Breaker:
        _BREAKERS[rule] = (endpoints, breaker)
        return breaker

    return register


def _base(limits: _Limits, endpoint: str) -> st.SearchStrategy[tuple[dict[str, Any], Success]]:
    """The valid parameters an invalid case starts from (uploads apart)."""
    return _params(limits, endpoint, form=ENDPOINTS[endpoint].body == "multipart")


@st.composite
def _broken(
    draw: st.DrawFn,
    limits: _Limits,
    endpoint: str,
    change: Callable[[st.DrawFn, dict[str, Any]], tuple[dict[str, Any], Refusal, str]],
    uploads: bool = True,
) -> Case:
    """A valid request with its parameters changed by ``change`` (which says what it broke)."""
    params, _ = draw(_base(limits, endpoint))
    params, expect, label = change(draw, params)
    if ENDPOINTS[endpoint].body == "json":
        return _json_case(endpoint, params, expect, label)
    files = draw(_valid_uploads(limits, endpoint)) if uploads else []
    return _form_case(endpoint, params, files, expect, label)


_NAME_CHARS = string.ascii_lowercase + "_"


@_breaks("unknown_parameter", GENERATIONS, EDITS, VARIATIONS)
def _unknown_parameter(limits: _Limits, endpoint: str) -> CaseStrategy:
    profile = limits.profile
    known_elsewhere = sorted({p for ps in profile.parameters.values() for p in ps}
                             | {"quality", "style", "background", "output_format", "moderation", "stream"})
    if ENDPOINTS[endpoint].body == "json":
        names = st.one_of(st.sampled_from(known_elsewhere), st.text(min_size=1, max_size=24))
        values: st.SearchStrategy[Any] = _json_values()
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

    strategies = [_broken(limits, endpoint, change)]
    if endpoint != EDITS and not profile.accepts(endpoint, "mask") and ENDPOINTS[endpoint].body == "multipart":
        strategies.append(_mask_where_none_belongs(limits, endpoint))
    return st.one_of(strategies)


@st.composite
def _mask_where_none_belongs(draw: st.DrawFn, limits: _Limits, endpoint: str) -> Case:
    params, _ = draw(_base(limits, endpoint))
    files = draw(_valid_uploads(limits, endpoint))
    side = draw(_sides(1, 64))
    mask = draw(_png(modes=_carrier_modes(limits.profile), width=side, height=side,
                     max_bytes=limits.profile.uploads.max_bytes))
    return _form_case(endpoint, params, [*files, _part("mask", mask, draw)],
                      refusal("unknown_parameter", param="mask"), "a mask where none belongs")


@_breaks("missing_required_parameter", GENERATIONS, EDITS, VARIATIONS)
def _missing(limits: _Limits, endpoint: str) -> CaseStrategy:
    strategies = []
    if ENDPOINTS[endpoint].requires_prompt:
        def no_prompt(draw: st.DrawFn, params: dict[str, Any]) -> tuple[dict[str, Any], Refusal, str]:
            rest = {k: v for k, v in params.items() if k != "prompt"}
            return rest, refusal("missing_required_parameter", param="prompt"), "no prompt"
        strategies.append(_broken(limits, endpoint, no_prompt))
    if ENDPOINTS[endpoint].requires_image:
        def no_image(draw: st.DrawFn, params: dict[str, Any]) -> tuple[dict[str, Any], Refusal, str]:
            # At least one part: a multipart body with none is refused as unparseable instead.
            params = params or {"n": str(limits.profile.default_n)}
            return params, refusal("missing_required_parameter", param="image"), "no image"
        strategies.append(_broken(limits, endpoint, no_image, uploads=False))
    return st.one_of(strategies)


def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(
        max_size=20)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.text(max_size=8), inner, max_size=3), max_leaves=6)


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


def _typed_fields(limits: _Limits, endpoint: str) -> list[tuple[str, str, str]]:
    """(field, schema type, how the error names what was expected) of each typed field."""
    profile = limits.profile
    fields = [
        ("prompt", "string", "a string"),
        ("n", "integer", "an integer"),
        ("size", "string", "one of " + _listing(profile.sizes, "or")),
        ("response_format", "string", "one of " + _listing(profile.response_formats, "or")),
        ("user", "string", "a string"),
        ("model", "string", "a string"),
    ]
    return [f for f in fields if profile.accepts(endpoint, f[0])]


@_breaks("invalid_type", GENERATIONS, EDITS, VARIATIONS)
def _invalid_type(limits: _Limits, endpoint: str) -> CaseStrategy:
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

    return _broken(limits, endpoint, change)


# How a form's text reads where an integer is expected: (texts, type name, the value it reads as).
_DIGITS = st.text("0123456789", min_size=1, max_size=4)


def _form_decimals() -> st.SearchStrategy[tuple[str, object]]:
    return st.tuples(_DIGITS, _DIGITS).map(lambda p: (f"{p[0]}.{p[1]}", float(f"{p[0]}.{p[1]}")))


def _form_words() -> st.SearchStrategy[tuple[str, object]]:
    # Letters only: never a number, and never 'true'/'false' (those read as booleans).
    words = st.text(string.ascii_letters, min_size=1, max_size=10).filter(lambda w: w not in ("true", "false"))
    return words.map(lambda w: (w, w))


def _form_invalid_type(limits: _Limits, endpoint: str) -> CaseStrategy:
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

    return _broken(limits, endpoint, change)


@_breaks("invalid_value", GENERATIONS, EDITS, VARIATIONS)
def _invalid_value(limits: _Limits, endpoint: str) -> CaseStrategy:
    profile = limits.profile
    models = [name for name, p in MODELS.items() if endpoint in p.endpoints]
    choices = [(name, allowed) for name, allowed in
               (("size", profile.sizes), ("response_format", profile.response_formats), ("model", models))
               if profile.accepts(endpoint, name)]
    near_misses = {
        "size": [f"{w}x{h}" for w, h in ((300, 300), (1792, 1024), (1024, 1792), (64, 64), (2048, 2048))]
        + [s.replace("x", "×") for s in profile.sizes] + [s.upper() for s in profile.sizes] + [""],
        "response_format": ["png", "URL", "b64", "json", "base64", ""],
        "model": ["dall-e-3", "gpt-image-1", "DALL-E-2", "dall-e-9", ""],
    }

    def change(draw: st.DrawFn, params: dict[str, Any]) -> tuple[dict[str, Any], Refusal, str]:
        name, allowed = draw(st.sampled_from(choices))
        value = draw(st.one_of(st.sampled_from(near_misses[name]), st.text(max_size=20)).filter(
            lambda v: v not in allowed))
        error = refusal("invalid_value", param=name, value=_quoted(value), supported=_listing(allowed, "and"),
                        supported_list=_python_list(allowed))
        return {**params, name: value}, error, f"{name} not allowed"

    return _broken(limits, endpoint, change)


@_breaks("empty_string", GENERATIONS, EDITS)
def _empty_prompt(limits: _Limits, endpoint: str) -> CaseStrategy:
    def change(draw: st.DrawFn, params: dict[str, Any]) -> tuple[dict[str, Any], Refusal, str]:
        return {**params, "prompt": ""}, refusal("empty_string", param="prompt"), "empty prompt"

    return _broken(limits, endpoint, change)


@_breaks("string_above_max_length", GENERATIONS, EDITS)
def _long_prompt(limits: _Limits, endpoint: str) -> CaseStrategy:
    maximum = limits.profile.prompt_max_chars

    def change(draw: st.DrawFn, params: dict[str, Any]) -> tuple[dict[str, Any], Refusal, str]:
        length = draw(st.integers(maximum + 1, maximum + 3) | st.integers(maximum + 1, 4 * maximum))
        prompt = draw(_repeated(length))
        error = refusal("string_above_max_length", param="prompt", maximum=maximum, length=length)
        return {**params, "prompt": prompt}, error, "prompt too long"

    return _broken(limits, endpoint, change)


def _n_out_of_range(rule: str, limits: _Limits, endpoint: str) -> CaseStrategy:
    profile = limits.profile
    above = rule == "integer_above_max_value"
    ints = (st.integers(min_value=profile.n_max + 1) if above else st.integers(max_value=profile.n_min - 1))
    form = ENDPOINTS[endpoint].body == "multipart"

    def change(draw: st.DrawFn, params: dict[str, Any]) -> tuple[dict[str, Any], Refusal, str]:
        n = draw(ints)
        bound = {"maximum": profile.n_max} if above else {"minimum": profile.n_min}
        error = refusal(rule, param="n", value=n, **bound)
        return {**params, "n": str(n) if form else n}, error, f"n {'above' if above else 'below'} the range"

    return _broken(limits, endpoint, change)


_breaks("integer_above_max_value", GENERATIONS, EDITS, VARIATIONS)(
    functools.partial(_n_out_of_range, "integer_above_max_value"))
_breaks("integer_below_min_value", GENERATIONS, EDITS, VARIATIONS)(
    functools.partial(_n_out_of_range, "integer_below_min_value"))


@_breaks("content_policy_prompt", GENERATIONS, EDITS)
def _blocked_prompt(limits: _Limits, endpoint: str) -> CaseStrategy:
    terms = [t for t in DEFAULT_BLOCKED_TERMS if t.strip()]
    words = st.text(string.ascii_lowercase, min_size=1, max_size=8).filter(lambda w: not _mentions(w, terms))
    maximum = limits.profile.prompt_max_chars

    def change(draw: st.DrawFn, params: dict[str, Any]) -> tuple[dict[str, Any], Refusal, str]:
        term = draw(st.sampled_from(terms))
        term = draw(st.sampled_from([term, term.upper(), term.title()]))
        before = draw(st.lists(words, max_size=4))
        after = draw(st.lists(words, max_size=4))
        prompt = " ".join([*before, term, *after])[:maximum]
        return {**params, "prompt": prompt}, refusal("content_policy_prompt"), f"prompt with {term!r}"

    return _broken(limits, endpoint, change)


_AUTHORIZATIONS = (None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "sk-no-scheme")


@_breaks("missing_api_key", GENERATIONS, EDITS, VARIATIONS)
def _no_key(limits: _Limits, endpoint: str) -> CaseStrategy:
    @st.composite
    def case(draw: st.DrawFn) -> Case:
        valid = draw(_valid_case(limits, endpoint))
        header = draw(st.sampled_from(_AUTHORIZATIONS))
        label = "no Authorization header" if header is None else f"Authorization {header!r}"
        return replace(valid, expect=refusal("missing_api_key"), authorization=header, label=label)

    return case()


@_breaks("invalid_json", GENERATIONS)
def _invalid_json(limits: _Limits, endpoint: str) -> CaseStrategy:
    @st.composite
    def case(draw: st.DrawFn) -> Case:
        body, _ = draw(_base(limits, endpoint))
        if draw(st.booleans()):
            text = json.dumps(body).encode()
            raw = text[: draw(st.integers(0, len(text) - 1))]  # an object's strict prefix is never JSON
            label = "truncated JSON"
        else:
            value = draw(_json_values().filter(lambda v: not isinstance(v, dict)))
            raw, label = json.dumps(value).encode(), "JSON that is not an object"
        return Case(endpoint, refusal("invalid_json"), "raw", ENDPOINTS[endpoint].path, raw=raw,
                    content_type=JSON_CONTENT_TYPE, label=label)

    return case()


@_breaks("body_too_large", GENERATIONS)
def _too_large(limits: _Limits, endpoint: str) -> CaseStrategy:
    @st.composite
    def case(draw: st.DrawFn) -> Case:
        body, _ = draw(_base(limits, endpoint))
        text = json.dumps(body).encode()
        length = draw(st.integers(MAX_REQUEST_BYTES + 1, MAX_REQUEST_BYTES + 4096))
        raw = text + b" " * (length - len(text))  # trailing whitespace: still a valid JSON object
        expect = refusal("body_too_large", max_bytes=MAX_REQUEST_BYTES, length=length)
        return Case(endpoint, expect, "raw", ENDPOINTS[endpoint].path, raw=raw,
                    content_type=JSON_CONTENT_TYPE, label="body over the request limit")

    return case()


@_breaks("not_multipart", EDITS, VARIATIONS)
def _not_multipart(limits: _Limits, endpoint: str) -> CaseStrategy:
    @st.composite
    def case(draw: st.DrawFn) -> Case:
        params, _ = draw(_base(limits, endpoint))
        content_type = draw(st.sampled_from(
            [JSON_CONTENT_TYPE, "text/plain", "application/x-www-form-urlencoded", "application/octet-stream"]))
        raw = json.dumps(params).encode()
        return Case(endpoint, refusal("not_multipart", content_type=content_type), "raw",
                    ENDPOINTS[endpoint].path, raw=raw, content_type=content_type,
                    label=f"a {content_type} body")

    return case()


_BOUNDARY = st.text(string.ascii_letters + string.digits, min_size=1, max_size=24)


@_breaks("invalid_multipart", EDITS, VARIATIONS)
def _broken_multipart(limits: _Limits, endpoint: str) -> CaseStrategy:
    @st.composite
    def case(draw: st.DrawFn) -> Case:
        boundary = draw(_BOUNDARY)
        kind = draw(st.sampled_from(["junk", "never closed", "headers never end", "no boundary"]))
        if kind == "junk":
            raw = draw(st.binary(min_size=1, max_size=200).filter(lambda b: b"--" not in b))
        elif kind == "never closed":
            raw = f'--{boundary}\r\nContent-Disposition: form-data; name="n"\r\n\r\n1'.encode()
        else:
            raw = f"--{boundary}\r\nno headers end here".encode()
        content_type = "multipart/form-data" if kind == "no boundary" else f"multipart/form-data; boundary={boundary}"
        return Case(endpoint, refusal("invalid_multipart"), "raw", ENDPOINTS[endpoint].path, raw=raw,
                    content_type=content_type, label=f"multipart: {kind}")

    return case()


# --- upload rules ------------------------------------------------------------------------


def _max_mb(profile: ModelProfile) -> int:
    return profile.uploads.max_bytes // MB


@st.composite
def _not_a_png(draw: st.DrawFn, profile: ModelProfile) -> Part:
    """Bytes the format rule refuses: not a PNG, empty, truncated, corrupt, or too big."""
    kind = draw(st.sampled_from(["other format", "empty", "truncated", "corrupt chunk", "too big"]))
    image = draw(pngs(profile=profile, modes=_carrier_modes(profile), max_side=64))
    data = image.data
    iend = 12  # the IEND chunk: Pillow stops there without checking it (see the report)
    if kind == "other format":
        magic = draw(st.sampled_from([b"\xff\xd8\xff\xe0", b"GIF89a", b"RIFF\x00\x00\x00\x00WEBP", b"BM", b""]))
        data = draw(st.binary(max_size=300).map(lambda b: magic + b).filter(lambda b: not b.startswith(SIGNATURE)
                                                                              and len(b) > 0))
    elif kind == "empty":
        data = b""
    elif kind == "truncated":
        data = data[: draw(st.integers(0, len(data) - iend - 1))]
    elif kind == "corrupt chunk":
        # Past the IHDR (a corrupt header could claim any size), before the IEND.
        position = draw(st.integers(33, len(data) - iend - 1))
        flip = draw(st.integers(1, 255))
        data = data[:position] + bytes([data[position] ^ flip]) + data[position + 1:]
    else:
        extra = draw(st.integers(0, 4096))
        data = data + b"\0" * (profile.uploads.max_bytes - len(data) + extra)
    return Part("image", "image.png", "image/png", data, f"{kind} ({image.note})")


@st.composite
def _bad_format(draw: st.DrawFn, limits: _Limits, endpoint: str) -> Case:
    profile = limits.profile
    params, _ = draw(_base(limits, endpoint))
    bad = draw(_not_a_png(profile))
    expect = refusal("invalid_image_format", max_mb=_max_mb(profile))
    if endpoint == EDITS and draw(st.booleans()):  # the mask is refused by the same rule
        side = draw(_sides(1, 64))
        image = draw(_png(modes=BUILD_MODES, width=side, height=side, max_bytes=profile.uploads.max_bytes))
        files = [_part("image", image, draw), replace(bad, field="mask", filename="mask.png")]
        return _form_case(endpoint, params, files, expect, f"mask: {bad.note}")
    return _form_case(endpoint, params, [bad], expect, f"image: {bad.note}")


@st.composite
def _not_square(draw: st.DrawFn, limits: _Limits, endpoint: str) -> Case:
    profile = limits.profile
    params, _ = draw(_base(limits, endpoint))
    width = draw(_sides(1, limits.max_side))
    height = draw(_sides(1, limits.max_side).filter(lambda h: h != width))
    modes = _carrier_modes(profile) if endpoint == EDITS else BUILD_MODES
    image = draw(_png(modes=modes, width=width, height=height, max_bytes=profile.uploads.max_bytes))
    expect = refusal("image_not_square", width=width, height=height)
    return _form_case(endpoint, params, [_part("image", image, draw)], expect, "image not square")


@st.composite
def _wrong_mode(draw: st.DrawFn, limits: _Limits, endpoint: str) -> Case:
    profile = limits.profile
    params, _ = draw(_base(limits, endpoint))
    side = draw(_sides(1, limits.max_side))
    limit = profile.uploads.max_bytes
    carrier = draw(_png(modes=_opaque_modes(profile), width=side, height=side, max_bytes=limit))
    _expect_mode(carrier, profile.uploads.transparency_modes, inside=False)
    expect = refusal("image_mode", modes=_python_list(profile.uploads.transparency_modes), mode=carrier.mode)
    if draw(st.booleans()):
        image = draw(_png(modes=BUILD_MODES, width=side, height=side, max_bytes=limit))
        files = [_part("image", image, draw), _part("mask", carrier, draw)]
        return _form_case(endpoint, params, files, expect, f"mask of mode {carrier.mode}")
    return _form_case(endpoint, params, [_part("image", carrier, draw)], expect,
                      f"image of mode {carrier.mode} without a mask")


@st.composite
def _mask_mismatch(draw: st.DrawFn, limits: _Limits, endpoint: str) -> Case:
    profile = limits.profile
    params, _ = draw(_base(limits, endpoint))
    side = draw(_sides(1, limits.max_side))
    other = draw(_sides(1, limits.max_side).filter(lambda s: s != side))
    limit = profile.uploads.max_bytes
    image = draw(_png(modes=BUILD_MODES, width=side, height=side, max_bytes=limit))
    mask = draw(_png(modes=_carrier_modes(profile), width=other, height=other, max_bytes=limit))
    expect = refusal("mask_size_mismatch", image_size=image.size, mask_size=mask.size)
    return _form_case(endpoint, params, [_part("image", image, draw), _part("mask", mask, draw)], expect,
                      "mask of other dimensions")


@functools.lru_cache(maxsize=4)
def _huge_png(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (side, side), 0).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


@st.composite
def _too_many_pixels(draw: st.DrawFn, limits: _Limits, endpoint: str) -> Case:
    profile = limits.profile
    params, _ = draw(_base(limits, endpoint))
    smallest = math.isqrt(profile.uploads.max_pixels) + 1  # the first square side over the limit
    side = draw(st.sampled_from([smallest, smallest + 1, smallest + 100]))
    data = _huge_png(side)  # mode L: accepted as the edit's carrier, so only the pixel count is wrong
    part = Part("image", "image.png", "image/png", data, f"L {side}x{side} PNG")
    expect = refusal("image_too_large", max_pixels=profile.uploads.max_pixels, width=side, height=side)
    return _form_case(endpoint, params, [part], expect, "too many pixels")


@st.composite
def _several_images(draw: st.DrawFn, limits: _Limits, endpoint: str) -> Case:
    profile = limits.profile
    params, _ = draw(_base(limits, endpoint))
    count = draw(st.integers(profile.uploads.max_images + 1, profile.uploads.max_images + 2))
    name = draw(st.sampled_from(["image[]", "image"]))
    modes = _carrier_modes(profile) if endpoint == EDITS else BUILD_MODES
    parts = []
    for _ in range(count):  # each one a valid upload on its own
        side = draw(_sides(1, 64))
        image = draw(_png(modes=modes, width=side, height=side, max_bytes=profile.uploads.max_bytes))
        parts.append(_part(name, image, draw))
    expect = refusal("array_above_max_length", param="image", maximum=profile.uploads.max_images, length=count)
    return _form_case(endpoint, params, parts, expect, f"{count} images as {name!r}")


_breaks("invalid_image_format", EDITS, VARIATIONS)(_bad_format)
_breaks("image_not_square", EDITS, VARIATIONS)(_not_square)
_breaks("image_mode", EDITS)(_wrong_mode)
_breaks("mask_size_mismatch", EDITS)(_mask_mismatch)
_breaks("image_too_large", EDITS, VARIATIONS)(_too_many_pixels)
_breaks("array_above_max_length", EDITS, VARIATIONS)(_several_images)


# --- routes ---------------------------------------------------------------------------------


@st.composite
def _bad_route(draw: st.DrawFn, limits: _Limits) -> Case:
    served = [ENDPOINTS[e].path for e in ENDPOINTS if e in limits.profile.endpoints]
    slug = st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=20)
    if draw(st.booleans()):
        path = draw(st.sampled_from(served))
        method = draw(st.sampled_from(["GET", "PUT", "PATCH", "DELETE"]))
    else:
        path = draw(st.one_of(slug.map(lambda s: f"/images/{s}"), slug.map(lambda s: f"/{s}"),
                              st.sampled_from(served).flatmap(lambda p: slug.map(lambda s: f"{p}/{s}")))
                    .filter(lambda p: p not in served))
        method = draw(st.sampled_from(["POST", "GET"]))
    expect = refusal("invalid_url", method=method, path=f"{API_PREFIX}{path}")
    return Case(None, expect, "empty", path, method=method, label="no such route")


_breaks("invalid_url")(lambda limits, endpoint: _bad_route(limits))


# --- invalid strategies -----------------------------------------------------------------


def _invalid(
    endpoints: Sequence[str],
    rules: Sequence[str],
    limits: _Limits,
) -> CaseStrategy:
    strategies = []  # one per rule, so each rule is drawn about as often as another
    for rule in rules:
        applies, breaker = _BREAKERS[rule]
        if not applies:  # a route rule: not tied to an endpoint
            strategies.append(breaker(limits, ""))
            continue
        chosen = [e for e in endpoints if e in applies and e in limits.profile.endpoints]
        if chosen:
            strategies.append(st.one_of([breaker(limits, e) for e in chosen]))
    if not strategies:
        raise InvalidArgument(f"no rule of {list(rules)} applies to {list(endpoints)}")
    return st.one_of(strategies)


def _invalid_limits(profile: ModelProfile, max_side: int) -> _Limits:
    # Invalid cases are refused before anything is made, so their valid parts may be anything valid.
    return _limits(profile, None, None, None, None, max_side, DEFAULT_BLOCKED_TERMS)


def _endpoint_rules(endpoint: str, rules: Iterable[str] | None, exclude: Iterable[str]) -> tuple[str, ...]:
    chosen = [r for r in _rules(rules) if r not in set(exclude)]
    return tuple(r for r in chosen if endpoint in _BREAKERS[r][0])


def invalid_generations(
    *,
    profile: ModelProfile = DALL_E_2,
    rules: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
) -> CaseStrategy:
    """Generation requests that each break one rule of ``rules`` (default: every rule a
    generation can break, bar those in ``exclude``), with the error they must get."""
    return _invalid([GENERATIONS], _endpoint_rules(GENERATIONS, rules, exclude), _invalid_limits(profile, 64))


def invalid_edits(
    *,
    profile: ModelProfile = DALL_E_2,
    rules: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    max_side: int = 256,
) -> CaseStrategy:
    """Edit requests that each break one rule (parameters, form, or uploads)."""
    return _invalid([EDITS], _endpoint_rules(EDITS, rules, exclude), _invalid_limits(profile, max_side))


def invalid_variations(
    *,
    profile: ModelProfile = DALL_E_2,
    rules: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    max_side: int = 256,
) -> CaseStrategy:
    """Variation requests that each break one rule (parameters, form, or uploads)."""
    return _invalid([VARIATIONS], _endpoint_rules(VARIATIONS, rules, exclude), _invalid_limits(profile, max_side))


def invalid_uploads(
    *,
    profile: ModelProfile = DALL_E_2,
    endpoints: Iterable[str] | None = None,
    max_side: int = 256,
) -> CaseStrategy:
    """Edits and variations whose only fault is an upload: not a PNG (or truncated, corrupt,
    too big), not square, no transparency, a mask of other dimensions, too many pixels, or
    more images than the model takes."""
    chosen = [e for e in _endpoints(profile, endpoints) if ENDPOINTS[e].requires_image]
    return _invalid(chosen, UPLOAD_RULES, _invalid_limits(profile, max_side))


def invalid_routes(*, profile: ModelProfile = DALL_E_2) -> CaseStrategy:
    """Requests to a path that is no endpoint, or to an endpoint with another method."""
    return _bad_route(_invalid_limits(profile, 64))


def invalid_requests(
    *,
    profile: ModelProfile = DALL_E_2,
    endpoints: Iterable[str] | None = None,
    rules: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    max_side: int = 256,
) -> CaseStrategy:
    """Requests to any of ``endpoints`` that each break one of ``rules`` (default
    :data:`RULES` bar ``exclude``); the route rule is included when chosen."""
    chosen_rules = tuple(r for r in _rules(rules) if r not in set(exclude))
    return _invalid(_endpoints(profile, endpoints), chosen_rules, _invalid_limits(profile, max_side))


def from_profile(
    profile: ModelProfile = DALL_E_2,
    *,
    valid: bool | None = None,
    exclude: Iterable[str] = (),
) -> CaseStrategy:
    """Every kind of request the profile's contract speaks of: valid ones (``valid=True``),
    invalid ones (``False``), or both (None)."""
    strategies = []
    if valid is not False:
        strategies.append(valid_requests(profile=profile))
    if valid is not True:
        strategies.append(invalid_requests(profile=profile, exclude=exclude))
    return st.one_of(strategies)


# --- driving a property without pytest -------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """What :func:`search` found: how many cases it tried, and the first that failed the check."""

    examples: int
    failure: tuple[Case, str] | None = None
    error: str | None = None  # the strategy itself could not run


class _Disagreement(Exception):
    pass


def search(
    strategy: CaseStrategy,
    check: Callable[[Case], str | None],
    *,
    max_examples: int,
    seed: int | None = None,
    shrink: bool = False,
) -> Search:
    """Run ``check`` (a problem, or None) on up to ``max_examples`` drawn cases; stop at the
    first problem (shrunk to a smaller case when ``shrink``). No database, no deadline."""
    if max_examples < 1:
        raise InvalidArgument(f"max_examples must be at least 1, not {max_examples}")
    tried = 0
    failures: list[tuple[Case, str]] = []
    phases = [Phase.explicit, Phase.generate, *([Phase.shrink] if shrink else [])]

    @settings(max_examples=max_examples, database=None, deadline=None, phases=phases, derandomize=False,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False, verbosity=Verbosity.quiet,
              print_blob=False)
    @given(strategy)
    def run(case: Case) -> None:
        nonlocal tried
        tried += 1
        problem = check(case)
        if problem is not None:
            failures.append((case, problem))
            raise _Disagreement(problem)

    runner = use_seed(seed)(run) if seed is not None else run
    try:
        runner()
    except Exception as exc:  # the disagreement itself, or Hypothesis on a flaky endpoint
        if failures:
            return Search(tried, failures[-1])  # the last one is the replayed (shrunk) example
        return Search(tried, None, f"{type(exc).__name__}: {exc}")
    return Search(tried)

