"""Reaching the Redis that holds a shared state: the URL, the client, the request path's own
connection, the writes a request defers to its end, and the key names every piece shares.

The ``redis`` package is imported here only, and only when a state URL is given, so the
in-memory fake never needs it installed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

from mockserver.settings.config import check_url, shown
from mockserver.state.lifecycle import StateUnavailable

# Short socket timeouts: a lost Redis turns a request into a quick 503, never a hang.
# ASSUMPTION (our choice): 1 s to connect, 2 s per command, one retry on a fresh connection
# (a pooled connection left over from before a Redis restart fails once, then the retry works).
CONNECT_TIMEOUT = 1.0
COMMAND_TIMEOUT = 2.0
PREFIX = "mockserver:"  # every key of the shared state starts with this
# The state hash: ``cv`` configuration version, ``off``/``frz`` the clock's offset and the
# time it is frozen at (empty: running), ``nf`` faults queued, ``je``/``jc`` the journal's
# epoch and entries ever recorded, ``sb``/``gb`` bytes held by the image store and the gallery.
STATE = PREFIX + "state"
_log = logging.getLogger("mockserver")  # Flask's app.logger: the app is named "mockserver"


def connect(url: str) -> Any:
    """A Redis client for ``url``, checked with a PING; StateUnavailable when it cannot answer."""
    check_url(url)
    try:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
    except ImportError:  # pragma: no cover - the redis extra is not installed
        raise StateUnavailable(f"cannot use the shared state at {shown(url)}: the redis package is not "
                               "installed (pip install 'mockserver[redis]')") from None
    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=COMMAND_TIMEOUT,
            retry=Retry(NoBackoff(), 1), health_check_interval=0, protocol=2,  # RESP2: what FastPath reads
        )
    except ValueError as exc:
        raise ValueError(f"state: {shown(url)} is not a usable Redis URL: {exc}") from None
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StateUnavailable(f"cannot reach the shared state at {shown(url)}: {reason}") from None
    return client


def errors() -> tuple[type[Exception], ...]:
    """The exceptions a lost Redis raises (for the app's 503 handler)."""
    import redis

    return (redis.RedisError,)


def _pack(commands: list[tuple[Any, ...]]) -> bytes:
    """Commands in the Redis protocol (RESP): what the client's packer makes, for the few
    types we send (bytes, str, int, float), at a fraction of its cost."""
    out = []
    for command in commands:
        out.append(b"*%d\r\n" % len(command))
        for arg in command:
            if isinstance(arg, str):
                arg = arg.encode("utf-8", "surrogateescape")
            elif isinstance(arg, (int, float)):
                arg = repr(arg).encode()
            out.append(b"$%d\r\n%b\r\n" % (len(arg), arg))
    return b"".join(out)


class _Replies:
    """Reads RESP2 replies from a socket: bulk and simple strings as bytes, integers, arrays,
    None for nil, and the server's errors as the client's exception values (not raised)."""

    def __init__(self, sock: Any, errors: Any) -> None:
        self._sock = sock
        self._errors = errors
        self._buf = b""
        self._pos = 0

    def _more(self) -> None:
        data = self._sock.recv(65536)
        if not data:
            raise OSError("Redis closed the connection")
        self._buf = self._buf[self._pos:] + data
        self._pos = 0

    def _line(self) -> bytes:
        while True:
            end = self._buf.find(b"\r\n", self._pos)
            if end >= 0:
                line = self._buf[self._pos:end]
                self._pos = end + 2
                return line
            self._more()

    def read(self) -> Any:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            while len(self._buf) - self._pos < size + 2:
                self._more()
            value = self._buf[self._pos:self._pos + size]
            self._pos += size + 2
            return value
        if kind == b":":
            return int(rest)
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self.read() for _ in range(count)]
        if kind == b"+":
            return rest
        if kind == b"-":
            no_script, response_error = self._errors
            text = rest.decode("utf-8", "replace")
            return no_script(text) if text.startswith("NOSCRIPT") else response_error(text)
        raise OSError(f"not a Redis reply: {line[:40]!r}")


class FastPath:
    """The request path's commands, on a connection of this thread's own, read by a small RESP
    reader: none of the client's per-command work (taking a connection from the pool and giving
    it back, retry wrappers, its generic parser, reply callbacks), which costs more CPU than the
    round trip itself. The connection is the client's (its handshake: password, database, TLS).

    A broken connection (Redis restarted) is dropped and the command sent once more on a new
    one; a second failure raises the client's ConnectionError (the app answers 503). Fork-safe:
    a forked worker opens its own connections (as the client's pool does)."""

    def __init__(self, client: Any) -> None:
        import threading

        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import NoScriptError, ResponseError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        self._client = client
        self._local = threading.local()
        self._broken = (RedisConnectionError, RedisTimeoutError, OSError)
        self._lost = RedisConnectionError
        self._errors = (NoScriptError, ResponseError)

    def _connection(self) -> tuple[Any, _Replies]:
        found = self._local.__dict__.get("conn")
        if found is None or found[2] != os.getpid():  # none yet, or the parent's (we were forked)
            # Kept in use for this thread: the client's close() disconnects it.
            conn = self._client.connection_pool.get_connection()
            conn.connect()
            found = self._local.conn = (conn, _Replies(conn._sock, self._errors), os.getpid())
        return found[0], found[1]

    def _send(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        for attempt in (1, 2):
            conn, replies = self._connection()
            try:
                conn._sock.sendall(_pack(commands))
                return [replies.read() for _ in commands]
            except self._broken as exc:
                self._local.__dict__.pop("conn", None)
                conn.disconnect()
                self._client.connection_pool.release(conn)
                if attempt == 2:
                    if isinstance(exc, self._lost):
                        raise
                    raise self._lost(f"{type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable")

    def call(self, *command: Any) -> Any:
        reply = self._send([command])[0]
        if isinstance(reply, Exception):
            raise reply
        return reply

    def scripts(self, calls: list[tuple[Any, list[Any], list[Any]]]) -> list[Any]:
        """Run registered scripts (``(script, keys, args)`` each) in one round trip; a script that
        Redis no longer holds (it restarted) is loaded and run again."""
        replies = self._send([("EVALSHA", script.sha, len(keys), *keys, *args) for script, keys, args in calls])
        for i, reply in enumerate(replies):
            if isinstance(reply, self._errors[0]):
                script, keys, args = calls[i]
                replies[i] = script(keys=keys, args=args)
            elif isinstance(reply, Exception):
                raise reply
        return replies


class Link:
    """One fake's link to a shared state: the client, the request path's connection
    (:class:`FastPath`), and what this thread's request holds (:attr:`request`).

    A request's writes that can wait (an answer's images, its journal entry) are deferred to
    its end and sent in one round trip (:meth:`flush`). A reset's writes are gathered by
    :meth:`atomically` and run in one MULTI/EXEC transaction."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.fast = FastPath(client)
        # This thread's request: .calls its deferred writes, and what its snapshot saw (the
        # pieces' own names); emptied as it ends.
        self.request = threading.local()
        self._batch = threading.local()  # .calls: the writes of a transaction being gathered
        self._reported: set[str] = set()

    def report(self, text: str) -> None:
        """Log ``text`` (what was repaired in the shared state) once in this process's life, not
        once per request that meets it."""
        if text in self._reported:
            return
        self._reported.add(text)
        _log.warning("shared state repaired: %s", text)

    def script(self, text: str) -> Any:
        return self.client.register_script(text)

    def begin(self) -> None:
        """A request starts on this thread: its deferrable writes wait for :meth:`flush`."""
        self.request.calls = []

    def defer(self, script: Any, keys: list[Any], args: list[Any]) -> None:
        """Run ``script`` when this request's answer is final (:meth:`flush`), with its other
        deferred writes; outside a request, as :meth:`write` does."""
        pending = self.request.__dict__.get("calls")
        if pending is None:
            self.write(script, keys, args)
        else:
            pending.append((script, keys, args))

    def write(self, script: Any, keys: list[Any], args: list[Any]) -> Any:
        """Run ``script`` now, or with the transaction being gathered (:meth:`atomically`)."""
        batch = self._batch.__dict__.get("calls")
        if batch is None:
            return script(keys=keys, args=args)
        batch.append((script, keys, args))
        return None

    @contextlib.contextmanager
    def atomically(self) -> Iterator[None]:
        """Gather the writes made inside (:meth:`write`) and run them as one transaction."""
        batch: list[tuple[Any, list[Any], list[Any]]] = []
        self._batch.calls = batch
        try:
            yield
        finally:
            del self._batch.calls
        with self.client.pipeline(transaction=True) as pipe:
            for script, keys, args in batch:
                script(keys=keys, args=args, client=pipe)  # the pipeline loads any script Redis lacks
            pipe.execute()

    def flush(self) -> None:
        """This thread's request is over: run its deferred writes in one pipeline (scripts a
        restarted Redis no longer holds are loaded again, and only those calls repeated)."""
        seen = self.request.__dict__
        calls = seen.get("calls")
        seen.clear()
        if calls:
            self.fast.scripts(calls)

    def discard(self) -> None:
        """This thread's request lost the state: forget its deferred writes."""
        self.request.__dict__.clear()
