"""One place where every failure becomes the API's JSON error envelope.

Catalogued refusals (:class:`contracts.ApiError`), Werkzeug's own HTTP errors
(404, 405, 413, ...) and anything unexpected all leave here as
``{"error": {"message", "type", "param", "code"}}`` with the real status; never
HTML, never a traceback.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from contracts.errors import ApiError, error
from mockserver.core.exchange import ENVIRON_KEY, Exchange
from mockserver.core.pipeline import refusal


def render_error(exc: ApiError) -> Response:
    """The response of a refusal outside the pipeline (the control plane, a path outside
    ``/v1``, Flask's own errors): the same envelope the API's refusals get."""
    ex = request.environ.get(ENVIRON_KEY) or Exchange()  # (none: the request failed before it had one)
    answer = refusal(exc, ex, current_app.extensions["mockserver"].config)
    response = Response(answer.body, status=answer.status, content_type=answer.media_type)
    for name, value in answer.headers:
        response.headers[name] = value
    return response


def from_http(exc: HTTPException) -> ApiError:
    """The catalogued error of one of Werkzeug's own HTTP errors (a 408 or 413 also closes
    the connection: the rest of the body was never read)."""
    found = _from_http(exc)
    if exc.code in (408, 413):
        found.headers["Connection"] = "close"
    return found


def _from_http(exc: HTTPException) -> ApiError:
    if exc.code in (404, 405):
        return error("invalid_url", method=request.method, path=request.path)
    if exc.code == 413:
        backend = current_app.extensions["mockserver"]
        return error(
            "body_too_large",
            max_bytes=backend.config.max_request_bytes,
            length=request.content_length or backend.config.max_request_bytes + 1,
        )
    if exc.code == 408:  # the client's body did not arrive in time (mockserver.http.server)
        return error("request_timeout")
    if exc.code == 400 and request.mimetype == "multipart/form-data":
        return error("invalid_multipart")
    if exc.code == 400:
        return error("invalid_json")
    return error("server_error")


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> Response:
        return render_error(exc)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return render_error(from_http(exc))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        current_app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return render_error(error("server_error"))
