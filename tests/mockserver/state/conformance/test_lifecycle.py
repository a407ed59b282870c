"""The state as a whole (:class:`mockserver.state.State`): opening, the request lifecycle,
reset, configure and close, on every backend."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from contracts.ratelimits import parse_windows
from mockserver.render import render
from mockserver.settings.config import Config
from mockserver.state import State, StateUnavailable, open_state
from mockserver.state.memory import MemoryClock
from tests.mockserver.state.conformance.conftest import T0, recipe, request
from tests.support.ports import free_port
from tests.support.redisserver import RedisServer

KEY = ("sk-one", "dall-e-2")
PER_MINUTE = parse_windows("5/1m")


def fill(state: State) -> str:
    """Something in every piece; the journal's cursor."""
    state.store.add_many([("img-1", recipe(), T0 + 3600)], now=T0)
    state.store.png("img-1")
    state.gallery.add(recipe())
    state.quotas.spend(KEY, 5, PER_MINUTE, T0)
    state.journal.record({"id": "req_1", "endpoint": "generations", "status": 200})
    state.faults.add({"status": 500, "count": None})
    state.clock.freeze()
    state.clock.set(T0)
    return state.journal.since(None)[1]


def assert_forgotten(state: State, cursor: str) -> None:
    """Nothing of :func:`fill` is left, and the clock is back to real time."""
    assert len(state.store) == 0 and state.store.bytes_used == 0 and state.store.png("img-1") is None
    assert len(state.gallery) == 0 and state.gallery.bytes_used == 0
    assert state.quotas.snapshot(lambda _key: PER_MINUTE, T0) == []
    assert state.quotas.spend(KEY, 5, PER_MINUTE, T0)[0] is None
    assert state.journal.entries() == [] and state.journal.since(cursor)[2] is True  # a new epoch
    assert state.faults.list() == [] and state.faults.take("generations") is None
    assert not state.clock.frozen and abs(state.clock.now() - time.time()) < 5


def test_reset_forgets_everything_and_keeps_the_running_configuration(opened: Callable[..., State]) -> None:
    state = opened(url_ttl=60)
    running = state.configure({"url_ttl": 600})
    cursor = fill(state)
    hang = state.faults.hang_release
    assert state.reset(config=False) == running
    assert hang.is_set()  # hangs in progress ended
    assert_forgotten(state, cursor)
    assert state.configuration.current == running


def test_reset_with_config_restores_the_initial_configuration(opened: Callable[..., State]) -> None:
    state = opened(url_ttl=60, rate_limits="7/1m")
    initial = state.configuration.current
    state.configure({"url_ttl": 600, "rate_limits": "off"})
    cursor = fill(state)
    assert state.reset(config=True) == initial
    assert state.configuration.current == initial
    assert_forgotten(state, cursor)


def test_a_reset_through_one_fake_is_seen_by_the_other(state: State, peer: State) -> None:
    cursor = fill(state)
    state.configure({"url_ttl": 120})
    with request(peer):
        peer.reset(config=True)
    with request(state) as seen:
        assert state.configuration.current.url_ttl == 3600 and seen.config in (None, state.configuration.current)
        assert_forgotten(state, cursor)


def test_writes_within_a_request_are_all_there_once_it_ends(state: State, peer: State) -> None:
    with request(state):
        state.store.add_many([("img-1", recipe(), T0 + 3600)], now=T0)
        ref = state.gallery.add_many([(recipe("a dog"), None, None)])[0]
        state.journal.record({"id": "req_1", "endpoint": "generations", "status": 200})
    with request(peer):
        assert peer.store.png("img-1") == render(recipe())
        assert peer.gallery.image(ref["id"]) == (render(recipe("a dog")), "image/png")
        assert [e["id"] for e in peer.journal.entries()] == ["req_1"]


def test_after_a_discarded_request_the_next_one_works(state: State) -> None:
    state.begin_request()
    state.journal.record({"id": "req_lost", "endpoint": "generations", "status": 503})
    state.discard()  # its state was lost: what it had left to write may be gone
    with request(state):
        state.journal.record({"id": "req_2", "endpoint": "generations", "status": 200})
    assert state.journal.entries()[-1]["id"] == "req_2"
    state.end_request()  # no request in progress: nothing to do


def test_configure_answers_the_new_configuration(state: State) -> None:
    new = state.configure({"journal_size": 7})
    assert isinstance(new, Config) and new.journal_size == 7 and state.configuration.current == new


def test_every_fake_on_a_state_signs_urls_with_the_same_secret(state: State, peer: State) -> None:
    assert len(state.url_secret) >= 32 and peer.url_secret == state.url_secret


def test_what_a_lost_state_raises_are_exceptions(state: State) -> None:
    assert all(issubclass(kind, Exception) for kind in state.lost)


def test_a_state_can_be_closed(opened: Callable[..., State]) -> None:
    opened().close()  # (closed again by the fixture: closing twice is harmless)


# --- opening ---------------------------------------------------------------------------------


def test_an_in_memory_state_is_fresh_and_never_lost(opened: Callable[..., State], url: str | None) -> None:
    state = opened()
    assert state.begin_request() is None
    state.end_request()
    if url is None:
        assert state.lost == () and opened().url_secret != state.url_secret  # each fake its own
    else:
        assert state.lost  # a shared state can be away


def test_an_in_memory_state_runs_on_the_clock_it_is_given() -> None:
    clock = MemoryClock(lambda: T0)
    state = open_state(Config(), clock=clock)
    assert state.clock is clock and state.clock.now() == T0


def test_a_shared_state_has_its_own_clock() -> None:
    with pytest.raises(ValueError, match="clock or state"):
        open_state(Config(), url="redis://127.0.0.1:6379/0", clock=MemoryClock())


@pytest.mark.parametrize("url", ["http://localhost:6379", "localhost:6379", "memcached://x"])
def test_a_state_url_must_be_a_redis_one(url: str) -> None:
    with pytest.raises(ValueError, match="redis://HOST:PORT/DB"):
        open_state(Config(), url=url)


def test_an_unreachable_redis_is_one_clear_line() -> None:
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    with pytest.raises(StateUnavailable) as caught:
        open_state(Config(), url=url)
    message = str(caught.value)
    assert "127.0.0.1" in message and "hunter2" not in message and "\n" not in message


def test_the_first_fake_on_an_empty_shared_state_sets_its_configuration(redis_server: RedisServer) -> None:
    first = open_state(Config().patch({"url_ttl": 60}), url=redis_server.url)
    later = open_state(Config().patch({"url_ttl": 120}), url=redis_server.url)
    try:
        assert later.configuration.current.url_ttl == 60
        later.reset(config=True)
        assert later.configuration.current.url_ttl == 60  # the first fake's start-up configuration
    finally:
        first.close()
        later.close()


def test_a_shared_state_that_is_away_raises_what_lost_names(redis_server: RedisServer) -> None:
    state = open_state(Config(), url=redis_server.url)
    try:
        redis_server.stop()
        with pytest.raises(state.lost):
            state.begin_request()
        state.discard()
        redis_server.start()
        with request(state):  # back: set up again (no persistence), and it works
            assert state.journal.entries() == []
    finally:
        redis_server.start()
        state.close()
