"""The request journal: what the fake was asked and what it answered.

Bounded (the oldest entries are dropped); uploads are described, never kept:
name, file name, content type, byte count, SHA-256 and dimensions read from the
image's header (PNG, JPEG or WebP). Long strings are cut so one request cannot fill the memory.
"""

from __future__ import annotations

import hashlib
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


def describe_upload(upload: Upload) -> dict[str, Any]:
    info: dict[str, Any] = {
        "field": upload.field,
        "filename": upload.filename,
        "content_type": upload.content_type,
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

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

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

    def __len__(self) -> int:
        return len(self._entries)
