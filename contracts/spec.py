"""The Images API contract as data: endpoints and per-model profiles.

Every limit, size and default the fake, the client and the tests use is written
here once, with the source it came from.  Source tags follow
``shared/reference/images-api-contract.md``: ``[spec]`` the official OpenAPI
spec, ``[obs]`` a captured real response, ``[guide]`` the seed documents,
``ASSUMPTION`` a choice of ours where nothing could be confirmed.

A model is a :class:`ModelProfile`; adding a model (dall-e-3, the gpt-image
family) means adding a profile, not touching the views.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

GENERATIONS = "generations"
EDITS = "edits"
VARIATIONS = "variations"
ENDPOINT_NAMES: tuple[str, ...] = (GENERATIONS, EDITS, VARIATIONS)

API_PREFIX = "/v1"
REAL_BASE_URL = "https://api.openai.com/v1"  # [spec] servers[0]
OPENAI_VERSION = "2020-10-01"  # [obs] openai-version response header

MB = 1024 * 1024


@dataclass(frozen=True)
class Endpoint:
    """One of the three image endpoints and the shape of its request body."""

    name: str
    path: str
    body: str  # "json" or "multipart"
    requires_prompt: bool
    requires_image: bool
    default_model: str

    @property
    def url_path(self) -> str:
        return f"{API_PREFIX}{self.path}"


ENDPOINTS: Mapping[str, Endpoint] = MappingProxyType(
    {
        GENERATIONS: Endpoint(GENERATIONS, "/images/generations", "json", True, False, "dall-e-2"),
        # ASSUMPTION: the 2026-08 spec names gpt-image-1.5 as the edits default, but the
        # fake knows only dall-e-2 (the seeds' model, retired upstream in May 2026), and
        # every spec up to 2025-04 said dall-e-2. Until a gpt-image profile exists the
        # default stays dall-e-2. [spec-hist 498c71d]
        EDITS: Endpoint(EDITS, "/images/edits", "multipart", True, True, "dall-e-2"),
        VARIATIONS: Endpoint(VARIATIONS, "/images/variations", "multipart", False, True, "dall-e-2"),
    }
)


@dataclass(frozen=True)
class UploadRules:
    """What an uploaded image (and mask) must be for a model."""

    formats: tuple[str, ...]
    # [spec] "less than 4MB". ASSUMPTION: MB is 2**20 bytes, and "less than" is strict.
    max_bytes: int
    square: bool
    max_images: int
    # [obs] the edit error "format must be in ['RGBA', 'LA', 'L'], got RGB." lists
    # the Pillow modes accepted when the image itself must carry the edit region.
    transparency_modes: tuple[str, ...]
    # ASSUMPTION: no public limit is known; we refuse images whose PNG header claims
    # more pixels than this before decoding a byte of them (decompression bombs).
    max_pixels: int
    # --- GPT image models (defaults keep the dall-e-2 rules exactly as they were) ---
    # Which family's checks and error texts apply: "dall-e" (contracts.png, one square PNG,
    # the #18-#20 errors) or "gpt-image" (contracts.imagefile, #21-#24).
    family: str = "dall-e"
    # The media types a part must declare (its Content-Type); () = not read at all, the
    # bytes alone decide (the legacy SDK sends application/octet-stream to dall-e-2).
    media_types: tuple[str, ...] = ()
    # The mask's own limits; None = as for the images.
    mask_max_bytes: int | None = None
    mask_formats: tuple[str, ...] = ("png",)
    # Whether JSON edits may name images by reference: images[] of {image_url}|{file_id}.
    references: bool = False


@dataclass(frozen=True)
class ModelProfile:
    """Everything the contract says about one model, as data."""

    name: str
    endpoints: frozenset[str]
    sizes: tuple[str, ...]
    default_size: str
    n_min: int
    n_max: int
    default_n: int
    prompt_max_chars: int
    response_formats: tuple[str, ...]
    default_response_format: str
    # Request fields accepted per endpoint; anything else is `unknown_parameter`.
    parameters: Mapping[str, frozenset[str]]
    uploads: UploadRules
    url_ttl_seconds: int
    sources: Mapping[str, str] = field(default_factory=dict)
    # The input_fidelity values an edit may send; () = the parameter is not taken (refused
    # as unknown_parameter, as every parameter outside `parameters` is).
    input_fidelities: tuple[str, ...] = ()
    # Whether answers carry `usage` and the top-level background/output_format/quality/size
    # ([spec] ImagesResponse: GPT image models).
    usage: bool = False

    def accepts(self, endpoint: str, parameter: str) -> bool:
        return parameter in self.parameters.get(endpoint, frozenset())


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
    uploads=UploadRules(
        formats=("png",),
        max_bytes=4 * MB,
        square=True,
        max_images=1,
        transparency_modes=("RGBA", "LA", "L"),
        max_pixels=4096 * 4096,
    ),
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
        }
    ),
)

# The upload rules shared by every GPT image model's edits.
GPT_IMAGE_UPLOADS = UploadRules(
    family="gpt-image",
    formats=("png", "jpeg", "webp"),  # [spec] "a png, webp, or jpg file"
    max_bytes=50 * MB,  # [spec] "less than 50MB" (25MB in the 2025-04 spec). ASSUMPTION: 2**20
    square=False,  # [spec] any shape
    max_images=16,  # [spec] "up to 16 images"; JSON images maxItems 16
    transparency_modes=(),  # the image needs no alpha: the mask is guidance [guide]
    # ASSUMPTION: no public limit; 8192x8192, checked from the header before decoding.
    max_pixels=8192 * 8192,
    # [obs #21] the part's declared type is read: octet-stream is refused.
    media_types=("image/jpeg", "image/png", "image/webp"),
    # ASSUMPTION: [spec] says the mask is "less than 4MB" (the dall-e-2 era's text); the guide
    # says 50MB for GPT inputs. We take the guide's 50MB.
    mask_max_bytes=50 * MB,
    mask_formats=("png",),  # [spec] "Must be a valid PNG file"
    references=True,  # [spec] EditImageBodyJsonParam: GPT image models only
)

# The model a JSON edit gets when it names none: [spec] EditImageBodyJsonParam default
# (JSON edits are GPT-only, so the seed's dall-e-2 default cannot apply to them).
JSON_EDIT_DEFAULT_MODEL = "gpt-image-1.5"

# ===================== STAND-IN (branch gpt-edits) =========================================
# A minimal stand-in for the GPT image profiles that branch gpt-contract owns: just what GPT
# *edits* need (uploads, input_fidelity, the answer's usage). When gpt-contract's profiles
# land, delete this block and give its profiles `uploads=GPT_IMAGE_UPLOADS`, the
# `input_fidelities` below and `usage=True`; STANDIN_QUALITY and standin_usage() go to its
# usage function, which should call contracts.edits.image_tokens() for the edit inputs.
GPT_EDIT_SIZES = ("auto", "1024x1024", "1536x1024", "1024x1536")  # [spec] multipart edits
STANDIN_QUALITY = "medium"  # ASSUMPTION: what quality "auto" (the default) resolves to
# [guide] output tokens per image, medium quality, by size.
STANDIN_OUTPUT_TOKENS = MappingProxyType({"1024x1024": 1056, "1024x1536": 1584, "1536x1024": 1568})


def _standin_gpt(name: str, input_fidelities: tuple[str, ...]) -> ModelProfile:
    edit_params = {"image", "images", "mask", "prompt", "model", "n", "size", "user"}
    if input_fidelities:
        edit_params.add("input_fidelity")
    return ModelProfile(
        name=name,
        endpoints=frozenset({EDITS}),
        sizes=GPT_EDIT_SIZES,
        default_size="auto",  # [sdk-py] "Defaults to `auto`"; JSON edits [spec] default auto
        n_min=1,
        n_max=10,
        default_n=1,
        prompt_max_chars=32000,  # [spec]
        response_formats=("b64_json",),  # [spec] GPT image models always return base64
        default_response_format="b64_json",
        parameters=MappingProxyType({EDITS: frozenset(edit_params)}),
        uploads=GPT_IMAGE_UPLOADS,
        url_ttl_seconds=3600,
        input_fidelities=input_fidelities,
        usage=True,
        sources=MappingProxyType({"input_fidelities": _FIDELITY_SOURCE}),
    )


_FIDELITY_SOURCE = (
    "[sdk-py] 'Supports high and low on gpt-image-1.5; gpt-image-1-mini supports only low. "
    "For gpt-image-2, omit this parameter.' ([spec] says mini does not take it at all; the "
    "newer SDK wins.) ASSUMPTION: gpt-image-2 and its snapshot refuse it as an unknown "
    "parameter (a parameter a model does not take is never silently ignored); "
    "chatgpt-image-latest takes high and low as gpt-image-1.5 does"
)
_STANDINS = (
    _standin_gpt("gpt-image-1.5", ("high", "low")),
    _standin_gpt("gpt-image-1-mini", ("low",)),
    _standin_gpt("gpt-image-2", ()),
    _standin_gpt("gpt-image-2-2026-04-21", ()),
    _standin_gpt("chatgpt-image-latest", ("high", "low")),
)
# ===================== END OF STAND-IN ====================================================

MODELS: Mapping[str, ModelProfile] = MappingProxyType(
    {DALL_E_2.name: DALL_E_2, **{p.name: p for p in _STANDINS}}
)


def parse_size(size: str) -> tuple[int, int]:
    """'512x512' -> (512, 512)."""
    width, _, height = size.partition("x")
    return int(width), int(height)


# Request-level limits of the fake itself (not a model's).
# ASSUMPTION: the real edge limit is not known; a body larger than this is refused
# with 413 before it is read. It leaves room for a 4 MB image, a 4 MB mask and fields.
MAX_REQUEST_BYTES = 16 * MB
# ASSUMPTION: JSON nested deeper than this is refused as unparseable.
MAX_JSON_DEPTH = 64
# Multipart bodies with more parts than this are refused (Werkzeug's form-part limit).
MAX_FORM_PARTS = 64
