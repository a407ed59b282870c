"""The service's timeline as data: what the Images API served on a given date.

By default (no date) the fake serves every model, retired or not, with the seed's defaults. With
a date (``--as-of``), it behaves as the service did on that day:

- a model not yet released is unknown; a model retired or shut down on or before the date is
  refused as retired (:data:`RETIRED_MODEL_ERROR`); the dates are the profiles'
  (:class:`contracts.models.Lifecycle`, each with its source);
- an endpoint removed on or before the date answers as an unknown route (:data:`ENDPOINTS`);
- edits default to the spec's edit default from its model's release on (:data:`DATED_DEFAULTS`);
- the error wording is the era's (:data:`CURRENT_ERA_FROM`).

Whatever the era, :func:`would_fail_today` says what of an answered request the service as of
today would refuse (the fake's ``x-mock-would-fail-today`` header and journal field).
"""

from __future__ import annotations

import datetime
import functools
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


# The word every date setting takes for the date it is read on (`--as-of today`, MOCKSERVER_AS_OF,
# PATCH /_mock/config, the pytest fixture's settings, `python -m contracts verify --as-of`).
TODAY = "today"


def today() -> str:
    """The UTC date now, ``YYYY-MM-DD`` (ASSUMPTION: the service's days are UTC days)."""
    return datetime.datetime.now(datetime.UTC).date().isoformat()


def parse_date(text: str) -> str:
    """A date as ``YYYY-MM-DD``, ``today`` resolved to the UTC date now (so at start when read at
    start); ValueError otherwise. The one resolver of every date the fake and verify take."""
    if text == TODAY:
        return today()
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


def _end(life: Lifecycle) -> str:
    """How it ended, with the date: "retired on D" or "shut down on D" (the earlier)."""
    ends = sorted((d, how) for d, how in ((life.retired, "retired"), (life.shutdown, "shut down")) if d)
    day, how = ends[0]
    return f"{how} on {day}"


@functools.lru_cache(maxsize=1024)
def would_fail_today(endpoint: str, model: str, *, model_named: bool, today: str) -> str | None:
    """What the service as of ``today`` would refuse in a request the fake answered (in whatever era
    it plays) on ``endpoint`` with ``model`` (named, or the default when ``model_named`` is false):
    a short reason with the date, or None when today's service would answer it too.

    The era's decision is the model that answered; today's is this timeline at ``today``:

    - an endpoint removed by today (the variations endpoint, retired 2026-05-12 [sdk-py]);
    - a model retired or shut down by today (dall-e-2 and dall-e-3 retired 2026-05-12,
      gpt-image-1 shut down 2026-10-23 [sdk-py] image_model.py), or not yet released;
    - a request naming no model answered by such a model ([sdk-py] image_generate_params.py:
      "Specify a model explicitly").

    Parameters and values: a model's profile is not dated (contracts.models), so a model that is
    served today takes today what it took in the era; the only request answered by another model
    today is one naming none, whose era default (dall-e-2) is refused today as retired, which the
    reason says. (Should a profile ever change with a date, its check belongs here.)
    """
    life = ENDPOINTS[endpoint]
    if not endpoint_served(endpoint, today):
        return f"the {endpoint} endpoint was {_end(life)}" if ended(life, today) else \
            f"the {endpoint} endpoint is not served on {today}"
    profile = MODELS[model]
    if not model_known(profile, today):
        reason = f"{model} is not released on {today}"
    elif model_retired(profile, today):
        reason = f"{model} was {_end(profile.lifecycle)}"
    else:
        return None
    return reason if model_named else f"no model named, answered by {model}; {reason}"
