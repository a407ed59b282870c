"""The rule breakers' registry, and the helpers every breaker starts from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from hypothesis import strategies as st

from contracts.errors import CATALOGUE
from contracts.models import ModelProfile
from contracts.spec import ENDPOINTS
from contracts.strategies._bounds import Limits
from contracts.strategies._case import Case, CaseStrategy, Refusal, Success, form_case, json_case
from contracts.strategies._valid import valid_params, valid_uploads

Make: TypeAlias = Callable[[Limits, str], CaseStrategy]
Applies: TypeAlias = Callable[[ModelProfile], bool]


def _always(profile: ModelProfile) -> bool:
    return True


@dataclass(frozen=True)
class Breaker:
    """How to break one rule: ``make(limits, endpoint)`` draws requests to ``endpoint`` that
    break ``rule`` and nothing else. ``endpoints`` empty: the rule is not tied to an endpoint
    (the route rule), and ``make`` is called with ``""``."""

    rule: str  # a key of contracts.errors.CATALOGUE
    endpoints: tuple[str, ...]
    make: Make
    upload: bool = False  # one of the upload rules (invalid_uploads() draws those)
    applies: Applies = _always  # whether a request to this model can break the rule

    def breaks(self, profile: ModelProfile, endpoint: str) -> bool:
        """Whether a request to ``endpoint`` with ``profile``'s model can break this rule."""
        return endpoint in self.endpoints and endpoint in profile.endpoints and self.applies(profile)


# rule -> its breaker, filled by @breaks as the _break_* modules are imported.
BREAKERS: dict[str, Breaker] = {}


def breaks(
    rule: str, *endpoints: str, upload: bool = False, applies: Applies = _always
) -> Callable[[Make], Make]:
    """Register the decorated function as the breaker of catalogue entry ``rule`` on
    ``endpoints`` (for the models ``applies`` says, read from their profiles): the one way a
    rule becomes drawable (and so a member of ``RULES``)."""
    if rule not in CATALOGUE:
        raise ValueError(f"{rule!r} is not a catalogue entry")
    if rule in BREAKERS:
        raise ValueError(f"{rule!r} already has a breaker")
    unknown = [e for e in endpoints if e not in ENDPOINTS]
    if unknown:
        raise ValueError(f"{rule!r}: no such endpoint {unknown}")

    def register(make: Make) -> Make:
        BREAKERS[rule] = Breaker(rule, tuple(endpoints), make, upload, applies)
        return make

    return register


def base_params(limits: Limits, endpoint: str) -> st.SearchStrategy[tuple[dict[str, Any], Success]]:
    """The valid parameters an invalid case starts from (uploads apart)."""
    return valid_params(limits, endpoint, form=ENDPOINTS[endpoint].body == "multipart")


@st.composite
def broken(
    draw: st.DrawFn,
    limits: Limits,
    endpoint: str,
    change: Callable[[st.DrawFn, dict[str, Any]], tuple[dict[str, Any], Refusal, str]],
    uploads: bool = True,
) -> Case:
    """A valid request with its parameters changed by ``change`` (which says what it broke)."""
    params, _ = draw(base_params(limits, endpoint))
    params, expect, label = change(draw, params)
    if ENDPOINTS[endpoint].body == "json":
        return json_case(endpoint, params, expect, label)
    # No mask with GIF output ([sdk-py] "GIF output does not support [...] masks"): a second broken rule.
    gif = params.get("output_format") == "gif"
    files = draw(valid_uploads(limits, endpoint, mask=False if gif else None)) if uploads else []
    return form_case(endpoint, params, files, expect, label)


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON value, nested a little."""
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(
        max_size=20)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.text(max_size=8), inner, max_size=3), max_leaves=6)
