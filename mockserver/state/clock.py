"""The fake's clock: real time by default, and movable by tests.

One clock per fake drives ``created``, URL expiry and quota windows, so a test
can age a URL past its hour, or refill a quota, without sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from mockserver.settings.inputs import Boolean, Number, Optional, setting

# The clock stays within these epoch seconds (1970 to 3000): every date the fake writes
# (`created`, URL expiry, quota resets) stays a valid date however it is moved.
EARLIEST = 0.0
LATEST = 32503680000.0


@dataclass(frozen=True)
class ClockMove:
    """The body of ``POST /_mock/clock``: at least one field; ``real_time``, ``freeze``, then
    ``set``, then ``advance`` apply, and the clock must end inside the range."""

    real_time: bool | None = setting(
        None, "`true`: back to real time, unfrozen, before the other fields apply.", Optional(Boolean(only=True)),
    )
    freeze: bool | None = setting(None, "Stop (true) or restart (false) the clock.", Optional(Boolean()))
    set: float | None = setting(None, "Epoch seconds to move to.", Optional(Number(EARLIEST, LATEST)))
    advance: float | None = setting(
        None, "Seconds to move by (negative: back); the clock must stay within 1970 to 3000.",
        Optional(Number(-LATEST, LATEST)),
    )


class ClockRangeError(ValueError):
    """A move would take the clock outside EARLIEST..LATEST; the clock did not move."""


class Clock:
    """Wall-clock seconds plus an offset that tests can move; optionally frozen."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._lock = threading.Lock()
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

    def advance(self, seconds: float) -> float:
        """Move by ``seconds``; ClockRangeError (and no move) if that leaves the range."""
        with self._lock:
            self._check(self.now() + seconds)
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds
            return self.now()

    def set(self, epoch_seconds: float) -> float:
        """Move to ``epoch_seconds``; ClockRangeError (and no move) if it is outside the range."""
        with self._lock:
            self._check(epoch_seconds)
            if self._frozen_at is not None:
                self._frozen_at = epoch_seconds
            else:
                self._offset = epoch_seconds - self._source()
            return self.now()

    @staticmethod
    def _check(target: float) -> None:
        if not EARLIEST <= target < LATEST:  # False for NaN too
            raise ClockRangeError(f"would move the clock to {target!r}, outside the epoch seconds "
                                  f"{EARLIEST:.0f} to {LATEST:.0f} (1970 to 3000)")

    def freeze(self, frozen: bool = True) -> float:
        with self._lock:
            if frozen and self._frozen_at is None:
                self._frozen_at = self._source() + self._offset
            elif not frozen and self._frozen_at is not None:
                # Thaw where the frozen clock stood, so time never jumps.
                self._offset = self._frozen_at - self._source()
                self._frozen_at = None
            return self.now()

    def move(self, move: ClockMove) -> float:
        """Apply a ClockMove whole, or not at all (ClockRangeError)."""
        with self._lock:
            now = self._source() if move.real_time else self.now()
            target = now if move.set is None else move.set
            self._check(target + (move.advance or 0))
        if move.real_time:
            self.reset()
        if move.freeze is not None:
            self.freeze(move.freeze)
        if move.set is not None:
            self.set(move.set)
        if move.advance is not None:
            self.advance(move.advance)
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None
