"""Loud checks of the strategies' arguments, and the limits valid parts are drawn within."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from hypothesis.errors import InvalidArgument

from contracts.models import ModelProfile
from contracts.spec import ENDPOINTS


def checked_profile(profile: ModelProfile) -> ModelProfile:
    if not isinstance(profile, ModelProfile):
        raise InvalidArgument(f"profile must be a contracts.spec.ModelProfile, not {profile!r}")
    return profile


def subset(name: str, given_values: Iterable[str] | None, allowed: Sequence[str]) -> tuple[str, ...]:
    if given_values is None:
        return tuple(allowed)
    if isinstance(given_values, str):
        raise InvalidArgument(f"{name} must be a collection of strings, not the string {given_values!r}")
    chosen = tuple(given_values)
    unknown = [v for v in chosen if v not in allowed]
    if unknown or not chosen:
        raise InvalidArgument(f"{name}={chosen!r}: each must be one of {list(allowed)} (and at least one given)")
    return chosen


def _n_bounds(profile: ModelProfile, min_n: int | None, max_n: int | None) -> tuple[int, int]:
    low = profile.n_min if min_n is None else min_n
    high = profile.n_max if max_n is None else max_n
    if not profile.n_min <= low <= high <= profile.n_max:
        raise InvalidArgument(
            f"need {profile.n_min} <= min_n <= max_n <= {profile.n_max} for {profile.name}, "
            f"got min_n={min_n}, max_n={max_n}"
        )
    return low, high


def side_bound(profile: ModelProfile, max_side: int) -> int:
    limit = math.isqrt(profile.uploads.max_pixels)
    if isinstance(max_side, bool) or not isinstance(max_side, int) or not 1 <= max_side <= limit:
        raise InvalidArgument(f"max_side must be an integer from 1 to {limit}, not {max_side!r}")
    return max_side


def served_endpoints(profile: ModelProfile, endpoints: Iterable[str] | None) -> tuple[str, ...]:
    served = [name for name in ENDPOINTS if name in profile.endpoints]
    return subset("endpoints", endpoints, served)



# --- what valid parts may be drawn from --------------------------------------------


@dataclass(frozen=True)
class Limits:
    """What valid requests may ask for (a subset of the profile, e.g. to keep a live run cheap)."""

    profile: ModelProfile
    sizes: tuple[str, ...]
    n: tuple[int, int]
    formats: tuple[str, ...]
    max_side: int
    avoid: tuple[str, ...]
    qualities: tuple[str, ...] = ()  # () for a model without quality
    output_formats: tuple[str, ...] = ()  # () for a model without output_format
    free_edge: int = 0  # the longest side of a drawn free-form size; 0: listed sizes only
    prompt_max: int | None = None  # the longest prompt drawn (None: the profile's limit)

    def choices(self, name: str) -> tuple[str, ...]:
        """The values valid requests may give a choice parameter (the profile's, or a subset)."""
        if name == "quality":
            return self.qualities
        if name == "output_format":
            return self.output_formats
        choice = getattr(self.profile, name)
        return choice.values if choice is not None else ()


def limits_for(
    profile: ModelProfile,
    sizes: Iterable[str] | None,
    min_n: int | None,
    max_n: int | None,
    response_formats: Iterable[str] | None,
    max_side: int,
    avoid: Collection[str],
    *,
    qualities: Iterable[str] | None = None,
    output_formats: Iterable[str] | None = None,
    max_size_edge: int = 0,
    max_prompt_chars: int | None = None,
) -> Limits:
    profile = checked_profile(profile)
    if max_prompt_chars is not None and not 1 <= max_prompt_chars <= profile.prompt_max_chars:
        raise InvalidArgument(f"max_prompt_chars must be from 1 to {profile.prompt_max_chars}, "
                              f"not {max_prompt_chars}")
    rule = profile.size_rule
    if max_size_edge < 0 or (rule is not None and max_size_edge > rule.max_edge):
        raise InvalidArgument(f"max_size_edge must be from 0 to the model's longest side, not {max_size_edge}")
    return Limits(
        profile,
        subset("sizes", sizes, profile.sizes),
        _n_bounds(profile, min_n, max_n),
        subset("response_formats", response_formats, profile.response_formats),
        side_bound(profile, max_side),
        tuple(avoid),
        subset("qualities", qualities, profile.quality.values if profile.quality else ()),
        subset("output_formats", output_formats, profile.output_format.values if profile.output_format else ()),
        # Free-form sizes only when the sizes were left open and the model takes them.
        max_size_edge if sizes is None and rule is not None else 0,
        max_prompt_chars,
    )

