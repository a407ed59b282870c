"""What recording and replaying share: the request as a cassette holds it, the answer as Flask
sends it (headers untouched, a stream chunk by chunk), the fake's own errors, the journal entry."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

from flask import Request, Response

from contracts import timeline
from contracts.cassette import HOP_BY_HOP, Part, load_json, parse_form
from contracts.cassette import Request as Sent
from contracts.envelope import render
from contracts.errors import error
from contracts.media import JSON
from contracts.rules import Upload
from contracts.spec import ENDPOINTS
from mockserver.core.backend import Backend
from mockserver.core.exchange import Exchange
from mockserver.state.journal import Summary, describe_upload, summarise

_ENDPOINT_BY_PATH = {e.url_path: name for name, e in ENDPOINTS.items()}
# Of the client's connection to us, or rewritten on the way (a cassette keeps neither).
NOT_RECORDED = HOP_BY_HOP | {"host"}


def sent_request(req: Request, uri: str, body: bytes) -> Sent:
    """The client's request as a cassette holds it (``uri``: where it goes, or went)."""
    return Sent(req.method, uri, [(k, v) for k, v in req.headers.items() if k.lower() not in NOT_RECORDED], body)


def url_of(req: Request) -> str:
    """The request's URL, as werkzeug's ``Request.url`` writes it, for a tenth of its cost when
    there is nothing to quote (the API's paths, no query): ``Request.url`` quotes the path and
    turns it back into an IRI, which leaves such a URL as it is."""
    path = req.root_path + req.path
    if req.query_string or quote(path, safe=_SAFE) != path:
        return req.url
    return f"{req.scheme}://{req.host}{path}"


_SAFE = "!$&'()*+,/:;=@%"  # (what werkzeug leaves unquoted in a path)


def api_key_of(sent: Sent) -> str | None:
    """The API key the client sent (``Authorization: Bearer KEY``, or ``api-key``)."""
    value = sent.header("Authorization")
    if value:
        scheme, _, key = value.strip().partition(" ")
        return key.strip() if scheme.lower() == "bearer" and key.strip() else None
    return sent.header("api-key")


def answer(status: int, reason: str, headers: Iterable[tuple[str, str]], body: bytes | Iterator[bytes]) -> Response:
    """A response with exactly ``headers`` (none of Flask's defaults added; hop-by-hop ones left
    to the server) and ``body`` (the chunks of an iterator sent as they come)."""
    response = Response(body, status=f"{status} {reason}".rstrip() if reason else status)
    response.headers.clear()
    add = response.headers.add
    for name, value in headers:
        if name.lower() not in HOP_BY_HOP:
            add(name, value)
    if isinstance(body, bytes):
        response.headers["Content-Length"] = str(len(body))
    return response


def refusal(key: str, ex: Exchange, backend: Backend, extra: dict[str, Any] | None = None, **values: Any) -> Response:
    """The fake's own error ``key`` (contracts.fake_errors) in the API's envelope; ``extra``:
    more fields of ``error``."""
    exc = error(key, **values)
    config = backend.config
    body = exc.body(timeline.era(config.as_of, config.error_era), request_id=ex.request_id)
    body["error"].update(extra or {})
    ex.error_code, ex.error_type = body["error"]["code"], body["error"]["type"]
    response = Response(render(body), status=exc.status, content_type=JSON)
    return response


def error_of(body: bytes) -> tuple[str | None, str | None]:
    """The ``error.code`` and ``error.type`` of an API error body (None, None for another body)."""
    try:
        found = load_json(body)["error"]
        return found.get("code"), found.get("type")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, None


def params_of(sent: Sent, budget: int) -> Summary:
    """What was asked, as the journal describes it (uploads by size and digest, never kept),
    bounded by ``budget`` (journal_entry_bytes) as the fake's own entries are."""
    if sent.media_type == "multipart/form-data":
        parts: list[Part] = parse_form(sent.body, sent.header("Content-Type")) or []
        return summarise({
            "fields": {p.name: p.data.decode("utf-8", "replace") for p in parts if not p.is_file},
            "files": [describe_upload(Upload(p.name, p.filename, p.content_type, p.data)) for p in parts if p.is_file],
        }, budget)
    try:
        return summarise(load_json(sent.body) if sent.body else None, budget)
    except ValueError:
        return summarise(None, budget)


def begin(ex: Exchange, sent: Sent) -> None:
    """What the exchange (the access log, the journal) knows of the request before it is answered."""
    ex.endpoint = _ENDPOINT_BY_PATH.get(sent.path) if sent.method == "POST" else None
    ex.api_key = api_key_of(sent)


def journal(backend: Backend, ex: Exchange, sent: Sent, status: int, *, request_id: str | None,
            source: dict[str, str], stream: bool = False, params: Summary | None = None
            ) -> tuple[dict[str, Any], int] | None:
    """Record the journal entry of a recorded or replayed request (``source``: ``{"recorded": …}``
    or ``{"replayed": …}``; ``params``: :func:`params_of` ``sent`` when it is known already); a
    stream's entry and number are returned, for :func:`stream_ended`."""
    config = backend.config
    if not config.journal_size:
        return None
    summary = params_of(sent, config.journal_entry_bytes) if params is None else params
    if request_id:
        ex.request_id = request_id  # the upstream's, or the recording's
    ex.params, ex.params_cut = summary.value, summary.cut
    entry = {**ex.journal_entry(backend.clock.now(), status, time.perf_counter() - ex.started), **source}
    if stream:
        entry["stream"], entry["events"] = True, 0
        number = backend.journal.record_stream(entry)
        backend.state.end_request()
        return entry, number
    backend.journal.record(entry)
    backend.state.end_request()
    return None


def stream_ended(backend: Backend, kept: tuple[dict[str, Any], int] | None, events: int,
                 source: dict[str, str]) -> None:
    """A stream's journal entry, once it has ended: how many events were sent, and (recording) where."""
    if kept is None:
        return
    entry, number = kept
    entry["events"] = events
    entry.update(source)
    try:
        backend.journal.update(number, entry)
    except Exception:  # a shared state lost meanwhile: the entry keeps its first count
        return

