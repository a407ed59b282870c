"""Serve a fake over HTTP on a production-grade threaded WSGI server (cheroot).

:class:`LiveServer` runs one in a background thread (tests, the pytest plugin);
``python -m mockserver`` runs one in the foreground.

What this layer adds to cheroot, so no client can wedge the fake:

- **A control plane of its own.** Readers (cheroot's pool: ``threads`` + 48 threads)
  read each request's line and headers and answer the control plane (``/_mock/``)
  on the spot; at most ``threads`` of them answer the API and image URLs at once,
  and API requests beyond that wait in a queue that holds no thread. A control
  request therefore never waits behind API traffic, slow answers or hang faults.
- **Deadlines that count the client's silence, not each byte**: a request's line
  and headers must arrive within ``header_timeout`` seconds of waiting, its body
  within ``body_timeout``; a client that trickles a byte at a time gets a JSON 408
  and loses its connection. (Time the fake spends on its own latency is not
  counted.)
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
import socket
import threading
import time
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
from contracts.limits import MAX_HEADER_BYTES, MAX_HEADER_COUNT, MAX_REQUEST_LINE
from contracts.spec import API_PREFIX, CONTROL_PREFIX
from mockserver.http.connection import ENVIRON_CONNECTION

HEADER_TIMEOUT = 10.0  # seconds of waiting for a request's line and headers, in all
BODY_TIMEOUT = 60.0  # seconds of waiting for its body, in all (16 MB at 2 Mbit/s)
IDLE_TIMEOUT = 30  # seconds a connection may stay silent between requests
SPARE_READERS = 48  # readers beyond the API's threads: heads and the control plane
DEFAULT_GRACE = 5.0  # seconds, when the app does not say (Config.shutdown_grace_ms)
BACKLOG = 128  # the listen backlog: cheroot's default of 5 resets bursts of clients

_CONTROL = CONTROL_PREFIX.encode()
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

    def allow(self, seconds: float | None) -> None:
        self.left = seconds

    def readinto(self, b: Any) -> int | None:
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

    def parse_request(self) -> None:
        deadline = self.conn.rfile.deadline
        deadline.allow(self.server.header_timeout)
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
        control = self.path == _CONTROL or self.path.startswith(_CONTROL + b"/")
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
        super().send_headers()

    def simple_response(self, status: Any, msg: Any = "") -> None:
        """cheroot's own answers (400, 408, 414, 431, 505, 500 ...) as the API's JSON."""
        code = int(str(status)[:3])
        reason = msg.decode("latin-1") if isinstance(msg, bytes) else str(msg)
        api_error = _server_error(code, reason)
        body = render(api_error.body())
        phrase = http.HTTPStatus(api_error.status).phrase if api_error.status in _KNOWN else "Error"
        self.close_connection = True  # the rest of the stream cannot be trusted
        self.conn.linger = True
        head = (
            f"{self.server.protocol} {api_error.status} {phrase}\r\n"
            f"Content-Type: {CONTENT_TYPE}\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"{REQUEST_ID}: {new_request_id()}\r\n"
            "Connection: close\r\n\r\n"
        )
        try:
            self.conn.wfile.write(head.encode("latin-1") + body)
        except OSError as exc:
            if exc.args[0] not in cheroot_errors.socket_errors_to_ignore:
                raise


_KNOWN = {s.value for s in http.HTTPStatus}


class _Connection(cheroot_server.HTTPConnection):
    RequestHandlerClass = _Request
    rfile: _Reader

    def __init__(self, server: _Server, sock: socket.socket, makefile: Any = None) -> None:
        super().__init__(server, sock, makefile=self._files)
        self.pending: _Request | None = None

    def close(self) -> None:
        """Close; after an error answer, first read (and drop) what the client is still
        sending, for a moment: closing with unread data sends a reset, which can destroy
        the answer before the client has read it."""
        if self.linger:
            self.linger = False
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


class _Server(wsgi.Server):
    ConnectionClass = _Connection

    header_timeout = HEADER_TIMEOUT
    body_timeout = BODY_TIMEOUT
    body_limit = 0
    api: _ApiGate | None = None

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
    """cheroot's WSGI gateway, also handing the app the connection (to drop it on a fault)."""

    def get_environ(self) -> Any:
        environ: dict[str, object] = super().get_environ()  # type: ignore[no-untyped-call]
        environ[ENVIRON_CONNECTION] = self.req.conn
        return environ


class LiveServer:
    """A fake listening on ``host:port`` (port 0: a free one) until stopped.

    ``readers`` threads (default ``threads`` + 48) read requests' heads and answer the
    control plane; at most ``threads`` of them answer the API and image URLs at once. ``header_timeout`` and
    ``body_timeout`` bound, in seconds, how long a client may take to send a
    request's head and its body. ``grace``: seconds :meth:`stop` lets requests in
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
        header_timeout: float = HEADER_TIMEOUT,
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
        self._server.header_timeout = header_timeout
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
