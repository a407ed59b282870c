"""CORS, for a web front-end calling the fake from a browser (``--cors ORIGIN``; off by default).

With ``cors_origins`` set, a preflight (``OPTIONS`` with ``Origin`` and
``Access-Control-Request-Method``) from an allowed origin is answered at once with 204 and
the ``access-control-allow-*`` headers, before authentication, latency or faults (a browser
never sends the API key on a preflight); every answer to an allowed origin carries
``access-control-allow-origin`` and exposes the API's own headers (request id, rate limits,
retry-after) to the page's script. ``*`` allows any origin. With no origins configured the
fake answers as before: an ``OPTIONS`` is just another request.
"""

from __future__ import annotations

from flask import Flask, Response, request

from contracts.headers import REQUEST_HEADERS, RESPONSE_HEADERS
from mockserver.core.backend import Backend

ANY = "*"
ALLOW_METHODS = "GET, POST, PATCH, DELETE, OPTIONS"
ALLOW_HEADERS = ", ".join(REQUEST_HEADERS)
EXPOSE_HEADERS = ", ".join(RESPONSE_HEADERS)
MAX_AGE_SECONDS = "600"


def allowed(origins: tuple[str, ...], origin: str | None) -> str | None:
    """The ``access-control-allow-origin`` value for ``origin``, or None when it is not allowed."""
    if not origins or not origin:
        return None
    if ANY in origins:
        return ANY
    return origin if origin in origins else None


def install(app: Flask, backend: Backend) -> None:
    """Answer preflights and add the CORS headers, while ``backend.config.cors_origins`` is set.
    Installed before the app's own hooks: its preflight answer comes first, its headers last."""

    @app.before_request
    def preflight() -> Response | None:
        origins = backend.config.cors_origins
        if not origins or request.method != "OPTIONS":
            return None
        headers = request.headers
        allow = allowed(origins, headers.get("Origin"))
        if allow is None or "Access-Control-Request-Method" not in headers:
            return None
        response = Response(status=204)
        del response.headers["Content-Type"]
        response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
        response.headers["Access-Control-Allow-Headers"] = (
            headers.get("Access-Control-Request-Headers") or ALLOW_HEADERS
        )
        response.headers["Access-Control-Max-Age"] = MAX_AGE_SECONDS
        return response

    @app.after_request
    def cors_headers(response: Response) -> Response:
        origins = backend.config.cors_origins
        if not origins:
            return response
        allow = allowed(origins, request.headers.get("Origin"))
        if allow is None:
            return response
        response.headers["Access-Control-Allow-Origin"] = allow
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        if allow != ANY:
            response.vary.add("Origin")
        return response
