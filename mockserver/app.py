"""The composition root: ``create_app`` builds one independent fake.

Nothing happens at import; every fake has its own clock, store, quotas, faults,
journal and config, so one process can run as many as it likes.

Every request gets an :class:`~mockserver.core.exchange.Exchange` first; a request under
``/v1/`` is then answered by the request pipeline (:mod:`mockserver.core.pipeline`, in the
order the API decides), the control plane and image URLs by their blueprints.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request

from contracts.errors import error
from contracts.limits import MAX_FORM_FIELD_BYTES, MAX_FORM_PARTS
from mockserver import recording
from mockserver.api import accesslog, cors, errors, exchanges, files, images
from mockserver.api.files import blobs
from mockserver.api.index import index
from mockserver.control.routes import control
from mockserver.control.ui import ui
from mockserver.core import urls
from mockserver.core.backend import Backend
from mockserver.http.connection import drop_connections
from mockserver.http.flaskapp import App, UploadsRequest
from mockserver.settings.config import Config
from mockserver.state import Clock, State


def create_app(
    config: Config | None = None, *, clock: Clock | None = None, state: str | None = None, **settings: Any
) -> Flask:
    """A new fake. ``settings`` override fields of ``config`` (see :class:`Config`), in the
    forms the command line and ``PATCH /_mock/config`` take (e.g. ``rate_limits="20/1m"``).

    ``state``: a ``redis://HOST:PORT/DB`` URL (or ``rediss://``, ``unix://``) whose Redis keeps
    this fake's state, shared with every fake given the same URL (:mod:`mockserver.state.redis`;
    the first fake on an empty state sets its configuration). ValueError for another URL;
    :class:`mockserver.state.redis.StateUnavailable` when that Redis cannot be reached."""
    config = (config or Config()).patch(settings, allow_all=True)
    backend = Backend(config, clock=clock, state=state)

    app = App("mockserver")
    app.request_class = UploadsRequest
    app.config.update(MAX_CONTENT_LENGTH=config.max_request_bytes, MAX_FORM_PARTS=MAX_FORM_PARTS,
                      MAX_FORM_MEMORY_SIZE=MAX_FORM_FIELD_BYTES)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    # "/v1//images/generations" is not a route: the API's 404, not Werkzeug's 308 redirect
    # to the merged path (an HTML body). Set before the blueprints add their rules.
    app.url_map.merge_slashes = False
    app.extensions["mockserver"] = backend
    app.extensions["mockserver.busy"] = files.busy_answer  # the server's 503 for an image URL kept waiting
    app.register_blueprint(blobs)
    app.register_blueprint(control)
    app.register_blueprint(index)
    app.register_blueprint(ui)  # GET /_mock/ui, the live view
    errors.register(app)

    exchanges.begin(app)  # every request first gets its exchange

    def begin() -> None:  # a plain function: App caches its sync wrapper
        backend.begin_request()

    # Right after the exchange, so every other hook sees this request's state (on Redis: its
    # one round trip; in memory: nothing).
    app.before_request(begin)
    _on_lost_state(app, backend.state)
    accesslog.install(app, backend)  # its after-request hook runs last: it sees the final answer
    cors.install(app, backend)  # its preflight answer comes before authentication
    recording.install(app, backend)  # --record / --replay: /v1/ is proxied or replayed (else nothing)
    images.install(app, backend)  # every request under /v1/: the request pipeline
    exchanges.finish(app, backend)  # the request id of every answer

    app.wsgi_app = drop_connections(app.wsgi_app)  # type: ignore[method-assign]
    return app


def _on_lost_state(app: Flask, state: State) -> None:
    """A state that is away (a lost Redis) answers the API's 503 (the control API's too) until
    it is back. In memory there is no such exception, and no handler. (The pipeline answers
    the same for a state lost while it serves a request.)"""

    def state_lost(exc: Exception) -> Response:
        state.discard()
        why = state.trouble(exc)  # Redis answered: the data it holds is what is wrong (repaired)
        if why is not None:
            app.logger.warning("shared state unusable on %s %s: %s", request.method, request.path, why)
        else:
            app.logger.warning("shared state unavailable on %s %s: %s", request.method, request.path, exc)
        if request.path.startswith(urls.PREFIX):  # image URLs answer as blob storage does
            return files.server_busy(why)
        if why is not None:
            return errors.render_error(error("shared_state_unusable", reason=why))
        # ASSUMPTION: the real service's 503 "overloaded" (a retryable server_error) is the
        # nearest catalogued answer to a fake whose state store is away.
        return errors.render_error(error("overloaded"))

    for lost in state.lost:
        app.register_error_handler(lost, state_lost)
