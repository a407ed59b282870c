"""The three image endpoints over HTTP: Flask's request adapted to the request pipeline
(:mod:`mockserver.core.pipeline`), and its answer to a response.

Every request under ``/v1/`` is answered here, from a before-request hook: the pipeline
decides (authentication, faults, routing, the rules, policy, quota, the answer, headers,
journal); this module only reads the body into plain values for :mod:`contracts.rules` and
writes what comes back. Every refusal leaves as the API's JSON error.
"""

from __future__ import annotations

import json
import re
import select
import socket
import threading
from collections.abc import Iterator
from typing import Any

from flask import Flask, Request, Response, current_app, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from contracts.errors import error
from contracts.limits import parse_json_body
from contracts.media import JSON
from contracts.models import EDITS, GENERATIONS
from contracts.rules import ImageRequest, Upload, parse_form_request, parse_json_edit, parse_json_request
from contracts.spec import ENDPOINTS
from mockserver.api import errors, files
from mockserver.api.streaming import stream_body
from mockserver.core.backend import Backend
from mockserver.core.exchange import ENVIRON_KEY, Answer, Exchange, StreamProgress
from mockserver.core.pipeline import PREFIX, Pipeline
from mockserver.http.connection import ENVIRON_CLOSE_AFTER, ENVIRON_CONNECTION, ENVIRON_DROP, ENVIRON_RELEASE
from mockserver.state.faults import Fault
from mockserver.state.journal import describe_upload, escape_surrogates, summarise

# Where a lone surrogate may hide in a UTF-8 JSON body: an escape of U+D800..U+DFFF, or
# such a code point encoded directly (Python's json decodes bytes with "surrogatepass").
_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def _lone_surrogate(raw: bytes, body: Any) -> bool:
    """Whether a string of ``body`` holds a lone surrogate, which no UTF-8 text can carry.
    (Most bodies are ruled out by one scan of the bytes; UTF-16/32 bodies are checked whole.)"""
    if b"\x00" not in raw[:4] and ((b"\\u" not in raw and b"\xed" not in raw) or not _MAYBE_SURROGATE.search(raw)):
        return False
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _summarised(ex: Exchange, params: Any, budget: int) -> None:
    """Records what was asked for the journal, bounded by ``budget`` (journal_entry_bytes)."""
    ex.params, ex.params_weight, ex.params_cut = summarise(params, budget)


def read_json(ex: Exchange, budget: int) -> Any:
    """The request body as a JSON value, whatever the Content-Type says (summarised within
    ``budget`` for the journal)."""
    raw = request.get_data(cache=False)  # bounded by MAX_CONTENT_LENGTH (413)
    body = parse_json_body(raw)  # invalid_json, or json_too_deep past MAX_JSON_DEPTH
    if _lone_surrogate(raw, body):
        # ASSUMPTION (contracts.errors, invalid_json): refused as JSON no strict parser accepts.
        _summarised(ex, body, budget)
        ex.params = escape_surrogates(ex.params)  # (the summary: escaping the whole body would cost its size)
        raise error("invalid_json")
    _summarised(ex, body, budget)
    return body


def read_form(ex: Exchange, budget: int) -> tuple[list[tuple[str, str]], list[Upload]]:
    """Text fields and file parts of a multipart body, in order (summarised within ``budget``
    for the journal)."""
    if request.mimetype != "multipart/form-data":
        raise error("not_multipart", content_type=request.mimetype or "")
    boundary = request.mimetype_params.get("boundary")
    if not boundary:
        raise error("invalid_multipart")
    # A small body is kept, so that finding no part in it can be told apart: a well-formed
    # empty form ("--b--") or junk. (Werkzeug parses the kept copy.)
    small = request.content_length is not None and request.content_length <= 1024
    raw = request.get_data(cache=True) if small else None
    try:
        fields = list(request.form.items(multi=True))
    except RequestEntityTooLarge as exc:
        raise _form_limit(exc) from None
    except ValueError:  # Werkzeug's parser on a broken body
        raise error("invalid_multipart") from None
    try:
        uploads = []
        for name, part in request.files.items(multi=True):
            try:
                uploads.append(Upload(name, part.filename, part.mimetype or None, part.read()))
            finally:
                part.close()  # large parts are spooled to a temporary file: close it now
    except ValueError:  # Werkzeug's parser on a broken body
        raise error("invalid_multipart") from None
    if not fields and not uploads and request.content_length:
        empty_form = raw is not None and raw.strip() == f"--{boundary}--".encode("latin-1", "replace")
        if not empty_form:
            raise error("invalid_multipart")  # a body in which no part could be found
    _summarised(ex, {"fields": dict(fields), "files": [describe_upload(u) for u in uploads]}, budget)
    return fields, uploads


_CLOSE = {"Connection": "close"}  # the rest of the body was never read


def _form_limit(exc: RequestEntityTooLarge) -> Exception:
    """The error naming the limit a multipart body hit. Werkzeug raises the same 413 for
    the body's size, the number of parts and a text field's size; where it was raised tells
    them apart (its multipart decoder counts parts in ``next_event``)."""
    length = request.content_length
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if length is not None and length > limit:
        return exc  # the body's own size: answered by the 413 handler
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None and tb.tb_frame.f_code.co_name == "next_event":
        return error("too_many_parts", max_parts=current_app.config["MAX_FORM_PARTS"], headers=_CLOSE)
    if tb is not None and tb.tb_frame.f_code.co_name in ("parse", "receive_data"):
        return error("form_field_too_large", max_bytes=current_app.config["MAX_FORM_MEMORY_SIZE"],
                     headers=_CLOSE)
    return exc


class FlaskHttp:
    """Flask's request, as the pipeline reads it (:class:`mockserver.core.pipeline.Http`)."""

    __slots__ = ("authorization", "backend", "environ", "method", "path")

    def __init__(self, req: Request, backend: Backend) -> None:
        self.method = req.method
        self.path = req.path
        self.authorization = req.headers.get("Authorization")
        self.environ = req.environ
        self.backend = backend

    def parse(self, endpoint: str, ex: Exchange, as_of: str | None) -> ImageRequest:
        budget = self.backend.config.journal_entry_bytes
        try:
            if endpoint == GENERATIONS:
                return parse_json_request(GENERATIONS, read_json(ex, budget), as_of=as_of)
            if endpoint == EDITS and request.mimetype == JSON:  # [spec] JSON edits (GPT image models)
                return parse_json_edit(read_json(ex, budget), self.backend.fetch_own_image, as_of=as_of,
                                       limits=self.backend.config.decode_limits())
            fields, uploads = read_form(ex, budget)
            return parse_form_request(endpoint, fields, uploads, as_of=as_of,
                                      limits=self.backend.config.decode_limits())
        except HTTPException as exc:  # the body's size, a slow body, a body Werkzeug cannot read
            raise errors.from_http(exc) from None

    def client_gone(self) -> bool:
        """Whether the client closed its connection: a look at the socket (its request is read whole by
        now) that finds its end, without waiting. Not known (False) without our server's connection,
        or through TLS."""
        connection = self.environ.get(ENVIRON_CONNECTION)
        sock = getattr(connection, "socket", None)
        if sock is None:
            return False
        try:
            poller = select.poll()
            poller.register(sock, select.POLLIN | select.POLLHUP)
            if not poller.poll(0):
                return False  # nothing to read: still there, waiting
            return bool(sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"")  # its end, or more
        except (BlockingIOError, InterruptedError, TimeoutError, ValueError):
            return False  # not known (a TLS socket takes no flags)
        except OSError:
            return True  # reset by the peer

    def base_url(self) -> str:
        return files.base_url(self.environ)

    def stream(self, events: Iterator[dict[str, Any]], progress: StreamProgress, latency: float,
               cut: Fault | None, latency_release: threading.Event | None,
               hang_release: threading.Event | None) -> Iterator[bytes]:
        return stream_body(events, progress=progress, latency=latency, fault=cut,
                           connection=self.environ.get(ENVIRON_CONNECTION), latency_release=latency_release,
                           hang_release=hang_release)


def to_response(answer: Answer, environ: dict[str, Any]) -> Response:
    """The HTTP response of the pipeline's answer (a dropped connection or one cut after a
    short body is left to :func:`mockserver.http.connection.drop_connections`)."""
    response = Response(answer.body, status=answer.status, content_type=answer.media_type)
    if answer.content_length is not None:
        response.headers["Content-Length"] = str(answer.content_length)
    add = response.headers.add  # (one add each: Headers.extend costs twice as much)
    for name, value in answer.headers:
        add(name, value)
    if answer.drop_after is not None:
        environ[ENVIRON_DROP] = answer.drop_after
        environ[ENVIRON_RELEASE] = answer.release
    elif answer.close_after:
        environ[ENVIRON_CLOSE_AFTER] = True
    return response


def _answered_by_the_pipeline() -> Response:
    raise AssertionError("a request under /v1/ is answered by the pipeline's hook, never dispatched")


def install(app: Flask, backend: Backend) -> None:
    """Answer every request under ``/v1/`` through the pipeline, from a before-request hook
    (so no view is dispatched: the pipeline routes, after authenticating, as the API does)."""
    pipeline = Pipeline(backend)
    # The endpoints' rules, so that Flask's routing (done for every request, before the hooks)
    # finds a match rather than building a NotFound; the pipeline answers before any view.
    for name, endpoint in ENDPOINTS.items():
        app.add_url_rule(endpoint.url_path, f"api.{name}", _answered_by_the_pipeline, methods=["POST"])

    @app.before_request
    def api() -> Response | None:
        req = request._get_current_object()  # type: ignore[attr-defined]
        if not req.path.startswith(PREFIX):
            return None
        environ = req.environ
        return to_response(pipeline.serve(environ[ENVIRON_KEY], FlaskHttp(req, backend)), environ)
