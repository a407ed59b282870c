"""Streamed answers over HTTP: the events of :meth:`Backend.stream_events` framed as server-sent
events (:mod:`contracts.streaming`), each sent as soon as it is rendered.

The body is a generator: Werkzeug hands it to the WSGI server chunk by chunk, and our cheroot
server writes every chunk to the socket at once (no buffering), so a client reads the first
partial image while the next is being rendered. The configured latency is spread evenly before
the events; a fault for streams (``after_events``) cuts the connection after that many events,
or holds it for ``delay_ms`` first (``hang``). The pauses end early when the faults are cleared
(reset, ``DELETE /_mock/faults``), the hang when hangs are released (those, and shutdown). The
journal entry of the request counts the events sent as they go.
"""

from __future__ import annotations

import errno
import socket
import threading
from collections.abc import Iterator
from typing import Any

from contracts.streaming import frame
from mockserver.core.exchange import CUT_FAULT, StreamProgress
from mockserver.http.connection import CLIENT_GONE
from mockserver.state.faults import Fault


def stream_body(
    events: Iterator[dict[str, Any]], *, progress: StreamProgress, latency: float, fault: Fault | None,
    connection: Any, latency_release: threading.Event | None, hang_release: threading.Event | None,
) -> Iterator[bytes]:
    """The body of a ``200 text/event-stream`` answer: it renders and sends ``progress.planned`` events.
    ``latency_release`` (given with a latency) ends its pauses once set, ``hang_release`` (given
    with a hang) the hang."""
    total = progress.planned
    pause = latency / total if total else 0.0
    cut_after = fault.after_events if fault is not None else None

    def body() -> Iterator[bytes]:
        cut = None
        try:
            for _ in range(total):
                if progress.sent == cut_after:
                    cut = CUT_FAULT
                    break
                if pause and latency_release is not None:
                    latency_release.wait(pause)
                data = next(events)
                yield frame(data)
                progress.count()
        except GeneratorExit:  # the server stopped sending: why, if its connection says
            cut = getattr(connection, "write_failure", None) or CLIENT_GONE
            raise
        finally:
            progress.end(cut)
        if progress.sent == cut_after and fault is not None:
            _cut(fault, connection, hang_release)

    return body()


def _cut(fault: Fault, connection: Any, release: threading.Event | None) -> None:
    """End the stream as a failing network would: (after ``delay_ms`` for a hang) drop the
    connection. Over a socket the client sees the body end before its last chunk; in-process the iteration raises
    ConnectionResetError, which our transports turn into the HTTP library's own error."""
    if fault.kind == "hang" and fault.delay_ms and release is not None:
        release.wait(fault.delay_ms / 1000)
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
