"""Invalid strategies: requests that each break exactly one rule, drawn from the registry."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from contracts.errors import CATALOGUE
from contracts.models import DALL_E_2, EDITS, GENERATIONS, VARIATIONS, ModelProfile
from contracts.policy import DEFAULT_BLOCKED_TERMS
from contracts.spec import ENDPOINTS

# Importing the breaker modules registers their breakers (and nothing else uses them by name).
from contracts.strategies import _break_bodies, _break_params, _break_today, _break_uploads  # noqa: F401
from contracts.strategies._bounds import Limits, checked_profile, limits_for, served_endpoints, subset
from contracts.strategies._break_routes import bad_route
from contracts.strategies._breakers import BREAKERS
from contracts.strategies._case import CaseStrategy
from contracts.strategies._valid import valid_requests

# The catalogue entries a single request can break, and so the strategies can draw (in the
# catalogue's order). The others depend on the server's state or configuration (quota, blocked
# images, accepted keys), on faults, or belong to the fake's control plane.
RULES: tuple[str, ...] = tuple(rule for rule in CATALOGUE if rule in BREAKERS)
UPLOAD_RULES: tuple[str, ...] = tuple(rule for rule in RULES if BREAKERS[rule].upload)


def _rules(rules: Iterable[str] | None) -> tuple[str, ...]:
    return subset("rules", rules, RULES)


def rules_of(profile: ModelProfile, endpoints: Iterable[str] | None = None) -> tuple[str, ...]:
    """The rules of :data:`RULES` a request to ``endpoints`` (default: every endpoint the
    model serves) with ``profile``'s model can break, in the catalogue's order."""
    chosen = served_endpoints(checked_profile(profile), endpoints)
    return tuple(rule for rule in RULES if not BREAKERS[rule].endpoints
                 or any(BREAKERS[rule].breaks(profile, e) for e in chosen))


def _invalid(
    endpoints: Sequence[str],
    rules: Sequence[str],
    limits: Limits,
) -> CaseStrategy:
    strategies = []  # one per rule, so each rule is drawn about as often as another
    for rule in rules:
        breaker = BREAKERS[rule]
        if not breaker.endpoints:  # a route rule: not tied to an endpoint
            strategies.append(breaker.make(limits, ""))
            continue
        chosen = [e for e in endpoints if breaker.breaks(limits.profile, e)]
        if chosen:
            strategies.append(st.one_of([breaker.make(limits, e) for e in chosen]))
    if not strategies:
        raise InvalidArgument(f"no rule of {list(rules)} applies to {list(endpoints)} of {limits.profile.name}")
    return st.one_of(strategies)


def _invalid_limits(profile: ModelProfile, max_side: int) -> Limits:
    # Invalid cases are refused before anything is made, so their valid parts may be anything valid.
    return limits_for(profile, None, None, None, None, max_side, DEFAULT_BLOCKED_TERMS)


def _endpoint_rules(endpoint: str, rules: Iterable[str] | None, exclude: Iterable[str]) -> tuple[str, ...]:
    chosen = [r for r in _rules(rules) if r not in set(exclude)]
    return tuple(r for r in chosen if endpoint in BREAKERS[r].endpoints)


def invalid_generations(
    *,
    profile: ModelProfile = DALL_E_2,
    rules: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
) -> CaseStrategy:
    """Generation requests that each break one rule of ``rules`` (default: every rule a
    generation can break, bar those in ``exclude``), with the error they must get."""
    return _invalid([GENERATIONS], _endpoint_rules(GENERATIONS, rules, exclude), _invalid_limits(profile, 64))


def invalid_edits(
    *,
    profile: ModelProfile = DALL_E_2,
    rules: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    max_side: int = 256,
) -> CaseStrategy:
    """Edit requests that each break one rule (parameters, form, or uploads)."""
    return _invalid([EDITS], _endpoint_rules(EDITS, rules, exclude), _invalid_limits(profile, max_side))


def invalid_variations(
    *,
    profile: ModelProfile = DALL_E_2,
    rules: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    max_side: int = 256,
) -> CaseStrategy:
    """Variation requests that each break one rule (parameters, form, or uploads)."""
    return _invalid([VARIATIONS], _endpoint_rules(VARIATIONS, rules, exclude), _invalid_limits(profile, max_side))


def invalid_uploads(
    *,
    profile: ModelProfile = DALL_E_2,
    endpoints: Iterable[str] | None = None,
    max_side: int = 256,
) -> CaseStrategy:
    """Edits and variations whose only fault is an upload: not a PNG (or truncated, corrupt,
    too big), not square, no transparency, a mask of other dimensions, too many pixels, or
    more images than the model takes."""
    chosen = [e for e in served_endpoints(profile, endpoints) if ENDPOINTS[e].requires_image]
    return _invalid(chosen, UPLOAD_RULES, _invalid_limits(profile, max_side))


def invalid_routes(*, profile: ModelProfile = DALL_E_2) -> CaseStrategy:
    """Requests to a path that is no endpoint, or to an endpoint with another method."""
    return bad_route(_invalid_limits(profile, 64))


def invalid_requests(
    *,
    profile: ModelProfile = DALL_E_2,
    endpoints: Iterable[str] | None = None,
    rules: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    max_side: int = 256,
) -> CaseStrategy:
    """Requests to any of ``endpoints`` that each break one of ``rules`` (default
    :data:`RULES` bar ``exclude``); the route rule is included when chosen."""
    chosen_rules = tuple(r for r in _rules(rules) if r not in set(exclude))
    return _invalid(served_endpoints(profile, endpoints), chosen_rules, _invalid_limits(profile, max_side))


def from_profile(
    profile: ModelProfile = DALL_E_2,
    *,
    valid: bool | None = None,
    exclude: Iterable[str] = (),
) -> CaseStrategy:
    """Every kind of request the profile's contract speaks of: valid ones (``valid=True``),
    invalid ones (``False``), or both (None)."""
    strategies = []
    if valid is not False:
        strategies.append(valid_requests(profile=profile))
    if valid is not True:
        strategies.append(invalid_requests(profile=profile, exclude=exclude))
    return st.one_of(strategies)


