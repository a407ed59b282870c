"""Injected faults: answers and connection failures on demand, reproducibly.

A fault matches requests to one endpoint (or ``*``), lets the first ``after`` of
them through, then fires ``count`` times (null: every time), each time with
``probability`` drawn from a generator seeded by ``seed``. Kinds:

- ``status``: the real error body for ``status`` (500 server_error, 503 overloaded,
  429 rate_limit_exceeded, ...), with ``retry-after`` when asked;
- ``reset``: the connection is dropped without an answer; nothing is processed;
- ``hang``: the connection is held for ``delay_ms``, then dropped;
- ``malformed_json``: the request is processed, and its answer arrives as broken JSON;
- ``truncated``: the request is processed, and its answer stops half-way
  (``Content-Length`` promises more; the connection closes).

``delay_ms`` also delays the other kinds' answers.

``after_events`` (``reset`` and ``hang`` only) makes a fault for streamed answers
(``stream: true``): it matches only streams, which are processed (quota spent) and send
``after_events`` events, then are cut (``reset``) or held for ``delay_ms`` and cut (``hang``).
Other faults hit a stream before its first event, as any request.

The probability draws are the same on every backend: the ``k``-th matching request past
``after`` draws :func:`draw` (a fault without a seed draws from its id), so a seeded fault
fires on the same requests run after run, in memory or on Redis.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from contracts.models import ENDPOINT_NAMES
from mockserver.settings.inputs import Choice, InputError, Integer, Number, Optional, read_fields, setting, to_json

KINDS = ("status", "reset", "hang", "malformed_json", "truncated")
MAX_DELAY_MS = 300_000
STREAM_KINDS = ("reset", "hang")  # the kinds a fault on a stream (after_events) may have
MAX_EVENTS = 1000
MAX_QUEUED = 1000


class FaultError(InputError):
    """A fault's description is wrong; ``name`` says which field."""


_ENDPOINTS = (*ENDPOINT_NAMES, "*")


def new_fault_id() -> str:
    return "fault_" + uuid.uuid4().hex[:12]


@dataclass
class Fault:
    """A queued fault: the described fields are the JSON body of ``POST /_mock/faults``;
    ``seen`` and ``fired`` count the matching requests and the times it fired."""

    endpoint: str = setting("*", "The endpoint it matches (`*`: any).", Choice(_ENDPOINTS))
    kind: str = setting(
        "status", "`status`: answers the real error body for `status`; `reset`: drops the connection unanswered; "
        "`hang`: holds it for `delay_ms`, then drops it; `malformed_json`, `truncated`: processes the request, "
        "then breaks its answer.", Choice(KINDS))
    status: int | None = setting(
        None, "The status answered: 400 to 599 for `status` (default 500); 200 to 599 for the kinds that "
        "process the request (default 200).", Optional(Integer(200, 599)),
    )
    count: int | None = setting(1, "Times it fires (null: every time).", Optional(Integer(1, 1_000_000)))
    after: int = setting(0, "Matching requests let through first.", Integer(0, 1_000_000))
    delay_ms: int = setting(0, "Held this long before answering (or dropping).", Integer(0, MAX_DELAY_MS))
    retry_after: float | None = setting(None, "Seconds of `retry-after` (status faults).",
                                        Optional(Number(0, 86400)))
    probability: float = setting(1.0, "Chance it fires on a matching request.", Number(0, 1, above=True))
    seed: int | None = setting(None, "Seed of the probability draws.", Optional(Integer(-(2**63), 2**63 - 1)))
    after_events: int | None = setting(
        None, "With `reset` or `hang`: a fault for streamed answers only, which sends this many events, then "
        "cuts the stream (`hang`: after `delay_ms`).", Optional(Integer(0, MAX_EVENTS)),
    )
    id: str = field(default_factory=new_fault_id)
    seen: int = 0
    fired: int = 0

    @property
    def stream(self) -> bool:
        """A fault for streamed answers only (``after_events`` set)."""
        return self.after_events is not None

    @property
    def seed_text(self) -> str:
        """What its probability draws are seeded with: the seed, or its id when it has none."""
        return self.id if self.seed is None else str(self.seed)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, **to_json(self), "seen": self.seen, "fired": self.fired}


def draw(seed_text: str, k: int) -> float:
    """The ``k``-th draw (1-based) of a fault seeded with ``seed_text``, in [0, 1): the first 52
    bits of ``sha1("<seed_text>:<k>")``. ASSUMPTION (our choice): a hash, not a generator's
    sequence, so that a script inside Redis draws exactly what the in-memory fake draws."""
    digest = hashlib.sha1(f"{seed_text}:{k}".encode(), usedforsecurity=False).hexdigest()
    return int(digest[:13], 16) / 2**52


def parse_fault(spec: Any) -> Fault:
    """A Fault from its JSON description; FaultError names the first bad field."""
    values = read_fields(Fault, spec, what="fault field", error=FaultError)
    kind = values.get("kind", "status")
    status = values.get("status")
    if status is None:
        status = 500 if kind == "status" else 200
    elif kind == "status" and status < 400:
        raise FaultError("status", f"must be an error status from 400 to 599 for a status fault, not {status}")
    if values.get("after_events") is not None and kind not in STREAM_KINDS:
        raise FaultError("after_events", f"needs kind {' or '.join(STREAM_KINDS)}, not {kind!r}")
    return Fault(**{**values, "status": status, "probability": float(values.get("probability", 1.0))})


class FaultQueue(Protocol):
    """The queued faults, in the order they were queued; at most MAX_QUEUED."""

    def add(self, spec: Any) -> Fault:
        """Queue the fault ``spec`` describes (FaultError: a bad field, or the queue is full)."""
        ...

    def take(self, endpoint: str, *, stream: bool = False) -> Fault | None:
        """The fault that fires for this request to ``endpoint``, if any: the first queued one
        that matches (its endpoint or ``*``; with ``stream``, among the faults for streams only,
        else among the others) counts the request as seen and, past its ``after`` requests and
        its probability draw, fires; after ``count`` firings it leaves the queue. The answer is
        the fault as it stands after this request. Within a request a backend may see only the
        faults queued when it began (:meth:`State.begin_request`)."""
        ...

    def remove(self, fault_id: str) -> bool:
        """Unqueue one fault; False if no queued fault has that id."""
        ...

    def list(self) -> list[dict[str, Any]]:
        """The queued faults as JSON (``Fault.to_json``), in order."""
        ...

    def clear(self) -> None:
        """Forget every fault and end every hold in progress (:meth:`release_hangs`, and
        :attr:`latency_release`), on every fake sharing this state."""
        ...

    @property
    def hang_release(self) -> threading.Event:
        """What a fault's hold starting now waits on (a hang, streamed or not; a fault's
        ``delay_ms``), besides its delay: set when hangs are released (reset, ``DELETE
        /_mock/faults``, shutdown)."""
        ...

    @property
    def latency_release(self) -> threading.Event:
        """What the configured latency's hold starting now waits on: set when the faults are
        cleared (reset, ``DELETE /_mock/faults``). ASSUMPTION (our choice): not at shutdown,
        where the grace bounds it (the latency is the service's slowness, not a fault)."""
        ...

    def release_hangs(self) -> None:
        """End every hang in progress now, on every fake sharing this state (its connection is
        dropped); later hangs wait again. Never raises (a shutdown calls it whatever the
        shared state's health): a state that is away ends this fake's hangs only."""
        ...
