"""Where the Images API is: its base URL, its path prefix and its three endpoints (and the fake's
own control API's prefix).

Every limit, size and default the fake, the client and the tests use is written once in
``contracts/``, with the source it came from.  Source tags (``docs/sources.md``):
``[spec]`` the official OpenAPI spec, ``[obs]`` a captured real response,
``[guide]`` the DALL·E guide of the seed examples, ``[sdk-py]``/``[sdk-node]`` the
official SDKs, ``ASSUMPTION`` a choice of ours where nothing could be confirmed
(``docs/assumptions.md``).

A model is a :class:`~contracts.models.ModelProfile` (the profiles, and the endpoints' names,
live in :mod:`contracts.models`); adding a model means adding a profile, not touching the views
or the rules. The request limits live in :mod:`contracts.limits`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from contracts.models import EDITS, GENERATIONS, GPT_DEFAULT_MODEL, VARIATIONS

__all__ = ["API_PREFIX", "CONTROL_PREFIX", "ENDPOINTS", "REAL_BASE_URL", "Endpoint", "parse_size"]

API_PREFIX = "/v1"
REAL_BASE_URL = "https://api.openai.com/v1"  # [spec] servers[0]
# The fake's own control API (/_mock/reset, /_mock/clock, ...); the real service has none.
CONTROL_PREFIX = "/_mock"


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
