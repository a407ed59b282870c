"""The three image endpoints: parse, decide, serialise.

Views only translate HTTP: they read the body into plain values, hand them to
:mod:`contracts.rules` (which decides) and to the backend (which remembers and
renders), and return the JSON answer. Every refusal is raised as an ApiError.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from contracts import timeline
from contracts.errors import error
from contracts.limits import parse_json_body
from contracts.models import EDITS, GENERATIONS, VARIATIONS
from contracts.rules import ImageRequest, Upload, parse_form_request, parse_json_edit, parse_json_request
from contracts.spec import ENDPOINTS
from mockserver.api import files
from mockserver.api.streaming import StreamProgress, stream_response
from mockserver.http.connection import ENVIRON_CONNECTION
from mockserver.state.journal import describe_upload, escape_surrogates, summarise

images = Blueprint("images", __name__)


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


def read_json() -> Any:
    """The request body as a JSON value, whatever the Content-Type says."""
    raw = request.get_data(cache=False)  # bounded by MAX_CONTENT_LENGTH (413)
    body = parse_json_body(raw)  # invalid_json, or json_too_deep past MAX_JSON_DEPTH
    if _lone_surrogate(raw, body):
        # ASSUMPTION (contracts.errors, invalid_json): refused as JSON no strict parser accepts.
        g.journal_params = summarise(escape_surrogates(body))
        raise error("invalid_json")
    g.journal_params = summarise(body)
    return body


def read_form() -> tuple[list[tuple[str, str]], list[Upload]]:
    """Text fields and file parts of a multipart body, in order."""
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
    g.journal_params = {
        "fields": summarise(dict(fields)),
        "files": [describe_upload(u) for u in uploads],
    }
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


def _answer(req: ImageRequest) -> Response:
    """A valid request passes the model's access check, the content policy and the quota (of the
    model's family), then gets its images."""
    backend = current_app.extensions["mockserver"]
    ctx, environ = g._get_current_object(), request.environ
    ctx.model = req.model  # the rate-limit headers are those of the answering model's family
    backend.check_access(req)
    backend.check_policy(req, ctx.request_id)
    ctx.rate_headers = backend.spend(ctx.api_key, req.n, req.model)  # once per request, streamed or not
    if req.stream:
        return _stream(backend, req, ctx)
    base_url = files.base_url(environ)
    shown = ctx.journal_images = [] if backend.config.journal_size else None  # for the live view
    body = backend.create_images(req, api_key=ctx.api_key, base_url=base_url, shown=shown)
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), content_type="application/json")


def _stream(backend: Any, req: ImageRequest, ctx: Any) -> Response:
    """A streamed answer: its latency is spread over the events instead of held back at once,
    and a fault for streams (after_events) may cut it."""
    fault = backend.faults.take(req.endpoint, stream=True)
    if fault is not None:
        ctx.fault = fault
    ctx.stream = progress = StreamProgress(req.n * (req.partial_images + 1))
    latency, ctx.latency = ctx.__dict__.get("latency", 0.0), 0.0
    return stream_response(backend.stream_events(req), progress=progress, latency=latency, fault=fault,
                           connection=request.environ.get(ENVIRON_CONNECTION))


def _as_of(endpoint: str) -> str | None:
    """The date the fake plays (None: every model and endpoint is served); an endpoint the
    service had removed by then answers as an unknown route (contracts.timeline)."""
    as_of: str | None = current_app.extensions["mockserver"].config.as_of
    if not timeline.endpoint_served(endpoint, as_of):
        raise error(timeline.REMOVED_ROUTE_ERROR, method=request.method, path=request.path)
    return as_of


@images.post(ENDPOINTS[GENERATIONS].url_path)
def generations() -> Response:
    as_of = _as_of(GENERATIONS)
    return _answer(parse_json_request(GENERATIONS, read_json(), as_of=as_of))


@images.post(ENDPOINTS[EDITS].url_path)
def edits() -> Response:
    as_of = _as_of(EDITS)
    if request.mimetype == "application/json":  # [spec] JSON edits (GPT image models)
        backend = current_app.extensions["mockserver"]
        return _answer(parse_json_edit(read_json(), backend.fetch_own_image, as_of=as_of))
    fields, uploads = read_form()
    return _answer(parse_form_request(EDITS, fields, uploads, as_of=as_of))


@images.post(ENDPOINTS[VARIATIONS].url_path)
def variations() -> Response:
    as_of = _as_of(VARIATIONS)
    fields, uploads = read_form()
    return _answer(parse_form_request(VARIATIONS, fields, uploads, as_of=as_of))
