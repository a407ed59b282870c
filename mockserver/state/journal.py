"""The request journal: what the fake was asked and what it answered (the interface, and the
helpers that describe a request for it).

Bounded (the oldest entries are dropped); uploads are described, never kept:
name, file name, content type, byte count, SHA-256 and dimensions read from the
image's header (PNG, JPEG or WebP). Every string (keys, field names and file names included) is
cut at MAX_STRING characters, so one request cannot fill the memory.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

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


class Journal(Protocol):
    """The last ``size`` entries (JSON objects), oldest first, numbered from 1 in the order they
    were recorded. A reader follows it with a cursor (``"<epoch>:<entries ever recorded>"``):
    the epoch changes when the journal is cleared, and tells a cursor of another run."""

    def record(self, entry: dict[str, Any]) -> None:
        """Keep ``entry``. Within a request, a backend may write it as the request ends
        (:meth:`State.end_request`)."""
        ...

    def record_stream(self, entry: dict[str, Any]) -> int:
        """Keep the entry of an answer still in progress (a stream) at once; its number, for
        :meth:`update`."""
        ...

    def update(self, number: int, entry: dict[str, Any]) -> None:
        """Replace entry ``number`` by ``entry`` (a stream's final count of events), if it is
        still kept. Only through this do later changes to a recorded entry reach every reader."""
        ...

    def since(self, cursor: str | None) -> tuple[list[dict[str, Any]], str, bool]:
        """The entries recorded after ``cursor`` (returned by an earlier call), the new cursor,
        and whether they are the whole journal: with no cursor, one of another run, or one
        from before the journal was last cleared."""
        ...

    def entries(self, *, endpoint: str | None = None, status: int | None = None) -> list[dict[str, Any]]:
        """The kept entries, oldest first, of ``endpoint`` and with ``status`` when given."""
        ...

    def resize(self, size: int) -> None:
        """Keep at most ``size`` entries from now on (the oldest go)."""
        ...

    def clear(self) -> None:
        """Forget every entry; a new epoch begins (cursors from before read the whole journal)."""
        ...

    def __len__(self) -> int:
        """How many entries are kept."""
        ...


def matching(found: list[dict[str, Any]], endpoint: str | None, status: int | None) -> list[dict[str, Any]]:
    """The entries of ``endpoint`` with ``status`` (each when given)."""
    return [
        e for e in found
        if (endpoint is None or e["endpoint"] == endpoint) and (status is None or e["status"] == status)
    ]
