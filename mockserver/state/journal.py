"""The request journal: what the fake was asked and what it answered (the interface, and the
helpers that describe a request for it).

Bounded in entries (``journal_size``) and in bytes (``journal_bytes``): the oldest entries are
dropped first. Each entry is bounded too: a request's parameters are summarised by
:func:`summarise` within ``journal_entry_bytes`` (strings cut at MAX_STRING characters, keys at
MAX_KEY, nesting at MAX_DEPTH levels, MAX_ITEMS items per list or object, and the whole at the
budget), every cut marked where it was made (``…``) and in the entry (``params_cut``). The walk
stops at the budget, so its cost is bounded whatever the body held (a 16 MB body of nested
lists costs as much as its first budget's worth). Uploads are described, never kept: name, file
name, content type, byte count, SHA-256 and dimensions read from the image's header (PNG, JPEG
or WebP).

Sizes are weights (:func:`weigh`): about the bytes of a value's JSON, each value counting at
least WEIGHT_FLOOR (about the least memory a parsed value takes), so neither many tiny values nor
a few long ones can outgrow the bound. The in-memory journal sums weights; the shared journal
counts the bytes of the JSON it stores.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from contracts import imagefile
from contracts.rules import Upload
from mockserver.settings.config import JOURNAL_ENTRY_BYTES

MAX_STRING = 2000  # characters of a string kept
MAX_KEY = 200  # characters of an object's key kept
MAX_DEPTH = 8  # levels of nesting kept; a list or object deeper is replaced by a marker
MAX_ITEMS = 100  # items kept of a list or an object
ENTRY_BYTES = JOURNAL_ENTRY_BYTES  # the default budget of an entry's parameters (the journal_entry_bytes setting)
WEIGHT_FLOOR = 8  # the least a value weighs (see weigh)
CUT = "…"  # how every cut starts: a cut string ends with it, a cut list or object gets it as an item or key


class Summary(NamedTuple):
    """What :func:`summarise` made of a value: the value to journal, its weight, and whether
    anything was cut."""

    value: Any
    weight: int
    cut: bool


def summarise(value: Any, budget: int = ENTRY_BYTES) -> Summary:
    """A JSON value bounded for the journal: strings cut to MAX_STRING characters (keys to
    MAX_KEY), nesting to MAX_DEPTH, lists and objects to MAX_ITEMS items, and the whole to about
    ``budget`` (see :func:`weigh`; it may pass it by one value, a cut string or a number). Each
    cut is marked in place: a cut string ends ``… (N characters)``, a list or object too deep
    becomes ``"… (list of N items)"``, a list that was cut short ends with ``"… (N more)"``, an
    object gets the key ``"…"`` (``"N more"``). The walk visits only what it keeps."""
    if type(value) is dict and len(value) <= MAX_ITEMS:  # an ordinary body: one flat pass, no walk
        weight = WEIGHT_FLOOR
        for key, item in value.items():
            kind = type(item)
            if kind is str and len(item) <= MAX_STRING:
                weight += WEIGHT_FLOOR + len(item)
            elif kind is int or kind is float or kind is bool or item is None:
                weight += WEIGHT_FLOOR + (item.bit_length() * 3 // 10 if kind is int else 0)
            else:
                break
            if type(key) is not str or len(key) > MAX_KEY:
                break
            weight += len(key)
        else:
            if weight <= budget:
                return Summary(dict(value), weight, False)  # (a copy: the journal's, whatever the body's fate)
    walk = _Walk(budget)
    kept = walk.value(value, 0)
    return Summary(kept, budget - walk.left, walk.cut)


class _Walk:
    """One summary's budget and whether it cut anything (a class, not a closure: it is faster)."""

    __slots__ = ("cut", "left")

    def __init__(self, budget: int) -> None:
        self.left = budget
        self.cut = False

    def value(self, value: Any, depth: int) -> Any:
        kind = type(value)
        if kind is str:
            if len(value) > MAX_STRING:
                self.cut = True
                value = f"{value[:MAX_STRING]}{CUT} ({len(value)} characters)"
            self.left -= WEIGHT_FLOOR + len(value)
            return value
        if kind is dict or kind is list:
            return self.container(value, depth, kind is dict)
        if kind is int:
            self.left -= WEIGHT_FLOOR + value.bit_length() * 3 // 10  # about its digits: a long int weighs its length
            return value
        if value is None or kind is bool or kind is float:
            self.left -= WEIGHT_FLOOR
            return value
        # Not a type JSON parses to (a subclass, a tuple): walked as its JSON would be.
        if isinstance(value, str):
            return self.value(str(value), depth)
        if isinstance(value, int):
            return self.value(int(value), depth)
        if isinstance(value, float):
            return self.value(float(value), depth)
        if isinstance(value, (dict, list, tuple)):
            return self.container(value, depth, isinstance(value, dict))
        return self.value(repr(value), depth)

    def container(self, value: Any, depth: int, is_dict: bool) -> Any:
        if depth >= MAX_DEPTH:
            self.cut = True
            marker = f"{CUT} ({'object' if is_dict else 'list'} of {_items(len(value))})"
            self.left -= WEIGHT_FLOOR + len(marker)
            return marker
        return self.dict(value, depth + 1) if is_dict else self.list(value, depth + 1)

    def list(self, value: list[Any] | tuple[Any, ...], depth: int) -> list[Any]:
        self.left -= WEIGHT_FLOOR
        kept: list[Any] = []
        for item in value:
            if len(kept) == MAX_ITEMS or self.left <= 0:
                self.cut = True
                marker = f"{CUT} ({len(value) - len(kept)} more)"
                kept.append(marker)
                self.left -= WEIGHT_FLOOR + len(marker)
                break
            kept.append(self.value(item, depth))
        return kept

    def dict(self, value: dict[Any, Any], depth: int) -> dict[str, Any]:
        self.left -= WEIGHT_FLOOR
        kept: dict[str, Any] = {}
        for key, item in value.items():
            if len(kept) == MAX_ITEMS or self.left <= 0:
                self.cut = True
                marker = kept[CUT] = f"{len(value) - len(kept)} more"
                self.left -= len(CUT) + WEIGHT_FLOOR + len(marker)
                break
            if type(key) is not str or len(key) > MAX_KEY:
                key = str(key)
                if len(key) > MAX_KEY:
                    self.cut = True
                    key = key[:MAX_KEY] + CUT
            self.left -= len(key)
            kept[key] = self.value(item, depth)
        return kept


def _items(count: int) -> str:
    return "1 item" if count == 1 else f"{count} items"


def weigh(value: Any) -> int:
    """About the bytes of ``value``'s JSON, each value counting at least WEIGHT_FLOOR: the size
    the in-memory journal counts (a summary's weight is the same, found as it was made). Walks
    all of ``value``: for entries, which are bounded."""
    kind = type(value)
    if kind is str:
        return WEIGHT_FLOOR + len(value)
    if kind is dict:
        return WEIGHT_FLOOR + sum(len(str(k)) + weigh(v) for k, v in value.items())
    if kind is list or kind is tuple:
        return WEIGHT_FLOOR + sum(weigh(v) for v in value)
    if kind is int:
        return WEIGHT_FLOOR + int(value.bit_length()) * 3 // 10
    return WEIGHT_FLOOR


# An entry's weight without its parameters and image references (what the pipeline records
# besides them: short strings and numbers), and one image reference's: so that the request path
# weighs an entry without walking it (entry_weight).
_ENTRY_REST = weigh({
    "id": "req_" + "0" * 28, "time": 1.0, "method": "POST", "path": "/v1/images/generations",
    "endpoint": "generations", "api_key": "sk-...abcd", "params": None, "params_cut": False,
    "status": 200, "error_code": "invalid_value", "error_type": "invalid_request_error",
    "fault": None, "would_fail_today": None, "duration_ms": 1.0, "images": [],
})
_IMAGE_REFERENCE = weigh({"id": "img_" + "0" * 24, "url": "/_mock/images/img_" + "0" * 24})


def entry_weight(params_weight: int, images: int) -> int:
    """About the weight of a journal entry whose parameters weigh ``params_weight`` and which
    refers to ``images`` images (without walking it; :func:`weigh` walks)."""
    return _ENTRY_REST + params_weight + _IMAGE_REFERENCE * images


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
    """What the journal says of an upload (its strings as they came: the parameters they are
    part of are summarised whole)."""
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


@dataclass(frozen=True, slots=True)
class Page:
    """One read of the journal (:meth:`Journal.page`)."""

    entries: list[dict[str, Any]]  # oldest first
    cursor: str  # where the next read starts: after the last entry given (or the newest, if none)
    complete: bool  # the reader starts afresh: drop what it had (see Journal.page)
    more: bool  # entries recorded after ``cursor`` are kept: read on from it


class Journal(Protocol):
    """The last ``size`` entries (JSON objects), oldest first, weighing at most ``max_bytes``
    together (the newest entry is always kept), numbered from 1 in the order they were recorded.
    A reader follows it with a cursor (``"<epoch>:<number of the last entry read>"``): the epoch
    changes when the journal is cleared, and tells a cursor of another run."""

    def record(self, entry: dict[str, Any], weight: int | None = None) -> None:
        """Keep ``entry`` (its weight: :func:`weigh`, or ``weight`` when the caller knows it).
        Within a request, a backend may write it as the request ends (:meth:`State.end_request`)."""
        ...

    def record_stream(self, entry: dict[str, Any], weight: int | None = None) -> int:
        """Keep the entry of an answer still in progress (a stream) at once; its number, for
        :meth:`update`."""
        ...

    def update(self, number: int, entry: dict[str, Any]) -> None:
        """Replace entry ``number`` by ``entry`` (a stream's final count of events), if it is
        still kept. Only through this do later changes to a recorded entry reach every reader."""
        ...

    def page(self, cursor: str | None, *, limit: int, max_bytes: int, newest: bool = False) -> Page:
        """The entries recorded after ``cursor`` (an earlier page's), oldest first: the first
        ``limit`` of them, or with ``newest`` the last ``limit``, and no more than weigh
        ``max_bytes`` together (at least one). ``complete`` when the reader must start afresh:
        no cursor, one of another run, one from before the journal was last cleared, or (with
        ``newest``) entries after the cursor were skipped."""
        ...

    def since(self, cursor: str | None) -> tuple[list[dict[str, Any]], str, bool]:
        """Every kept entry recorded after ``cursor`` (returned by an earlier call), the new
        cursor, and whether the reader starts afresh (:meth:`page` without bounds)."""
        ...

    def entries(self, *, endpoint: str | None = None, status: int | None = None) -> list[dict[str, Any]]:
        """The kept entries, oldest first, of ``endpoint`` and with ``status`` when given."""
        ...

    def resize(self, size: int, max_bytes: int | None = None) -> None:
        """Keep at most ``size`` entries, weighing at most ``max_bytes`` when given, from now on
        (the oldest go)."""
        ...

    def clear(self) -> None:
        """Forget every entry; a new epoch begins (cursors from before read the whole journal)."""
        ...

    def __len__(self) -> int:
        """How many entries are kept."""
        ...


def parse_cursor(cursor: str | None) -> tuple[str, int]:
    """A cursor's epoch and entry number (-1 when it has none)."""
    epoch, _, number = (cursor or "").partition(":")
    return epoch, int(number) if number.isascii() and number.isdigit() and len(number) < 20 else -1


def matching(found: list[dict[str, Any]], endpoint: str | None, status: int | None) -> list[dict[str, Any]]:
    """The entries of ``endpoint`` with ``status`` (each when given)."""
    return [
        e for e in found
        if (endpoint is None or e["endpoint"] == endpoint) and (status is None or e["status"] == status)
    ]
