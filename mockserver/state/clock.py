"""The fake's clock: real time by default, and movable by tests (the interface, and the
arithmetic of a move, which every backend shares).

One clock per fake drives ``created``, URL expiry and quota windows, so a test
can age a URL past its hour, or refill a quota, without sleeping.

A clock is real time plus a :class:`Reading`: an offset added to real time, or the instant
it is frozen at. Every move is a pure function of the reading and of real time, so the
backends differ only in where they keep the reading (:mod:`mockserver.state.memory.clock`,
:mod:`mockserver.state.redis.clock`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

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


def check(target: float) -> None:
    """ClockRangeError unless ``target`` is inside EARLIEST..LATEST."""
    if not EARLIEST <= target < LATEST:  # False for NaN too
        raise ClockRangeError(f"would move the clock to {target!r}, outside the epoch seconds "
                              f"{EARLIEST:.0f} to {LATEST:.0f} (1970 to 3000)")


@dataclass(frozen=True)
class Reading:
    """Where a clock stands apart from real time: ``offset`` seconds ahead of it, or stopped
    at ``frozen_at`` (epoch seconds). Each move returns a new reading, given real time
    (``real``) as the move happens; ClockRangeError (and no new reading) if the clock would
    leave the range."""

    offset: float = 0.0
    frozen_at: float | None = None

    def now(self, real: float) -> float:
        return self.frozen_at if self.frozen_at is not None else real + self.offset

    def advanced(self, seconds: float, real: float) -> Reading:
        check(self.now(real) + seconds)
        if self.frozen_at is not None:
            return Reading(self.offset, self.frozen_at + seconds)
        return Reading(self.offset + seconds, None)

    def set_to(self, epoch_seconds: float, real: float) -> Reading:
        check(epoch_seconds)
        if self.frozen_at is not None:
            return Reading(self.offset, epoch_seconds)
        return Reading(epoch_seconds - real, None)

    def frozen(self, frozen: bool, real: float) -> Reading:
        if frozen and self.frozen_at is None:
            return Reading(self.offset, real + self.offset)
        if not frozen and self.frozen_at is not None:
            # Thaw where the frozen clock stood, so time never jumps.
            return Reading(self.frozen_at - real, None)
        return self

    def moved(self, move: ClockMove, real: float) -> Reading:
        """A ClockMove applied whole, or not at all (ClockRangeError)."""
        start = REAL_TIME if move.real_time else self
        target = start.now(real) if move.set is None else move.set
        check(target + (move.advance or 0))
        reading = start
        if move.freeze is not None:
            reading = reading.frozen(move.freeze, real)
        if move.set is not None:
            reading = reading.set_to(move.set, real)
        if move.advance is not None:
            reading = reading.advanced(move.advance, real)
        return reading


REAL_TIME = Reading()  # the clock of a fresh fake, and after a reset


class ReadingMoves:
    """The moves of a clock whose backend applies a change of its :class:`Reading` (``_change``:
    the change, given the reading and real time, answers the new reading; the new time is
    returned). Each backend's clock keeps its reading its own way and shares these."""

    def _change(self, change: Callable[[Reading, float], Reading]) -> float:
        raise NotImplementedError

    def advance(self, seconds: float) -> float:
        return self._change(lambda r, real: r.advanced(seconds, real))

    def set(self, epoch_seconds: float) -> float:
        return self._change(lambda r, real: r.set_to(epoch_seconds, real))

    def freeze(self, frozen: bool = True) -> float:
        return self._change(lambda r, real: r.frozen(frozen, real))

    def move(self, move: ClockMove) -> float:
        return self._change(lambda r, real: r.moved(move, real))


class Clock(Protocol):
    """The fake's clock. Every move answers the new time, and moves the clock wholly or not at
    all (ClockRangeError)."""

    def now(self) -> float:
        """Epoch seconds, as the fake sees them."""
        ...

    @property
    def frozen(self) -> bool:
        """Whether the clock stands still."""
        ...

    def advance(self, seconds: float) -> float:
        """Move by ``seconds`` (negative: back)."""
        ...

    def set(self, epoch_seconds: float) -> float:
        """Move to ``epoch_seconds`` (frozen or running, as before)."""
        ...

    def freeze(self, frozen: bool = True) -> float:
        """Stop the clock where it stands (``True``), or let it run on from there (``False``)."""
        ...

    def move(self, move: ClockMove) -> float:
        """Apply ``POST /_mock/clock``'s fields in their order, all or none."""
        ...

    def reset(self) -> None:
        """Back to real time, running."""
        ...
