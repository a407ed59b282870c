"""The quota ledger (:class:`mockserver.state.quotas.QuotaLedger`) on every backend."""

from __future__ import annotations

import threading
from collections import Counter

from contracts.headers import RATELIMIT_LIMIT_IMAGES as HEADER_LIMIT
from contracts.headers import RATELIMIT_REMAINING_IMAGES as HEADER_REMAINING
from contracts.headers import RATELIMIT_RESET_IMAGES as HEADER_RESET
from contracts.ratelimits import parse_windows
from mockserver.state import State
from mockserver.state.quotas import rate_headers
from tests.mockserver.state.conformance.conftest import T0

KEY = ("sk-one", "dall-e-2")
PER_MINUTE = parse_windows("5/1m")
TWO = parse_windows("5/1m,8/5m")


def test_grants_fit_the_window_then_a_refusal_says_when_the_request_fits(state: State) -> None:
    quotas = state.quotas
    refusal, states = quotas.spend(KEY, 3, PER_MINUTE, T0)
    assert refusal is None and [(s.used, s.remaining, s.reset_seconds) for s in states] == [(3, 2, 60.0)]
    refusal, states = quotas.spend(KEY, 2, PER_MINUTE, T0 + 10)
    assert refusal is None and [(s.used, s.remaining, s.reset_seconds) for s in states] == [(5, 0, 60.0)]
    refusal, states = quotas.spend(KEY, 2, PER_MINUTE, T0 + 20)
    assert refusal is not None
    assert (refusal.window, refusal.current, refusal.retry_after) == (PER_MINUTE[0], 7, 40.0)  # when the 3 leave
    assert [s.used for s in states] == [5]  # nothing spent
    assert refusal.headers()["retry-after"] == "40"


def test_a_refusal_spends_nothing_and_a_smaller_request_may_fit(state: State) -> None:
    quotas = state.quotas
    quotas.spend(KEY, 4, PER_MINUTE, T0)
    assert quotas.spend(KEY, 2, PER_MINUTE, T0 + 1)[0] is not None
    refusal, states = quotas.spend(KEY, 1, PER_MINUTE, T0 + 2)
    assert refusal is None and states[0].used == 5 and states[0].reset_seconds == 60.0  # the newest grant leaves last


def test_a_request_larger_than_the_limit_waits_for_the_window_to_empty(state: State) -> None:
    quotas = state.quotas
    quotas.spend(KEY, 2, PER_MINUTE, T0)
    quotas.spend(KEY, 1, PER_MINUTE, T0 + 30)
    refusal = quotas.spend(KEY, 9, PER_MINUTE, T0 + 40)[0]
    assert refusal is not None and refusal.retry_after == 50.0 and refusal.current == 12


def test_the_window_slides(state: State) -> None:
    quotas = state.quotas
    quotas.spend(KEY, 5, PER_MINUTE, T0)
    assert quotas.spend(KEY, 1, PER_MINUTE, T0 + 59.9)[0] is not None
    refusal, states = quotas.spend(KEY, 5, PER_MINUTE, T0 + 60)  # the grant at T0 has left the window
    assert refusal is None and states[0].used == 5


def test_with_several_windows_every_one_must_have_room(state: State) -> None:
    quotas = state.quotas
    for i in range(2):
        assert quotas.spend(KEY, 4, TWO, T0 + 100 * i)[0] is None
    refusal, states = quotas.spend(KEY, 1, TWO, T0 + 200)
    assert refusal is not None and refusal.window == TWO[1] and refusal.retry_after == 100.0
    assert [s.used for s in states] == [0, 8]
    assert rate_headers(states) == {HEADER_LIMIT: "8", HEADER_REMAINING: "0", HEADER_RESET: "3m20s"}


def test_keys_and_families_count_apart(state: State) -> None:
    quotas = state.quotas
    quotas.spend(KEY, 5, PER_MINUTE, T0)
    assert quotas.spend(("sk-two", "dall-e-2"), 5, PER_MINUTE, T0)[0] is None
    assert quotas.spend(("sk-one", "dall-e-3"), 5, PER_MINUTE, T0)[0] is None
    assert quotas.spend(("sk-one", "dall-e-2"), 1, PER_MINUTE, T0)[0] is not None


def test_states_spend_nothing_and_a_new_key_is_empty_and_unseen(state: State) -> None:
    quotas = state.quotas
    assert [(s.used, s.reset_seconds) for s in quotas.states(KEY, TWO, T0)] == [(0, 0.0), (0, 0.0)]
    assert quotas.snapshot(lambda _key: TWO, T0) == []
    quotas.spend(KEY, 2, TWO, T0)
    assert [s.used for s in quotas.states(KEY, TWO, T0 + 30)] == [2, 2]
    assert [s.used for s in quotas.states(KEY, TWO, T0 + 30)] == [2, 2]


def test_with_no_window_nothing_is_counted_or_seen(state: State) -> None:
    quotas = state.quotas
    assert quotas.spend(KEY, 1000, (), T0) == (None, [])
    assert quotas.states(KEY, (), T0) == []
    assert quotas.snapshot(lambda _key: PER_MINUTE, T0) == []


def test_changed_windows_still_count_the_grants_made(state: State) -> None:
    quotas = state.quotas
    quotas.spend(KEY, 4, PER_MINUTE, T0)
    tighter = parse_windows("3/1m")
    refusal = quotas.spend(KEY, 1, tighter, T0 + 1)[0]
    assert refusal is not None and refusal.current == 5
    longer = parse_windows("10/1h")
    assert [s.used for s in quotas.states(KEY, longer, T0 + 600)] == [4]  # out of the minute, not of the hour


def test_grants_are_kept_as_long_as_the_longest_window_seen_since_the_reset(state: State) -> None:
    quotas = state.quotas
    two_hours = parse_windows("100/2h")
    quotas.spend(KEY, 5, two_hours, T0)
    quotas.spend(KEY, 1, PER_MINUTE, T0 + 4000)  # a short window now: grants are still kept 2 hours
    assert [s.used for s in quotas.states(KEY, two_hours, T0 + 4001)] == [6]


def test_the_snapshot_lists_the_most_recently_seen_keys_first_and_moves_none(state: State) -> None:
    quotas = state.quotas
    for i, key in enumerate([("sk-a", "dall-e-2"), ("sk-b", "dall-e-2"), ("sk-a", "dall-e-3")]):
        quotas.spend(key, i + 1, PER_MINUTE, T0)
    quotas.states(("sk-b", "dall-e-2"), PER_MINUTE, T0)  # reading a known key's states sees it
    windows_of = {"dall-e-2": PER_MINUTE, "dall-e-3": TWO}
    found = quotas.snapshot(lambda key: windows_of[key[1]], T0 + 30)
    assert [(key, [s.used for s in states]) for key, states in found] == [
        (("sk-b", "dall-e-2"), [2]), (("sk-a", "dall-e-3"), [3, 3]), (("sk-a", "dall-e-2"), [1])]
    assert [key for key, _ in quotas.snapshot(lambda key: windows_of[key[1]], T0 + 30, limit=2)] == [
        ("sk-b", "dall-e-2"), ("sk-a", "dall-e-3")]
    assert [(s.used, s.reset_seconds) for s in found[0][1]] == [(2, 30.0)]


def test_beyond_max_keys_the_least_recently_seen_is_forgotten(state: State) -> None:
    quotas = state.quotas
    quotas.max_keys = 2
    keys = [(f"sk-{i}", "dall-e-2") for i in range(3)]
    quotas.spend(keys[0], 5, PER_MINUTE, T0)
    quotas.spend(keys[1], 5, PER_MINUTE, T0)
    quotas.spend(keys[0], 0, PER_MINUTE, T0)  # seen again
    quotas.spend(keys[2], 5, PER_MINUTE, T0)
    assert [key for key, _ in quotas.snapshot(lambda _key: PER_MINUTE, T0)] == [keys[2], keys[0]]
    assert quotas.spend(keys[1], 5, PER_MINUTE, T0)[0] is None  # forgotten: it starts afresh
    assert quotas.spend(keys[0], 1, PER_MINUTE, T0)[0] is None  # forgotten in turn


def test_clear_starts_every_key_afresh(state: State) -> None:
    quotas = state.quotas
    quotas.spend(KEY, 5, PER_MINUTE, T0)
    quotas.clear()
    assert quotas.snapshot(lambda _key: PER_MINUTE, T0) == []
    assert quotas.spend(KEY, 5, PER_MINUTE, T0)[0] is None


def test_concurrent_spends_are_granted_exactly_the_limit(state: State, peer: State) -> None:
    limit = parse_windows("20/1m")
    results: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker(i: int) -> None:
        quotas = (state, peer)[i % 2].quotas
        start.wait()
        for _ in range(10):
            granted = quotas.spend(KEY, 1, limit, T0)[0] is None
            with lock:
                results.append(granted)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(results) == {True: 20, False: 60}
