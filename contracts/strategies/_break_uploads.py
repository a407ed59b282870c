"""Breakers of the upload rules: format, shape, mode, mask, markup, pixels and image count."""

from __future__ import annotations

import functools
import io
import math
from dataclasses import replace

from hypothesis import assume
from hypothesis import strategies as st
from PIL import Image

from contracts.media import PNG_SIGNATURE as SIGNATURE
from contracts.models import EDITS, MB, VARIATIONS, ModelProfile
from contracts.strategies._bounds import Limits
from contracts.strategies._breakers import base_params, breaks
from contracts.strategies._case import Case, CaseStrategy, Part, form_case, python_list, refusal
from contracts.strategies._images import (
    BUILD_MODES,
    as_part,
    carrier_modes,
    drawn_png,
    expect_mode,
    opaque_modes,
    pngs,
    sides,
)
from contracts.strategies._valid import valid_uploads


def _square_pngs(profile: ModelProfile) -> bool:
    """The DALL·E upload rules: square PNGs only (today's models have their own, and errors of
    their own for them)."""
    return profile.uploads.square and tuple(profile.uploads.formats) == ("png",)


def _max_mb(profile: ModelProfile) -> int:
    return profile.uploads.max_bytes // MB


@st.composite
def _not_a_png(draw: st.DrawFn, profile: ModelProfile) -> Part:
    """Bytes the format rule refuses: not a PNG, empty, truncated, corrupt, or too big."""
    kind = draw(st.sampled_from(["other format", "empty", "truncated", "corrupt chunk", "too big"]))
    image = draw(pngs(profile=profile, modes=carrier_modes(profile), max_side=64))
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


@breaks("invalid_image_format", EDITS, VARIATIONS, upload=True, applies=_square_pngs)
@st.composite
def _bad_format(draw: st.DrawFn, limits: Limits, endpoint: str) -> Case:
    profile = limits.profile
    params, _ = draw(base_params(limits, endpoint))
    bad = draw(_not_a_png(profile))
    expect = refusal("invalid_image_format", max_mb=_max_mb(profile))
    if endpoint == EDITS and draw(st.booleans()):  # the mask is refused by the same rule
        side = draw(sides(1, 64))
        image = draw(drawn_png(modes=BUILD_MODES, width=side, height=side, max_bytes=profile.uploads.max_bytes))
        files = [as_part("image", image, draw), replace(bad, field="mask", filename="mask.png")]
        return form_case(endpoint, params, files, expect, f"mask: {bad.note}")
    return form_case(endpoint, params, [bad], expect, f"image: {bad.note}")


@breaks("image_not_square", EDITS, VARIATIONS, upload=True, applies=_square_pngs)
@st.composite
def _not_square(draw: st.DrawFn, limits: Limits, endpoint: str) -> Case:
    profile = limits.profile
    params, _ = draw(base_params(limits, endpoint))
    width = draw(sides(1, limits.max_side))
    height = draw(sides(1, limits.max_side).filter(lambda h: h != width))
    modes = carrier_modes(profile) if endpoint == EDITS else BUILD_MODES
    image = draw(drawn_png(modes=modes, width=width, height=height, max_bytes=profile.uploads.max_bytes))
    expect = refusal("image_not_square", width=width, height=height)
    return form_case(endpoint, params, [as_part("image", image, draw)], expect, "image not square")


@breaks("image_mode", EDITS, upload=True, applies=_square_pngs)
@st.composite
def _wrong_mode(draw: st.DrawFn, limits: Limits, endpoint: str) -> Case:
    profile = limits.profile
    params, _ = draw(base_params(limits, endpoint))
    side = draw(sides(1, limits.max_side))
    limit = profile.uploads.max_bytes
    carrier = draw(drawn_png(modes=opaque_modes(profile), width=side, height=side, max_bytes=limit))
    expect_mode(carrier, profile.uploads.transparency_modes, inside=False)
    expect = refusal("image_mode", modes=python_list(profile.uploads.transparency_modes), mode=carrier.mode)
    if draw(st.booleans()):
        image = draw(drawn_png(modes=BUILD_MODES, width=side, height=side, max_bytes=limit))
        files = [as_part("image", image, draw), as_part("mask", carrier, draw)]
        return form_case(endpoint, params, files, expect, f"mask of mode {carrier.mode}")
    return form_case(endpoint, params, [as_part("image", carrier, draw)], expect,
                      f"image of mode {carrier.mode} without a mask")


@breaks("mask_size_mismatch", EDITS, upload=True, applies=_square_pngs)
@st.composite
def _mask_mismatch(draw: st.DrawFn, limits: Limits, endpoint: str) -> Case:
    profile = limits.profile
    params, _ = draw(base_params(limits, endpoint))
    side = draw(sides(1, limits.max_side))
    other = draw(sides(1, limits.max_side).filter(lambda s: s != side))
    limit = profile.uploads.max_bytes
    image = draw(drawn_png(modes=BUILD_MODES, width=side, height=side, max_bytes=limit))
    mask = draw(drawn_png(modes=carrier_modes(profile), width=other, height=other, max_bytes=limit))
    expect = refusal("mask_size_mismatch", image_size=image.size, mask_size=mask.size)
    return form_case(endpoint, params, [as_part("image", image, draw), as_part("mask", mask, draw)], expect,
                      "mask of other dimensions")


@functools.lru_cache(maxsize=4)
def _huge_png(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (side, side), 0).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


@breaks("image_too_large", EDITS, VARIATIONS, upload=True, applies=_square_pngs)
@st.composite
def _too_many_pixels(draw: st.DrawFn, limits: Limits, endpoint: str) -> Case:
    profile = limits.profile
    params, _ = draw(base_params(limits, endpoint))
    smallest = math.isqrt(profile.uploads.max_pixels) + 1  # the first square side over the limit
    side = draw(st.sampled_from([smallest, smallest + 1, smallest + 100]))
    data = _huge_png(side)  # mode L: accepted as the edit's carrier, so only the pixel count is wrong
    part = Part("image", "image.png", "image/png", data, f"L {side}x{side} PNG")
    expect = refusal("image_too_large", max_pixels=profile.uploads.max_pixels, width=side, height=side)
    return form_case(endpoint, params, [part], expect, "too many pixels")


@breaks("array_above_max_length", EDITS, VARIATIONS, upload=True)
@st.composite
def _several_images(draw: st.DrawFn, limits: Limits, endpoint: str) -> Case:
    profile = limits.profile
    params, _ = draw(base_params(limits, endpoint))
    count = draw(st.integers(profile.uploads.max_images + 1, profile.uploads.max_images + 2))
    name = draw(st.sampled_from(["image[]", "image"]))
    modes = carrier_modes(profile) if endpoint == EDITS else BUILD_MODES
    parts = []
    for _ in range(count):  # each one a valid upload on its own
        side = draw(sides(1, 64))
        image = draw(drawn_png(modes=modes, width=side, height=side, max_bytes=profile.uploads.max_bytes))
        parts.append(as_part(name, image, draw))
    expect = refusal("array_above_max_length", param="image", maximum=profile.uploads.max_images, length=count)
    return form_case(endpoint, params, parts, expect, f"{count} images as {name!r}")


def _takes_markup(profile: ModelProfile) -> bool:
    return profile.accepts(EDITS, "markup")


@st.composite
def _with_markup(draw: st.DrawFn, limits: Limits, endpoint: str, alpha: bool, same_size: bool) -> Case:
    """Valid images and a markup PNG that has no alpha, or is not of the first image's dimensions."""
    profile = limits.profile
    params, _ = draw(base_params(limits, endpoint))
    files = draw(valid_uploads(limits, endpoint, mask=False))
    with Image.open(io.BytesIO(files[0].data)) as first:
        width, height = first.size
    if not same_size:
        width, height = draw(st.tuples(sides(1, 64), sides(1, 64)).filter(lambda wh: wh != (width, height)))
    modes = ("RGBA", "LA") if alpha else ("RGB", "L")
    markup = draw(drawn_png(modes=modes, width=width, height=height, max_bytes=profile.uploads.max_bytes))
    # A tRNS colour key is transparency too (read from the header, as the mask's alpha is): not "missing".
    assume(alpha or markup.transparency == "none")
    files.append(Part("markup", "markup.png", "image/png", markup.data, markup.note))
    rule = "markup_size_mismatch" if alpha else "markup_missing_alpha"
    return form_case(endpoint, params, files, refusal(rule), f"markup: {markup.note}")


@breaks("markup_missing_alpha", EDITS, upload=True, applies=_takes_markup)
def _markup_without_alpha(limits: Limits, endpoint: str) -> CaseStrategy:
    return _with_markup(limits, endpoint, alpha=False, same_size=True)


@breaks("markup_size_mismatch", EDITS, upload=True, applies=_takes_markup)
def _markup_of_another_size(limits: Limits, endpoint: str) -> CaseStrategy:
    return _with_markup(limits, endpoint, alpha=True, same_size=False)


@breaks("markup_not_png", EDITS, upload=True, applies=_takes_markup)
@st.composite
def _markup_not_png(draw: st.DrawFn, limits: Limits, endpoint: str) -> Case:
    """Valid images and a markup that is no PNG: bytes of no image, declared image/png."""
    params, _ = draw(base_params(limits, endpoint))
    files = draw(valid_uploads(limits, endpoint, mask=False))
    data = draw(st.binary(min_size=1, max_size=64).filter(lambda b: not b.startswith(SIGNATURE[:4])))
    files.append(Part("markup", "markup.png", "image/png", data, "no image"))
    return form_case(endpoint, params, files, refusal("markup_not_png"), "markup: no PNG")
