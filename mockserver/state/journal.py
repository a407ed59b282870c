"""The request journal: what the fake was asked and what it answered.

Bounded (the oldest entries are dropped); uploads are described, never kept:
name, file name, content type, byte count, SHA-256 and dimensions read from the
image's header (PNG, JPEG or WebP). Every string (keys, field names and file names included) is
cut at MAX_STRING characters, so one request cannot fill the memory.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import threading
from collections import deque
from typing import Any

from contracts import imagefile
from contracts.rules import Upload

MAX_STRING = 2000


def summarise(value: Any, depth: int = 0) -> Any:
    """A JSON value with every string cut to MAX_STRING characters and nesting cut at 8."""
    if isinstance(value, str):
        return value if len(value) <= MAX_STRING else value[:MAX_STRING] + f"… ({len(value)} characters)"
    if depth >= 8 and isinstance(value, (list, dict)):
        return "…"
    if isinstance(value, list):
        return [summarise(v, depth + 1) for v in value[:100]]
    if isinstance(value, dict):
        return {str(k)[:200]: summarise(v, depth + 1) for k, v in list(value.items())[:100]}
    return value


def escape_surrogates(value: Any) -> Any:
    """A JSON value with every lone surrogate written as its escape (``\\ud800``), so that it
    can be stored and shown as UTF-8."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [escape_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {escape_surrogates(k): escape_surrogates(v) for k, v in value.items()}
    return value


def describe_upload(upload: Upload) -> dict[str, Any]:
    info: dict[str, Any] = {
        "field": summarise(upload.field),
        "filename": summarise(upload.filename),
        "content_type": summarise(upload.content_type),
        "bytes": len(upload.data),
        "sha256": hashlib.sha256(upload.data).hexdigest(),
    }
    try:
        header = imagefile.header_info(upload.data)
        info["width"], info["height"] = header.width, header.height
    except imagefile.ImageFileError:
        info["width"] = info["height"] = None
    return info


class Journal:
    def __init__(self, size: int) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)
        # A cursor for readers that follow the journal (the live view): "<epoch>:<entries ever
        # recorded>". The epoch changes when the journal is cleared, and tells a cursor of
        # another run of the fake.
        self._epoch = secrets.token_hex(4)
        self._count = 0

    def record(self, entry: dict[str, Any]) -> int | None:
        """Keep ``entry``; a shared journal answers its number, for :meth:`update`."""
        with self._lock:
            self._entries.append(entry)
            self._count += 1
        return None

    def update(self, number: int | None, entry: dict[str, Any]) -> None:
        """Show a recorded entry's later changes (a stream's progress): nothing to do here, where
        the journal holds the entry itself (a shared journal writes it again)."""

    def since(self, cursor: str | None) -> tuple[list[dict[str, Any]], str, bool]:
        """The entries recorded after ``cursor`` (returned by an earlier call), the new cursor,
        and whether they are the whole journal: with no cursor, one of another run, or one
        from before the journal was last cleared."""
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
        return [
            e for e in found
            if (endpoint is None or e["endpoint"] == endpoint) and (status is None or e["status"] == status)
        ]

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
