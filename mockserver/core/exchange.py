"""One request and its answer: what the pipeline learns on the way, in one typed object.

An :class:`Exchange` is made as a request arrives (for every request: the API's, the
control plane's, an image URL's) and travels with it to the end; the access log, the
journal, the error renderer and the headers read it. It replaces the loose keys that
used to travel in ``flask.g``. The HTTP side keeps it in the WSGI environ under
:data:`ENVIRON_KEY`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from contracts.auth import mask_key
from contracts.headers import new_request_id
from contracts.media import JSON
from contracts.models import ModelProfile
from mockserver.state.faults import Fault


class ClientGone(Exception):
    """The client closed its connection before its answer was made: what is left is not made."""

ENVIRON_KEY = "mockserver.exchange"
CUT_FAULT = "fault"  # a stream's journal entry: cut by an injected fault (after_events)


@dataclass(slots=True, eq=False)
class StreamProgress:
    """How many events a stream has sent, mirrored into its journal entry once it exists."""

    planned: int
    sent: int = 0
    entry: dict[str, Any] | None = None
    on_end: Callable[[], None] | None = None  # a shared journal writes the entry again
    cut: str | None = None  # why it ended before its last event: CUT_FAULT, or the HTTP layer's reason

    def end(self, cut: str | None = None) -> None:
        """The stream is over (sent whole, or ``cut``: by a fault, a client too slow to read, its
        client gone). A cut stream's journal entry says so in ``cut`` (absent when sent whole)."""
        if cut is not None:
            self.cut = cut
            if self.entry is not None:
                self.entry["cut"] = cut
        if self.on_end is not None:
            with contextlib.suppress(Exception):  # a lost shared state must not break the stream's end
                self.on_end()

    def attach(self, entry: dict[str, Any]) -> None:
        self.entry = entry
        entry["stream"] = True
        entry["events"] = self.sent

    def count(self) -> None:
        self.sent += 1
        if self.entry is not None:
            self.entry["events"] = self.sent


@dataclass(slots=True, eq=False)
class Exchange:
    """What one request has shown and been given so far."""

    request_id: str = field(default_factory=new_request_id)
    started: float = field(default_factory=time.perf_counter)
    method: str = ""
    path: str = ""
    endpoint: str | None = None  # the API endpoint asked for (None: not one of the three)
    api_key: str | None = None  # once authenticated
    model: ModelProfile | None = None  # the answering model (its family's rate-limit headers)
    fault: Fault | None = None  # the injected fault that hit this request
    latency: float = 0.0  # seconds the answer is held back (a stream spreads them over its events)
    params: Any = None  # what was asked, summarised for the journal
    params_weight: int = 0  # the summary's weight (mockserver.state.journal.weigh)
    params_cut: bool = False  # whether the summary cut anything
    images: list[dict[str, Any]] | None = None  # the answer's images, as journal references
    stream: StreamProgress | None = None  # a streamed answer's progress
    rate_headers: dict[str, str] | None = None  # the quota's headers, once spent
    error_code: str | None = None  # the error answered, if any
    would_fail_today: str | None = None  # what today's service would refuse in the answer (its reason)
    error_type: str | None = None
    dropped: bool = False  # the connection is dropped instead of answered (a fault)
    state_lost: bool = False  # the shared state went away during the request

    def journal_entry(self, now: float, status: int | None, elapsed: float) -> dict[str, Any]:
        """This request's journal entry: what was asked and what was answered (``status`` None:
        dropped). The entry's shape, written once for the fake's own answers and for recorded
        and replayed ones."""
        fault = self.fault
        return {
            "id": self.request_id,
            "time": now,
            "method": self.method,
            "path": self.path,
            "endpoint": self.endpoint,
            "api_key": mask_key(self.api_key) if self.api_key else None,
            "params": self.params,
            "params_cut": self.params_cut,  # the parameters were cut (each cut is marked "…" in them)
            "status": status,
            "error_code": self.error_code,
            "error_type": self.error_type,
            "fault": fault.kind if fault is not None else None,
            "would_fail_today": self.would_fail_today,
            "duration_ms": round(elapsed * 1000, 3),
            "images": self.images or [],  # references, never the bytes (mockserver/state/gallery.py)
        }


@dataclass(slots=True, eq=False)
class Answer:
    """What the API answers, before HTTP: a status, headers, and a body (bytes, or the chunks
    of a stream sent as they are made)."""

    status: int
    body: bytes | Iterator[bytes]
    headers: list[tuple[str, str]]
    media_type: str = JSON
    content_length: int | None = None  # a promise the body does not keep (a truncated answer)
    close_after: bool = False  # end the connection after the body (a truncated answer)
    drop_after: float | None = None  # drop the connection after this many seconds instead
    release: Any = None  # with drop_after: the threading.Event that ends the wait early
