"""Loud checks of the strategies' arguments, and the limits valid parts are drawn within."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from hypothesis.errors import InvalidArgument

from contracts.spec import ENDPOINTS, ModelProfile


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


def limits_for(
    profile: ModelProfile,
    sizes: Iterable[str] | None,
    min_n: int | None,
    max_n: int | None,
    response_formats: Iterable[str] | None,
    max_side: int,
    avoid: Collection[str],
) -> Limits:
    profile = checked_profile(profile)
    return Limits(
        profile,
        subset("sizes", sizes, profile.sizes),
        _n_bounds(profile, min_n, max_n),
        subset("response_formats", response_formats, profile.response_formats),
        side_bound(profile, max_side),
        tuple(avoid),
    )

