"""The composition root: ``create_app`` builds one independent fake.

Nothing happens at import; every fake has its own clock, store, quotas, faults,
journal and config, so one process can run as many as it likes.

A request to ``/v1`` goes: authentication, injected fault, then the view (parse,
rules, content policy, quota, answer); every answer is held back by the latency,
gets the API's headers and a journal entry on the way out. (A streamed answer
spreads the latency over its events instead.)
"""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Callable
from types import FunctionType
from typing import Any

from flask import Flask, Request, Response, g, request

from contracts.errors import error, mask_key
from contracts.spec import API_PREFIX, ENDPOINTS, MAX_FORM_FIELD_BYTES, MAX_FORM_PARTS, OPENAI_VERSION
from mockserver.api import accesslog, cors, errors, files
from mockserver.api.files import blobs
from mockserver.api.images import images
from mockserver.api.index import index
from mockserver.control.routes import control
from mockserver.control.ui import ui
from mockserver.core import urls
from mockserver.core.backend import Backend
from mockserver.http import multipart
from mockserver.http.connection import ENVIRON_CLOSE_AFTER, ENVIRON_DROP, ENVIRON_RELEASE, drop_connections
from mockserver.settings.config import Config
from mockserver.state import Clock

_ENDPOINT_BY_PATH = {e.url_path: name for name, e in ENDPOINTS.items()}


class _App(Flask):
    """Flask, remembering which of its (fixed) hooks and views need no async wrapper:
    Flask asks ``inspect.iscoroutinefunction`` of each of them on every request."""

    def __init__(self, import_name: str) -> None:
        super().__init__(import_name)
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if not isinstance(func, FunctionType):  # e.g. a bound method: a new object each time
            return super().ensure_sync(func)
        found = self._sync.get(func)
        if found is None:
            found = self._sync[func] = super().ensure_sync(func)
        return found


class _Request(Request):
    """Flask's request, closing the upload files of a form whose parsing was cut off
    (a client too slow or gone): Werkzeug leaves them to the garbage collector. Its
    multipart parser compiles nothing per boundary (:mod:`mockserver.http.multipart`)."""

    form_data_parser_class = multipart.FormParser

    def _get_file_stream(
        self, total_content_length: int | None, content_type: str | None,
        filename: str | None = None, content_length: int | None = None,
    ) -> Any:
        stream = super()._get_file_stream(total_content_length, content_type, filename, content_length)
        self.__dict__.setdefault("_upload_streams", []).append(stream)
        return stream

    def close(self) -> None:
        for stream in self.__dict__.pop("_upload_streams", ()):
            stream.close()
        super().close()


def create_app(
    config: Config | None = None, *, clock: Clock | None = None, state: str | None = None, **settings: Any
) -> Flask:
    """A new fake. ``settings`` override fields of ``config`` (see :class:`Config`), in the
    forms the command line and ``PATCH /_mock/config`` take (e.g. ``rate_limits="20/1m"``).

    ``state``: a ``redis://HOST:PORT/DB`` URL (or ``rediss://``, ``unix://``) whose Redis keeps
    this fake's state, shared with every fake given the same URL (:mod:`mockserver.state.redis`;
    the first fake on an empty state sets its configuration). ValueError for another URL;
    :class:`mockserver.state.StateUnavailable` when that Redis cannot be reached."""
    config = (config or Config()).patch(settings, allow_all=True)
    backend = Backend(config, clock=clock, state=state)

    app = _App("mockserver")
    app.request_class = _Request
    app.config.update(MAX_CONTENT_LENGTH=config.max_request_bytes, MAX_FORM_PARTS=MAX_FORM_PARTS,
                      MAX_FORM_MEMORY_SIZE=MAX_FORM_FIELD_BYTES)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    # "/v1//images/generations" is not a route: the API's 404, not Werkzeug's 308 redirect
    # to the merged path (an HTML body). Set before the blueprints add their rules.
    app.url_map.merge_slashes = False
    app.extensions["mockserver"] = backend
    app.register_blueprint(images)
    app.register_blueprint(blobs)
    app.register_blueprint(control)
    app.register_blueprint(index)
    app.register_blueprint(ui)  # GET /_mock/ui, the live view
    errors.register(app)
    accesslog.install(app, backend)  # first installed: its after-request hook runs last
    cors.install(app, backend)  # its preflight answer comes before authentication
    app.wsgi_app = drop_connections(app.wsgi_app)  # type: ignore[method-assign]
    lifecycle = backend.state
    lost = lifecycle.lost  # what a state that is away raises (nothing, in memory)
    _on_lost_state(app, backend)

    def begin() -> None:  # a plain function: _App caches its sync wrapper
        backend.begin_request()

    # First of all the before-request hooks, so every other one sees this request's state.
    app.before_request_funcs.setdefault(None, []).insert(0, begin)

    # The hooks run on every request: they resolve Flask's context proxies once and use
    # locals (each proxy access costs a context lookup).
    @app.before_request
    def start() -> Response | None:
        ctx, req = g._get_current_object(), request._get_current_object()  # type: ignore[attr-defined]
        ctx.started = time.perf_counter()
        ctx.request_id = "req_" + secrets.token_hex(16)
        path = req.path
        if not path.startswith(API_PREFIX + "/"):
            return None
        ctx.endpoint = endpoint = _ENDPOINT_BY_PATH.get(path) if req.method == "POST" else None
        ctx.latency = backend.latency()  # slept in finish(), or spread over a stream's events
        ctx.api_key = api_key = backend.authenticate(req.headers.get("Authorization"))
        fault = backend.faults.take(endpoint) if endpoint else None
        if fault is None:
            return None
        ctx.fault = fault
        if fault.kind in ("reset", "hang"):
            req.environ[ENVIRON_DROP] = fault.delay_ms / 1000 if fault.kind == "hang" else 0.0
            req.environ[ENVIRON_RELEASE] = backend.faults.hang_release
            return Response(status=204)  # never sent: the connection is dropped instead
        if fault.delay_ms:
            time.sleep(fault.delay_ms / 1000)
        if fault.kind == "status":
            raise backend.fault_error(fault, api_key)
        return None  # malformed_json / truncated: processed, then damaged on the way out

    @app.after_request
    def finish(response: Response) -> Response:
        ctx, req = g._get_current_object(), request._get_current_object()  # type: ignore[attr-defined]
        seen = ctx.__dict__
        if not req.path.startswith(API_PREFIX + "/"):
            if not req.path.startswith(urls.PREFIX):  # image URLs answer as blob storage does
                response.headers["x-request-id"] = seen.get("request_id", "")
            return response
        if seen.get("latency"):
            time.sleep(seen["latency"])
        api_key = seen.get("api_key")
        fault = seen.get("fault")
        if fault is not None and fault.kind in ("malformed_json", "truncated"):
            _damage(response, fault.kind, fault.status or 200)
            req.environ[ENVIRON_CLOSE_AFTER] = fault.kind == "truncated"
        elapsed = time.perf_counter() - seen.get("started", time.perf_counter())
        config = backend.config
        extra = [
            ("x-request-id", seen.get("request_id", "")),
            ("openai-processing-ms", str(max(1, round(elapsed * 1000)))),
            ("openai-version", OPENAI_VERSION),
            ("openai-organization", config.organization),
            ("access-control-expose-headers", "X-Request-ID"),
        ]
        add = response.headers.add  # (one add each: Headers.extend costs twice as much)
        if seen.get("state_lost"):  # Redis is away: answer without touching the shared state
            for name, value in extra:
                add(name, value)
            return response
        try:
            if api_key is not None and config.rate_limits:
                rate = seen.get("rate_headers") or backend.rate_limit_headers(api_key, seen.get("model"))
                extra += [(k, v) for k, v in rate.items() if k not in response.headers]
            for name, value in extra:
                add(name, value)
            if config.journal_size and "preflight" not in seen:
                _journal(backend, req, response, seen, elapsed)
            lifecycle.end_request()  # this request's writes (images, journal): on Redis, one round trip
        except lost as exc:
            # The state was lost on the way out: the answer becomes its 503 (_on_lost_state).
            refused = app.make_response(app.handle_user_exception(exc))
            refused.headers.extend(extra[:5])
            return refused
        return response

    return app


def _journal(backend: Backend, req: Request, response: Response, seen: dict[str, Any], elapsed: float) -> None:
    """One journal entry for this API request: what was asked and what was answered."""
    api_key, fault = seen.get("api_key"), seen.get("fault")
    entry = {
        "id": seen.get("request_id"),
        "time": backend.clock.now(),
        "method": req.method,
        "path": req.path,
        "endpoint": seen.get("endpoint"),
        "api_key": mask_key(api_key) if api_key else None,
        "params": seen.get("journal_params"),
        "status": None if ENVIRON_DROP in req.environ else response.status_code,
        "error_code": seen.get("error_code"),
        "error_type": seen.get("error_type"),
        "fault": fault.kind if fault is not None else None,
        "duration_ms": round(elapsed * 1000, 3),
        "images": seen.get("journal_images") or [],  # references, never the bytes (mockserver/state/gallery.py)
    }
    stream = seen.get("stream")
    if stream is None:
        backend.journal.record(entry)
        return
    stream.attach(entry)  # a streamed answer: the events sent are counted as they go
    number = backend.journal.record_stream(entry)
    stream.on_end = functools.partial(backend.journal.update, number, entry)  # its final count


def _on_lost_state(app: Flask, backend: Backend) -> None:
    """A state that is away (a lost Redis) answers the API's 503 (the control API's too) until
    it is back. In memory there is no such exception, and no handler."""

    def state_lost(exc: Exception) -> Response:
        g.state_lost = True
        backend.state.discard()
        if "request_id" not in g:  # lost before the request had started
            g.request_id = "req_" + secrets.token_hex(16)
        app.logger.warning("shared state unavailable on %s %s: %s", request.method, request.path, exc)
        if request.path.startswith(urls.PREFIX):  # image URLs answer as blob storage does
            return files.server_busy()
        # ASSUMPTION: the real service's 503 "overloaded" (a retryable server_error) is the
        # nearest catalogued answer to a fake whose state store is away.
        return errors.render_error(error("overloaded"))

    for lost in backend.state.lost:
        app.register_error_handler(lost, state_lost)


def _damage(response: Response, kind: str, status: int) -> None:
    """Break an answer in transit, as a flaky proxy would."""
    body = response.get_data()
    response.status_code = status
    if kind == "malformed_json":
        response.set_data(body[: max(1, len(body) // 2)] + b'\x00"}}')
    else:  # truncated: half the body, but the promise of all of it
        response.set_data(body[: len(body) // 2])
        response.headers["Content-Length"] = str(len(body))
        response.headers["Connection"] = "close"
