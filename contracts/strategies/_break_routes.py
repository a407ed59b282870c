"""The breaker of the route rule: a path that is no endpoint, or another method."""

from __future__ import annotations

import string

from hypothesis import strategies as st

from contracts.spec import API_PREFIX, ENDPOINTS
from contracts.strategies._bounds import Limits
from contracts.strategies._breakers import breaks
from contracts.strategies._case import Case, CaseStrategy, refusal


@st.composite
def bad_route(draw: st.DrawFn, limits: Limits) -> Case:
    served = [ENDPOINTS[e].path for e in ENDPOINTS if e in limits.profile.endpoints]
    slug = st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=20)
    if draw(st.booleans()):
        path = draw(st.sampled_from(served))
        method = draw(st.sampled_from(["GET", "PUT", "PATCH", "DELETE"]))
    else:
        path = draw(st.one_of(slug.map(lambda s: f"/images/{s}"), slug.map(lambda s: f"/{s}"),
                              st.sampled_from(served).flatmap(lambda p: slug.map(lambda s: f"{p}/{s}")))
                    .filter(lambda p: p not in served))
        method = draw(st.sampled_from(["POST", "GET"]))
    expect = refusal("invalid_url", method=method, path=f"{API_PREFIX}{path}")
    return Case(None, expect, "empty", path, method=method, label="no such route")


@breaks("invalid_url")
def _no_such_route(limits: Limits, endpoint: str) -> CaseStrategy:
    return bad_route(limits)


