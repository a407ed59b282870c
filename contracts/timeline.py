"""The service's timeline as data: what the Images API served on a given date.

By default (no date) the fake serves every model, retired or not, with the seed's defaults. With
a date (``--as-of``), it behaves as the service did on that day:

- a model not yet released is unknown; a model retired or shut down on or before the date is
  refused as retired (:data:`RETIRED_MODEL_ERROR`); the dates are the profiles'
  (:class:`contracts.models.Lifecycle`, each with its source);
- an endpoint removed on or before the date answers as an unknown route (:data:`ENDPOINTS`);
- edits default to the spec's edit default from its model's release on (:data:`DATED_DEFAULTS`);
- the error wording is the era's (:data:`CURRENT_ERA_FROM`).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from types import MappingProxyType

from contracts.envelope import CURRENT, LEGACY
from contracts.models import EDITS, GENERATIONS, GPT_DEFAULT_MODEL, MODELS, VARIATIONS, Lifecycle, ModelProfile

# When each endpoint was served. Sources: released with the Images API beta (seeds; the day is an
# ASSUMPTION, as dall-e-2's); [sdk-py] image_model.py: dall-e-2 and the variations endpoint
# retired 2026-05-12 (the record of the shutdown; variations served dall-e-2 only).
ENDPOINTS: Mapping[str, Lifecycle] = MappingProxyType(
    {
        GENERATIONS: Lifecycle("2022-11-03", source="seeds"),
        EDITS: Lifecycle("2022-11-03", source="seeds"),
        VARIATIONS: Lifecycle("2022-11-03", retired="2026-05-12",
                              source="retired with dall-e-2, its only model, on 2026-05-12 [sdk-py]"),
    }
)

# [spec] "Defaults to gpt-image-1.5" for edits (the 2026-05 spec on), dall-e-2 before [spec-hist].
# ASSUMPTION: the default changed on the day gpt-image-1.5 was released.
DATED_DEFAULTS: Mapping[str, str] = MappingProxyType({EDITS: GPT_DEFAULT_MODEL})

# ASSUMPTION: the current validator's wording (code invalid_value, "Invalid value: ...") from the
# start of 2024; the catalogue's legacy texts are those of 2022-23 (contracts.api_errors).
CURRENT_ERA_FROM = "2024-01-01"

# ASSUMPTION (no capture for an image model): the error the API gives for a shut-down model
# elsewhere (the completions models of 2024): 404, code model_not_found, "has been deprecated".
RETIRED_MODEL_ERROR = "model_retired"
# ASSUMPTION (no capture): a removed route answers as an unknown one (the unknown-path error: 404 invalid_url).
REMOVED_ROUTE_ERROR = "invalid_url"


def parse_date(text: str) -> str:
    """A date as ``YYYY-MM-DD`` (``today``: the UTC date now); ValueError otherwise."""
    if text == "today":
        return datetime.datetime.now(datetime.UTC).date().isoformat()
    return datetime.date.fromisoformat(text).isoformat()


# ASSUMPTION: a model with no published release date (the 2.6 line, first named by the SDK of
# 2026) counts as released with the latest dated ones, the 2.5 line's snapshots.
UNDATED_RELEASE = "2026-09-08"


def released(lifecycle: Lifecycle, as_of: str | None) -> bool:
    """Whether it existed on ``as_of`` (no date: always)."""
    return as_of is None or (lifecycle.released or UNDATED_RELEASE) <= as_of


def ended(lifecycle: Lifecycle, as_of: str | None) -> bool:
    """Whether it was retired or shut down on or before ``as_of``."""
    if as_of is None:
        return False
    end = min((d for d in (lifecycle.retired, lifecycle.shutdown) if d), default=None)
    return end is not None and end <= as_of


def model_known(profile: ModelProfile, as_of: str | None) -> bool:
    return released(profile.lifecycle, as_of)


def model_retired(profile: ModelProfile, as_of: str | None) -> bool:
    return ended(profile.lifecycle, as_of)


def endpoint_served(endpoint: str, as_of: str | None) -> bool:
    life = ENDPOINTS[endpoint]
    return released(life, as_of) and not ended(life, as_of)


def default_model(endpoint: str, seed_default: str, as_of: str | None) -> str:
    """The model an endpoint uses when none is named: the seed's, unless a dated default applies."""
    dated = DATED_DEFAULTS.get(endpoint)
    if as_of is not None and dated is not None and released(MODELS[dated].lifecycle, as_of):
        return dated
    return seed_default


def era(as_of: str | None, configured: str) -> str:
    """The error wording of the date (the configured one without a date)."""
    if as_of is None:
        return configured
    return CURRENT if as_of >= CURRENT_ERA_FROM else LEGACY
