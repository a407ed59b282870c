"""Image quotas per API key and model family over sliding windows (the interface and its values).

A ledger key is ``(api_key, quota family)``: each model family has its own windows and
counts. A request for ``n`` images is granted only if every window still has room for all
``n``; otherwise nothing is spent and the refusal says when the request would fit.
Check-and-grant is atomic: L images are granted exactly, however many requests ask at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from contracts.headers import RATELIMIT_LIMIT_IMAGES, RATELIMIT_REMAINING_IMAGES, RATELIMIT_RESET_IMAGES
from contracts.ratelimits import Window, go_duration, retry_headers

QuotaKey = tuple[str, str]  # (api key, quota family)

# Grants are remembered for at least this long (or the longest window configured since the
# last reset, if longer), so lengthening a window later still counts them. Memory stays
# bounded by the limits themselves: while windows are set, a key cannot be granted more than
# their limits allow.
MIN_HISTORY = 3600.0


@dataclass(frozen=True)
class WindowState:
    window: Window
    used: int
    reset_seconds: float  # until this window is back to its full limit

    @property
    def remaining(self) -> int:
        return max(0, self.window.limit - self.used)


@dataclass(frozen=True)
class Refusal:
    window: Window  # the window that refused
    current: int  # images the window would hold with this request
    retry_after: float  # seconds until the request would fit in every window

    def headers(self) -> dict[str, str]:
        return retry_headers(self.retry_after)


def rate_headers(states: list[WindowState]) -> dict[str, str]:
    """The x-ratelimit-*-images headers for the tightest window.

    ASSUMPTION: with several windows, the headers describe the one with the fewest
    images left (ties: the one that takes longest to refill).
    """
    if not states:
        return {}
    tight = min(states, key=lambda s: (s.remaining, -s.reset_seconds))
    return {
        RATELIMIT_LIMIT_IMAGES: str(tight.window.limit),
        RATELIMIT_REMAINING_IMAGES: str(tight.remaining),
        RATELIMIT_RESET_IMAGES: go_duration(tight.reset_seconds),
    }


class QuotaLedger(Protocol):
    """Grants per ledger key over sliding windows. ``max_keys`` bounds memory: beyond it the
    least recently seen key is forgotten (its quota starts afresh if it comes back).

    A key is seen when it is granted or refused, and when its states are read while it is
    known; a spend with no windows counts nothing and does not see the key (quotas are off)."""

    max_keys: int

    def spend(self, key: QuotaKey, n: int, windows: tuple[Window, ...], now: float
              ) -> tuple[Refusal | None, list[WindowState]]:
        """Grant ``n`` images to ``key`` if every window has room; else a Refusal (the window
        whose wait is longest), spending nothing. Also the windows' states after the decision."""
        ...

    def states(self, key: QuotaKey, windows: tuple[Window, ...], now: float) -> list[WindowState]:
        """The windows' states for ``key`` (all empty for a key never seen), spending nothing."""
        ...

    def snapshot(self, windows_of: Callable[[QuotaKey], tuple[Window, ...]], now: float, limit: int = 100
                 ) -> list[tuple[QuotaKey, list[WindowState]]]:
        """The windows (``windows_of(key)``) of the ``limit`` most recently seen keys, newest
        first, for the live view. Reading them moves no key in the least-recently-seen order."""
        ...

    def clear(self) -> None:
        """Forget every key and grant."""
        ...
