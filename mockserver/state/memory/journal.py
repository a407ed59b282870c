"""The journal of an in-memory fake: a bounded deque behind a lock."""

from __future__ import annotations

import itertools
import secrets
import threading
from collections import deque
from typing import Any

from mockserver.state.journal import matching


class MemoryJournal:
    """The :class:`mockserver.state.journal.Journal` in this process's memory. It keeps the
    recorded dicts themselves."""

    def __init__(self, size: int) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)
        self._epoch = secrets.token_hex(4)
        self._count = 0  # entries ever recorded: the newest kept one's number

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)
            self._count += 1

    def record_stream(self, entry: dict[str, Any]) -> int:
        with self._lock:
            self._entries.append(entry)
            self._count += 1
            return self._count

    def update(self, number: int, entry: dict[str, Any]) -> None:
        with self._lock:
            index = number - (self._count - len(self._entries)) - 1  # the kept entries' numbers are consecutive
            if 0 <= index < len(self._entries):
                self._entries[index] = entry

    def since(self, cursor: str | None) -> tuple[list[dict[str, Any]], str, bool]:
        epoch, _, count_text = (cursor or "").partition(":")
        seen = int(count_text) if epoch == self._epoch and count_text.isdigit() else -1
        with self._lock:
            count, entries = self._count, self._entries
            cursor = f"{self._epoch}:{count}"
            if not 0 <= seen <= count:
                return list(entries), cursor, True
            newest = list(itertools.islice(reversed(entries), count - seen))  # O(new), not O(journal)
            return newest[::-1], cursor, False

    def entries(self, *, endpoint: str | None = None, status: int | None = None) -> list[dict[str, Any]]:
        with self._lock:
            found = list(self._entries)
        return matching(found, endpoint, status)

    def resize(self, size: int) -> None:
        with self._lock:
            if size != self._entries.maxlen:
                self._entries = deque(self._entries, maxlen=size)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._epoch = secrets.token_hex(4)

    def __len__(self) -> int:
        return len(self._entries)
