"""Uploads: one inspector of an uploaded image for every model, and the checks of an edit's or a
variation's inputs built on it. Rules, no HTTP: the server hands in what it received (multipart
parts, or a JSON edit's ``images``/``mask`` references and a way to read the fake's own image URLs)
and gets back the checked images, or the catalogued refusal.

:func:`inspect` checks one image the same way for every model, in this order: the media type its
part declares (models that read it), its size, then its bytes (one whole image within the pixel
limit, read from the bytes, never from a file name or a declared type), then its format. The
model's profile says which family of checks applies (``UploadRules.checks``), that is how strictly
the bytes are read and in whose words each refusal is written:

* ``dall-e``: one PNG, read as strictly as a full decode reads it (:mod:`contracts.png`); too
  large, unreadable or not a PNG is ``invalid_image_format`` [obs], past the pixel limit
  ``image_too_large``. Then the dall-e-2 rules of the inputs: square, the mask of the image's size,
  and for an edit transparency in the image or the mask.
* ``gpt-image``: PNG, JPEG or WebP (:mod:`contracts.imagefile`) of a declared type the model reads
  [obs: unsupported_file_mimetype]; too large is ``image_file_too_large``, unreadable, of another
  format or CMYK is ``invalid_image_file`` [obs], past the pixel limit ``image_too_many_pixels``;
  the mask's are ``mask_not_png``, then it needs alpha and the first image's size [obs: mask missing
  alpha; 3p: mask size mismatch].

ASSUMPTION: the real order of the checks is unknown; ours is the number of images, each image in
turn, then the mask.

An image reference (JSON edits) is ``{"image_url": ...}`` or ``{"file_id": ...}`` ([spec]
ImageRefParam). A ``data:`` URL is decoded and checked as an upload; any other URL is handed to
``fetch``, which the fake answers from its own image store (its own live URLs) and never from the
network; a ``file_id`` is always unknown (the fake has no Files API).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contracts import imagefile, png
from contracts.envelope import enumerate_values, json_type_name, python_list
from contracts.errors import ApiError, error
from contracts.imagefile import DEFAULT_LIMITS, DecodeLimits, ImageFileError, ImageInfo, TooManyPixels
from contracts.media import PNG, media_type
from contracts.models import EDITS, MB, ModelProfile, UploadRules

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
    info: ImageInfo


@dataclass(frozen=True)
class EditInputs:
    images: tuple[EditImage, ...]
    mask: EditImage | None
    markup: EditImage | None = None


# --- one image -----------------------------------------------------------------------------------


def _strict_png(data: bytes, *, max_pixels: int, limits: DecodeLimits = DEFAULT_LIMITS) -> ImageInfo:
    """A PNG read as strictly as a full decode reads it; its mode is the one Pillow gives it."""
    found = png.inspect(data, max_pixels=max_pixels, limits=limits)
    return ImageInfo(PNG, found.width, found.height, "A" in found.mode, found.mode)


# How each family reads an upload's bytes.
_READERS: Mapping[str, Callable[..., ImageInfo]] = {"dall-e": _strict_png, "gpt-image": imagefile.inspect}
# The catalogue's words for each family's refusals of an image (or a mask): too large; unreadable,
# of another format or in a mode the model does not read; more pixels than the limit.
_REFUSALS: Mapping[tuple[str, bool], tuple[str, str, str]] = {
    ("dall-e", False): ("invalid_image_format", "invalid_image_format", "image_too_large"),
    ("dall-e", True): ("invalid_image_format", "invalid_image_format", "image_too_large"),
    ("gpt-image", False): ("image_file_too_large", "invalid_image_file", "image_too_many_pixels"),
    ("gpt-image", True): ("image_file_too_large", "mask_not_png", "mask_not_png"),
}
# The markup's ([sdk-py] "A transparent PNG"): checked as the mask is, in its own words.
_MARKUP_REFUSALS = ("image_file_too_large", "markup_not_png", "markup_not_png")


def inspect(part: Part, rules: UploadRules, *, index: int = 0, mask: bool = False, markup: bool = False,
            limits: DecodeLimits = DEFAULT_LIMITS) -> ImageInfo:
    """Check one uploaded image (the ``index``-th, or with ``mask`` the mask, with ``markup`` the markup,
    which is checked as the mask) against a model's upload rules and what decoding it may cost
    (``limits``: past one, it is refused as unreadable); what it is, or the refusal the model's
    family gives."""
    mask = mask or markup
    data = part.data
    if rules.media_types:
        _declared(part, rules)
    limit = (rules.mask_max_bytes or rules.max_bytes) if mask else rules.max_bytes
    if len(data) >= limit:  # [spec] "less than 4MB" / "less than 50MB"
        raise _refusal(0, part, rules, index, mask, limit, markup)
    try:
        info = _READERS[rules.checks](data, max_pixels=rules.max_pixels, limits=limits)
    except TooManyPixels as exc:
        raise _refusal(2, part, rules, index, mask, limit, markup, width=exc.width, height=exc.height) from None
    except ImageFileError:
        raise _refusal(1, part, rules, index, mask, limit, markup) from None
    # ASSUMPTION: a CMYK image (a JPEG) is one the models do not read.
    if info.format not in (rules.mask_formats if mask else rules.formats) or info.mode == "CMYK":
        raise _refusal(1, part, rules, index, mask, limit, markup)
    return info


def _refusal(which: int, part: Part, rules: UploadRules, index: int, mask: bool, limit: int, markup: bool = False,
             **more: Any) -> ApiError:
    """Refusal ``which`` of :data:`_REFUSALS` (0 too large, 1 unreadable, 2 too many pixels), in the
    words of the model's family (the markup's own), every value its templates may name filled in."""
    key = _MARKUP_REFUSALS[which] if markup else _REFUSALS[rules.checks, mask][which]
    return error(key, param=part.param, index=index + 1, size=len(part.data),
                 max_mb=limit // MB, max_pixels=rules.max_pixels, **more)


def unreadable(rules: UploadRules) -> ApiError:
    """The refusal of a first image that cannot be decoded, in the words of the model's family (for an
    image that passed the checks yet could not be rendered: the checks refuse what the renderer cannot
    read, so this is the last word, never a 500)."""
    return _refusal(1, Part("image", None, b""), rules, 0, False, rules.max_bytes)


def _declared(part: Part, rules: UploadRules) -> None:
    declared = (part.media_type or DEFAULT_MEDIA_TYPE).lower()
    if declared not in rules.media_types:
        raise error(
            "unsupported_file_mimetype",
            param=part.param,
            mimetype=declared,
            supported=enumerate_values(sorted(rules.media_types), "and"),
        )


# --- the inputs of one request ---------------------------------------------------------------


def base_name(field: str) -> str:
    """A form field's parameter: ``image[]`` is ``image``."""
    return field[:-2] if field.endswith("[]") else field


def check_form(uploads: Sequence[Any], model: ModelProfile, endpoint: str,
               limits: DecodeLimits = DEFAULT_LIMITS) -> EditInputs:
    """The image parts (``image``, ``image[]``) and the ``mask`` of a multipart edit or variation,
    checked by the model's family (``uploads``: :class:`contracts.rules.Upload` parts) within the
    decoding ``limits``."""
    images = [u for u in uploads if base_name(u.field) == "image"]
    masks = [u for u in uploads if u.field == "mask"]
    markups = [u for u in uploads if u.field == "markup"]
    if not images:
        raise error("missing_required_parameter", param="image")
    if model.uploads.checks == "gpt-image":
        # [obs: unsupported_file_mimetype] 'image' for a single part; ASSUMPTION 'image[<i>]' for an array's parts.
        parts = [Part(f"image[{i}]" if u.field == "image[]" else "image", u.content_type, u.data)
                 for i, u in enumerate(images)]
        mask = Part("mask", masks[0].content_type, masks[0].data) if masks else None
        markup = Part("markup", markups[0].content_type, markups[0].data) if markups else None
        return check_parts(parts, mask, model.uploads, array="image", markup=markup, limits=limits)
    return _dall_e_inputs(images, masks, model.uploads, endpoint, limits)


def _dall_e_inputs(images: Sequence[Any], masks: Sequence[Any], rules: UploadRules, endpoint: str,
                   limits: DecodeLimits = DEFAULT_LIMITS) -> EditInputs:
    """dall-e-2's inputs: one square image, a mask of its size, and for an edit transparency in the
    image or the mask."""
    if len(images) > rules.max_images:
        raise error("array_above_max_length", param="image", maximum=rules.max_images, length=len(images))
    image_part = Part("image", None, images[0].data)
    mask_part = Part("mask", None, masks[0].data) if masks else None
    _within_budget([image_part], mask_part, rules, limits)
    image = EditImage(images[0].data, inspect(image_part, rules, limits=limits))
    if rules.square and image.info.width != image.info.height:
        raise error("image_not_square", width=image.info.width, height=image.info.height)
    mask = None
    if masks:
        mask = EditImage(masks[0].data, inspect(Part("mask", None, masks[0].data), rules, mask=True, limits=limits))
        if mask.info.size != image.info.size:
            raise error("mask_size_mismatch", image_size=image.info.size, mask_size=mask.info.size)
    if endpoint == EDITS and rules.transparency_modes:
        carrier = (mask or image).info
        if carrier.mode not in rules.transparency_modes:
            raise error("image_mode", modes=python_list(rules.transparency_modes), mode=carrier.mode)
    return EditInputs((image,), mask)


def check_parts(images: Sequence[Part], mask: Part | None, rules: UploadRules, *, array: str,
                markup: Part | None = None, limits: DecodeLimits = DEFAULT_LIMITS) -> EditInputs:
    """Check the images (and mask, or markup) of one GPT edit; ``array`` names the images' parameter."""
    if len(images) > rules.max_images:
        raise error("array_above_max_length", param=array, maximum=rules.max_images, length=len(images))
    _within_budget(images, mask or markup, rules, limits, markup=markup is not None)
    checked = tuple(EditImage(part.data, inspect(part, rules, index=index, limits=limits))
                    for index, part in enumerate(images))
    if markup is not None:
        return EditInputs(checked, None, _check_markup(markup, checked[0].info, rules, limits))
    if mask is None:
        return EditInputs(checked, None)
    info = inspect(mask, rules, mask=True, limits=limits)
    if not info.alpha:
        raise error("mask_missing_alpha")
    first = checked[0].info
    if (info.width, info.height) != (first.width, first.height):
        raise error("mask_size_mismatch_gpt")
    return EditInputs(checked, EditImage(mask.data, info))


def _check_markup(markup: Part, first: ImageInfo, rules: UploadRules,
                  limits: DecodeLimits = DEFAULT_LIMITS) -> EditImage:
    """[sdk-py] the markup: "A transparent PNG [...] Must match that image's dimensions after orientation and
    contain transparent pixels." Checked as the mask is: a PNG, with alpha, of the first image's dimensions.
    ASSUMPTION: "contain transparent pixels" is read from the header, as the mask's alpha is (a PNG that can carry
    transparency); the dimensions are the header's (the inputs' orientation is not applied, as for the mask)."""
    info = inspect(markup, rules, markup=True, limits=limits)
    if not info.alpha:
        raise error("markup_missing_alpha")
    if (info.width, info.height) != (first.width, first.height):
        raise error("markup_size_mismatch")
    return EditImage(markup.data, info)


def _within_budget(images: Sequence[Part], mask: Part | None, rules: UploadRules, limits: DecodeLimits, *,
                   markup: bool = False) -> None:
    """Refuse the request, before any image of it is decoded, when decoding its images would cost more
    than ``limits.decode_bytes`` together (:func:`contracts.imagefile.decode_cost`, from the headers),
    or its JPEGs' scans more passes than ``limits.jpeg_scans`` over an 8192 x 8192 image
    (:func:`contracts.imagefile.scan_work`): the image (or mask) that takes a sum past its limit gets
    its family's "unreadable" refusal. An image refused on its own (too large, of no format, past the
    pixel limit) is left to its own check."""
    total = scans = 0
    parts = [(part, index, False) for index, part in enumerate(images)]
    if mask is not None:
        parts.append((mask, 0, True))
    for part, index, is_mask in parts:
        limit = (rules.mask_max_bytes or rules.max_bytes) if is_mask else rules.max_bytes
        if len(part.data) >= limit:
            continue
        try:
            info = imagefile.header_info(part.data)
        except ImageFileError:
            continue
        if info.pixels > rules.max_pixels:
            continue
        total += imagefile.decode_cost(part.data, info)
        scans += imagefile.scan_work(part.data, info)
        if total > limits.decode_bytes or scans > limits.jpeg_scans * imagefile.SCAN_BLOCKS:
            raise _refusal(1, part, rules, index, is_mask, limit, markup and is_mask)


# --- JSON edits: image references -------------------------------------------------------


def check_references(
    images: object, mask: object, rules: UploadRules, fetch: Fetch, *, markup: object = None,
    limits: DecodeLimits = DEFAULT_LIMITS,
) -> EditInputs:
    """Check ``images`` (1 to ``max_images`` references) and the optional ``mask`` (or ``markup``)
    reference, then read each one (data: URL, the fake's own URL, or file_id) and check it."""
    if not isinstance(images, list):
        raise error("invalid_type", param="images", expected="an array", got=json_type_name(images),
                    value=repr(images), schema_type="array")
    if not images:
        raise error("array_below_min_length", param="images", minimum=1)
    if len(images) > rules.max_images:
        raise error("array_above_max_length", param="images", maximum=rules.max_images, length=len(images))
    refs = [_reference(value, f"images[{i}]") for i, value in enumerate(images)]
    mask_ref = _reference(mask, "mask") if mask is not None else None
    markup_ref = _reference(markup, "markup") if markup is not None else None
    parts = [_read(ref, rules, fetch) for ref in refs]
    mask_part = _read(mask_ref, rules, fetch) if mask_ref is not None else None
    markup_part = _read(markup_ref, rules, fetch) if markup_ref is not None else None
    return check_parts(parts, mask_part, rules, array="images", markup=markup_part, limits=limits)


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


def resolve_auto_size(info: ImageInfo, sizes: Sequence[str]) -> str:
    """ASSUMPTION: ``size=auto`` for an edit gives the listed size whose shape is closest to
    the first image's (square, landscape or portrait)."""
    candidates = [s for s in sizes if s != "auto"]

    def distance(size: str) -> float:
        w, _, h = size.partition("x")
        return abs(math.log((int(w) / int(h)) / (info.width / info.height)))

    return min(candidates, key=distance)
