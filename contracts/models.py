"""Model profiles as data: one frozen :class:`ModelProfile` per name of the SDK's ``ImageModel`` list.

A rule never asks which model it is looking at; it reads the profile (the sizes it takes, the
parameters it accepts, what ``auto`` resolves to, which quota family it spends, ...). Adding a
model is adding a profile here.

Source tags: ``[spec]`` the official OpenAPI spec (2026-08), ``[spec-hist <commit>]`` an older
version of it, ``[sdk-py]`` the official Python SDK's types (openai 3.57: ``types/image_model.py``,
``image_generate_params.py``, ``image_edit_params.py``, ``images_response.py``), ``[guide]`` the
official image-generation guide, ``[obs]`` a captured real answer, ``ASSUMPTION`` our choice where
nothing confirms it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

GENERATIONS = "generations"
EDITS = "edits"
VARIATIONS = "variations"
ENDPOINT_NAMES: tuple[str, ...] = (GENERATIONS, EDITS, VARIATIONS)

MB = 1024 * 1024

# How a model answers: the DALL·E shape ({created, data: [{url}|{b64_json}]}) or today's GPT
# shape (always b64_json, plus background, output_format, size, quality and usage).
DALL_E_ANSWER = "dall-e"
GPT_ANSWER = "gpt-image"


@dataclass(frozen=True)
class UploadRules:
    """What an uploaded image (and mask) must be for a model."""

    formats: tuple[str, ...]
    # [spec] "less than 4MB". ASSUMPTION: MB is 2**20 bytes, and "less than" is strict.
    max_bytes: int
    square: bool
    max_images: int
    # [obs] the edit error "format must be in ['RGBA', 'LA', 'L'], got RGB." lists the Pillow
    # modes accepted when the image itself must carry the edit region. Empty: no such rule
    # (GPT models edit the whole image when no mask is sent).
    transparency_modes: tuple[str, ...]
    # ASSUMPTION: no public limit is known; we refuse images whose header claims more pixels
    # than this before decoding a byte of them (decompression bombs).
    max_pixels: int
    # --- GPT image models (the defaults keep the dall-e-2 rules exactly as they were) ---
    # Which family's checks and error texts contracts.uploads applies: "dall-e" (one square PNG read
    # by contracts.png, the dall-e-2 upload errors) or "gpt-image" (contracts.imagefile, the GPT upload errors).
    checks: str = "dall-e"
    # The media types a part must declare (its Content-Type); () = not read at all, the bytes
    # alone decide (the legacy SDK sends application/octet-stream to dall-e-2).
    media_types: tuple[str, ...] = ()
    mask_max_bytes: int | None = None  # the mask's own limit; None = max_bytes
    mask_formats: tuple[str, ...] = ("png",)
    # Whether JSON edits may name the images by reference: images[] of {image_url}|{file_id}.
    references: bool = False


@dataclass(frozen=True)
class Choice:
    """A parameter that takes one of a few strings: the values (in the order the API lists them
    in its errors), the default when it is omitted or null, and what ``auto`` resolves to."""

    values: tuple[str, ...]
    default: str
    auto: str | None = None  # the resolved value an answer reports for "auto"

    def resolve(self, value: str) -> str:
        return self.auto if value == "auto" and self.auto is not None else value


@dataclass(frozen=True)
class SizeRule:
    """Free-form ``WIDTHxHEIGHT`` sizes a model takes besides its listed ones."""

    multiple: int  # both sides divisible by this
    max_ratio: int  # long side : short side at most max_ratio : 1
    max_edge: int  # neither side longer
    min_pixels: int  # width * height at least
    max_pixels: int  # width * height at most


@dataclass(frozen=True)
class GifRules:
    """Animated GIF output: frame count and per-frame delay."""

    frame_count_min: int
    frame_count_max: int
    frame_count_default: int
    frame_duration_min: int
    frame_duration_default: int
    frame_duration_cap: int  # longer delays are accepted and capped to this
    frame_duration_step: int  # delays round to the nearest multiple of this
    max_edge: int  # the GIF size limit: neither side longer

    def delay(self, frame_duration_ms: int) -> int:
        """The delay encoded per frame: rounded to the nearest step, capped."""
        step = self.frame_duration_step
        return min(self.frame_duration_cap, max(step, (frame_duration_ms + step // 2) // step * step))


@dataclass(frozen=True)
class SvgRules:
    """SVG output: its own constraints on the request."""

    n_max: int
    complexities: tuple[str, ...]  # what `complexity` may be (it plans the reference image)
    # [sdk-py image_edit_params.py, image_generate_params.py] SvgReasoning.effort's Literal values.
    efforts: tuple[str, ...] = ("none", "minimal", "low", "medium", "high", "xhigh", "max")


@dataclass(frozen=True)
class StreamRules:
    """Streamed answers (``stream: true``): server-sent events instead of one JSON body."""

    formats: tuple[str, ...]  # the output formats a stream can carry
    partial_images_min: int
    partial_images_max: int
    partial_images_default: int


@dataclass(frozen=True)
class Lifecycle:
    """When the model appeared and when it stopped being served (ISO dates; data only)."""

    released: str | None
    retired: str | None = None  # deprecated, no longer served to new requests
    shutdown: str | None = None  # turned off
    source: str = ""


@dataclass(frozen=True)
class ModelProfile:
    """Everything the contract says about one model, as data.

    A field that is ``None`` (a Choice, ``size_rule``, ``gif``, ``svg``) means the model has no
    such feature; whether a *parameter* is accepted at all is ``parameters`` (anything else is
    refused as ``unknown_parameter``).
    """

    name: str
    endpoints: frozenset[str]
    sizes: tuple[str, ...]  # listed sizes, in the order the size error lists them
    default_size: str
    n_min: int
    n_max: int
    default_n: int
    prompt_max_chars: int
    response_formats: tuple[str, ...]  # () for models that always answer b64_json
    default_response_format: str
    # Request fields accepted per endpoint; anything else is `unknown_parameter`.
    parameters: Mapping[str, frozenset[str]]
    uploads: UploadRules
    url_ttl_seconds: int
    sources: Mapping[str, str] = field(default_factory=dict)
    # --- today's models (every field defaulted to the dall-e-2 behaviour) -------------------
    family: str = ""  # quota family: images-per-minute windows are counted per (key, family)
    answer: str = DALL_E_ANSWER  # DALL_E_ANSWER or GPT_ANSWER
    snapshot_of: str | None = None  # a dated snapshot names the model it pins
    auto_size: str | None = None  # what size "auto" resolves to (None: "auto" is not a size)
    size_rule: SizeRule | None = None
    size_error: str = "invalid_value"  # catalogue key for a size outside `sizes`
    quality: Choice | None = None
    style: Choice | None = None
    background: Choice | None = None
    transparent_formats: tuple[str, ...] = ()  # output formats a transparent background needs
    output_format: Choice | None = None
    compression_formats: tuple[str, ...] = ()  # formats that take output_compression < max
    compression_min: int = 0
    compression_max: int = 100
    moderation: Choice | None = None
    input_fidelity: Choice | None = None
    complexity: Choice | None = None
    gif: GifRules | None = None
    svg: SvgRules | None = None
    stream: StreamRules | None = None  # None: the model does not stream (`stream` is unknown to it)
    revised_prompt: bool = False  # each answered item carries `revised_prompt`
    # Catalogue keys of the content-policy refusal: (for a prompt, for an input image).
    policy_errors: tuple[str, str] = ("content_policy_prompt", "content_policy_image")
    lifecycle: Lifecycle = Lifecycle(None)

    def accepts(self, endpoint: str, parameter: str) -> bool:
        return parameter in self.parameters.get(endpoint, frozenset())

    @property
    def quota_family(self) -> str:
        return self.family or self.name


# --- dall-e-2: the seed contract, unchanged -------------------------------------------------

DALL_E_2_UPLOADS = UploadRules(
    formats=("png",),
    max_bytes=4 * MB,
    square=True,
    max_images=1,
    transparency_modes=("RGBA", "LA", "L"),
    max_pixels=4096 * 4096,
)

DALL_E_2 = ModelProfile(
    name="dall-e-2",
    endpoints=frozenset(ENDPOINT_NAMES),
    sizes=("256x256", "512x512", "1024x1024"),
    default_size="1024x1024",
    n_min=1,
    n_max=10,
    default_n=1,
    prompt_max_chars=1000,
    response_formats=("url", "b64_json"),
    default_response_format="url",
    parameters=MappingProxyType(
        {
            GENERATIONS: frozenset({"prompt", "model", "n", "size", "response_format", "user"}),
            EDITS: frozenset(
                {"image", "mask", "prompt", "model", "n", "size", "response_format", "user"}
            ),
            VARIATIONS: frozenset({"image", "model", "n", "size", "response_format", "user"}),
        }
    ),
    uploads=DALL_E_2_UPLOADS,
    url_ttl_seconds=3600,
    sources=MappingProxyType(
        {
            "sizes": "[spec] CreateImageRequest.size; seeds: 256x256, 512x512 or 1024x1024",
            "default_size": "[spec] default 1024x1024",
            "n": "[spec] n 1-10, default 1; seeds: 1-10 images at once",
            "prompt_max_chars": "[spec] max length 1000 characters for dall-e-2",
            "response_formats": "[spec] url (default) or b64_json",
            "parameters": "[spec] CreateImage*Request; other fields are refused as "
            "unknown_parameter [obs] (quality to dall-e-2, 2025)",
            "uploads": "[spec] square PNG less than 4MB; mask same dimensions; "
            "without mask the image must carry transparency [spec-hist 802d487]",
            "url_ttl_seconds": "[spec] URLs are valid for 60 minutes; seeds: expire after an hour",
            "family": "ASSUMPTION: each model line has its own images-per-minute quota",
            "lifecycle": "retired 2026-05-12 [sdk-py image_model.py]; released with the Images API "
            "beta in November 2022 (seeds; the day is an ASSUMPTION)",
        }
    ),
    family="dall-e-2",
    lifecycle=Lifecycle("2022-11-03", retired="2026-05-12"),
)

# --- dall-e-3 -----------------------------------------------------------------------------

DALL_E_3 = ModelProfile(
    name="dall-e-3",
    endpoints=frozenset({GENERATIONS}),
    sizes=("1024x1024", "1792x1024", "1024x1792"),
    default_size="1024x1024",
    n_min=1,
    n_max=1,
    default_n=1,
    prompt_max_chars=4000,
    response_formats=("url", "b64_json"),
    default_response_format="url",
    parameters=MappingProxyType(
        {
            GENERATIONS: frozenset(
                {"prompt", "model", "n", "quality", "response_format", "size", "style", "user"}
            ),
        }
    ),
    uploads=DALL_E_2_UPLOADS,  # never used: dall-e-3 takes no uploads
    url_ttl_seconds=3600,
    sources=MappingProxyType(
        {
            "endpoints": "[spec] generations only (the edits and variations model enums omit it)",
            "sizes": "[spec] 1024x1024, 1792x1024 or 1024x1792; default 1024x1024 [spec-hist 802d487]",
            "size_error": "[obs] 'The size is not supported by this model.' code invalid_size (2024)",
            "n": "[spec] only n=1; the current validator's 'Expected a value <= 1' [3p]",
            "prompt_max_chars": "[spec] 4000 characters for dall-e-3",
            "quality": "[spec] hd and standard; default standard [spec-hist 802d487]",
            "style": "[spec] vivid (default) or natural",
            "parameters": "[spec]; moderation to dall-e-3 is unknown_parameter [obs]",
            "revised_prompt": "[spec] Image.revised_prompt (dall-e-3); [obs] 2024 answers",
            "family": "ASSUMPTION: each model line has its own images-per-minute quota",
            "lifecycle": "released 2023-11-06 [spec-hist 802d487]; retired 2026-05-12 [sdk-py]",
        }
    ),
    family="dall-e-3",
    size_error="invalid_size",
    quality=Choice(("standard", "hd"), "standard"),
    style=Choice(("vivid", "natural"), "vivid"),
    revised_prompt=True,
    lifecycle=Lifecycle("2023-11-06", retired="2026-05-12"),
)

# --- the GPT image models -----------------------------------------------------------------

GPT_STANDARD_SIZES = ("1024x1024", "1024x1536", "1536x1024", "auto")  # [obs] the size error's order
# [sdk-py] [spec] gpt-image-2 and the 2.5 line: any WIDTHxHEIGHT, both sides divisible by 16,
# ratio between 1:3 and 3:1, at most 3840x2160; [guide] edge and pixel limits.
FREE_SIZE_RULE = SizeRule(
    multiple=16, max_ratio=3, max_edge=3840, min_pixels=655_360, max_pixels=8_294_400
)
GPT_UPLOADS = UploadRules(
    # [spec] [sdk-py] each image png, webp or jpg (recognised from its bytes), less than 50MB
    # (25MB in the 2025-04 spec; ASSUMPTION: MB is 2**20), up to 16 images, any shape.
    formats=("png", "webp", "jpeg"),
    max_bytes=50 * MB,
    square=False,
    max_images=16,
    transparency_modes=(),  # the image needs no alpha: without a mask the whole image is edited
    max_pixels=8192 * 8192,  # ASSUMPTION: as DALL·E's guard, scaled to 50 MB images
    checks="gpt-image",
    # [obs: unsupported_file_mimetype] the part's declared type is read: application/octet-stream is refused.
    media_types=("image/jpeg", "image/png", "image/webp"),
    # ASSUMPTION: [spec] says the mask is "less than 4MB" (the dall-e-2 era's wording); the
    # guide's 50MB for GPT inputs is taken for the mask too.
    mask_max_bytes=50 * MB,
    mask_formats=("png",),  # [spec] "Must be a valid PNG file"
    references=True,  # [spec] EditImageBodyJsonParam: JSON edits are for GPT image models only
)
# ASSUMPTION: "auto" quality resolves to high ("the best quality for the given model" [spec]).
GPT_QUALITY = Choice(("low", "medium", "high", "auto"), "auto", auto="high")
GPT_QUALITY_2_5 = Choice(("low", "medium", "high", "xhigh", "max", "auto"), "auto", auto="high")
# ASSUMPTION: "auto" background resolves to opaque (no capture shows what auto picks).
GPT_BACKGROUND = Choice(("transparent", "opaque", "auto"), "auto", auto="opaque")
GPT_FORMATS = Choice(("png", "jpeg", "webp"), "png")
GPT_FORMATS_ANIMATED = Choice(("png", "jpeg", "webp", "gif", "svg"), "png")
GPT_MODERATION = Choice(("low", "auto"), "auto")
COMPLEXITY = Choice(("low", "medium", "high"), "medium")  # ASSUMPTION: the "configured default"
GIF = GifRules(
    # [sdk-py] frame_count 2-16, default 9; frame_duration_ms default 200, rounded to 10 ms and
    # capped at 655,350 ms. ASSUMPTION: at least 10 ms; the "GIF size limits": 1536 px a side.
    frame_count_min=2,
    frame_count_max=16,
    frame_count_default=9,
    frame_duration_min=10,
    frame_duration_default=200,
    frame_duration_cap=655_350,
    frame_duration_step=10,
    max_edge=1536,
)
SVG = SvgRules(n_max=1, complexities=COMPLEXITY.values)  # [sdk-py] SVG generation requires n=1
# [sdk-py] image_*_params.py Svg: {model (required), reasoning}; SvgReasoning: {effort}.
SVG_KEYS = ("model", "reasoning")
SVG_REASONING_KEYS = ("effort",)

_GPT_COMMON = frozenset(
    {"prompt", "model", "n", "size", "quality", "background", "output_format", "output_compression",
     "user", "safety_identifier", "stream", "partial_images"}
)
# [spec] stream (default false) and partial_images (PartialImages: 0-3, default 0) on generations
# and both kinds of edits; [spec] ImageGen*Event / ImageEdit*Event carry png, webp or jpeg only.
# [sdk-py] "GIF output does not support streaming", SVG "does not support streaming".
GPT_STREAM = StreamRules(formats=("png", "jpeg", "webp"), partial_images_min=0, partial_images_max=3,
                         partial_images_default=0)
_GPT_GENERATIONS = _GPT_COMMON | {"moderation"}  # [spec] the multipart edit has no moderation
_GPT_EDITS = _GPT_COMMON | {"image", "mask"}
# [sdk-py image_edit_params.py] markup: "A transparent PNG overlaid on the first image to guide the edit. [...]
# Supports GPT Image 2.5. Cannot be combined with mask."
_MARKUP = frozenset({"markup"})
_ANIMATED = frozenset({"complexity", "frame_count", "frame_duration_ms", "svg"})

_GPT_SOURCES = {
    "endpoints": "[sdk-py] generate() and edit() list every GPT image model; variations is dall-e-2 only",
    "sizes": "[spec] [obs] 1024x1024, 1024x1536, 1536x1024 or auto (default auto); "
    "ASSUMPTION: auto resolves to 1024x1024",
    "n": "[spec] [sdk-py] 1-10, default 1",
    "prompt_max_chars": "[spec] [sdk-py] 32000 characters for the GPT image models",
    "response_formats": "[spec] [sdk-py] response_format is unsupported: always b64_json; "
    "refused as unknown_parameter [obs]",
    "quality": "[spec] [sdk-py] low, medium, high, auto (default auto); ASSUMPTION: auto is high",
    "background": "[spec] [sdk-py] transparent, opaque, auto (default auto); transparent needs png "
    "or webp; ASSUMPTION: auto is opaque",
    "output_format": "[spec] [sdk-py] png (default), jpeg, webp",
    "output_compression": "[spec] [sdk-py] 0-100 %, jpeg and webp only, default 100",
    "moderation": "[spec] low or auto (default auto); generations (and JSON edits) only",
    "parameters": "[spec] CreateImageRequest / CreateImageEditRequest; [sdk-py] safety_identifier; "
    "style and response_format are refused as unknown_parameter [obs]",
    "stream": "[spec] stream (default false) 'only supported for the GPT image models'; partial_images "
    "0-3 (default 0); events of png, webp or jpeg only [spec ImageGenStreamEvent]; gif and svg output "
    "'does not support streaming' [sdk-py]",
    "family": "ASSUMPTION: each model line has its own images-per-minute quota; a dated snapshot "
    "shares its model's",
}


def _gpt(
    name: str,
    *,
    lifecycle: Lifecycle,
    sources: Mapping[str, str],
    snapshot_of: str | None = None,
    free_sizes: bool = False,
    quality: Choice = GPT_QUALITY,
    input_fidelity: Choice | None = None,
    animated: bool = False,
    markup: bool = False,
) -> ModelProfile:
    """A GPT image model profile: the values every GPT model shares, and what sets it apart."""
    generations, edits = _GPT_GENERATIONS, _GPT_EDITS
    if input_fidelity is not None:
        edits = edits | {"input_fidelity"}
    if animated:
        generations, edits = generations | _ANIMATED, edits | _ANIMATED
    if markup:
        edits = edits | _MARKUP
    return ModelProfile(
        name=name,
        endpoints=frozenset({GENERATIONS, EDITS}),
        sizes=GPT_STANDARD_SIZES,
        default_size="auto",
        n_min=1,
        n_max=10,
        default_n=1,
        prompt_max_chars=32_000,
        response_formats=(),
        default_response_format="b64_json",
        parameters=MappingProxyType({GENERATIONS: generations, EDITS: edits}),
        uploads=GPT_UPLOADS,
        url_ttl_seconds=3600,
        sources=MappingProxyType({**_GPT_SOURCES, **sources}),
        family=snapshot_of or name,
        answer=GPT_ANSWER,
        snapshot_of=snapshot_of,
        auto_size="1024x1024",
        size_rule=FREE_SIZE_RULE if free_sizes else None,
        quality=quality,
        background=GPT_BACKGROUND,
        transparent_formats=("png", "webp"),
        output_format=GPT_FORMATS_ANIMATED if animated else GPT_FORMATS,
        compression_formats=("jpeg", "webp"),
        moderation=GPT_MODERATION,
        input_fidelity=input_fidelity,
        complexity=COMPLEXITY if animated else None,
        gif=GIF if animated else None,
        svg=SVG if animated else None,
        stream=GPT_STREAM,
        # [obs] the GPT moderation refusal: GPT models refuse with moderation_blocked (the DALL·E models keep
        # content_policy_violation); ASSUMPTION: input images too (stage "input").
        policy_errors=("moderation_blocked", "moderation_blocked"),
        lifecycle=lifecycle,
    )


_FIDELITY = Choice(("high", "low"), "low")  # [sdk-py] high and low; defaults to low
_FIDELITY_LOW = Choice(("low",), "low")  # [sdk-py] gpt-image-1-mini supports only low
_IN_SPEC_2026_05 = "first in the spec of 2026-05-13 [spec-hist 5162af9]; the release day is earlier "
_FREE = "[sdk-py] [spec] any WIDTHxHEIGHT: sides divisible by 16, ratio 1:3-3:1, at most 3840x2160; [guide] "
_FREE += "655,360-8,294,400 pixels"
_NO_FIDELITY = "[sdk-py] 'For gpt-image-2, omit this parameter': refused as unknown_parameter (ASSUMPTION)"
_ANIMATED_SRC = (
    "[sdk-py] gif and svg output 'require a model that supports the selected format', naming none; "
    "ASSUMPTION: the 2.5 and 2.6 lines do; frame_count, frame_duration_ms, svg and complexity with them"
)
_Q25 = "[sdk-py] the 2.5 line (and its 2026-09-08 snapshots) also take xhigh and max; ASSUMPTION: auto is high"

GPT_IMAGE_1 = _gpt(
    "gpt-image-1",
    input_fidelity=_FIDELITY,
    lifecycle=Lifecycle("2025-04-29", shutdown="2026-10-23"),
    sources={
        "input_fidelity": "[spec] high or low for gpt-image-1",
        "lifecycle": "first in the spec of 2025-04-29 [spec-hist 498c71d]; shut down 2026-10-23 [sdk-py]",
    },
)
GPT_IMAGE_1_MINI = _gpt(
    "gpt-image-1-mini",
    input_fidelity=_FIDELITY_LOW,
    lifecycle=Lifecycle("2026-05-13"),
    sources={"input_fidelity": "[sdk-py] only low", "lifecycle": _IN_SPEC_2026_05 + "(ASSUMPTION)"},
)
GPT_IMAGE_1_5 = _gpt(
    "gpt-image-1.5",
    input_fidelity=_FIDELITY,
    lifecycle=Lifecycle("2026-05-13"),
    sources={"input_fidelity": "[sdk-py] high and low", "lifecycle": _IN_SPEC_2026_05 + "(ASSUMPTION)"},
)
CHATGPT_IMAGE_LATEST = _gpt(
    "chatgpt-image-latest",
    input_fidelity=_FIDELITY,
    lifecycle=Lifecycle("2026-05-13"),
    sources={
        "endpoints": "[sdk-py] generate() and edit() both list it (the spec's generations enum omits it)",
        "input_fidelity": "ASSUMPTION: as gpt-image-1.5 (UNCERTAIN in every source)",
        "lifecycle": _IN_SPEC_2026_05 + "(ASSUMPTION)",
    },
)


def _gpt_2(name: str, snapshot_of: str | None = None) -> ModelProfile:
    return _gpt(
        name,
        snapshot_of=snapshot_of,
        free_sizes=True,
        lifecycle=Lifecycle("2026-04-21"),
        sources={
            "sizes": _FREE,
            "input_fidelity": _NO_FIDELITY,
            "background": "[spec] [sdk-py] transparent is 'in preview' for gpt-image-2: accepted",
            "lifecycle": "ASSUMPTION: released on its snapshot's date; first in the spec of 2026-08-20 "
            "[spec-hist b8d775d]",
        },
    )


def _gpt_2_5(name: str, snapshot_of: str | None = None) -> ModelProfile:
    return _gpt(
        name,
        snapshot_of=snapshot_of,
        free_sizes=True,
        quality=GPT_QUALITY_2_5,
        animated=True,
        markup=True,
        lifecycle=Lifecycle("2026-09-08"),
        sources={
            "markup": "[sdk-py image_edit_params.py] markup 'Supports GPT Image 2.5': the 2.5 line and its snapshots "
            "(ASSUMPTION: not the 2.6 line, which the SDK does not name for it)",
            "sizes": _FREE,
            "quality": _Q25,
            "input_fidelity": _NO_FIDELITY + "; the 2.5 line as gpt-image-2",
            "output_format": _ANIMATED_SRC,
            "lifecycle": "ASSUMPTION: released on its snapshot's date (2026-09-08) [sdk-py]",
        },
    )


def _gpt_2_6(name: str) -> ModelProfile:
    return _gpt(
        name,
        animated=True,
        lifecycle=Lifecycle(None),
        sources={
            "sizes": "[sdk-py] the free-form sizes are not named for the 2.6 line: the standard sizes only",
            "quality": "[sdk-py] xhigh and max are named for the 2.5 line only: low, medium, high, auto",
            "input_fidelity": _NO_FIDELITY + "; ASSUMPTION: the 2.6 line as gpt-image-2",
            "output_format": _ANIMATED_SRC,
            "lifecycle": "first named by the SDK of 2026 (openai 3.57); no date is published",
        },
    )


GPT_IMAGE_2 = _gpt_2("gpt-image-2")
GPT_IMAGE_2_SNAPSHOT = _gpt_2("gpt-image-2-2026-04-21", snapshot_of="gpt-image-2")
GPT_IMAGE_2_5_SUNBURST = _gpt_2_5("gpt-image-2.5-sunburst")
GPT_IMAGE_2_5_SUNBURST_SNAPSHOT = _gpt_2_5(
    "gpt-image-2.5-sunburst-2026-09-08", snapshot_of="gpt-image-2.5-sunburst"
)
GPT_IMAGE_2_5_FLARE = _gpt_2_5("gpt-image-2.5-flare")
GPT_IMAGE_2_5_FLARE_SNAPSHOT = _gpt_2_5(
    "gpt-image-2.5-flare-2026-09-08", snapshot_of="gpt-image-2.5-flare"
)
GPT_IMAGE_2_6_SUNBURST = _gpt_2_6("gpt-image-2.6-sunburst")
GPT_IMAGE_2_6_FLARE = _gpt_2_6("gpt-image-2.6-flare")

# In the SDK's ImageModel order [sdk-py types/image_model.py], then the DALL·E models.
MODELS: Mapping[str, ModelProfile] = MappingProxyType(
    {
        p.name: p
        for p in (
            GPT_IMAGE_1_5,
            GPT_IMAGE_2,
            GPT_IMAGE_2_SNAPSHOT,
            GPT_IMAGE_2_5_SUNBURST,
            GPT_IMAGE_2_5_SUNBURST_SNAPSHOT,
            GPT_IMAGE_2_5_FLARE,
            GPT_IMAGE_2_5_FLARE_SNAPSHOT,
            GPT_IMAGE_2_6_SUNBURST,
            GPT_IMAGE_2_6_FLARE,
            GPT_IMAGE_1,
            GPT_IMAGE_1_MINI,
            CHATGPT_IMAGE_LATEST,
            DALL_E_2,
            DALL_E_3,
        )
    }
)

# Which model answers when none is named [spec]: "Defaults to dall-e-2 unless a parameter
# specific to the GPT image models is used". ASSUMPTION: that GPT model is gpt-image-1.5 (the
# spec's edit default and its example model), and these are the GPT-specific parameters (the
# ones no DALL·E model ever took).
GPT_DEFAULT_MODEL = GPT_IMAGE_1_5.name
GPT_SPECIFIC_PARAMETERS: frozenset[str] = frozenset(
    {"background", "output_format", "output_compression", "moderation", "stream", "partial_images",
     "input_fidelity", "complexity", "frame_count", "frame_duration_ms", "svg", "safety_identifier"}
)


def profiles_table() -> str:
    """The profiles as a Markdown table (the docs build puts it at a page's ``<!-- generated: profiles -->``
    line: docs/models.md)."""
    rows = [
        "| model | endpoints | sizes | quality (auto is) | output formats | n | prompt | answer | released "
        "| retired / shut down |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for p in MODELS.values():
        sizes = ", ".join(s for s in p.sizes)
        if p.size_rule is not None:
            rule = p.size_rule
            sizes += (f", any WxH: sides /{rule.multiple}, ratio <= {rule.max_ratio}:1, edge <= {rule.max_edge}, "
                      f"{rule.min_pixels:,}-{rule.max_pixels:,} px")
        quality = "-"
        if p.quality is not None:
            quality = ", ".join(p.quality.values) + (f" ({p.quality.auto})" if p.quality.auto else "")
        formats = ", ".join(p.output_format.values) if p.output_format is not None else "png"
        answer = "b64_json + usage" if p.answer == GPT_ANSWER else ", ".join(p.response_formats)
        if p.revised_prompt:
            answer += " + revised_prompt"
        n = f"{p.n_min}-{p.n_max}" if p.n_min != p.n_max else str(p.n_min)
        ended = " / ".join(d for d in (p.lifecycle.retired, p.lifecycle.shutdown) if d) or "-"
        rows.append(
            f"| `{p.name}` | {', '.join(e for e in ENDPOINT_NAMES if e in p.endpoints)} | {sizes} | {quality} | "
            f"{formats} | {n} | {p.prompt_max_chars:,} | {answer} | {p.lifecycle.released or '-'} | {ended} |"
        )
    return "\n".join(rows)
