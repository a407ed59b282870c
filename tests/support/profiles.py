"""The Hypothesis profiles of the whole suite, in one place, and :func:`budget`.

``dev`` (the default) runs each property's budget as it is written; ``ci`` (chosen when the
environment says ``CI=true``, or with pytest's ``--hypothesis-profile=ci``, which .ci/run gives)
runs twice as many examples and keeps no example database (a CI machine's is thrown away), and
a failure there prints the ``@reproduce_failure`` line to replay it anywhere. Neither has a
deadline: on a shared 2-core machine an example's time says nothing about the code, and a
deadline would fail a test by the load of its neighbours.

A property states what it is worth with :func:`budget`: ``@budget(30)`` is thirty times the
profile's ``max_examples`` (3,000 in ``dev``): cheap properties of pure functions ask for more,
those that render images or start servers for less. The contract suite (tests/endpoint_suite)
scales its in-process budget the same way.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings

from tests.support import in_ci

DEV_EXAMPLES = 100  # what one property of share 1 runs in `dev`: Hypothesis's own default
CI_SCALE = 2  # `ci` runs this many times the `dev` examples of every property

_COMMON: dict[str, Any] = {
    "deadline": None,
    # An example may be slow to draw (large PNGs, long texts): that is the property's shape.
    "suppress_health_check": [HealthCheck.too_slow],
}
settings.register_profile("dev", max_examples=DEV_EXAMPLES, **_COMMON)
settings.register_profile("ci", max_examples=DEV_EXAMPLES * CI_SCALE, database=None, print_blob=True, **_COMMON)


def load() -> None:
    """Make ``ci`` or ``dev`` the profile (pytest's ``--hypothesis-profile`` still overrides it)."""
    settings.load_profile("ci" if in_ci() else "dev")


def budget(share: float = 1.0, **more: Any) -> settings:
    """Settings for a property worth ``share`` times the profile's examples (at least one);
    ``more``: other settings of this property (its own health checks, say)."""
    current = settings()
    return settings(current, max_examples=max(1, round(current.max_examples * share)), **more)
