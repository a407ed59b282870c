"""The journal of an in-memory fake: two deques (the entries and their weights) behind a lock."""

from __future__ import annotations

import itertools
import secrets
import threading
from collections import deque
from typing import Any

from mockserver.state.journal import Page, matching, parse_cursor, weigh

UNBOUNDED = 1 << 62


class MemoryJournal:
    """The :class:`mockserver.state.journal.Journal` in this process's memory. It keeps the
    recorded dicts themselves, each with its weight (as given, or :func:`weigh`'s)."""

    def __init__(self, size: int, max_bytes: int = UNBOUNDED) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque()
        self._weights: deque[int] = deque()
        self._size, self._max_bytes = size, max_bytes
        self._bytes = 0  # the kept entries' weights
        self._epoch = secrets.token_hex(4)
        self._count = 0  # entries ever recorded: the newest kept one's number

    def record(self, entry: dict[str, Any], weight: int | None = None) -> None:
        if weight is None:
            weight = weigh(entry)
        with self._lock:  # (record_stream's body again: this is the request path's, one call fewer)
            self._entries.append(entry)
            self._weights.append(weight)
            self._bytes += weight
            self._count += 1
            if len(self._entries) > self._size or self._bytes > self._max_bytes:
                self._trim()

    def record_stream(self, entry: dict[str, Any], weight: int | None = None) -> int:
        if weight is None:
            weight = weigh(entry)
        with self._lock:
            self._entries.append(entry)
            self._weights.append(weight)
            self._bytes += weight
            self._count += 1
            if len(self._entries) > self._size or self._bytes > self._max_bytes:
                self._trim()
            return self._count

    def _trim(self) -> None:
        """Drop the oldest entries past the bounds (the newest stays, unless the size is 0)."""
        entries, weights = self._entries, self._weights
        while len(entries) > self._size or (self._bytes > self._max_bytes and len(entries) > 1):
            entries.popleft()
            self._bytes -= weights.popleft()

    def update(self, number: int, entry: dict[str, Any]) -> None:
        weight = weigh(entry)  # (once per stream, as it ends: entries are bounded, the walk is short)
        with self._lock:
            index = number - (self._count - len(self._entries)) - 1  # the kept entries' numbers are consecutive
            if 0 <= index < len(self._entries):
                self._entries[index] = entry
                self._bytes += weight - self._weights[index]
                self._weights[index] = weight

    def page(self, cursor: str | None, *, limit: int, max_bytes: int, newest: bool = False) -> Page:
        epoch, seen = parse_cursor(cursor)
        limit = max(limit, 1)
        with self._lock:
            count, entries, weights = self._count, self._entries, self._weights
            first = count - len(entries) + 1  # the oldest kept entry's number
            fresh = epoch != self._epoch or not 0 <= seen <= count
            start = first if fresh else max(seen + 1, first)  # the first entry to give, by number
            stop = min(count + 1, start + limit) if not newest else count + 1
            if newest and stop - start > limit:
                start, fresh = stop - limit, True  # entries after the cursor skipped: start afresh
            found = _between(entries, start - first, stop - first)
            sizes = _between(weights, start - first, stop - first)
            epoch = self._epoch
        kept = _within(sizes, max_bytes, newest)
        if newest:
            found = found[len(found) - kept:]
            fresh = fresh or kept < len(sizes)
            last = count
        else:
            found = found[:kept]
            last = start + kept - 1 if found else count
        return Page(found, f"{epoch}:{last}", fresh, last < count)

    def since(self, cursor: str | None) -> tuple[list[dict[str, Any]], str, bool]:
        page = self.page(cursor, limit=UNBOUNDED, max_bytes=UNBOUNDED)
        return page.entries, page.cursor, page.complete

    def entries(self, *, endpoint: str | None = None, status: int | None = None) -> list[dict[str, Any]]:
        with self._lock:
            found = list(self._entries)
        return matching(found, endpoint, status)

    def resize(self, size: int, max_bytes: int | None = None) -> None:
        with self._lock:
            self._size = size
            if max_bytes is not None:
                self._max_bytes = max_bytes
            self._trim()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._weights.clear()
            self._bytes = 0
            self._epoch = secrets.token_hex(4)

    def __len__(self) -> int:
        return len(self._entries)


def _between(items: deque[Any], start: int, stop: int) -> list[Any]:
    """``items[start:stop]``, walking in from the nearer end (a deque indexes in O(distance))."""
    size = len(items)
    start, stop = max(start, 0), min(stop, size)
    if start >= stop:
        return []
    if start < size - stop:
        return list(itertools.islice(items, start, stop))
    found = list(itertools.islice(reversed(items), size - stop, size - start))
    found.reverse()
    return found


def _within(sizes: list[int], max_bytes: int, newest: bool) -> int:
    """How many of ``sizes``, from the first (or with ``newest`` the last), fit ``max_bytes`` (at least one)."""
    total = 0
    for kept, size in enumerate(reversed(sizes) if newest else sizes):
        total += size
        if total > max_bytes and kept:
            return kept
    return len(sizes)
