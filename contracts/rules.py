"""Rules: a request's parameters in, a normalised :class:`ImageRequest` or a catalogued
:class:`~contracts.errors.ApiError` out.  No HTTP here: the server hands in what it
parsed (a JSON value, or multipart fields and uploads) and renders what comes back.

Nothing here asks which model it is looking at: every rule reads the model's profile
(:class:`contracts.models.ModelProfile`): which parameters it accepts, its sizes and
size rule, its choices and what ``auto`` resolves to, which formats take compression
or transparency, its GIF and SVG constraints.

The order of the checks decides which error a request that breaks several rules
gets. ASSUMPTION: the real order is unknown; ours is model, unknown parameters,
required parameters, then each field in the order the spec lists them, then the
combinations of fields (a parameter that needs another output format, SVG's n,
compression and transparency against the format, the GIF size limit), then the
uploads (size and format, dimensions, then transparency).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contracts import timeline
from contracts.envelope import enumerate_values, json_type_name, python_list, quote
from contracts.errors import ApiError, error
from contracts.imagefile import DEFAULT_LIMITS, DecodeLimits, ImageInfo
from contracts.models import EDITS, GPT_SPECIFIC_PARAMETERS, MODELS, Choice, ModelProfile, SizeRule, SvgRules
from contracts.spec import ENDPOINTS, Endpoint
from contracts.uploads import Fetch, base_name, check_form, check_references, resolve_auto_size

_MISSING: Any = object()
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# A free-form size. ASSUMPTION: plain ASCII digits without sign or leading zeros, a lowercase x.
_WXH = re.compile(r"([1-9][0-9]{0,5})x([1-9][0-9]{0,5})")


@dataclass(frozen=True)
class Upload:
    """One uploaded file part, as received."""

    field: str  # "image", "image[]", "mask" or "markup"
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class ImageRequest:
    """A request that passed every rule, with every default filled in."""

    endpoint: str
    model: ModelProfile
    prompt: str | None
    n: int
    size: str  # as asked (or the default), e.g. "auto"; see resolved_size
    response_format: str
    user: str | None
    image: bytes | None = None
    mask: bytes | None = None
    image_info: ImageInfo | None = None
    mask_info: ImageInfo | None = None
    markup: bytes | None = None  # [sdk-py] a transparent PNG overlaid on the first image (the 2.5 line's edits)
    # GPT image models' edits: the 2nd..16th images, and what the headers of every input
    # image (the first included) say (their dimensions count in `usage`).
    extra_images: tuple[bytes, ...] = ()
    inputs: tuple[ImageInfo, ...] = ()
    # --- today's models: None where the model takes no such parameter ----------------------
    quality: str | None = None  # as asked (or the default), e.g. "auto"
    style: str | None = None
    background: str | None = None  # as asked (or the default), e.g. "auto"
    output_format: str = "png"
    output_compression: int = 100
    moderation: str | None = None
    input_fidelity: str | None = None
    complexity: str | None = None
    frame_count: int | None = None  # gif output only (the default filled in)
    frame_duration_ms: int | None = None  # gif output only, as asked (before rounding and capping)
    svg: Mapping[str, Any] | None = None  # the `svg` object, svg output only
    safety_identifier: str | None = None
    stream: bool = False  # answer as server-sent events
    partial_images: int = 0  # streamed partial images per image (stream only)
    model_named: bool = True  # false: no model was named, the endpoint's default answers

    @property
    def resolved_size(self) -> str:
        """The size the answer has: ``auto`` resolved by the profile."""
        if self.size == "auto" and self.model.auto_size is not None:
            return self.model.auto_size
        return self.size

    @property
    def resolved_quality(self) -> str | None:
        """The quality the answer reports (never ``auto``); None for a model without quality."""
        choice = self.model.quality
        return choice.resolve(self.quality) if choice is not None and self.quality is not None else None

    @property
    def resolved_background(self) -> str | None:
        choice = self.model.background
        return choice.resolve(self.background) if choice is not None and self.background is not None else None

    @property
    def effective_safety_identifier(self) -> str | None:
        """[sdk-py] a non-empty safety_identifier, else the deprecated `user`, else None."""
        return self.safety_identifier or self.user or None


def parse_json_request(endpoint: str, body: object, *, as_of: str | None = None) -> ImageRequest:
    """Validate a JSON body (generations)."""
    if not isinstance(body, dict):
        # ASSUMPTION: a body that is valid JSON but not an object is refused as unparseable.
        raise error("invalid_json")
    return _validate(endpoint, body, uploads=[], from_form=False, as_of=as_of)


def parse_json_edit(body: object, fetch: Fetch, *, as_of: str | None = None,
                    limits: DecodeLimits = DEFAULT_LIMITS) -> ImageRequest:
    """Validate a JSON edit ([spec] EditImageBodyJsonParam: GPT image models only).

    ``fetch`` reads what is behind an image URL that is not a ``data:`` URL (the fake
    answers from its own image store, never from the network); ``limits`` bound what decoding
    the images may cost (:class:`contracts.imagefile.DecodeLimits`).
    """
    if not isinstance(body, dict):
        raise error("invalid_json")  # ASSUMPTION, as for generations
    return _validate(EDITS, body, uploads=[], from_form=False, fetch=fetch, as_of=as_of, limits=limits)


def parse_form_request(
    endpoint: str, fields: Sequence[tuple[str, str]], uploads: Sequence[Upload], *, as_of: str | None = None,
    limits: DecodeLimits = DEFAULT_LIMITS,
) -> ImageRequest:
    """Validate a multipart body (edits, variations): text fields and file parts in order, the
    images within the decoding ``limits``.

    A text field named ``image``, ``mask`` or ``markup`` (no file name) is taken as an upload of
    its bytes, so it is refused by the format rule rather than by a type rule. The ``svg`` object
    comes as bracketed fields ([sdk-py] "Use multipart fields such as `svg[model]`"):
    ``svg[model]``, ``svg[reasoning][effort]``, read into the object a JSON body sends.
    """
    params: dict[str, Any] = {}
    files = list(uploads)
    for name, value in fields:
        if name in _FILE_FIELDS:
            files.append(Upload(name, None, None, value.encode("utf-8", "surrogateescape")))
        elif name and "[" in name and (path := _bracketed(name)) is not None:  # (Werkzeug: a name may be None)
            _put(params, path, value)
        else:
            params.setdefault(name, value)
    for upload in files:
        params.setdefault(base_name(upload.field), _MISSING)
    return _validate(endpoint, params, uploads=files, from_form=True, as_of=as_of, limits=limits)


_FILE_FIELDS = frozenset({"image", "image[]", "mask", "markup"})
# An object parameter sent as multipart fields: ``svg[model]``, ``svg[reasoning][effort]`` [sdk-py].
_OBJECT_FIELDS = frozenset({"svg"})
_BRACKETED = re.compile(r"([a-z_]+)((?:\[[^\[\]]*\])+)")


def _bracketed(name: str) -> list[str] | None:
    """``svg[reasoning][effort]`` as ``["svg", "reasoning", "effort"]``; None for any other name."""
    match = _BRACKETED.fullmatch(name)
    if match is None or match[1] not in _OBJECT_FIELDS:
        return None
    return [match[1], *match[2][1:-1].split("][")]


def _put(params: dict[str, Any], path: Sequence[str], value: str) -> None:
    """Set one bracketed field in the object it builds (the first value of a key wins, as for a plain
    field). ASSUMPTION: a key given both a value and sub-fields keeps the first of them, and the
    object's own rules refuse it (a string where an object belongs, or an object where a string does)."""
    target = params
    for key in path[:-1]:
        node = target.setdefault(key, {})
        if not isinstance(node, dict):
            return
        target = node
    target.setdefault(path[-1], value)


# [spec] EditImageBodyJsonParam names the images `images` (a multipart edit: `image`) and
# also takes `moderation` (the multipart edit schema has none).
_JSON_EDIT_NAMES: Mapping[str, str] = {"images": "image"}
_JSON_EDIT_ONLY = frozenset({"moderation"})


def _json_edit_accepts(model: ModelProfile, name: str) -> bool:
    if name in _JSON_EDIT_ONLY:
        return model.moderation is not None
    return name != "image" and model.accepts(EDITS, _JSON_EDIT_NAMES.get(name, name))


def _validate(
    endpoint_name: str,
    params: Mapping[str, Any],
    *,
    uploads: Sequence[Upload],
    from_form: bool,
    fetch: Fetch | None = None,
    as_of: str | None = None,
    limits: DecodeLimits = DEFAULT_LIMITS,
) -> ImageRequest:
    """The rules in the order the module's docstring gives, the first one broken being the refusal.
    ``fetch``: a JSON edit, whose images are references."""
    endpoint = ENDPOINTS[endpoint_name]
    json_edit = fetch is not None
    # 1. the model; 2. the parameters it takes; 3. the required ones
    model = _model(params.get("model"), endpoint, params, references=json_edit, as_of=as_of)
    _known_parameters(model, endpoint_name, params, json_edit=json_edit)
    _required_parameters(endpoint, params, uploads, json_edit=json_edit)
    # 4. each field on its own
    (prompt, n, size, quality, style, response_format, background, output_format, compression, moderation,
     fidelity, complexity, frame_count, frame_duration, svg, user, safety_identifier) = _fields(
        model, endpoint, params, from_form)
    stream, partial_images = _stream(model, params, from_form)
    # 5. the fields against each other
    _combinations(model, params, n=n, size=size, output_format=output_format, compression=compression,
                  background=background)
    _stream_combinations(model, params, stream=stream, output_format=output_format)
    if output_format == "gif" and model.gif is not None:  # the GIF frames' defaults, for a GIF only
        frame_count = model.gif.frame_count_default if frame_count is None else frame_count
        frame_duration = model.gif.frame_duration_default if frame_duration is None else frame_duration
    # 6. the images of an edit or a variation
    image = mask = markup = image_info = mask_info = None
    extra_images: tuple[bytes, ...] = ()
    inputs: tuple[ImageInfo, ...] = ()
    if endpoint.requires_image:
        size, image, mask, image_info, mask_info, extra_images, inputs, markup = _inputs(
            model, endpoint, params, uploads, fetch, size, limits)
    return ImageRequest(
        endpoint=endpoint_name,
        model=model,
        prompt=prompt,
        n=n,
        size=size,
        response_format=response_format,
        user=user,
        image=image,
        mask=mask,
        image_info=image_info,
        mask_info=mask_info,
        markup=markup,
        extra_images=extra_images,
        inputs=inputs,
        quality=quality,
        style=style,
        background=background,
        output_format=output_format,
        output_compression=compression,
        moderation=moderation,
        input_fidelity=fidelity,
        complexity=complexity,
        frame_count=frame_count,
        frame_duration_ms=frame_duration,
        svg=svg,
        safety_identifier=safety_identifier,
        stream=stream,
        partial_images=partial_images,
        model_named=params.get("model") is not None,
    )


def _known_parameters(model: ModelProfile, endpoint_name: str, params: Mapping[str, Any], *, json_edit: bool) -> None:
    """Every parameter is one the model takes on this endpoint (a JSON edit names some apart)."""
    for name in params:
        accepted = _json_edit_accepts(model, name) if json_edit else model.accepts(endpoint_name, name)
        if not accepted:
            raise error("unknown_parameter", param=name)


def _required_parameters(endpoint: Endpoint, params: Mapping[str, Any], uploads: Sequence[Upload], *,
                         json_edit: bool) -> None:
    """The prompt, and the images (uploaded, or a JSON edit's references), where the endpoint needs them."""
    if endpoint.requires_prompt and params.get("prompt", _MISSING) is _MISSING:
        raise error("missing_required_parameter", param="prompt")
    if json_edit and params.get("images") is None:
        raise error("missing_required_parameter", param="images")
    if endpoint.requires_image and not json_edit and not uploads:
        raise error("missing_required_parameter", param="image")


# Each field's value, in the order _fields reads them: prompt, n, size, quality, style, response_format,
# background, output_format, output_compression, moderation, input_fidelity, complexity, frame_count,
# frame_duration_ms, svg, user, safety_identifier. (A plain tuple: it is made on every request.)
_Fields = tuple[str | None, int, str, str | None, str | None, str, str | None, str, int, str | None, str | None,
                str | None, int | None, int | None, Mapping[str, Any] | None, str | None, str | None]


def _fields(model: ModelProfile, endpoint: Endpoint, params: Mapping[str, Any], from_form: bool) -> _Fields:
    """Each field in the order the spec lists them (the first one broken is the refusal), read by the
    model's profile, its default filled in; a parameter the model does not take is None."""
    gif = model.gif
    return (
        _prompt(params.get("prompt", _MISSING), model) if endpoint.requires_prompt else None,
        _integer("n", params.get("n"), model.default_n, model.n_min, model.n_max, from_form),
        _size(params.get("size"), model),
        _option("quality", params.get("quality"), model.quality),
        _option("style", params.get("style"), model.style),
        _choice("response_format", params.get("response_format"), model.response_formats,
                model.default_response_format),
        _option("background", params.get("background"), model.background),
        _option("output_format", params.get("output_format"), model.output_format) or "png",
        _integer("output_compression", params.get("output_compression"), model.compression_max,
                 model.compression_min, model.compression_max, from_form),
        _option("moderation", params.get("moderation"), model.moderation),
        _option("input_fidelity", params.get("input_fidelity"), model.input_fidelity),
        _option("complexity", params.get("complexity"), model.complexity),
        None if gif is None else _optional_integer(
            "frame_count", params.get("frame_count"), gif.frame_count_min, gif.frame_count_max, from_form),
        None if gif is None else _optional_integer(
            "frame_duration_ms", params.get("frame_duration_ms"), gif.frame_duration_min, None, from_form),
        _svg(params.get("svg"), model.svg) if model.svg is not None else None,
        _optional_string("user", params.get("user")),
        _optional_string("safety_identifier", params.get("safety_identifier")),
    )


# An edit's or a variation's images, checked: the size (``auto`` resolved by the first image, for the
# GPT models), the image, the mask, dall-e-2's image and mask info, the GPT models' further images and
# every image's headers, and the markup.
_Inputs = tuple[str, bytes, bytes | None, ImageInfo | None, ImageInfo | None, tuple[bytes, ...],
                tuple[ImageInfo, ...], bytes | None]


def _inputs(model: ModelProfile, endpoint: Endpoint, params: Mapping[str, Any], uploads: Sequence[Upload],
            fetch: Fetch | None, size: str, limits: DecodeLimits = DEFAULT_LIMITS) -> _Inputs:
    """The uploads (or a JSON edit's references) checked by the model's upload rules."""
    if fetch is not None:
        checked = check_references(params.get("images"), params.get("mask"), model.uploads, fetch,
                                   markup=params.get("markup"), limits=limits)
    else:
        checked = check_form(uploads, model, endpoint.name, limits)
    first, mask = checked.images[0], checked.mask
    mask_data = mask.data if mask is not None else None
    if model.uploads.checks != "gpt-image":
        return size, first.data, mask_data, first.info, mask.info if mask is not None else None, (), (), None
    infos = tuple(i.info for i in checked.images)
    if size == "auto":
        size = resolve_auto_size(infos[0], model.sizes)
    markup = checked.markup.data if checked.markup is not None else None
    return size, first.data, mask_data, None, None, tuple(i.data for i in checked.images[1:]), infos, markup


# Parameters that only mean something with one output format [sdk-py].
_FORMAT_PARAMETERS = (("frame_count", "gif"), ("frame_duration_ms", "gif"), ("svg", "svg"))


def _combinations(
    model: ModelProfile, params: Mapping[str, Any], *, n: int, size: str, output_format: str,
    compression: int, background: str | None,
) -> None:
    """The rules between fields, each read from the profile."""
    mask = params.get("mask") is not None  # a form's mask part is there as _MISSING
    if mask and params.get("markup") is not None:  # [sdk-py] markup "Cannot be combined with mask"
        raise error("markup_with_mask")
    for name, needs in _FORMAT_PARAMETERS:
        if params.get(name) is not None and output_format != needs:
            raise error("parameter_needs_format", param=name, param_quoted=quote(name), output_format=needs)
    if output_format == "svg" and model.svg is not None and n > model.svg.n_max:
        raise error("svg_n", n=n, maximum=model.svg.n_max)
    if compression < model.compression_max and output_format not in model.compression_formats:
        raise error("compression_format", maximum=model.compression_max, format_upper=output_format.upper())
    if background == "transparent":
        if not model.transparent_formats:
            raise error("transparent_unsupported")
        if output_format not in model.transparent_formats:
            raise error("transparent_format", output_format=quote(output_format),
                        formats=enumerate_values(model.transparent_formats, "or"))
    if output_format == "gif" and mask:  # [sdk-py] "GIF output does not support [...] masks"
        raise error("gif_mask")
    if output_format == "gif" and model.gif is not None:
        width, height = _dimensions(size, model)
        if max(width, height) > model.gif.max_edge:
            raise error("gif_size", value=quote(size), max_edge=model.gif.max_edge)


def _stream(model: ModelProfile, params: Mapping[str, Any], from_form: bool) -> tuple[bool, int]:
    """``stream`` (a boolean; ``true``/``false`` in a form) and ``partial_images`` (0-3), for a model
    that streams; (False, 0) for one that does not (it never gets here with either parameter)."""
    rules = model.stream
    if rules is None:
        return False, 0
    value = params.get("stream")
    if from_form and isinstance(value, str):
        value = _form_scalar(value)
    if value is not None and not isinstance(value, bool):
        raise _type_error("stream", value, "a boolean", "boolean")
    partial = _integer("partial_images", params.get("partial_images"), rules.partial_images_default,
                       rules.partial_images_min, rules.partial_images_max, from_form)
    return bool(value), partial


def _stream_combinations(model: ModelProfile, params: Mapping[str, Any], *, stream: bool, output_format: str) -> None:
    """partial_images needs stream=true; a stream carries only the formats its events can hold."""
    rules = model.stream
    if rules is None:
        return
    if not stream and params.get("partial_images") is not None:
        raise error("parameter_needs_stream", param="partial_images", param_quoted=quote("partial_images"))
    if stream and output_format not in rules.formats:
        raise error("stream_format", output_format=output_format, formats=enumerate_values(rules.formats, "or"))


def _dimensions(size: str, model: ModelProfile) -> tuple[int, int]:
    if size == "auto" and model.auto_size is not None:
        size = model.auto_size
    width, _, height = size.partition("x")
    return int(width), int(height)


def _model(
    value: object, endpoint: Endpoint, params: Mapping[str, Any], *, references: bool = False,
    as_of: str | None = None,
) -> ModelProfile:
    """The model named, or the endpoint's default (see _named_model), unless the service had retired
    it by ``as_of`` (contracts.timeline; no date: every model is served)."""
    profile = _named_model(value, endpoint, params, references=references, as_of=as_of)
    if timeline.model_retired(profile, as_of):
        raise error(timeline.RETIRED_MODEL_ERROR, model=profile.name)
    return profile


def _named_model(
    value: object, endpoint: Endpoint, params: Mapping[str, Any], *, references: bool, as_of: str | None
) -> ModelProfile:
    """The model named, or the endpoint's default; ``references``: a JSON edit, which only the
    models whose uploads take references serve ([spec] EditImageBodyJsonParam: GPT models only,
    default gpt-image-1.5, the GPT default)."""
    if value is None:
        # [spec] dall-e-2 "unless a parameter specific to the GPT image models is used".
        # ASSUMPTION: "used" means sent with a value other than null.
        gpt = endpoint.gpt_default_model
        if gpt is not None and (
            references or any(params[p] is not None for p in params if p in GPT_SPECIFIC_PARAMETERS)
        ):
            return MODELS[gpt]
        return MODELS[timeline.default_model(endpoint.name, endpoint.default_model, as_of)]
    if not isinstance(value, str):
        raise _type_error("model", value, "a string", "string")
    profile = MODELS.get(value)
    if (profile is None or endpoint.name not in profile.endpoints or (references and not profile.uploads.references)
            or not timeline.model_known(profile, as_of)):
        # ASSUMPTION: an unknown model (or one the endpoint does not serve) gets
        # invalid_value listing the models the endpoint knows; not captured (docs/assumptions.md). A JSON
        # edit lists the models that take one (its model enum has no dall-e-2 [spec]), so a
        # dall-e-2 JSON edit gets this error too (ASSUMPTION).
        supported = [name for name, p in MODELS.items()
                     if endpoint.name in p.endpoints and (p.uploads.references or not references)
                     and timeline.model_known(p, as_of) and not timeline.model_retired(p, as_of)]
        raise _value_error("model", value, supported)
    return profile


def _size(value: object, model: ModelProfile) -> str:
    """A listed size, or (for a model with a size rule) any WIDTHxHEIGHT within the rule."""
    if value is None or not isinstance(value, str) or value in model.sizes:
        return _choice("size", value, model.sizes, model.default_size)
    rule = model.size_rule
    if rule is None:
        if model.size_error != "invalid_value":
            raise error(model.size_error)
        raise _value_error("size", value, model.sizes)
    match = _WXH.fullmatch(value)
    if match is None:
        raise error("size_not_wxh", value=quote(value), supported=enumerate_values(model.sizes, "and"))
    _size_within(value, int(match[1]), int(match[2]), rule)
    return value


def _size_within(value: str, width: int, height: int, rule: SizeRule) -> None:
    shown = quote(value)
    if width % rule.multiple or height % rule.multiple:
        raise error("size_not_multiple", value=shown, multiple=rule.multiple)
    if max(width, height) > rule.max_ratio * min(width, height):
        raise error("size_ratio", value=shown, max_ratio=rule.max_ratio)
    if max(width, height) > rule.max_edge:
        raise error("size_edge", value=shown, max_edge=rule.max_edge)
    pixels = width * height
    if not rule.min_pixels <= pixels <= rule.max_pixels:
        raise error("size_pixels", value=shown, min_pixels=rule.min_pixels, max_pixels=rule.max_pixels,
                    pixels=pixels)


def _option(name: str, value: object, choice: Choice | None) -> str | None:
    """A Choice parameter's value (or its default); None for a model without that parameter."""
    if choice is None:
        return None
    return _choice(name, value, choice.values, choice.default)


def _optional_integer(
    name: str, value: object, minimum: int, maximum: int | None, from_form: bool
) -> int | None:
    if value is None:
        return None
    return _integer(name, value, minimum, minimum, maximum if maximum is not None else 2**63 - 1, from_form)


def _optional_string(name: str, value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise _type_error(name, value, "a string", "string")
    return value


def _svg(value: object, rules: SvgRules) -> Mapping[str, Any] | None:
    """[sdk-py] ``svg: {model: str, reasoning?: {effort?}}``: the SVG author's settings."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _type_error("svg", value, "an object", "object")
    for key in value:
        if key not in ("model", "reasoning"):
            raise error("unknown_parameter", param=f"svg.{key}")
    if not isinstance(value.get("model"), str):
        if "model" not in value:
            raise error("missing_required_parameter", param="svg.model")
        raise _type_error("svg.model", value["model"], "a string", "string")
    reasoning = value.get("reasoning")
    if reasoning is not None and not isinstance(reasoning, dict):
        raise _type_error("svg.reasoning", reasoning, "an object", "object")
    for key in reasoning or ():
        if key != "effort":
            raise error("unknown_parameter", param=f"svg.reasoning.{key}")
    if reasoning:  # [sdk-py] SvgReasoning.effort: a Literal (null: the author model's default)
        _choice("svg.reasoning.effort", reasoning.get("effort"), rules.efforts, "")
    return dict(value)


def _prompt(value: object, model: ModelProfile) -> str:
    if not isinstance(value, str):
        raise _type_error("prompt", value, "a string", "string")
    if value == "":
        raise error("empty_string", param="prompt")
    if len(value) > model.prompt_max_chars:
        raise error(
            "string_above_max_length",
            param="prompt",
            maximum=model.prompt_max_chars,
            length=len(value),
        )
    return value


def _form_scalar(text: str) -> object:
    """How a multipart text value reads where a number is expected."""
    if _INTEGER.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return float(text)
    if text in ("true", "false"):
        return text == "true"
    return text


def _integer(
    name: str, value: object, default: int, minimum: int, maximum: int, from_form: bool
) -> int:
    if value is None:
        return default
    if from_form and isinstance(value, str):
        value = _form_scalar(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _type_error(name, value, "an integer", "integer")
    if value > maximum:
        raise error("integer_above_max_value", param=name, maximum=maximum, value=value)
    if value < minimum:
        raise error("integer_below_min_value", param=name, minimum=minimum, value=value)
    return value


def _choice(name: str, value: object, allowed: Sequence[str], default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        expected = "one of " + enumerate_values(allowed, "or")
        raise _type_error(name, value, expected, "string")
    if value not in allowed:
        raise _value_error(name, value, allowed)
    return value


def _type_error(name: str, value: object, expected: str, schema_type: str) -> ApiError:
    return error(
        "invalid_type",
        param=name,
        expected=expected,
        got=json_type_name(value),
        value=repr(value),
        schema_type=schema_type,
    )


def _value_error(name: str, value: str, allowed: Sequence[str]) -> ApiError:
    return error(
        "invalid_value",
        param=name,
        value=quote(value),
        supported=enumerate_values(allowed, "and"),
        supported_list=python_list(allowed),
    )
