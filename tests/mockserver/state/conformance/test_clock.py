"""The clock (:class:`mockserver.state.clock.Clock`) on every backend."""

from __future__ import annotations

import math
import time

import pytest

from mockserver.state import State
from mockserver.state.clock import LATEST, ClockMove, ClockRangeError
from tests.mockserver.state.conformance.conftest import T0, request


def test_a_new_clock_runs_in_real_time(state: State) -> None:
    clock = state.clock
    assert not clock.frozen
    first = clock.now()
    assert abs(first - time.time()) < 5
    time.sleep(0.01)
    assert clock.now() > first


def test_a_frozen_clock_stands_still_and_moves_only_when_moved(state: State) -> None:
    clock = state.clock
    assert clock.freeze() == clock.now()
    assert clock.frozen
    at = clock.now()
    time.sleep(0.01)
    assert clock.now() == at
    assert clock.set(T0) == T0 and clock.now() == T0 and clock.frozen
    assert clock.advance(90) == T0 + 90
    assert clock.advance(-30.5) == T0 + 59.5
    assert clock.freeze() == T0 + 59.5  # freezing a frozen clock changes nothing


def test_a_running_clock_moved_keeps_running_from_there(state: State) -> None:
    clock = state.clock
    clock.set(T0)
    assert not clock.frozen
    assert T0 <= clock.now() < T0 + 2
    clock.advance(3600)
    assert T0 + 3600 <= clock.now() < T0 + 3602


def test_thawing_continues_from_where_the_clock_stood(state: State) -> None:
    clock = state.clock
    clock.freeze()
    clock.set(T0)
    thawed = clock.freeze(False)
    assert not clock.frozen
    assert T0 <= thawed < T0 + 1  # no jump back to real time
    assert clock.now() >= thawed
    assert clock.freeze(False) >= thawed  # thawing a running clock changes nothing


@pytest.mark.parametrize("move", [
    lambda c: c.advance(-2e12), lambda c: c.advance(LATEST), lambda c: c.set(LATEST), lambda c: c.set(-1.0),
    lambda c: c.set(math.nan), lambda c: c.move(ClockMove(set=T0, advance=LATEST)),
    lambda c: c.move(ClockMove(freeze=True, advance=-2e12)),
], ids=["far back", "far ahead", "set to 3000", "set before 1970", "set NaN", "move past 3000",
        "freeze and far back"])
def test_a_move_out_of_range_moves_nothing(state: State, move: object) -> None:
    clock = state.clock
    clock.freeze()
    clock.set(T0)
    with pytest.raises(ClockRangeError, match="1970 to 3000"):
        move(clock)  # type: ignore[operator]
    assert clock.now() == T0 and clock.frozen


def test_a_move_applies_real_time_freeze_set_then_advance(state: State) -> None:
    clock = state.clock
    clock.set(T0 - 5000)
    assert clock.move(ClockMove(advance=5, set=T0, freeze=True)) == T0 + 5
    assert clock.frozen
    assert clock.move(ClockMove(advance=1)) == T0 + 6
    back = clock.move(ClockMove(real_time=True))
    assert not clock.frozen and abs(back - time.time()) < 5
    assert clock.move(ClockMove(real_time=True, freeze=True, advance=-60)) <= time.time() - 59
    assert clock.frozen


def test_reset_returns_to_real_time(state: State) -> None:
    clock = state.clock
    clock.freeze()
    clock.set(T0)
    clock.reset()
    assert not clock.frozen and abs(clock.now() - time.time()) < 5


def test_a_move_reaches_the_other_fake_at_its_next_request(state: State, peer: State) -> None:
    state.clock.freeze()
    state.clock.set(T0)
    with request(peer):
        assert peer.clock.now() == T0 and peer.clock.frozen
    state.clock.advance(10)
    with request(peer):
        assert peer.clock.now() == T0 + 10
        assert peer.clock.advance(5) == T0 + 15  # a move inside a request shows at once
        assert peer.clock.now() == T0 + 15
    with request(state):
        assert state.clock.now() == T0 + 15
