"""Injected connection faults at the WSGI edge: a connection dropped, held then dropped,
or ended after a short body. The app marks the request in its environ; :func:`drop_connections` acts on it."""

from __future__ import annotations

import errno
import socket
import struct
import time
from collections.abc import Callable, Iterable
from typing import Any

ENVIRON_DROP = "mockserver.drop_connection"  # set by the app, acted on by drop_connections()
ENVIRON_CONNECTION = "mockserver.connection"  # set by our cheroot gateway
ENVIRON_CLOSE_AFTER = "mockserver.close_after"  # answer, then end the connection (truncated bodies)
ENVIRON_RELEASE = "mockserver.release_hang"  # the Event that ends a hang early (reset, DELETE, stop)
# Why an answer's write failed, as our cheroot connection tells it (its ``write_failure``):
WRITE_TIMED_OUT = "write_timeout"  # the client read nothing for the write deadline (write_timeout_ms)
CLIENT_GONE = "client_gone"  # the client closed or reset the connection


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
            release = environ.get(ENVIRON_RELEASE)
            if release is not None:
                release.wait(delay)
            else:
                time.sleep(delay)
        _abort(environ.get(ENVIRON_CONNECTION))
        raise ConnectionResetError(errno.ECONNRESET, "connection dropped by an injected fault")

    return app
