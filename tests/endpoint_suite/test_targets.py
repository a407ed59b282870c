"""The one switch: ``--target`` values resolve to what the suite runs against."""

from __future__ import annotations

import pytest

from contracts.spec import REAL_BASE_URL
from tests.endpoint_suite.targets import PROFILES, resolve


def test_the_fakes_made_by_the_suite_have_a_control_plane() -> None:
    for name in ("inprocess", "http"):
        spec = resolve(name, {})
        assert (spec.kind, spec.base_url, spec.has_control, spec.skip_reason) == (name, None, True, None)
        assert spec.profile == PROFILES[name] and not spec.cheap


def test_live_needs_a_key_and_stays_cheap() -> None:
    without = resolve("live", {})
    assert without.skip_reason is not None and "OPENAI_API_KEY" in without.skip_reason
    spec = resolve("live", {"OPENAI_API_KEY": "sk-real"})
    assert (spec.base_url, spec.api_key, spec.skip_reason, spec.has_control) == (REAL_BASE_URL, "sk-real", None, False)
    assert spec.profile == PROFILES["live"] and spec.cheap


def test_a_url_without_a_control_plane_is_treated_as_live() -> None:
    spec = resolve("http://127.0.0.1:9/v1/", {})  # nothing listens on the discard port
    assert (spec.kind, spec.base_url, spec.has_control) == ("url", "http://127.0.0.1:9/v1", False)
    assert spec.api_key.startswith("sk-") and spec.cheap


def test_anything_else_is_refused() -> None:
    with pytest.raises(ValueError, match="inprocess, http, live or a base URL"):
        resolve("staging", {})
