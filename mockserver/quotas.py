"""Image quotas per API key over sliding windows, exact under concurrency.

Each key keeps a log of its grants (time, images). A request for ``n`` images is
granted only if every window still has room for all ``n``; otherwise nothing is
spent and the refusal says when the request would fit. One lock makes
check-and-grant atomic, so L images are granted exactly, however many threads
ask at once.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass

from contracts.ratelimits import (
    HEADER_LIMIT,
    HEADER_REMAINING,
    HEADER_RESET,
    HEADER_RETRY_AFTER,
    HEADER_RETRY_AFTER_MS,
    Window,
    go_duration,
)


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
        return {
            HEADER_RETRY_AFTER: str(max(1, math.ceil(self.retry_after))),
            HEADER_RETRY_AFTER_MS: str(max(1, math.ceil(self.retry_after * 1000))),
        }


def rate_headers(states: list[WindowState]) -> dict[str, str]:
    """The x-ratelimit-*-images headers for the tightest window.

    ASSUMPTION: with several windows, the headers describe the one with the fewest
    images left (ties: the one that takes longest to refill).
    """
    if not states:
        return {}
    tight = min(states, key=lambda s: (s.remaining, -s.reset_seconds))
    return {
        HEADER_LIMIT: str(tight.window.limit),
        HEADER_REMAINING: str(tight.remaining),
        HEADER_RESET: go_duration(tight.reset_seconds),
    }


class QuotaLedger:
    """Grant logs per API key. ``max_keys`` bounds memory: the least recently seen key
    is forgotten first (its quota starts afresh if it comes back)."""

    def __init__(self, max_keys: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._logs: OrderedDict[str, deque[tuple[float, int]]] = OrderedDict()
        self.max_keys = max_keys

    def spend(
        self, key: str, n: int, windows: tuple[Window, ...], now: float
    ) -> tuple[Refusal | None, list[WindowState]]:
        """Grant ``n`` images to ``key`` if every window has room; else a Refusal, spending nothing.

        Also returns the windows' states after the decision, for the headers.
        """
        with self._lock:
            log = self._log(key, windows, now)
            refusal = None
            for window in windows:
                used = _used(log, window, now)
                if used + n > window.limit:
                    wait = _wait(log, window, now, n)
                    if refusal is None or wait > refusal.retry_after:
                        refusal = Refusal(window, used + n, wait)
            if refusal is None and windows:
                log.append((now, n))
            return refusal, _states(log, windows, now)

    def states(self, key: str, windows: tuple[Window, ...], now: float) -> list[WindowState]:
        with self._lock:
            log = self._logs.get(key)
            return _states(log or deque(), windows, now)

    def clear(self) -> None:
        with self._lock:
            self._logs.clear()

    def _log(self, key: str, windows: tuple[Window, ...], now: float) -> deque[tuple[float, int]]:
        log = self._logs.get(key)
        if log is None:
            log = self._logs[key] = deque()
            while len(self._logs) > self.max_keys:
                self._logs.popitem(last=False)
        else:
            self._logs.move_to_end(key)
        longest = max((w.seconds for w in windows), default=0)
        while log and log[0][0] <= now - longest:
            log.popleft()
        return log


def _used(log: deque[tuple[float, int]], window: Window, now: float) -> int:
    start = now - window.seconds
    return sum(n for ts, n in log if ts > start)


def _wait(log: deque[tuple[float, int]], window: Window, now: float, n: int) -> float:
    """Seconds until ``n`` more images fit in ``window`` (or until it is empty, if they never will)."""
    start = now - window.seconds
    inside = [(ts, k) for ts, k in log if ts > start]
    used = sum(k for _, k in inside)
    for ts, k in inside:  # oldest first: each grant frees its images when it leaves the window
        used -= k
        if used + n <= window.limit:
            return ts + window.seconds - now
    return inside[-1][0] + window.seconds - now if inside else 0.0


def _states(log: deque[tuple[float, int]], windows: tuple[Window, ...], now: float) -> list[WindowState]:
    states = []
    for window in windows:
        start = now - window.seconds
        inside = [ts for ts, _ in log if ts > start]
        reset = (inside[-1] + window.seconds - now) if inside else 0.0
        states.append(WindowState(window, _used(log, window, now), reset))
    return states
