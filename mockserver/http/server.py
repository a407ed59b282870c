"""Serve a fake over HTTP on a production-grade threaded WSGI server (cheroot).

:class:`LiveServer` runs one in a background thread (tests, the pytest plugin);
``python -m mockserver`` runs one in the foreground.

What this layer adds to cheroot, so no client can wedge the fake:

- **A control plane of its own.** Readers (cheroot's pool: ``threads`` + 48 threads)
  take each request once its line and headers have arrived whole and answer the
  control plane (``/_mock/``) on the spot; at most ``threads`` of them answer the
  API, image URLs and the renders of ``/_mock/images/<id>`` at once, and requests
  beyond that wait in a queue that holds no thread, for ``queue_timeout_ms`` at most
  (then a 503 with ``retry-after``). A control request therefore never waits behind
  API traffic, renders, slow answers or hang faults.
- **Heads read without a thread.** Until a request's head is whole, one watcher
  thread (:class:`_Watcher`) reads it as its bytes come: clients that trickle, stay
  silent or come back after each 408 hold no reader, however many they are.
- **Deadlines that count the client's silence, not each byte**: a request's line
  and headers must arrive within ``header_timeout_ms`` (the app's setting), its body
  within ``body_timeout`` seconds of waiting; a client that trickles a byte at a time
  gets a JSON 408 and loses its connection. (Time the fake spends on its own latency
  is not counted.) Each write of an answer waits ``write_timeout_ms`` at most for a
  client that does not read (a cut stream is journaled so: the connection's
  ``write_failure`` says why).
- **Bounded heads**: a request line over :data:`MAX_REQUEST_LINE` bytes gets 414,
  headers over :data:`MAX_HEADER_BYTES` bytes or :data:`MAX_HEADER_COUNT` lines get
  431; repeated headers are joined in linear time.
- **Every answer of its own is the API's JSON error envelope** (400 for a garbage
  request line, 505 for ``HTTP/2.0``, 408, 414, 431), never cheroot's text/plain.
- ``Expect: 100-continue`` with a body over the app's limit gets the 413 without
  the ``100 Continue``.
- :meth:`LiveServer.stop` is graceful: it stops accepting, lets requests in flight
  finish for up to ``grace`` seconds, then drops what is left.
"""

from __future__ import annotations

import collections
import contextlib
import http
import logging
import re
import selectors
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from cheroot import errors as cheroot_errors
from cheroot import server as cheroot_server
from cheroot import wsgi
from cheroot.makefile import StreamReader, StreamWriter
from flask import Flask
from werkzeug.exceptions import RequestTimeout

from contracts.envelope import CONTENT_TYPE, render
from contracts.errors import ApiError, error
from contracts.headers import REQUEST_ID, new_request_id
from contracts.limits import (
    HEADER_TIMEOUT_MS,
    MAX_HEADER_BYTES,
    MAX_HEADER_COUNT,
    MAX_REQUEST_LINE,
    QUEUE_TIMEOUT_MS,
    WRITE_TIMEOUT_MS,
)
from contracts.ratelimits import OVERLOADED_RETRY_SECONDS, retry_headers
from contracts.spec import API_PREFIX, CONTROL_PREFIX
from mockserver.http.connection import CLIENT_GONE, ENVIRON_CONNECTION, WRITE_TIMED_OUT

HEADER_TIMEOUT = HEADER_TIMEOUT_MS / 1000  # seconds of waiting for a request's line and headers, in all
BODY_TIMEOUT = 60.0  # seconds of waiting for its body, in all (16 MB at 2 Mbit/s)
QUEUE_TIMEOUT = QUEUE_TIMEOUT_MS / 1000  # seconds a request may wait for an API slot (queue_timeout_ms)
WRITE_TIMEOUT = WRITE_TIMEOUT_MS / 1000  # seconds one write of an answer may wait on the client (write_timeout_ms)
IDLE_TIMEOUT = 30  # seconds a connection may stay silent between requests
SPARE_READERS = 48  # readers beyond the API's threads: heads and the control plane
DEFAULT_GRACE = 5.0  # seconds, when the app does not say (Config.shutdown_grace_ms)
BACKLOG = 128  # the listen backlog: cheroot's default of 5 resets bursts of clients

_CONTROL = CONTROL_PREFIX.encode()
# Control routes that render (an image a journal entry refers to): answered within the API's
# slots like the image URLs, so renders never take the control plane's readers or memory.
_RENDERING = (_CONTROL + b"/images/",)
HEAD_BUFFER = MAX_REQUEST_LINE + MAX_HEADER_BYTES + 1  # more than this unread is a head too large
WATCH_TICK = 0.1  # seconds between the watcher's looks at its deadlines
LINGER_SECONDS = 0.5  # after an error answer, how long to read what the client still sends
LINGER_BYTES = 1024 * 1024
_log = logging.getLogger("mockserver.http.server")


class _Deadline(socket.SocketIO):
    """A socket's raw reads, counting the time spent waiting against a budget.

    With a budget set, each wait is cut at what is left of it, and an empty
    budget raises :class:`RequestTimeout` (the app's 408). The budget counts only
    time blocked on the client, so the fake's own latency never eats into it.
    """

    def __init__(self, sock: socket.socket, idle: float) -> None:
        super().__init__(sock, "rb")
        self._idle = idle
        self.left: float | None = None
        self.expired = False  # the client ran out of time: the rest of its stream is lost
        # Bytes the head watcher took off the socket before a reader was given the connection.
        self.pending = bytearray()
        self.eof = False  # ... and whether the client had closed its side after them

    def allow(self, seconds: float | None) -> None:
        self.left = seconds

    def readinto(self, b: Any) -> int | None:
        if self.pending:
            n = min(len(b), len(self.pending))
            b[:n] = self.pending[:n]
            del self.pending[:n]
            return n
        if self.eof:
            return 0
        left = self.left
        if left is None:
            return super().readinto(b)
        if left <= 0:
            self.expired = True
            raise RequestTimeout()
        sock = self._sock  # type: ignore[attr-defined]
        wait = min(left, self._idle)
        if sock.gettimeout() != wait:
            sock.settimeout(wait)
        started = time.monotonic()
        try:
            return super().readinto(b)
        except TimeoutError:
            if wait < self._idle:  # the budget ran out, not the connection's patience
                self.expired = True
                raise RequestTimeout() from None
            raise
        finally:
            self.left = left - (time.monotonic() - started)


class _Reader(StreamReader):
    def __init__(self, sock: socket.socket, idle: float, bufsize: int) -> None:
        self.deadline = _Deadline(sock, idle)
        # StreamReader.__init__ would wrap a plain SocketIO; build the buffered reader on ours.
        super(StreamReader, self).__init__(self.deadline, bufsize)
        self.bytes_read = 0

    def has_data(self) -> bool:
        return bool(super().has_data() or self.deadline.pending)  # type: ignore[no-untyped-call]


# The headers whose repeats are joined with ", " (cheroot's list, RFC 9110).
_COMMA_SEPARATED = frozenset(cheroot_server.comma_separated_headers)  # type: ignore[attr-defined]


class _HeadersTooLarge(Exception):
    pass


class _HeaderReader:
    """cheroot's header reading, with a count limit, linear joins and no obs-fold.

    An ``Expect`` header is kept aside (``expect``) so the request, not cheroot,
    decides whether to send ``100 Continue``.
    """

    def __init__(self) -> None:
        self.expect: bytes | None = None

    def __call__(self, rfile: Any, hdict: dict[bytes, bytes]) -> dict[bytes, bytes]:
        joined: dict[bytes, list[bytes]] = {}
        count = 0
        while True:
            line = rfile.readline()
            if not line:
                raise ValueError("Illegal end of headers.")
            if line == b"\r\n":
                break
            if not line.endswith(b"\r\n"):
                raise ValueError("HTTP requires CRLF terminators")
            count += 1
            if count > MAX_HEADER_COUNT:
                raise _HeadersTooLarge(f"more than {MAX_HEADER_COUNT} header lines")
            if line[:1] in (b" ", b"\t"):
                raise ValueError("Folded header lines are not accepted.")
            name, colon, value = line.partition(b":")
            if not colon:
                raise ValueError("Illegal header line.")
            key = name.strip().title()
            value = value.strip()
            if key == b"Expect":
                self.expect = value
            elif key in _COMMA_SEPARATED:
                joined.setdefault(key, []).append(value)
            else:
                hdict[key] = value
        for key, values in joined.items():
            hdict[key] = b", ".join(v for v in values if v)
        return hdict


def _server_error(status: int, reason: str) -> ApiError:
    """The catalogued JSON error for an answer the server layer gives itself."""
    if status == 400:
        return error("malformed_request", reason=reason.rstrip(".") or "Bad Request")
    if status == 408:
        return error("request_timeout")
    if status == 414:
        return error("request_line_too_long", max_bytes=MAX_REQUEST_LINE)
    if status == 431:
        return error("headers_too_large", max_bytes=MAX_HEADER_BYTES, max_count=MAX_HEADER_COUNT)
    if status == 505:
        return error("http_version_not_supported")
    if status < 500 or status == 501:  # 501: a Transfer-Encoding other than chunked
        phrase = http.HTTPStatus(status).phrase if status in _KNOWN else "Bad Request"
        return error("malformed_request", status=status, reason=reason.rstrip(".") or phrase)
    return error("server_error", status=status)


class _Request(cheroot_server.HTTPRequest):
    """One request on a connection: its head read within bounds, its answer in JSON."""

    server: _Server
    conn: _Connection

    def __init__(self, server: _Server, conn: _Connection, *args: Any, **kwargs: Any) -> None:
        super().__init__(server, conn, *args, **kwargs)
        self.header_reader = _HeaderReader()
        self.close_after = False
        self.queued_at = 0.0  # when it began to wait for an API slot

    def parse_request(self) -> None:
        deadline = self.conn.rfile.deadline
        deadline.allow(self.server.header_timeout())
        try:
            self._parse()
        except RequestTimeout:
            self.simple_response("408 Request Timeout")
        finally:
            deadline.allow(None)

    def _parse(self) -> None:
        self.rfile = cheroot_server.SizeCheckWrapper(self.conn.rfile, MAX_REQUEST_LINE)
        try:
            if not self.read_request_line():  # type: ignore[no-untyped-call]
                return
        except cheroot_errors.MaxSizeExceeded:
            self.simple_response("414 URI Too Long")
            return
        self.rfile = cheroot_server.SizeCheckWrapper(self.conn.rfile, MAX_HEADER_BYTES)
        try:
            if not self.read_request_headers():  # type: ignore[no-untyped-call]
                return
        except (cheroot_errors.MaxSizeExceeded, _HeadersTooLarge):
            self.simple_response("431 Request Header Fields Too Large")
            return
        if not self._expect_continue():
            return
        self.ready = True

    def _expect_continue(self) -> bool:
        """Answer ``Expect: 100-continue`` only when the body may be sent: a body over
        the app's limit gets the app's 413 (read before the body) with no 100."""
        expect = self.header_reader.expect
        if expect is None:
            return True
        self.inheaders[b"Expect"] = expect
        if expect.lower() != b"100-continue" or self.response_protocol != "HTTP/1.1":
            return True
        try:
            length = int(self.inheaders.get(b"Content-Length", 0))
        except ValueError:
            return True  # cheroot has answered 400 already
        limit = self.server.body_limit
        if limit and length > limit:
            return True
        try:
            self.conn.wfile.write(self.server.protocol.encode("ascii") + b" 100 Continue\r\n\r\n")
        except OSError as exc:
            if exc.args[0] not in cheroot_errors.socket_errors_to_ignore:
                raise
        return True

    def respond(self) -> None:
        path = self.path
        control = (path == _CONTROL or path.startswith(_CONTROL + b"/")) and not path.startswith(_RENDERING)
        if self.server.dispatching and not control:
            # Hand the request to the API workers once this reader is done with the
            # connection (see _Server.put_conn); cheroot must not close it meanwhile.
            self.close_after, self.close_connection = self.close_connection, False
            self.conn.pending = self
            return
        self.answer()

    def answer(self) -> None:
        """Read the body (within its deadline) and answer."""
        deadline = self.conn.rfile.deadline
        deadline.allow(self.server.body_timeout)
        try:
            super().respond()
        finally:
            deadline.allow(None)

    def send_headers(self) -> None:
        # cheroot keeps a connection whose answer says "Connection: close" (the app's 408
        # and 413) and would first read the rest of a body that is not coming.
        if self.conn.rfile.deadline.expired or any(
            k.lower() == b"connection" and v.lower() == b"close" for k, v in self.outheaders
        ):
            self.close_connection = True
            self.conn.linger = True
        # The answer's writes wait on the client for the write deadline, not for whatever
        # timeout the last read of the head or body left on the socket.
        with contextlib.suppress(OSError):
            self.conn.socket.settimeout(self.server.write_timeout())
        super().send_headers()

    def simple_response(self, status: Any, msg: Any = "") -> None:
        """cheroot's own answers (400, 408, 414, 431, 505, 500 ...) as the API's JSON."""
        code = int(str(status)[:3])
        reason = msg.decode("latin-1") if isinstance(msg, bytes) else str(msg)
        self.close_connection = True  # the rest of the stream cannot be trusted
        self.conn.linger = True
        try:
            self.conn.wfile.write(_error_answer(self.server.protocol, code, reason))
        except OSError as exc:
            if exc.args[0] not in cheroot_errors.socket_errors_to_ignore:
                raise


def _answer_bytes(protocol: str, status: int, headers: list[tuple[str, str]], body: bytes) -> bytes:
    """A whole answer that ends its connection, as bytes."""
    phrase = http.HTTPStatus(status).phrase if status in _KNOWN else "Error"
    lines = [f"{protocol} {status} {phrase}", *(f"{k}: {v}" for k, v in headers),
             f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def _error_answer(protocol: str, status: int, reason: str = "") -> bytes:
    """The server layer's own answer with ``status`` (400, 408, 414, 431, 505, 500 ...), as the API's JSON."""
    api_error = _server_error(status, reason)
    headers = [("Content-Type", CONTENT_TYPE), (REQUEST_ID, new_request_id())]
    return _answer_bytes(protocol, api_error.status, headers, render(api_error.body()))


Busy = Callable[[str], "tuple[int, list[tuple[str, str]], bytes] | None"]


def _busy_answer(protocol: str, path: str, busy: Busy | None) -> bytes:
    """The answer to a request that waited for an API slot past its deadline: what the app's
    ``busy`` gives for its path (an image URL answers as blob storage), else the API's 503
    ``overloaded`` with ``retry-after``."""
    given = busy(path) if busy is not None else None
    if given is not None:
        status, headers, body = given
        return _answer_bytes(protocol, status, headers, body)
    api_error = error("overloaded")
    headers = [("Content-Type", CONTENT_TYPE), (REQUEST_ID, new_request_id()),
               *retry_headers(OVERLOADED_RETRY_SECONDS).items()]
    return _answer_bytes(protocol, api_error.status, headers, render(api_error.body()))


_BARE_LF = re.compile(rb"(?<!\r)\n")


def _head_whole(buf: bytearray) -> bool:
    """Whether a reader can take ``buf`` (the bytes a connection has sent of its request so far)
    without waiting on the client: its head is whole (up to the empty line), or already wrong
    (a bare LF, a line or a head over its limit: the reader answers 400, 414 or 431 at once)."""
    start = 2 if buf.startswith(b"\r\n") else 0  # cheroot skips one empty line before the request line
    if buf.find(b"\r\n\r\n", start) >= 0 or len(buf) >= HEAD_BUFFER:
        return True
    if buf.find(b"\n", start) < 0:
        return len(buf) - start > MAX_REQUEST_LINE
    return _BARE_LF.search(buf, start) is not None


_KNOWN = {s.value for s in http.HTTPStatus}


class _Connection(cheroot_server.HTTPConnection):
    RequestHandlerClass = _Request
    rfile: _Reader

    def __init__(self, server: _Server, sock: socket.socket, makefile: Any = None) -> None:
        super().__init__(server, sock, makefile=self._files)
        self.pending: _Request | None = None
        self.write_failure: str | None = None  # why the last answer could not be written whole

    def close(self) -> None:
        """Close; after an error answer, first read (and drop) what the client is still
        sending, for a moment: closing with unread data sends a reset, which can destroy
        the answer before the client has read it."""
        if self.linger:
            self.linger = False
            watcher = self.server.watcher
            if watcher is not None and watcher.linger(self):
                return  # drained by the watcher, holding no thread; it closes the connection
            with contextlib.suppress(OSError):
                self.socket.shutdown(socket.SHUT_WR)
                self.socket.settimeout(LINGER_SECONDS)
                ends, drained = time.monotonic() + LINGER_SECONDS, 0
                while drained < LINGER_BYTES and time.monotonic() < ends:
                    chunk = self.socket.recv(65536)
                    if not chunk:
                        break
                    drained += len(chunk)
        super().close()

    def _files(self, sock: socket.socket, mode: str, bufsize: int) -> Any:
        if "r" in mode:
            return _Reader(sock, float(self.server.timeout), bufsize)
        return StreamWriter(sock, mode, bufsize)


class _ApiGate:
    """At most ``capacity`` threads answer API requests (and image URLs) at once.

    A reader that finds a slot free answers the request itself (no hand-over between
    threads: that cost about 0.3 ms of CPU a request); otherwise the request waits in a
    queue, holding no thread, and the next reader to finish an API answer takes it. The
    other readers stay free for request heads and the control plane.
    """

    def __init__(self, server: _Server, capacity: int) -> None:
        self._server = server
        self._capacity = capacity
        self._lock = threading.Condition()
        self._busy = 0
        self._queue: collections.deque[_Request] = collections.deque()
        self._active: set[_Request] = set()

    def run(self, first: _Request) -> None:
        """Answer ``first`` now if a slot is free, then whatever queued meanwhile; else queue it."""
        with self._lock:
            if self._busy >= self._capacity:
                first.queued_at = time.monotonic()
                self._queue.append(first)
                return
            self._busy += 1
            self._active.add(first)
        req: _Request | None = first
        while req is not None:
            try:
                self._answer(req)
            finally:
                with self._lock:
                    self._active.discard(req)
                    req = self._queue.popleft() if self._queue else None
                    if req is None:
                        self._busy -= 1
                        self._lock.notify_all()
                    else:
                        self._active.add(req)

    def _answer(self, req: _Request) -> None:
        conn = req.conn
        keep = False
        try:
            req.close_connection = req.close_after
            req.answer()
            keep = not req.close_connection
        except RequestTimeout:
            if not req.sent_headers:
                req.simple_response("408 Request Timeout")
        except OSError as exc:
            if "timed out" in str(exc.args[:1]) and not req.sent_headers:
                req.simple_response("408 Request Timeout")
        except Exception:  # cheroot's own communicate() logs and answers 500 the same way
            _log.exception("error while answering %r", getattr(req, "path", b""))
            if not req.sent_headers:
                with contextlib.suppress(OSError):
                    req.simple_response("500 Internal Server Error")
        finally:
            if keep:
                self._server.put_conn(conn)
            else:
                conn.close()

    def overdue(self, now: float) -> list[_Request]:
        """Take out of the queue the requests that have waited for a slot past the queue
        deadline (they are answered 503 by the caller, instead of waiting on)."""
        with self._lock:
            if not self._queue:
                return []
            oldest = now - self._server.queue_timeout()
            taken = []
            while self._queue and self._queue[0].queued_at <= oldest:
                taken.append(self._queue.popleft())
            return taken

    def wait(self, deadline: float) -> bool:
        """Wait until no API request is queued or being answered, or ``deadline`` passes."""
        with self._lock:
            while self._busy or self._queue:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
            return True

    def abort(self) -> None:
        """Drop every API request queued or being answered (the grace is over)."""
        with self._lock:
            queued, self._queue = list(self._queue), collections.deque()
            active = list(self._active)
        for req in active:
            _shut(req.conn)
        for req in queued:
            _shut(req.conn)
            req.conn.close()


def _shut(conn: Any) -> None:
    with contextlib.suppress(OSError, AttributeError):
        conn.socket.shutdown(socket.SHUT_RDWR)


class _Watcher:
    """One thread holding, without a reader, what would otherwise hold one.

    - **Heads still arriving.** A connection reaches a reader only once its request's line
      and headers are whole (:func:`_head_whole`): until then the watcher reads its bytes as
      they come and answers 408 at the header deadline. However many clients trickle or
      stay silent, and however often they come back, the readers stay free for the control
      plane and for heads that have arrived.
    - **Connections closing after an error answer**, drained for a moment (a close with
      unread data sends a reset, which can destroy the answer before the client reads it).
    - **The API's queue**: a request still waiting for a slot past the queue deadline is
      answered 503 (see :func:`_busy_answer`).
    """

    def __init__(self, server: _Server) -> None:
        self._server = server
        self._selector = selectors.DefaultSelector()
        self._lock = threading.Lock()  # registrations come from any thread (cheroot's own selector does so too)
        self._heads: dict[_Connection, float] = {}  # connection -> its header deadline
        self._draining: dict[_Connection, tuple[float, int]] = {}  # connection -> (its end, bytes drained)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mockserver-heads", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching and close every connection held."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        with self._lock:
            held = [*self._heads, *self._draining]
            self._heads.clear()
            self._draining.clear()
            with contextlib.suppress(Exception):
                self._selector.close()
        for conn in held:
            _close(conn)

    @property
    def running(self) -> bool:
        return self._thread is not None and not self._stop.is_set()

    def admit(self, conn: _Connection) -> bool:
        """Whether ``conn``'s head is whole (a reader may take it now); if not, hold it until it is."""
        if _take_head(conn) is not False or not self.running:
            _restore(conn)
            return True  # whole, closed or broken: a reader answers or closes it at once
        with self._lock:
            if conn not in self._heads:
                self._heads[conn] = time.monotonic() + self._server.header_timeout()
            try:
                self._selector.register(conn.socket, selectors.EVENT_READ, conn)
            except (KeyError, ValueError, OSError):
                del self._heads[conn]
                _restore(conn)
                return True
        return False

    def linger(self, conn: _Connection) -> bool:
        """Drain ``conn`` for a moment after its (error) answer, then close it; False if the
        watcher cannot (stopped), and the caller closes it itself."""
        if not self.running:
            return False
        with self._lock:
            try:
                conn.socket.shutdown(socket.SHUT_WR)
                conn.socket.settimeout(0)
                self._draining[conn] = (time.monotonic() + LINGER_SECONDS, 0)
                self._selector.register(conn.socket, selectors.EVENT_READ, conn)
            except (KeyError, ValueError, OSError):
                self._draining.pop(conn, None)
                conn.linger = False
                _close(conn)
        return True

    def _run(self) -> None:
        next_sweep = 0.0
        while not self._stop.is_set():
            try:
                events = self._selector.select(WATCH_TICK)
            except (OSError, ValueError):  # closed by stop()
                return
            # Nothing may end this loop but stop(): every connection still arriving depends on it.
            for key, _ in events:
                try:
                    self._readable(key.data)
                except Exception:
                    _log.exception("the head watcher could not handle a connection")
                    self._forget(key.data)
                    _close(key.data)
            now = time.monotonic()
            if now >= next_sweep:
                next_sweep = now + WATCH_TICK
                try:
                    self._sweep(now)
                except Exception:
                    _log.exception("the head watcher could not end what is past its deadline")

    def _forget(self, conn: _Connection) -> None:
        with self._lock:
            self._heads.pop(conn, None)
            self._draining.pop(conn, None)
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._selector.unregister(conn.socket)

    def _readable(self, conn: _Connection) -> None:
        draining = self._draining.get(conn)
        if draining is not None:
            end, drained = draining
            try:
                chunk = conn.socket.recv(65536)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            drained += len(chunk)
            if chunk and drained < LINGER_BYTES:
                self._draining[conn] = (end, drained)
                return
            self._forget(conn)
            _close(conn)
            return
        if conn not in self._heads:
            return
        state = _take_head(conn)
        if state is False:
            return  # still partial: wait for more
        self._forget(conn)
        if state is None:  # the client left before its head was whole
            _close(conn)
            return
        _restore(conn)
        self._server.serve_conn(conn)

    def _sweep(self, now: float) -> None:
        with self._lock:  # other threads add to both
            expired = [c for c, deadline in self._heads.items() if deadline <= now]
            done = [c for c, (end, _) in self._draining.items() if end <= now]
        for conn in done:
            self._forget(conn)
            _close(conn)
        for conn in expired:  # too slow: the JSON 408, then the connection ends
            self._forget(conn)
            self._answer_and_close(conn, _error_answer(self._server.protocol, 408))
        api = self._server.api
        if api is not None:
            for req in api.overdue(now):
                busy = _busy_answer(self._server.protocol, req.path.decode("latin-1").split("?")[0],
                                    self._server.busy)
                self._answer_and_close(req.conn, busy)

    def _answer_and_close(self, conn: _Connection, data: bytes) -> None:
        """Send a short answer (the socket's buffer is empty: it goes at once) and end the connection."""
        with contextlib.suppress(OSError):
            conn.socket.settimeout(0)
            conn.socket.send(data)
        conn.linger = True
        conn.close()


def _take_head(conn: _Connection) -> bool | None:
    """Read what ``conn`` has sent without waiting (into its reader's pending bytes): True when
    its head is whole, False when more is to come, None when the client closed or the socket broke."""
    reader = conn.rfile
    if super(_Reader, reader).has_data():  # type: ignore[no-untyped-call]
        return True  # already buffered by a previous request (pipelined): the reader goes on
    deadline = reader.deadline
    sock = conn.socket
    try:
        sock.settimeout(0)
        room = HEAD_BUFFER - len(deadline.pending)
        chunk = sock.recv(room) if room > 0 else b"x"
    except BlockingIOError:
        return _head_whole(deadline.pending) if deadline.pending else False
    except OSError:
        return None
    if not chunk:
        deadline.eof = True  # a client may send its request, then close its side
        return True if deadline.pending else None
    if room > 0:
        deadline.pending += chunk
    return _head_whole(deadline.pending)


def _restore(conn: _Connection) -> None:
    """Give the socket back its blocking timeout before a reader takes it."""
    with contextlib.suppress(OSError):
        conn.socket.settimeout(conn.server.timeout)


def _close(conn: _Connection) -> None:
    with contextlib.suppress(Exception):
        conn.close()


class _Server(wsgi.Server):
    ConnectionClass = _Connection

    body_timeout = BODY_TIMEOUT
    body_limit = 0
    api: _ApiGate | None = None
    watcher: _Watcher | None = None
    busy: Busy | None = None  # the app's answer to a request refused for want of a slot
    fixed_header_timeout: float | None = None  # LiveServer(header_timeout=...), else the app's setting
    settings: Callable[[], Any] = staticmethod(lambda: None)  # the app's running configuration, if any

    def _setting(self, name: str, default: float) -> float:
        """A deadline in seconds from the app's running configuration (``<name>_ms``), read at
        each use so a ``PATCH /_mock/config`` applies to the next request."""
        ms = getattr(self.settings(), name, None)
        return default if not isinstance(ms, int) else ms / 1000

    def header_timeout(self) -> float:
        if self.fixed_header_timeout is not None:
            return self.fixed_header_timeout
        return self._setting("header_timeout_ms", HEADER_TIMEOUT)

    def queue_timeout(self) -> float:
        return self._setting("queue_timeout_ms", QUEUE_TIMEOUT)

    def write_timeout(self) -> float:
        return self._setting("write_timeout_ms", WRITE_TIMEOUT)

    def process_conn(self, conn: _Connection) -> None:
        """A connection with something to read (new, or back from keep-alive): to a reader
        once its head is whole; until then the watcher holds it."""
        watcher = self.watcher
        if watcher is None or watcher.admit(conn):
            self.serve_conn(conn)

    def serve_conn(self, conn: _Connection) -> None:
        if not self.ready:  # stopping: no reader will take it
            _close(conn)
            return
        super().process_conn(conn)

    shared: socket.socket | None = None  # a listening socket opened elsewhere (see listening_socket)

    @property
    def dispatching(self) -> bool:
        return self.api is not None

    def bind(self, family: Any, type: Any, proto: Any = 0) -> socket.socket:
        if self.shared is None:
            return super().bind(family, type, proto)  # type: ignore[no-any-return]
        self.socket = self.shared
        self.bind_addr = self.shared.getsockname()[:2]
        return self.shared

    def prepare(self) -> None:
        super().prepare()
        if self.shared is not None:
            # Other processes accept on this socket too: one that loses the race for a
            # connection must return to its loop at once, not wait in accept() (cheroot's
            # 1 s timeout) while its own connections wait.
            self.socket.settimeout(0)

    def put_conn(self, conn: _Connection) -> None:
        req = conn.pending
        if req is not None and self.api is not None:
            conn.pending = None
            self.api.run(req)
            return
        super().put_conn(conn)


class _Gateway(wsgi.Gateway_10):
    """cheroot's WSGI gateway, also handing the app the connection (to drop it on a fault) and
    telling it why a write failed (``write_failure`` on the connection: a stream cut is journaled so)."""

    def get_environ(self) -> Any:
        environ: dict[str, object] = super().get_environ()  # type: ignore[no-untyped-call]
        environ[ENVIRON_CONNECTION] = self.req.conn
        return environ

    def write(self, chunk: bytes) -> None:
        try:
            super().write(chunk)
        except OSError as exc:
            timed_out = isinstance(exc, TimeoutError) or "timed out" in str(exc.args[:1])
            self.req.conn.write_failure = WRITE_TIMED_OUT if timed_out else CLIENT_GONE
            raise


class LiveServer:
    """A fake listening on ``host:port`` (port 0: a free one) until stopped.

    ``readers`` threads (default ``threads`` + 48) take requests whose heads are whole and
    answer the control plane; at most ``threads`` of them answer the API, image URLs and
    renders at once. ``header_timeout`` and ``body_timeout`` bound, in seconds, how long a
    client may take to send a request's head and its body (``header_timeout`` by default:
    the app's ``header_timeout_ms``, read at each request; so are ``queue_timeout_ms`` and
    ``write_timeout_ms``). ``grace``: seconds :meth:`stop` lets requests in
    flight finish (default: the app's ``shutdown_grace_ms``). ``sock``: a listening
    socket to serve instead of opening one (``host`` and ``port`` are then ignored),
    e.g. one from :func:`listening_socket` shared by forked workers; :meth:`stop`
    closes that descriptor (others of the same socket, such as a forked worker's or a
    ``sock.dup()``, keep listening).
    """

    def __init__(
        self,
        app: Flask,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        threads: int = 16,
        readers: int | None = None,
        header_timeout: float | None = None,
        body_timeout: float = BODY_TIMEOUT,
        grace: float | None = None,
        sock: socket.socket | None = None,
    ) -> None:
        self.app = app
        self._threads = threads
        self._grace = grace
        self._server = _Server(
            (host, port),
            app,
            numthreads=threads + SPARE_READERS if readers is None else readers,
            server_name="mockserver",
            timeout=IDLE_TIMEOUT,
            request_queue_size=BACKLOG,
            shutdown_timeout=int(DEFAULT_GRACE),
        )
        # cheroot's own body limit stays off, so the app answers 413 in JSON.
        self._server.max_request_body_size = 0
        self._server.body_limit = int(app.config.get("MAX_CONTENT_LENGTH") or 0)
        self._server.fixed_header_timeout = header_timeout
        backend = app.extensions.get("mockserver")
        self._server.settings = lambda: getattr(backend, "config", None)
        self._server.busy = app.extensions.get("mockserver.busy")
        self._server.body_timeout = body_timeout
        self._server.gateway = _Gateway
        self._server.shared = sock
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    @property
    def host(self) -> str:
        return str(self._server.bind_addr[0])

    @property
    def port(self) -> int:
        return int(self._server.bind_addr[1])

    @property
    def url(self) -> str:
        return url_of(self.host, self.port)

    @property
    def base_url(self) -> str:
        """What to give an SDK as its base URL."""
        return self.url + API_PREFIX

    @property
    def grace(self) -> float:
        if self._grace is not None:
            return self._grace
        backend = self.app.extensions.get("mockserver")
        config = getattr(backend, "config", None)
        return DEFAULT_GRACE if config is None else config.shutdown_grace_ms / 1000

    def bind(self) -> LiveServer:
        """Open the socket (so ``port`` is known) without serving yet."""
        if not self._server.ready:
            self._server.prepare()
            if self._server.api is None:
                self._server.api = _ApiGate(self._server, self._threads)
            if self._server.watcher is None:
                self._server.watcher = _Watcher(self._server)
                self._server.watcher.start()
        return self

    def serve_forever(self) -> None:
        """Serve until :meth:`stop` (from another thread) has stopped accepting."""
        self.bind()
        self._server.serve()

    def start(self) -> LiveServer:
        """Bind and serve in a daemon thread; returns once the port is open."""
        self.bind()
        self._thread = threading.Thread(target=self._server.serve, name="mockserver", daemon=True)
        self._thread.start()
        return self

    def stop(self, grace: float | None = None) -> None:
        """Stop accepting; let requests in flight finish for up to ``grace`` seconds
        (default :attr:`grace`); then drop what is left. Hang faults end at once."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        grace = self.grace if grace is None else grace
        deadline = time.monotonic() + grace
        backend = self.app.extensions.get("mockserver")
        if backend is not None:
            backend.faults.release_hangs()
        # cheroot stops accepting, then lets its readers finish (the heads they read, the
        # control requests and API answers they give) until the grace is over; it then
        # cuts the connections still waiting on a client, but waits without a bound for a
        # reader still busy in the app (a long --latency-ms): hence its own thread here.
        self._server.shutdown_timeout = max(0.0, deadline - time.monotonic())
        stopper = threading.Thread(target=self._server.stop, name="mockserver-stop-cheroot", daemon=True)
        stopper.start()
        api = self._server.api
        if api is not None and not api.wait(deadline):
            api.abort()
        stopper.join(timeout=max(0.0, deadline - time.monotonic()) + 1.0)
        if self._thread is not None:
            self._thread.join(timeout=1.0)
            self._thread = None
        if self._server.watcher is not None:
            self._server.watcher.stop()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def url_of(host: str, port: int) -> str:
    """``http://host:port``, an IPv6 address in brackets."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` (port 0: a free one), opened as :class:`LiveServer`
    opens its own, for processes that share it (``LiveServer(..., sock=...)`` in each).
    OSError says why not."""
    server = _Server((host, port), None, server_name="mockserver")  # binds nothing yet
    problems = []
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise OSError(f"cannot resolve {host!r}: {exc}") from None
    for family, kind, proto, _, address in infos:
        sock: socket.socket = server.prepare_socket(address, family, kind, proto, server.nodelay, None)
        try:
            sock.bind(address)
            sock.listen(BACKLOG)
        except OSError as exc:
            sock.close()
            problems.append(str(exc))
            continue
        return sock
    raise OSError("; ".join(problems) or "no address to listen on")
