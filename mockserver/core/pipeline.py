"""The request pipeline: one API request, in the order the API decides it.

:meth:`Pipeline.serve` reads top to bottom as the API works::

    latency drawn  ->  authenticate (401)  ->  an injected fault (drop, delay, its status)
      ->  route (404: no such endpoint, or not yet / no longer served on the date played)
      ->  parse the body and apply the rules (400, 413; mockserver.api reads, contracts decides)
      ->  access (403)  ->  content policy (400)  ->  quota (429, 403 insufficient_quota)
      ->  the answer: images, or a stream (which a fault for streams may cut)
      ->  would it fail today? (the era's answer that the service as of today refuses: a header)
    any refusal becomes its catalogued error; then, for every answer:
      held back by the latency  ->  damaged by a fault (malformed JSON, truncated)
      ->  the API's headers (request id, processing time, version, organization, rate limits)
      ->  the journal entry  ->  the state's end of request (a shared state's one write)

The pipeline knows no HTTP framework: the request is read through :class:`Http` (Flask's
request adapted in :mod:`mockserver.api.images`), and the answer is an :class:`Answer` that
the HTTP side turns into a response.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from contracts import timeline
from contracts.envelope import render
from contracts.errors import ApiError, error
from contracts.headers import (
    API_VERSION,
    EXPOSE_HEADERS,
    EXPOSED_BY_THE_API,
    OPENAI_ORGANIZATION,
    OPENAI_VERSION,
    PROCESSING_MS,
    REQUEST_ID,
    WOULD_FAIL_TODAY,
)
from contracts.rules import ImageRequest
from contracts.spec import API_PREFIX, ENDPOINTS
from contracts.streaming import MEDIA_TYPE as STREAM_MEDIA_TYPE
from mockserver.core.exchange import Answer, ClientGone, Exchange, StreamProgress
from mockserver.state.faults import Fault
from mockserver.state.journal import entry_weight

if TYPE_CHECKING:
    from mockserver.core.backend import Backend
    from mockserver.settings.config import Config

PREFIX = API_PREFIX + "/"  # the paths the pipeline answers
_ENDPOINT_BY_PATH = {e.url_path: name for name, e in ENDPOINTS.items()}
_STREAM = STREAM_MEDIA_TYPE + "; charset=utf-8"  # as Werkzeug writes a text/* media type
_PROCESSED_FAULTS = ("malformed_json", "truncated")  # processed, then damaged on the way out
_DROP_FAULTS = ("reset", "hang")  # the connection dropped: nothing processed
_log = logging.getLogger("mockserver")  # Flask's app.logger: the app is named "mockserver"


class Http(Protocol):
    """What the pipeline needs of the HTTP request in front of it."""

    method: str
    path: str
    authorization: str | None

    def parse(self, endpoint: str, ex: Exchange, as_of: str | None) -> ImageRequest:
        """Read the body and apply the rules (contracts.rules): the request, or an ApiError.
        Records what was asked in ``ex.params`` for the journal."""
        ...

    def base_url(self) -> str:
        """Where the client reached the fake (the image URLs' base)."""
        ...

    def client_gone(self) -> bool:
        """Whether the client has closed its connection (what is still made for it is wasted);
        False when it cannot be told."""
        ...

    def stream(self, events: Iterator[dict[str, Any]], progress: StreamProgress, latency: float,
               cut: Fault | None, latency_release: threading.Event | None,
               hang_release: threading.Event | None) -> Iterator[bytes]:
        """The framed body of a streamed answer, cut by ``cut`` (a fault for streams) if given;
        the latency's pauses end when ``latency_release`` is set, a hang when ``hang_release`` is."""
        ...


def refusal(exc: ApiError, ex: Exchange, config: Config) -> Answer:
    """The answer of a catalogued refusal: the API's JSON error envelope, in the era the fake
    plays (:func:`contracts.envelope.render`). The exchange remembers its code and type."""
    body = exc.body(timeline.era(config.as_of, config.error_era), request_id=ex.request_id)
    ex.error_code, ex.error_type = body["error"]["code"], body["error"]["type"]
    return Answer(exc.status, render(body), list(exc.headers.items()))


class Pipeline:
    """One fake's request path (its decisions are the backend's)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.today = timeline.today()  # "today" for would_fail_today: the date at start

    def serve(self, ex: Exchange, http: Http) -> Answer:
        """Answer one request under ``/v1/``, in the order the API decides."""
        backend = self.backend
        config = backend.config
        try:
            ex.latency = backend.latency()  # held back at the end, or spread over a stream
            ex.api_key = api_key = backend.authenticate(http.authorization)
            path = http.path
            known = _ENDPOINT_BY_PATH.get(path)
            endpoint = ex.endpoint = known if http.method == "POST" else None
            fault = ex.fault = backend.faults.take(endpoint) if endpoint else None
            if fault is not None:
                dropped = self._fault(fault, ex, api_key)
                if dropped is not None:
                    return self._finish(ex, dropped)
            if endpoint is None:
                if known is not None and http.method == "OPTIONS":  # what the route allows, as Flask says
                    answer = Answer(200, b"", [("Allow", "OPTIONS, POST")], media_type="text/html; charset=utf-8")
                    return self._finish(ex, answer)
                raise error("invalid_url", method=http.method, path=path)
            as_of = config.as_of
            if not timeline.endpoint_served(endpoint, as_of):
                raise error(timeline.REMOVED_ROUTE_ERROR, method=http.method, path=path)
            req = http.parse(endpoint, ex, as_of)
            ex.model = req.model  # the rate-limit headers are those of the answering model's family
            backend.check_access(req)
            backend.check_policy(req, ex.request_id)
            ex.rate_headers = backend.spend(api_key, req.n, req.model)  # once per request, streamed or not
            answer = self._stream(ex, req, http) if req.stream else self._images(ex, req, http)
            self._today(ex, req, answer)
        except ApiError as exc:
            answer = refusal(exc, ex, backend.config)
        except backend.state.lost as exc:
            answer = self.state_lost(ex, exc)
        except Exception:
            _log.exception("unexpected error on %s %s", http.method, http.path)
            answer = refusal(error("server_error"), ex, backend.config)
        return self._finish(ex, answer)

    # --- the steps ----------------------------------------------------------------------

    def _fault(self, fault: Fault, ex: Exchange, api_key: str) -> Answer | None:
        """Act on an injected fault as the request arrives: a dropped connection (the answer
        returned), a delay, a status (raised); the processed kinds act on the way out."""
        if fault.kind in _DROP_FAULTS:
            ex.dropped = True
            hold = fault.delay_ms / 1000 if fault.kind == "hang" else 0.0
            return Answer(204, b"", [], drop_after=hold, release=self.backend.faults.hang_release)
        if fault.delay_ms:  # released, as a hang is, by reset, DELETE /_mock/faults and shutdown
            self.backend.faults.hang_release.wait(fault.delay_ms / 1000)
        if fault.kind == "status":
            raise self.backend.fault_error(fault, api_key)
        return None

    def _images(self, ex: Exchange, req: ImageRequest, http: Http) -> Answer:
        backend = self.backend
        shown = ex.images = [] if backend.config.journal_size else None  # for the live view
        try:
            body = backend.create_images(req, api_key=ex.api_key or "", base_url=http.base_url(), shown=shown,
                                         gone=http.client_gone)
        except ClientGone:  # nobody to answer: the images not yet made are not made
            ex.dropped = True
            return Answer(204, b"", [], drop_after=0.0)
        return Answer(200, json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), [])

    def _stream(self, ex: Exchange, req: ImageRequest, http: Http) -> Answer:
        """A streamed answer: its latency is spread over the events instead of held back at
        once, and a fault for streams (``after_events``) may cut it."""
        backend = self.backend
        cut = backend.faults.take(req.endpoint, stream=True)
        if cut is not None:
            ex.fault = cut
        ex.stream = progress = StreamProgress(req.n * (req.partial_images + 1))
        latency, ex.latency = ex.latency, 0.0
        # Only a stream that will wait asks for its releases (on Redis, the first one starts its listener).
        faults = backend.faults
        hang = faults.hang_release if cut is not None and cut.delay_ms else None
        body = http.stream(backend.stream_events(req), progress, latency, cut,
                           faults.latency_release if latency else None, hang)
        return Answer(200, body, [("Cache-Control", "no-cache")], media_type=_STREAM)  # ASSUMPTION: as SSE usually is

    def _today(self, ex: Exchange, req: ImageRequest, answer: Answer) -> None:
        """What of this answer the service as of today would refuse (contracts.timeline decides):
        its reason in the journal and, only when there is one, in a header."""
        reason = ex.would_fail_today = timeline.would_fail_today(
            req.endpoint, req.model.name, model_named=req.model_named, today=self.today)
        if reason is not None:
            answer.headers.append((WOULD_FAIL_TODAY, reason))

    def state_lost(self, ex: Exchange, exc: Exception) -> Answer:
        """The shared state went away: the API's 503 (ASSUMPTION: the real service's
        "overloaded", a retryable server_error, is the nearest catalogued answer). A state that
        answered but holds what it cannot use says what is wrong instead."""
        ex.state_lost = True
        state = self.backend.state
        state.discard()
        why = state.trouble(exc)
        if why is not None:
            _log.warning("shared state unusable on %s %s: %s", ex.method, ex.path, why)
            return refusal(error("shared_state_unusable", reason=why), ex, self.backend.config)
        _log.warning("shared state unavailable on %s %s: %s", ex.method, ex.path, exc)
        return refusal(error("overloaded"), ex, self.backend.config)

    # --- every answer, on the way out ----------------------------------------------------

    def _finish(self, ex: Exchange, answer: Answer) -> Answer:
        """Hold the answer back, damage it if a fault says so, add the API's headers, journal it."""
        backend = self.backend
        if ex.latency:  # ended early by reset and DELETE /_mock/faults
            backend.faults.latency_release.wait(ex.latency)
        fault = ex.fault
        if fault is not None and fault.kind in _PROCESSED_FAULTS:
            _damage(answer, fault.kind, fault.status or 200)
        elapsed = time.perf_counter() - ex.started
        config = backend.config
        headers = answer.headers
        headers += self.headers(ex, elapsed, config)
        if ex.state_lost:  # answer without touching the shared state
            return answer
        try:
            if ex.api_key is not None and config.rate_limits:
                rate = ex.rate_headers or backend.rate_limit_headers(ex.api_key, ex.model)
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in rate.items() if k not in present]
            if config.journal_size:
                self._journal(ex, answer, elapsed)
            backend.state.end_request()  # this request's writes (on Redis: one round trip)
        except backend.state.lost as exc:
            # The shared state was lost on the way out: the answer becomes its 503.
            lost = self.state_lost(ex, exc)
            lost.headers += self.headers(ex, elapsed, config)
            return lost
        return answer

    @staticmethod
    def headers(ex: Exchange, elapsed: float, config: Config) -> list[tuple[str, str]]:
        """The headers the API adds to every answer (the rate limits' come apart)."""
        return [
            (REQUEST_ID, ex.request_id),
            (PROCESSING_MS, str(max(1, round(elapsed * 1000)))),
            (OPENAI_VERSION, API_VERSION),
            (OPENAI_ORGANIZATION, config.organization),
            (EXPOSE_HEADERS, EXPOSED_BY_THE_API),
        ]

    def _journal(self, ex: Exchange, answer: Answer, elapsed: float) -> None:
        """One journal entry for this API request: what was asked and what was answered."""
        backend = self.backend
        entry = ex.journal_entry(backend.clock.now(), None if ex.dropped else answer.status, elapsed)
        weight = entry_weight(ex.params_weight, len(entry["images"]))  # (without walking the entry)
        stream = ex.stream
        if stream is None:
            backend.journal.record(entry, weight)
            return
        stream.attach(entry)  # a streamed answer: the events sent are counted as they go
        number = backend.journal.record_stream(entry, weight)
        stream.on_end = functools.partial(backend.journal.update, number, entry)  # its final count


def _damage(answer: Answer, kind: str, status: int) -> None:
    """Break an answer in transit, as a flaky proxy would."""
    body = answer.body if isinstance(answer.body, bytes) else b"".join(answer.body)
    answer.status = status
    if kind == "malformed_json":
        answer.body = body[: max(1, len(body) // 2)] + b'\x00"}}'
    else:  # truncated: half the body, but the promise of all of it
        answer.body = body[: len(body) // 2]
        answer.content_length = len(body)
        answer.headers = [(k, v) for k, v in answer.headers if k.lower() != "connection"]
        answer.headers.append(("Connection", "close"))
        answer.close_after = True

