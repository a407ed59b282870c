"""Breakers of today's rules, each read from the profile: sizes outside a model's list or its
free-form size rule, and the combinations of fields (a transparent background or a compression
the output format does not take, GIF parameters without GIF output, SVG's ``n``, the GIF size
limit, a mask with GIF output or with a markup).

A combination breaker starts from a valid request and first drops what could break another
rule of the combination (the output format's companions), then sets exactly one conflict."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from contracts.models import EDITS, GENERATIONS, ModelProfile, SizeRule
from contracts.spec import ENDPOINTS
from contracts.strategies._bounds import Limits
from contracts.strategies._breakers import base_params, breaks, broken
from contracts.strategies._case import Case, CaseStrategy, Refusal, form_case, listing, quote, refusal
from contracts.strategies._valid import valid_uploads

_BOTH = (GENERATIONS, EDITS)
# What a size string must look like to be read as WIDTHxHEIGHT, written here again (not
# imported from contracts.rules): up to six digits a side, no sign or leading zero, a lowercase x.
_WXH = re.compile(r"[1-9][0-9]{0,5}x[1-9][0-9]{0,5}")
# Fields that only make sense with some output format, or that a format constrains.
_COMPANIONS = ("output_format", "background", "output_compression", "frame_count", "frame_duration_ms", "svg")

Change = tuple[dict[str, Any], Refusal, str]


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters without the output format's companions (a form's ``svg[...]`` fields too)."""
    return {k: v for k, v in params.items() if k not in _COMPANIONS and not k.startswith("svg[")}


def _value(value: object, form: bool) -> object:
    return str(value) if form else value


def _form(endpoint: str) -> bool:
    """Whether the endpoint's parameters are a form's (strings)."""
    return ENDPOINTS[endpoint].body == "multipart"


def _multiples(rule: SizeRule, low: int, high: int) -> st.SearchStrategy[int]:
    m = rule.multiple
    return st.integers(math.ceil(low / m), high // m).map(lambda k: k * m)


# --- sizes ------------------------------------------------------------------------------------


def _size_breaker(limits: Limits, endpoint: str, sizes: st.SearchStrategy[str],
                  expect: Callable[[str], Refusal], label: str) -> CaseStrategy:
    def change(draw: st.DrawFn, params: dict[str, Any]) -> Change:
        size = draw(sizes)
        return {**params, "size": size}, expect(size), label

    return broken(limits, endpoint, change)


@breaks("invalid_size", *_BOTH, applies=lambda p: p.size_rule is None and p.size_error == "invalid_size")
def _unlisted_size(limits: Limits, endpoint: str) -> CaseStrategy:
    allowed = limits.profile.sizes
    near = ["256x256", "512x512", "1536x1024", "1024x1536", "auto", "1792x1792", "", "1024X1024"]
    sizes = st.one_of(st.sampled_from(near), st.text(max_size=12)).filter(lambda s: s not in allowed)
    return _size_breaker(limits, endpoint, sizes, lambda size: refusal("invalid_size"), "size the model lacks")


def _free(profile: ModelProfile) -> bool:
    return profile.size_rule is not None


@breaks("size_not_wxh", *_BOTH, applies=_free)
def _not_wxh(limits: Limits, endpoint: str) -> CaseStrategy:
    allowed = limits.profile.sizes
    near = ["1024X1024", "1024×1024", "1024*1024", "1024 x 1024", "01024x1024", "0x1024", "1024x", "x1024",
            "-16x16", "1024x1024x1", "1234567x16", "auto ", "AUTO", "", "wide"]
    sizes = st.one_of(st.sampled_from(near), st.text(max_size=12)).filter(
        lambda s: s not in allowed and not _WXH.fullmatch(s))
    supported = listing(allowed, "and")
    return _size_breaker(limits, endpoint, sizes,
                         lambda size: refusal("size_not_wxh", value=quote(size), supported=supported),
                         "size that is no WIDTHxHEIGHT")


def _rule(limits: Limits) -> SizeRule:
    rule = limits.profile.size_rule
    assert rule is not None
    return rule


@breaks("size_not_multiple", *_BOTH, applies=_free)
def _not_multiple(limits: Limits, endpoint: str) -> CaseStrategy:
    rule = _rule(limits)

    @st.composite
    def sizes(draw: st.DrawFn) -> str:
        width = draw(st.integers(1, rule.max_edge + 100))
        height = draw(st.integers(1, rule.max_edge + 100))
        if width % rule.multiple == 0 and height % rule.multiple == 0:
            height += draw(st.integers(1, rule.multiple - 1))
        return f"{width}x{height}"

    return _size_breaker(limits, endpoint, sizes().filter(lambda s: s not in limits.profile.sizes),
                         lambda size: refusal("size_not_multiple", value=quote(size), multiple=rule.multiple),
                         "size not a multiple")


@breaks("size_ratio", *_BOTH, applies=_free)
def _bad_ratio(limits: Limits, endpoint: str) -> CaseStrategy:
    rule = _rule(limits)

    @st.composite
    def sizes(draw: st.DrawFn) -> str:
        short = draw(_multiples(rule, rule.multiple, rule.max_edge // (rule.max_ratio + 1)))
        long = draw(_multiples(rule, short * rule.max_ratio + 1, short * rule.max_ratio + 20 * rule.multiple))
        return f"{long}x{short}" if draw(st.booleans()) else f"{short}x{long}"

    return _size_breaker(limits, endpoint, sizes(),
                         lambda size: refusal("size_ratio", value=quote(size), max_ratio=rule.max_ratio),
                         "aspect ratio out of bounds")


@breaks("size_edge", *_BOTH, applies=_free)
def _long_edge(limits: Limits, endpoint: str) -> CaseStrategy:
    rule = _rule(limits)

    @st.composite
    def sizes(draw: st.DrawFn) -> str:
        long = draw(_multiples(rule, rule.max_edge + 1, rule.max_edge * 2))
        short = draw(_multiples(rule, math.ceil(long / rule.max_ratio), long))
        return f"{long}x{short}" if draw(st.booleans()) else f"{short}x{long}"

    return _size_breaker(limits, endpoint, sizes(),
                         lambda size: refusal("size_edge", value=quote(size), max_edge=rule.max_edge),
                         "a side too long")


@breaks("size_pixels", *_BOTH, applies=_free)
def _pixels(limits: Limits, endpoint: str) -> CaseStrategy:
    rule = _rule(limits)
    listed = limits.profile.sizes

    @st.composite
    def sizes(draw: st.DrawFn) -> tuple[str, int]:
        width = draw(_multiples(rule, rule.multiple, rule.max_edge))
        low = max(math.ceil(width / rule.max_ratio), rule.multiple)
        high = min(width * rule.max_ratio, rule.max_edge)
        height = draw(_multiples(rule, low, high))
        return f"{width}x{height}", width * height

    def outside(drawn: tuple[str, int]) -> bool:
        size, pixels = drawn
        return size not in listed and not rule.min_pixels <= pixels <= rule.max_pixels

    def change(draw: st.DrawFn, params: dict[str, Any]) -> Change:
        size, pixels = draw(sizes().filter(outside))
        expect = refusal("size_pixels", value=quote(size), min_pixels=rule.min_pixels, max_pixels=rule.max_pixels,
                         pixels=pixels)
        return {**params, "size": size}, expect, "too few or too many pixels"

    return broken(limits, endpoint, change)


# --- combinations of fields ------------------------------------------------------------------------


def _formats(profile: ModelProfile) -> tuple[str, ...]:
    return profile.output_format.values if profile.output_format is not None else ()


@breaks("transparent_format", *_BOTH, applies=lambda p: bool(
    p.background and "transparent" in p.background.values and p.transparent_formats
    and set(_formats(p)) - set(p.transparent_formats) - {"svg"}))
def _transparent_format(limits: Limits, endpoint: str) -> CaseStrategy:
    profile = limits.profile
    # Not svg: its n rule comes first in the contract's order, and n may be above its maximum.
    formats = [f for f in _formats(profile) if f not in profile.transparent_formats and f != "svg"]

    def change(draw: st.DrawFn, params: dict[str, Any]) -> Change:
        output_format = draw(st.sampled_from(formats))
        expect = refusal("transparent_format", output_format=quote(output_format),
                         formats=listing(profile.transparent_formats, "or"))
        return ({**_plain(params), "background": "transparent", "output_format": output_format}, expect,
                f"transparent {output_format}")

    return broken(limits, endpoint, change)


@breaks("compression_format", *_BOTH, applies=lambda p: bool(
    p.compression_formats and set(_formats(p)) - set(p.compression_formats) - {"svg"}))
def _compression_format(limits: Limits, endpoint: str) -> CaseStrategy:
    profile = limits.profile
    formats = [f for f in _formats(profile) if f not in profile.compression_formats and f != "svg"]

    def change(draw: st.DrawFn, params: dict[str, Any]) -> Change:
        output_format = draw(st.sampled_from(formats))
        compression = draw(st.integers(profile.compression_min, profile.compression_max - 1))
        form = _form(endpoint)
        expect = refusal("compression_format", maximum=profile.compression_max, format_upper=output_format.upper())
        changed = {**_plain(params), "output_format": output_format,
                   "output_compression": _value(compression, form)}
        return changed, expect, f"compression {compression} with {output_format}"

    return broken(limits, endpoint, change)


@breaks("parameter_needs_format", *_BOTH, applies=lambda p: p.gif is not None)
def _needs_gif(limits: Limits, endpoint: str) -> CaseStrategy:
    profile = limits.profile
    gif = profile.gif
    assert gif is not None
    others = [f for f in _formats(profile) if f not in ("gif", "svg")]

    def change(draw: st.DrawFn, params: dict[str, Any]) -> Change:
        name = draw(st.sampled_from(["frame_count", "frame_duration_ms"]))
        value = draw(st.integers(gif.frame_count_min, gif.frame_count_max) if name == "frame_count"
                     else st.integers(gif.frame_duration_min, 5000))
        changed = {**_plain(params), name: _value(value, _form(endpoint))}
        if draw(st.booleans()):
            changed["output_format"] = draw(st.sampled_from(others))
        expect = refusal("parameter_needs_format", param=name, param_quoted=quote(name), output_format="gif")
        return changed, expect, f"{name} without gif output"

    return broken(limits, endpoint, change)


@breaks("svg_n", *_BOTH, applies=lambda p: p.svg is not None and p.n_max > p.svg.n_max)
def _svg_n(limits: Limits, endpoint: str) -> CaseStrategy:
    profile = limits.profile
    svg = profile.svg
    assert svg is not None

    def change(draw: st.DrawFn, params: dict[str, Any]) -> Change:
        n = draw(st.integers(svg.n_max + 1, profile.n_max))
        changed = {**_plain(params), "output_format": "svg", "n": _value(n, _form(endpoint))}
        return changed, refusal("svg_n", n=n, maximum=svg.n_max), f"svg with n={n}"

    return broken(limits, endpoint, change)


@breaks("gif_size", *_BOTH, applies=lambda p: p.gif is not None and (
    p.size_rule is not None and p.size_rule.max_edge > p.gif.max_edge))
def _gif_size(limits: Limits, endpoint: str) -> CaseStrategy:
    profile = limits.profile
    rule, gif = profile.size_rule, profile.gif
    assert rule is not None and gif is not None

    @st.composite
    def sizes(draw: st.DrawFn) -> str:  # valid for the size rule, too long for a GIF
        long = draw(_multiples(rule, gif.max_edge + 1, rule.max_edge))
        low = max(math.ceil(long / rule.max_ratio), math.ceil(rule.min_pixels / long), rule.multiple)
        high = min(long, rule.max_pixels // long)
        short = draw(_multiples(rule, low, high))
        return f"{long}x{short}" if draw(st.booleans()) else f"{short}x{long}"

    def change(draw: st.DrawFn, params: dict[str, Any]) -> Change:
        size = draw(sizes())
        changed = {**_plain(params), "output_format": "gif", "size": size}
        return changed, refusal("gif_size", value=quote(size), max_edge=gif.max_edge), "gif too large"

    return broken(limits, endpoint, change)


# --- what a mask or a markup may not meet ([sdk-py] image_edit_params.py) -----------------------------


@breaks("gif_mask", EDITS, applies=lambda p: p.gif is not None and p.accepts(EDITS, "mask"))
@st.composite
def _gif_mask(draw: st.DrawFn, limits: Limits, endpoint: str) -> Case:
    """GIF output with a mask: "GIF output does not support [...] masks"."""
    params, _ = draw(base_params(limits, endpoint))
    files = draw(valid_uploads(limits, endpoint, mask=True))
    return form_case(endpoint, {**_plain(params), "output_format": "gif"}, files, refusal("gif_mask"),
                     "gif output with a mask")


@breaks("markup_with_mask", EDITS, applies=lambda p: p.accepts(EDITS, "markup") and p.accepts(EDITS, "mask"))
@st.composite
def _markup_with_mask(draw: st.DrawFn, limits: Limits, endpoint: str) -> Case:
    """A mask and a markup (each valid on its own): markup "Cannot be combined with mask"."""
    params, _ = draw(base_params(limits, endpoint))
    # No GIF output: with a mask, that would break a second rule.
    if params.get("output_format") == "gif":
        params = {**_plain(params), "output_format": "png"}
    files = draw(valid_uploads(limits, endpoint, mask=True))
    [mask] = [part for part in files if part.field == "mask"]
    markup = replace(mask, field="markup", filename="markup.png")
    return form_case(endpoint, params, [*files, markup], refusal("markup_with_mask"), "a markup with a mask")
