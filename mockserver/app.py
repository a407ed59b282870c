"""The composition root: ``create_app`` builds one independent fake.

Nothing happens at import; every fake has its own clock, store and config, so
one process can run as many as it likes.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from flask import Flask, Response, g, request

from contracts.spec import API_PREFIX, MAX_FORM_PARTS, OPENAI_VERSION
from mockserver import errors
from mockserver.backend import Backend
from mockserver.clock import Clock
from mockserver.config import Config
from mockserver.files import blobs
from mockserver.images import images


def create_app(config: Config | None = None, *, clock: Clock | None = None, **settings: Any) -> Flask:
    """A new fake. ``settings`` override fields of ``config`` (see :class:`Config`)."""
    config = (config or Config()).replace(**settings)
    backend = Backend(config, clock=clock)

    app = Flask("mockserver")
    app.config.update(
        MAX_CONTENT_LENGTH=config.max_request_bytes,
        MAX_FORM_PARTS=MAX_FORM_PARTS,
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["mockserver"] = backend
    app.register_blueprint(images)
    app.register_blueprint(blobs)
    errors.register(app)

    @app.before_request
    def start() -> None:
        g.started = time.perf_counter()
        g.request_id = "req_" + secrets.token_hex(16)
        if request.path.startswith(API_PREFIX + "/"):
            g.api_key = backend.authenticate(request.headers.get("Authorization"))

    @app.after_request
    def api_headers(response: Response) -> Response:
        if request.path.startswith("/private/"):
            return response  # image URLs answer as blob storage does
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        response.headers["x-request-id"] = g.get("request_id", "")
        response.headers["openai-processing-ms"] = str(max(1, round(elapsed * 1000)))
        response.headers["openai-version"] = OPENAI_VERSION
        response.headers["openai-organization"] = backend.config.organization
        response.headers["access-control-expose-headers"] = "X-Request-ID"
        return response

    return app
