"""The quota ledger of an in-memory fake: a grant log per key, behind one lock.

Each key keeps a log of its grants (time, images). One lock makes check-and-grant atomic,
so L images are granted exactly, however many threads ask at once.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict, deque
from collections.abc import Callable

from contracts.ratelimits import Window
from mockserver.state.quotas import MIN_HISTORY, QuotaKey, Refusal, WindowState


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


class MemoryQuotaLedger:
    """The :class:`mockserver.state.quotas.QuotaLedger` in this process's memory."""

    def __init__(self, max_keys: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._keys: OrderedDict[QuotaKey, _KeyLog] = OrderedDict()
        self._horizon = MIN_HISTORY  # how far back grants are kept: grows with the longest window
        self.max_keys = max_keys

    def spend(self, key: QuotaKey, n: int, windows: tuple[Window, ...], now: float
              ) -> tuple[Refusal | None, list[WindowState]]:
        if not windows:
            return None, []
        with self._lock:
            entry, logs = self._logs(key, windows, now)
            refusal = None
            for log in logs:
                if log.used + n > log.window.limit:
                    wait = log.wait(now, n)
                    if refusal is None or wait > refusal.retry_after:
                        refusal = Refusal(log.window, log.used + n, wait)
            if refusal is None:
                entry.history.append((now, n))
                for log in logs:
                    log.grants.append((now, n))
                    log.used += n
            return refusal, [log.state(now) for log in logs]

    def states(self, key: QuotaKey, windows: tuple[Window, ...], now: float) -> list[WindowState]:
        if not windows:
            return []
        with self._lock:
            if key not in self._keys:
                return [WindowState(w, 0, 0.0) for w in windows]
            return [log.state(now) for log in self._logs(key, windows, now)[1]]

    def snapshot(self, windows_of: Callable[[QuotaKey], tuple[Window, ...]], now: float, limit: int = 100
                 ) -> list[tuple[QuotaKey, list[WindowState]]]:
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

    def _logs(self, key: QuotaKey, windows: tuple[Window, ...], now: float) -> tuple[_KeyLog, list[_WindowLog]]:
        self._horizon = max(self._horizon, *(w.seconds for w in windows), 0)
        entry = self._keys.get(key)
        if entry is None:
            entry = self._keys[key] = _KeyLog()
            while len(self._keys) > self.max_keys:
                self._keys.popitem(last=False)
        else:
            self._keys.move_to_end(key)
        return entry, entry.windows(windows, now, self._horizon)
