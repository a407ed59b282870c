"""The runtime configuration (:class:`mockserver.state.configuration.Configuration`) on every backend."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mockserver.settings.config import ConfigError
from mockserver.state import State
from tests.mockserver.state.conformance.conftest import request


def test_the_configuration_is_the_one_the_state_was_opened_with(opened: Callable[..., State]) -> None:
    state = opened(rate_limits="7/1m", url_ttl=600)
    assert [str(w) for w in state.configuration.current.rate_limits] == ["7/1m"]
    assert state.configuration.current.url_ttl == 600


def test_a_patch_changes_the_running_configuration(state: State) -> None:
    new = state.configure({"rate_limits": "2/1m", "blocked_terms": ["flamingo"]})
    assert [str(w) for w in new.rate_limits] == ["2/1m"] and new.blocked_terms == ("flamingo",)
    assert state.configuration.current == new
    assert state.configuration.patch({"url_ttl": 120}).url_ttl == 120
    assert state.configuration.current.blocked_terms == ("flamingo",)  # the earlier change stays


def test_a_bad_patch_changes_nothing(state: State) -> None:
    before = state.configure({"url_ttl": 300})
    with pytest.raises(ConfigError):
        state.configure({"url_ttl": 600, "rate_limits": "nonsense"})
    with pytest.raises(ConfigError):
        state.configure({"max_request_bytes": 2048})  # fixed at start
    assert state.configuration.current == before


def test_restore_brings_back_the_initial_configuration(opened: Callable[..., State]) -> None:
    state = opened(url_ttl=60)
    initial = state.configuration.current
    state.configure({"url_ttl": 900, "journal_size": 5})
    state.configuration.restore()
    with request(state):
        assert state.configuration.current == initial


def test_a_change_reaches_the_other_fake_at_its_next_request(state: State, peer: State) -> None:
    new = state.configure({"rate_limits": "3/1m"})
    with request(peer) as seen:
        assert seen.config in (None, new)  # answered only when it changed since the fake last looked
        assert peer.configuration.current == new
    with request(peer) as again:
        assert again.config is None  # nothing changed since


def test_a_fresh_state_answers_no_change_as_a_request_begins(state: State) -> None:
    with request(state) as first:
        assert first.config is None
