"""Image quotas per API key (and model family) over sliding windows, exact under concurrency.

A ledger key is any hashable value: the backend uses ``(api_key, quota family)``, so each
model family has its own windows and counts. Each key keeps a log of its grants
(time, images). A request for ``n`` images is granted only if every window still
has room for all ``n``; otherwise nothing is spent and the refusal says when the
request would fit. One lock makes check-and-grant atomic, so L images are granted exactly, however many threads
ask at once.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from contracts.headers import RATELIMIT_LIMIT_IMAGES, RATELIMIT_REMAINING_IMAGES, RATELIMIT_RESET_IMAGES
from contracts.ratelimits import Window, go_duration, retry_headers


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


class _WindowLog:
    """The grants inside one window, with their running total (expiry is amortised O(1))."""

    __slots__ = ("grants", "used", "window")

    def __init__(self, window: Window) -> None:
        self.window = window
        self.grants: deque[tuple[float, int]] = deque()
        self.used = 0

    def expire(self, now: float) -> None:
        start = now - self.window.seconds
        grants = self.grants
        while grants and grants[0][0] <= start:
            self.used -= grants.popleft()[1]

    def wait(self, now: float, n: int) -> float:
        """Seconds until ``n`` more images fit (or until the window is empty, if they never will)."""
        used = self.used
        for ts, k in self.grants:  # oldest first: each grant frees its images when it leaves the window
            used -= k
            if used + n <= self.window.limit:
                return ts + self.window.seconds - now
        return self.grants[-1][0] + self.window.seconds - now if self.grants else 0.0

    def state(self, now: float) -> WindowState:
        reset = (self.grants[-1][0] + self.window.seconds - now) if self.grants else 0.0
        return WindowState(self.window, self.used, reset)


# Grants are remembered for at least this long (or the longest window configured, if longer),
# so lengthening a window later still counts them. Memory stays bounded by the limits
# themselves: while windows are set, a key cannot be granted more than their limits allow.
MIN_HISTORY = 3600.0


class _KeyLog:
    """One key's grants: a history as long as the longest window ever configured, and the
    per-window logs of the current windows, rebuilt from the history when they change."""

    __slots__ = ("history", "logs")

    def __init__(self) -> None:
        self.history: deque[tuple[float, int]] = deque()
        self.logs: list[_WindowLog] = []

    def windows(self, windows: tuple[Window, ...], now: float, horizon: float) -> list[_WindowLog]:
        history = self.history
        while history and history[0][0] <= now - horizon:
            history.popleft()
        if [log.window for log in self.logs] != list(windows):
            # The limits changed: past grants still count against the new windows.
            self.logs = [_WindowLog(w) for w in windows]
            for log in self.logs:
                for grant in history:
                    log.grants.append(grant)
                    log.used += grant[1]
        for log in self.logs:
            log.expire(now)
        return self.logs


class QuotaLedger:
    """Grant logs per API key. ``max_keys`` bounds memory: the least recently seen key
    is forgotten first (its quota starts afresh if it comes back). While no window is
    configured nothing is counted; grants made before stay on the books for MIN_HISTORY."""

    def __init__(self, max_keys: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._keys: OrderedDict[Hashable, _KeyLog] = OrderedDict()
        self._horizon = MIN_HISTORY  # how far back grants are kept: grows with the longest window
        self.max_keys = max_keys

    def spend(
        self, key: Hashable, n: int, windows: tuple[Window, ...], now: float
    ) -> tuple[Refusal | None, list[WindowState]]:
        """Grant ``n`` images to ``key`` if every window has room; else a Refusal, spending nothing.

        Also returns the windows' states after the decision, for the headers.
        """
        with self._lock:
            entry, logs = self._logs(key, windows, now)
            refusal = None
            for log in logs:
                if log.used + n > log.window.limit:
                    wait = log.wait(now, n)
                    if refusal is None or wait > refusal.retry_after:
                        refusal = Refusal(log.window, log.used + n, wait)
            if refusal is None and logs:
                entry.history.append((now, n))
                for log in logs:
                    log.grants.append((now, n))
                    log.used += n
            return refusal, [log.state(now) for log in logs]

    def states(self, key: Hashable, windows: tuple[Window, ...], now: float) -> list[WindowState]:
        with self._lock:
            if key not in self._keys:
                return [WindowState(w, 0, 0.0) for w in windows]
            return [log.state(now) for log in self._logs(key, windows, now)[1]]

    def snapshot(
        self, windows_of: Callable[[Hashable], tuple[Window, ...]], now: float, limit: int = 100
    ) -> list[tuple[Hashable, list[WindowState]]]:
        """The windows (``windows_of(key)``) of the ``limit`` most recently seen keys, newest
        first, for the live view. Reading them moves no key in the least-recently-seen order."""
        with self._lock:
            found = []
            for key in itertools.islice(reversed(self._keys), limit):
                windows = windows_of(key)
                horizon = max(self._horizon, *(w.seconds for w in windows), 0)
                logs = self._keys[key].windows(windows, now, horizon)
                found.append((key, [log.state(now) for log in logs]))
            return found

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()
            self._horizon = MIN_HISTORY

    def _logs(self, key: Hashable, windows: tuple[Window, ...], now: float) -> tuple[_KeyLog, list[_WindowLog]]:
        self._horizon = max(self._horizon, *(w.seconds for w in windows), 0)
        entry = self._keys.get(key)
        if entry is None:
            entry = self._keys[key] = _KeyLog()
            while len(self._keys) > self.max_keys:
                self._keys.popitem(last=False)
        else:
            self._keys.move_to_end(key)
        return entry, entry.windows(windows, now, self._horizon)
