"""The clock of a shared state: its reading (offset, frozen instant) in the state hash.

``now()`` reads what this thread's request saw as it began (no round trip); a move is one
optimistic transaction on the state hash, computed by :class:`mockserver.state.clock.Reading`.

ASSUMPTION: the hosts sharing a state keep their wall clocks in step (NTP); the shared
offset is added to each host's own clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from mockserver.state.clock import REAL_TIME, Reading, ReadingMoves
from mockserver.state.redis.connection import STATE, Link

_RESET = """
redis.call('HSET', KEYS[1], 'off', 0, 'frz', '')
return 1
"""


def _stored(reading: Reading) -> dict[str, str]:
    return {"off": repr(reading.offset), "frz": "" if reading.frozen_at is None else repr(reading.frozen_at)}


class RedisClock(ReadingMoves):
    """The :class:`mockserver.state.clock.Clock` of a shared state."""

    def __init__(self, link: Link, source: Callable[[], float] = time.time) -> None:
        self._link = link
        self._source = source
        self._reset = link.script(_RESET)
        # (offset, frozen_at) as this process last saw them; a request reads the snapshot its
        # own thread took (a slower reply to another thread's older request never replaces it).
        self._last: tuple[float, float | None] = (0.0, None)

    def see(self, offset: bytes | None, frozen: bytes | None) -> None:
        """The reading in a snapshot of the state hash (fields ``off``, ``frz``): this process's
        view, and this thread's request's if one is in progress."""
        self._last = reading = (float(offset or 0), float(frozen) if frozen else None)
        request = self._link.request.__dict__
        if "calls" in request:
            request["clock"] = reading

    def _reading(self) -> tuple[float, float | None]:
        found: tuple[float, float | None] = self._link.request.__dict__.get("clock") or self._last
        return found

    def now(self) -> float:
        offset, frozen = self._reading()
        return frozen if frozen is not None else self._source() + offset

    @property
    def frozen(self) -> bool:
        return self._reading()[1] is not None

    def _change(self, change: Callable[[Reading, float], Reading]) -> float:
        moved: list[Reading] = []

        def move(pipe: Any) -> None:
            offset, frozen = pipe.hmget(STATE, "off", "frz")
            reading = change(Reading(float(offset or 0), float(frozen) if frozen else None), self._source())
            moved[:] = [reading]  # ClockRangeError before this: nothing is written
            pipe.multi()
            pipe.hset(STATE, mapping=_stored(reading))

        self._link.client.transaction(move, STATE)
        self._saw(moved[0])
        return self.now()

    def _saw(self, reading: Reading) -> None:
        """A move made here: this process's view, and the request's in progress, follow it."""
        self._last = (reading.offset, reading.frozen_at)
        request = self._link.request.__dict__
        if "calls" in request:
            request["clock"] = self._last

    def reset(self) -> None:
        self._link.write(self._reset, [STATE], [])
        self._saw(REAL_TIME)
