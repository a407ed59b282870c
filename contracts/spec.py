"""The Images API contract as data: endpoints and per-model profiles.

Every limit, size and default the fake, the client and the tests use is written
here once, with the source it came from.  Source tags follow
``shared/reference/images-api-contract.md``: ``[spec]`` the official OpenAPI
spec, ``[obs]`` a captured real response, ``[guide]`` the seed documents,
``ASSUMPTION`` a choice of ours where nothing could be confirmed.

A model is a :class:`~contracts.models.ModelProfile` (the profiles live in
:mod:`contracts.models`, re-exported here); adding a model means adding a profile,
not touching the views or the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from contracts.models import (
    DALL_E_2,
    EDITS,
    ENDPOINT_NAMES,
    GENERATIONS,
    GPT_DEFAULT_MODEL,
    GPT_SPECIFIC_PARAMETERS,
    MB,
    MODELS,
    VARIATIONS,
    Choice,
    ModelProfile,
    UploadRules,
)

__all__ = [
    "API_PREFIX", "DALL_E_2", "EDITS", "ENDPOINTS", "ENDPOINT_NAMES", "GENERATIONS", "GPT_DEFAULT_MODEL",
    "GPT_SPECIFIC_PARAMETERS", "MAX_FORM_PARTS", "MAX_JSON_DEPTH", "MAX_REQUEST_BYTES", "MB", "MODELS",
    "OPENAI_VERSION", "REAL_BASE_URL", "VARIATIONS", "Choice", "Endpoint", "ModelProfile", "UploadRules",
    "parse_size",
]

API_PREFIX = "/v1"
REAL_BASE_URL = "https://api.openai.com/v1"  # [spec] servers[0]
OPENAI_VERSION = "2020-10-01"  # [obs] openai-version response header


@dataclass(frozen=True)
class Endpoint:
    """One of the three image endpoints and the shape of its request body."""

    name: str
    path: str
    body: str  # "json" or "multipart"
    requires_prompt: bool
    requires_image: bool
    default_model: str
    # [spec] the model when none is named but a GPT-specific parameter is (see contracts.models).
    gpt_default_model: str | None = None

    @property
    def url_path(self) -> str:
        return f"{API_PREFIX}{self.path}"


ENDPOINTS: Mapping[str, Endpoint] = MappingProxyType(
    {
        GENERATIONS: Endpoint(
            GENERATIONS, "/images/generations", "json", True, False, "dall-e-2", GPT_DEFAULT_MODEL
        ),
        # ASSUMPTION: the 2026-08 spec names gpt-image-1.5 as the edits default, but the seed
        # contract (and every spec up to 2025-04 [spec-hist 498c71d]) says dall-e-2, and a seed
        # request must keep its behaviour; a GPT-specific parameter picks the GPT default, as
        # on generations. (The dated mode where today's default applies is a later issue.)
        EDITS: Endpoint(EDITS, "/images/edits", "multipart", True, True, "dall-e-2", GPT_DEFAULT_MODEL),
        VARIATIONS: Endpoint(VARIATIONS, "/images/variations", "multipart", False, True, "dall-e-2"),
    }
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
