"""One place where every failure becomes the API's JSON error envelope.

Catalogued refusals (:class:`contracts.ApiError`), Werkzeug's own HTTP errors
(404, 405, 413, ...) and anything unexpected all leave here as
``{"error": {"message", "type", "param", "code"}}`` with the real status; never
HTML, never a traceback.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from contracts.envelope import CONTENT_TYPE, render
from contracts.errors import ApiError, error
from contracts.timeline import era


def render_error(exc: ApiError) -> Response:
    backend = current_app.extensions["mockserver"]
    config = backend.config
    body = exc.body(era(config.as_of, config.error_era), request_id=g.get("request_id", ""))
    g.error_code = body["error"]["code"]
    g.error_type = body["error"]["type"]
    response = Response(render(body), status=exc.status, content_type=CONTENT_TYPE)
    response.headers.update(exc.headers)
    return response


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
        response = render_error(_from_http(exc))
        if exc.code in (408, 413):
            # The rest of the body was never read; the connection cannot be reused.
            response.headers["Connection"] = "close"
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        current_app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return render_error(error("server_error"))
