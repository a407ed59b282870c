"""The clock of a fake that keeps its state in memory: a :class:`Reading` behind a lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from mockserver.state.clock import REAL_TIME, Reading, ReadingMoves


class MemoryClock(ReadingMoves):
    """Real time (``source``, wall-clock seconds by default) plus a reading that tests can
    move; the :class:`mockserver.state.clock.Clock` of an in-memory fake. A test may make one
    (e.g. on a fixed ``source``) and give it to ``create_app(clock=...)``."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._lock = threading.Lock()
        # Kept as two plain fields: now() is on every request's path.
        self._offset = 0.0
        self._frozen_at: float | None = None

    def now(self) -> float:
        frozen = self._frozen_at
        if frozen is not None:
            return frozen
        return self._source() + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def _change(self, change: Callable[[Reading, float], Reading]) -> float:
        with self._lock:
            reading = change(Reading(self._offset, self._frozen_at), self._source())
            self._offset, self._frozen_at = reading.offset, reading.frozen_at
            return self.now()

    def reset(self) -> None:
        self._change(lambda _r, _real: REAL_TIME)
