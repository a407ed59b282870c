"""The inputs of a GPT image model's edit: uploaded parts, or references in a JSON body.

Rules, no HTTP: the server hands in what it received (multipart parts, or the JSON
``images``/``mask`` values and a way to read the fake's own image URLs) and gets back
the checked images, or the catalogued error.

What is checked, in this order (ASSUMPTION: the real order is unknown):

1. the number of images (1 to ``max_images``);
2. each image in turn: its declared media type (a part's Content-Type, a data: URL's
   type) is one the model reads [obs: unsupported_file_mimetype]; its size is under ``max_bytes`` [spec]; its
   bytes are one whole PNG, JPEG or WebP (:mod:`contracts.imagefile`) [obs: invalid_image_file]. The
   format is the one the bytes show: a JPEG declared ``image/png`` is read as a JPEG
   (ASSUMPTION);
3. the mask: the same media-type and size checks, then a PNG, with alpha, of the first
   image's dimensions [obs: mask missing alpha; 3p: mask size mismatch].

An image reference (JSON edits) is ``{"image_url": ...}`` or ``{"file_id": ...}``
([spec] ImageRefParam). A ``data:`` URL is decoded and checked as an upload; any other
URL is handed to ``fetch``, which the fake answers from its own image store (its own
live URLs) and never from the network; a ``file_id`` is always unknown (the fake has no
Files API).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contracts import imagefile
from contracts.envelope import enumerate_values, json_type_name
from contracts.errors import error
from contracts.media import media_type
from contracts.models import MB, UploadRules

# What the fake can read behind a URL that is not a data: URL: its bytes, or None.
Fetch = Callable[[str], bytes | None]

# [spec] ImageRefParam.image_url maxLength.
IMAGE_URL_MAX_CHARS = 20_971_520
_DATA_URL = re.compile(r"data:(?P<type>[^;,]*)(?P<params>(?:;[^;,]*)*),", re.IGNORECASE)
# What a part that declares no type is reported as (ASSUMPTION: multipart's default for files).
DEFAULT_MEDIA_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class Part:
    """One image as received: where it came from (the error's param), what it declared."""

    param: str  # "image", "image[1]", "mask", "images[0].image_url", ...
    media_type: str | None  # None: declared nothing
    data: bytes


@dataclass(frozen=True)
class EditImage:
    data: bytes
    info: imagefile.ImageInfo


@dataclass(frozen=True)
class EditInputs:
    images: tuple[EditImage, ...]
    mask: EditImage | None


def check_parts(images: Sequence[Part], mask: Part | None, rules: UploadRules, *, array: str) -> EditInputs:
    """Check the images (and mask) of one edit; ``array`` names the images' parameter."""
    if len(images) > rules.max_images:
        raise error("array_above_max_length", param=array, maximum=rules.max_images, length=len(images))
    checked = tuple(_image(part, index, rules) for index, part in enumerate(images))
    return EditInputs(checked, _mask(mask, checked[0].info, rules) if mask is not None else None)


def _declared(part: Part, rules: UploadRules) -> None:
    declared = (part.media_type or DEFAULT_MEDIA_TYPE).lower()
    if rules.media_types and declared not in rules.media_types:
        raise error(
            "unsupported_file_mimetype",
            param=part.param,
            mimetype=declared,
            supported=enumerate_values(sorted(rules.media_types), "and"),
        )


def _too_large(part: Part, max_bytes: int) -> None:
    if len(part.data) >= max_bytes:  # [spec] "less than 50MB"
        raise error("image_file_too_large", param=part.param, size=len(part.data), max_mb=max_bytes // MB)


def _image(part: Part, index: int, rules: UploadRules) -> EditImage:
    _declared(part, rules)
    _too_large(part, rules.max_bytes)
    try:
        info = imagefile.inspect(part.data, max_pixels=rules.max_pixels)
    except imagefile.TooManyPixels as exc:
        raise error("image_too_many_pixels", index=index + 1, max_pixels=rules.max_pixels,
                    width=exc.width, height=exc.height) from None
    except imagefile.ImageFileError:
        raise error("invalid_image_file", index=index + 1) from None
    if info.format not in rules.formats or info.mode == "CMYK":
        raise error("invalid_image_file", index=index + 1)
    return EditImage(part.data, info)


def _mask(part: Part, first: imagefile.ImageInfo, rules: UploadRules) -> EditImage:
    _declared(part, rules)
    _too_large(part, rules.mask_max_bytes or rules.max_bytes)
    try:
        info = imagefile.inspect(part.data, max_pixels=rules.max_pixels)
    except imagefile.ImageFileError:
        raise error("mask_not_png") from None
    if info.format not in rules.mask_formats:
        raise error("mask_not_png")
    if not info.alpha:
        raise error("mask_missing_alpha")
    if (info.width, info.height) != (first.width, first.height):
        raise error("mask_size_mismatch_gpt")
    return EditImage(part.data, info)


# --- JSON edits: image references -------------------------------------------------------


def check_references(
    images: object, mask: object, rules: UploadRules, fetch: Fetch
) -> EditInputs:
    """Check ``images`` (1 to ``max_images`` references) and the optional ``mask`` reference,
    then read each one (data: URL, the fake's own URL, or file_id) and check it."""
    if not isinstance(images, list):
        raise error("invalid_type", param="images", expected="an array", got=json_type_name(images),
                    value=repr(images), schema_type="array")
    if not images:
        raise error("array_below_min_length", param="images", minimum=1)
    if len(images) > rules.max_images:
        raise error("array_above_max_length", param="images", maximum=rules.max_images, length=len(images))
    refs = [_reference(value, f"images[{i}]") for i, value in enumerate(images)]
    mask_ref = _reference(mask, "mask") if mask is not None else None
    parts = [_read(ref, rules, fetch) for ref in refs]
    mask_part = _read(mask_ref, rules, fetch) if mask_ref is not None else None
    return check_parts(parts, mask_part, rules, array="images")


@dataclass(frozen=True)
class _Ref:
    param: str  # "images[0]" or "mask"
    key: str  # "image_url" or "file_id"
    value: str


def _reference(value: object, param: str) -> _Ref:
    if not isinstance(value, Mapping):
        raise error("invalid_type", param=param, expected="an object", got=json_type_name(value),
                    value=repr(value), schema_type="object")
    for key in value:
        if key not in ("image_url", "file_id"):
            raise error("unknown_parameter", param=f"{param}.{key}")  # additionalProperties: false
    present = [key for key in ("image_url", "file_id") if key in value]
    if len(present) != 1:
        raise error("image_ref_one_of", param=param)
    key = present[0]
    text: Any = value[key]
    if not isinstance(text, str):
        raise error("invalid_type", param=f"{param}.{key}", expected="a string", got=json_type_name(text),
                    value=repr(text), schema_type="string")
    if text == "":
        raise error("empty_string", param=f"{param}.{key}")
    if key == "image_url" and len(text) > IMAGE_URL_MAX_CHARS:
        raise error("string_above_max_length", param=f"{param}.{key}", maximum=IMAGE_URL_MAX_CHARS,
                    length=len(text))
    return _Ref(param, key, text)


def _read(ref: _Ref, rules: UploadRules, fetch: Fetch) -> Part:
    param = f"{ref.param}.{ref.key}"
    if ref.key == "file_id":
        raise error("file_not_found", param=param, file_id=ref.value)
    if ref.value[:5].lower() == "data:":
        return decode_data_url(ref.value, param)
    data = fetch(ref.value)
    if data is None:
        raise error("invalid_image_url", url=ref.value)
    # What the fake serves is what it rendered: the bytes show the type a fetch would declare.
    kind = imagefile.sniff(data)
    return Part(param, media_type(kind) if kind else DEFAULT_MEDIA_TYPE, data)


def decode_data_url(url: str, param: str) -> Part:
    """The bytes and declared media type of a base64 ``data:`` URL."""
    match = _DATA_URL.match(url)
    if match is None or ";base64" not in match.group("params").lower():
        raise error("invalid_data_url", param=param)
    payload = url[match.end():]
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise error("invalid_data_url", param=param) from None
    return Part(param, match.group("type").strip() or DEFAULT_MEDIA_TYPE, data)


def resolve_auto_size(info: imagefile.ImageInfo, sizes: Sequence[str]) -> str:
    """ASSUMPTION: ``size=auto`` for an edit gives the listed size whose shape is closest to
    the first image's (square, landscape or portrait)."""
    candidates = [s for s in sizes if s != "auto"]

    def distance(size: str) -> float:
        w, _, h = size.partition("x")
        return abs(math.log((int(w) / int(h)) / (info.width / info.height)))

    return min(candidates, key=distance)


__all__ = [
    "EditImage",
    "EditInputs",
    "Fetch",
    "Part",
    "check_parts",
    "check_references",
    "decode_data_url",
    "resolve_auto_size",
]
