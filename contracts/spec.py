"""The Images API contract as data: endpoints and per-model profiles.

Every limit, size and default the fake, the client and the tests use is written
here once, with the source it came from.  Source tags (``docs/sources.md``):
``[spec]`` the official OpenAPI spec, ``[obs]`` a captured real response,
``[guide]`` the DALL·E guide of the seed examples, ``[sdk-py]``/``[sdk-node]`` the
official SDKs, ``ASSUMPTION`` a choice of ours where nothing could be confirmed
(``docs/assumptions.md``).

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

MODELS: Mapping[str, ModelProfile] = MappingProxyType({DALL_E_2.name: DALL_E_2})


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
