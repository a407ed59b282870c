"""A WSGI middleware that records what reached a fake, as the fake saw it.

Wrapped around one app instance's ``wsgi_app``, it keeps, for every request, the
method, path, headers, the multipart parts (name, filename, content type, size)
and the status the app answered, so a test can count requests (retries) and see
how an SDK encoded its uploads. It can also answer the next requests itself with
canned responses, before the app sees them (to make an SDK retry).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from werkzeug.formparser import parse_form_data

Environ = dict[str, Any]
StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class Part:
    """One part of a multipart body."""

    name: str
    filename: str | None  # None for a text field
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    content_type: str
    parts: tuple[Part, ...]
    status: int | None  # None if the app never started a response

    def part(self, name: str) -> Part:
        matches = [p for p in self.parts if p.name == name]
        assert len(matches) == 1, f"expected one part {name!r}, got {matches!r} in {self.parts!r}"
        return matches[0]


@dataclass(frozen=True)
class Canned:
    """A response the recorder gives instead of the app."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)


@dataclass
class RequestLog:
    """Records every request to ``app``; install with :meth:`install`."""

    inner: Callable[[Environ, StartResponse], Iterable[bytes]]
    entries: list[Recorded] = field(default_factory=list)
    canned: list[Canned] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def install(cls, app: Flask) -> RequestLog:
        log = cls(app.wsgi_app)
        app.wsgi_app = log  # type: ignore[method-assign]
        return log

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()
            self.canned.clear()

    def api_requests(self) -> list[Recorded]:
        """The requests to the API (``/v1/...``), not the image downloads."""
        with self._lock:
            return [e for e in self.entries if e.path.startswith("/v1/")]

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        body = _read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        content_type = str(environ.get("CONTENT_TYPE", ""))
        parts = _parts(environ, body) if content_type.startswith("multipart/form-data") else ()
        statuses: list[int] = []

        def recording_start_response(status: str, response_headers: Any, *args: Any) -> Any:
            statuses.append(int(status.split()[0]))
            return start_response(status, response_headers, *args)

        with self._lock:
            canned = self.canned.pop(0) if self.canned else None
        if canned is not None:
            recording_start_response(f"{canned.status} CANNED", list(canned.headers))
            result: Iterable[bytes] = [canned.body]
        else:
            result = self.inner(environ, recording_start_response)
        with self._lock:
            self.entries.append(
                Recorded(
                    method=str(environ.get("REQUEST_METHOD", "")),
                    path=str(environ.get("PATH_INFO", "")),
                    headers=headers,
                    content_type=content_type,
                    parts=parts,
                    status=statuses[0] if statuses else None,
                )
            )
        return result


def _read_body(environ: Environ) -> bytes:
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        return bytes(stream.read(int(length)))
    if "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower():
        return bytes(stream.read())
    return b""


def _parts(environ: Environ, body: bytes) -> tuple[Part, ...]:
    """The parts of a multipart body, parsed on a copy of the environ."""
    copy = dict(environ)
    copy["wsgi.input"] = io.BytesIO(body)
    _, form, files = parse_form_data(copy)
    parts = [Part(name, None, None, value.encode()) for name, value in form.items(multi=True)]
    for name, upload in files.items(multi=True):
        try:
            parts.append(Part(name, upload.filename, upload.content_type, upload.read()))
        finally:
            upload.close()
    return tuple(parts)
