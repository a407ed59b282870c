"""Streamed answers over HTTP: the events of :meth:`Backend.stream_events` framed as server-sent
events (:mod:`contracts.streaming`), each sent as soon as it is rendered.

The body is a generator: Werkzeug hands it to the WSGI server chunk by chunk, and our cheroot
server writes every chunk to the socket at once (no buffering), so a client reads the first
partial image while the next is being rendered. The configured latency is spread evenly before
the events; a fault for streams (``after_events``) cuts the connection after that many events,
or holds it for ``delay_ms`` first (``hang``). The journal entry of the request counts the
events sent as they go.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Response

from contracts.streaming import MEDIA_TYPE, frame
from mockserver.state.faults import Fault


class StreamProgress:
    """How many events a stream has sent, mirrored into its journal entry once it exists."""

    def __init__(self, planned: int) -> None:
        self.planned = planned
        self.sent = 0
        self.entry: dict[str, Any] | None = None
        self.on_end: Callable[[], None] | None = None  # a shared journal writes the entry again

    def end(self) -> None:
        """The stream is over (sent whole, cut, or its client gone)."""
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


def stream_response(
    events: Iterator[dict[str, Any]], *, progress: StreamProgress, latency: float, fault: Fault | None,
    connection: Any,
) -> Response:
    """``200 text/event-stream`` whose body renders and sends ``progress.planned`` events."""
    total = progress.planned
    pause = latency / total if total else 0.0
    cut_after = fault.after_events if fault is not None else None

    def body() -> Iterator[bytes]:
        try:
            for _ in range(total):
                if progress.sent == cut_after:
                    break
                if pause:
                    time.sleep(pause)
                data = next(events)
                yield frame(data)
                progress.count()
        finally:
            progress.end()
        if progress.sent == cut_after and fault is not None:
            _cut(fault, connection)

    response = Response(body(), status=200, mimetype=MEDIA_TYPE)
    response.headers["Cache-Control"] = "no-cache"  # ASSUMPTION: what an SSE answer usually carries
    return response


def _cut(fault: Fault, connection: Any) -> None:
    """End the stream as a failing network would: (after ``delay_ms`` for a hang) drop the
    connection. Over a socket the client sees the body end before its last chunk; in-process the iteration raises
    ConnectionResetError, which our transports turn into the HTTP library's own error."""
    if fault.kind == "hang" and fault.delay_ms:
        time.sleep(fault.delay_ms / 1000)
    if connection is not None:
        # The events sent stay readable (a reset would let the client's stack discard them):
        # what is buffered goes out, then the connection ends half-way through the chunked body.
        try:
            connection.wfile.flush()
            connection.socket.shutdown(socket.SHUT_WR)
        except (OSError, AttributeError):
            pass
        return
    raise ConnectionResetError(errno.ECONNRESET, "stream cut by an injected fault")
