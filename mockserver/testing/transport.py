"""Carry HTTP clients' requests into a fake in this process, with no sockets.

- :class:`WSGIAdapter` is a ``requests`` transport adapter: mount it on a
  ``requests.Session`` and the session's requests are answered by the WSGI app; a
  streamed answer is handed over as a stream too (``response.raw`` yields each event
  as the app produces it; a cut raises ``requests``' ChunkedEncodingError).
- :class:`HttpxWSGI` answers ``httpx`` requests (sync and async) from the WSGI app,
  turning a dropped connection (an injected ``reset``/``hang`` fault) into the
  error httpx raises when a real server hangs up. A streamed answer
  (``text/event-stream``) is handed over as a stream: each event reaches the client
  as the app produces it, and a stream cut by a fault raises httpx's error for a
  body that stopped half-way.

Used by :func:`mockserver.intercept` and by the pytest fixtures.
"""

from __future__ import annotations

import functools
import io
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
import requests
import urllib3.exceptions
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from werkzeug.test import EnvironBuilder, run_wsgi_app

WSGIApp = Any  # a WSGI callable; Flask's app is one


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if hasattr(body, "read"):
        return bytes(body.read())
    return b"".join(part.encode("utf-8") if isinstance(part, str) else bytes(part) for part in body)


def call_wsgi(
    app: WSGIApp, method: str, url: str, headers: Mapping[str, str], body: bytes
) -> tuple[int, str, list[tuple[str, str]], bytes]:
    """Run one request through ``app``: (status, reason, headers, body).

    Raises ConnectionResetError when the fake drops the connection.
    """
    code, reason, response_headers, app_iter = open_wsgi(app, method, url, headers, body, buffered=True)
    try:
        content = b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()
    return code, reason, response_headers, content


def open_wsgi(
    app: WSGIApp, method: str, url: str, headers: Mapping[str, str], body: bytes, *, buffered: bool
) -> tuple[int, str, list[tuple[str, str]], Iterable[bytes]]:
    """Start one request through ``app``: (status, reason, headers, the body's iterable). Unless
    ``buffered``, the body is produced as it is iterated (close it when done)."""
    parts = urlsplit(url)
    headers = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "transfer-encoding")}
    builder = EnvironBuilder(
        path=parts.path or "/",
        query_string=parts.query,
        method=method,
        headers=list(headers.items()),
        data=body,
        base_url=f"{parts.scheme}://{parts.netloc}",
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    app_iter, status, response_headers = run_wsgi_app(app, environ, buffered=buffered)
    code, _, reason = status.partition(" ")
    return int(code), reason, list(response_headers.items()), app_iter


class WSGIAdapter(BaseAdapter):
    """A ``requests`` adapter answering every request from a WSGI app."""

    def __init__(self, app: WSGIApp) -> None:
        super().__init__()
        self.app = app

    def send(
        self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
        verify: Any = True, cert: Any = None, proxies: Any = None,
    ) -> requests.Response:
        try:
            status, reason, headers, app_iter = open_wsgi(
                self.app, request.method or "GET", request.url or "/", dict(request.headers),
                _body_bytes(request.body), buffered=False,
            )
            raw: Any = _StreamedRaw(app_iter) if _is_stream(headers) else io.BytesIO(_read_all(app_iter))
        except ConnectionResetError as exc:
            raise requests.ConnectionError(exc, request=request) from exc
        response = requests.Response()
        response.status_code = status
        response.reason = reason
        response.headers = CaseInsensitiveDict(headers)
        response.raw = raw
        response.url = request.url or ""
        response.request = request
        response.connection = self  # type: ignore[assignment]
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        return response

    def close(self) -> None:
        pass


class _StreamedRaw:
    """A streamed body for ``requests`` (its ``response.raw``): the app's chunks as it produces
    them; a stream cut by a fault raises what urllib3 raises for a body that stopped half-way
    (``requests`` turns it into ChunkedEncodingError)."""

    def __init__(self, app_iter: Iterable[bytes]) -> None:
        self._app_iter = app_iter
        self._chunks = iter(app_iter)
        self.closed = False

    def stream(self, amt: int | None = None, decode_content: bool | None = None) -> Iterator[bytes]:
        try:
            for chunk in self._chunks:
                if chunk:
                    yield chunk
        except ConnectionResetError as exc:
            raise urllib3.exceptions.ProtocolError(_CUT, exc) from exc
        finally:
            self.close()

    def read(self, amt: int | None = None, decode_content: bool | None = None) -> bytes:
        return b"".join(self.stream())

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            close = getattr(self._app_iter, "close", None)
            if close is not None:
                close()


class HttpxWSGI:
    """Answers ``httpx`` requests from a WSGI app, for sync and async clients.

    ``lib`` is the httpx module the requests come from: ``httpx``, or ``httpx2`` (the
    fork that openai >= 3 uses), whose API is the same.
    """

    def __init__(self, app: WSGIApp, lib: Any = httpx) -> None:
        self.app = app
        self.lib = lib

    def _answer(self, request: Any, body: bytes, *, asynchronous: bool = False) -> Any:
        try:
            status, _, headers, app_iter = open_wsgi(
                self.app, request.method, str(request.url), dict(request.headers), body, buffered=False
            )
            if not _is_stream(headers):
                content = _read_all(app_iter)
        except ConnectionResetError as exc:
            raise self.lib.RemoteProtocolError("Server disconnected without sending a response.",
                                               request=request) from exc
        if _is_stream(headers):
            stream = _body_class(self.lib, asynchronous)(self.lib, app_iter, request)
            return self.lib.Response(status, headers=_drop_encoding(headers), stream=stream, request=request)
        return self.lib.Response(status, headers=_drop_encoding(headers), content=content, request=request)

    def handle(self, request: Any) -> Any:
        return self._answer(request, request.read())

    async def handle_async(self, request: Any) -> Any:
        return self._answer(request, await request.aread(), asynchronous=True)


def _is_stream(headers: Iterable[tuple[str, str]]) -> bool:
    return any(k.lower() == "content-type" and v.startswith("text/event-stream") for k, v in headers)


def _read_all(app_iter: Iterable[bytes]) -> bytes:
    try:
        return b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()


_CUT = "peer closed connection without sending complete message body (incomplete chunked read)"


class _SyncBody:
    """A streamed body for httpx: the app's chunks as it produces them."""

    def __init__(self, lib: Any, app_iter: Iterable[bytes], request: Any) -> None:
        self._lib, self._iter, self._request = lib, app_iter, request

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._iter
        except ConnectionResetError as exc:  # a fault cut the stream: what httpx raises for a cut body
            raise self._lib.RemoteProtocolError(_CUT, request=self._request) from exc

    def close(self) -> None:
        close = getattr(self._iter, "close", None)
        if close is not None:
            close()


class _AsyncBody(_SyncBody):
    """The same for async clients: each chunk is produced in a worker thread, so the fake's
    rendering and pacing never block the event loop."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        import anyio.to_thread

        iterator = iter(self._iter)
        done = object()
        while True:
            try:
                chunk = await anyio.to_thread.run_sync(next, iterator, done)
            except ConnectionResetError as exc:
                raise self._lib.RemoteProtocolError(_CUT, request=self._request) from exc
            if chunk is done:
                return
            yield cast(bytes, chunk)

    async def aclose(self) -> None:
        self.close()


@functools.lru_cache(maxsize=8)
def _body_class(lib: Any, asynchronous: bool) -> Any:
    """Our body as the byte-stream class of ``lib`` (httpx or httpx2), which httpx requires."""
    if asynchronous:
        return type("AsyncWSGIBody", (_AsyncBody, lib.AsyncByteStream), {})
    return type("SyncWSGIBody", (_SyncBody, lib.SyncByteStream), {})


def _drop_encoding(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    # The content handed to httpx is already the whole, decoded body.
    return [(k, v) for k, v in headers if k.lower() not in ("content-encoding", "transfer-encoding")]


class _SyncTransport(httpx.BaseTransport):
    def __init__(self, bridge: HttpxWSGI) -> None:
        self.bridge = bridge

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response: httpx.Response = self.bridge.handle(request)
        return response


class _AsyncTransport(httpx.AsyncBaseTransport):
    def __init__(self, bridge: HttpxWSGI) -> None:
        self.bridge = bridge

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response: httpx.Response = await self.bridge.handle_async(request)
        return response


def httpx_transport(app: WSGIApp) -> httpx.BaseTransport:
    """An httpx transport that answers from ``app`` (no sockets)."""
    return _SyncTransport(HttpxWSGI(app))


def httpx_async_transport(app: WSGIApp) -> httpx.AsyncBaseTransport:
    return _AsyncTransport(HttpxWSGI(app))


def requests_session(app: WSGIApp) -> requests.Session:
    """A ``requests.Session`` whose every request is answered by ``app``."""
    session = requests.Session()
    adapter = WSGIAdapter(app)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
