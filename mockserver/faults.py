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
"""

from __future__ import annotations

import errno
import random
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts.spec import ENDPOINT_NAMES

KINDS = ("status", "reset", "hang", "malformed_json", "truncated")
MAX_DELAY_MS = 300_000
MAX_QUEUED = 1000
ENVIRON_DROP = "mockserver.drop_connection"  # set by the app, acted on by drop_connections()
ENVIRON_CONNECTION = "mockserver.connection"  # set by our cheroot gateway
ENVIRON_CLOSE_AFTER = "mockserver.close_after"  # answer, then end the connection (truncated bodies)


class FaultError(ValueError):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


@dataclass
class Fault:
    id: str
    endpoint: str
    kind: str
    status: int
    count: int | None
    after: int
    delay_ms: int
    retry_after: float | None
    probability: float
    seed: int | None
    after_events: int | None = None
    seen: int = 0
    fired: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "endpoint": self.endpoint, "kind": self.kind, "status": self.status,
            "count": self.count, "after": self.after, "delay_ms": self.delay_ms,
            "retry_after": self.retry_after, "probability": self.probability, "seed": self.seed,
            "after_events": self.after_events, "seen": self.seen, "fired": self.fired,
        }


_FIELDS = {"endpoint", "status", "count", "after", "delay_ms", "kind", "retry_after", "probability", "seed",
           "after_events"}
STREAM_KINDS = ("reset", "hang")  # the kinds a fault on a stream (after_events) may have
MAX_EVENTS = 1000


def _int(spec: Mapping[str, Any], name: str, default: int | None, low: int, high: int) -> int | None:
    value = spec.get(name, default)
    if value is None and default is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FaultError(name, f"must be an integer from {low} to {high}, not {value!r}")
    return value


def parse_fault(spec: Mapping[str, Any]) -> Fault:
    """A Fault from its JSON description; FaultError names the first bad field."""
    if not isinstance(spec, Mapping):
        raise FaultError("fault", "must be a JSON object")
    unknown = sorted(set(spec) - _FIELDS)
    if unknown:
        raise FaultError(unknown[0], f"is not a fault field; fields are {sorted(_FIELDS)}")
    endpoint = spec.get("endpoint", "*")
    if endpoint not in (*ENDPOINT_NAMES, "*"):
        raise FaultError("endpoint", f"must be one of {[*ENDPOINT_NAMES, '*']}, not {endpoint!r}")
    kind = spec.get("kind", "status")
    if kind not in KINDS:
        raise FaultError("kind", f"must be one of {list(KINDS)}, not {kind!r}")
    default_status = 500 if kind == "status" else 200
    status = _int(spec, "status", default_status, 200 if kind != "status" else 400, 599)
    count = _int(spec, "count", 1, 1, 1_000_000) if spec.get("count", 1) is not None else None
    after = _int(spec, "after", 0, 0, 1_000_000)
    delay_ms = _int(spec, "delay_ms", 0, 0, MAX_DELAY_MS)
    retry_after = spec.get("retry_after")
    if retry_after is not None and (
        isinstance(retry_after, bool) or not isinstance(retry_after, (int, float)) or not 0 <= retry_after <= 86400
    ):
        raise FaultError("retry_after", f"must be null or seconds from 0 to 86400, not {retry_after!r}")
    probability = spec.get("probability", 1.0)
    if isinstance(probability, bool) or not isinstance(probability, (int, float)) or not 0 < probability <= 1:
        raise FaultError("probability", f"must be a number in (0, 1], not {probability!r}")
    seed = spec.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise FaultError("seed", f"must be null or an integer, not {seed!r}")
    after_events = _int(spec, "after_events", None, 0, MAX_EVENTS)
    if after_events is not None and kind not in STREAM_KINDS:
        raise FaultError("after_events", f"needs kind {' or '.join(STREAM_KINDS)}, not {kind!r}")
    assert status is not None and after is not None and delay_ms is not None
    return Fault(
        id="fault_" + uuid.uuid4().hex[:12], endpoint=endpoint, kind=kind, status=status, count=count,
        after=after, delay_ms=delay_ms, retry_after=retry_after, probability=float(probability), seed=seed,
        after_events=after_events, _rng=random.Random(seed),
    )


class FaultQueue:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, spec: Mapping[str, Any]) -> Fault:
        fault = parse_fault(spec)
        with self._lock:
            if len(self._faults) >= MAX_QUEUED:
                raise FaultError("fault", f"at most {MAX_QUEUED} faults can be queued")
            self._faults.append(fault)
        return fault

    def take(self, endpoint: str, *, stream: bool = False) -> Fault | None:
        """The fault that fires for this request to ``endpoint``, if any (first match wins);
        with ``stream``, among the faults for streams (``after_events``) only, else among the others."""
        with self._lock:
            for fault in self._faults:
                if fault.endpoint not in ("*", endpoint) or (fault.after_events is not None) != stream:
                    continue
                fault.seen += 1
                if fault.seen <= fault.after:
                    continue
                if fault.probability < 1 and fault._rng.random() >= fault.probability:
                    continue
                fault.fired += 1
                if fault.count is not None and fault.fired >= fault.count:
                    self._faults.remove(fault)
                return fault
            return None

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_json() for f in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


def _abort(connection: Any) -> None:
    """Drop a cheroot connection so the client sees a reset, not an answer."""
    sock = getattr(connection, "socket", None)
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _CloseAfter:
    """Send the (short) body, then end the connection, so the client sees it cut off
    instead of waiting for the bytes Content-Length promised."""

    def __init__(self, result: Iterable[bytes], connection: Any) -> None:
        self._result = result
        self._connection = connection

    def __iter__(self) -> Any:
        yield from self._result
        try:
            self._connection.wfile.flush()
            self._connection.socket.shutdown(socket.SHUT_WR)
        except (OSError, AttributeError):
            pass

    def close(self) -> None:
        close = getattr(self._result, "close", None)
        if close is not None:
            close()


def drop_connections(wsgi_app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """WSGI middleware: when the app marked the request for a dropped connection,
    hold it for the requested delay, then drop it instead of answering.

    Over a socket (our cheroot gateway puts the connection in the environ) the
    client sees the connection reset; in-process the call raises ConnectionResetError.
    """

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        result = wsgi_app(environ, start_response)
        if environ.get(ENVIRON_CLOSE_AFTER) and environ.get(ENVIRON_CONNECTION) is not None:
            return _CloseAfter(result, environ[ENVIRON_CONNECTION])
        delay = environ.get(ENVIRON_DROP)
        if delay is None:
            return result
        close = getattr(result, "close", None)
        if close is not None:
            close()
        if delay:
            time.sleep(delay)
        _abort(environ.get(ENVIRON_CONNECTION))
        raise ConnectionResetError(errno.ECONNRESET, "connection dropped by an injected fault")

    return app
