"""Every request's :class:`~mockserver.core.exchange.Exchange`: made by the first hook, read
by the last. The pipeline's answers carry the API's headers already; every other answer gets
its ``x-request-id`` here (image URLs excepted: they answer as blob storage does)."""

from __future__ import annotations

import time

from flask import Flask, Response, request

from contracts.headers import REQUEST_ID
from mockserver.core import urls
from mockserver.core.backend import Backend
from mockserver.core.exchange import ENVIRON_KEY, Exchange
from mockserver.core.pipeline import PREFIX, Pipeline


def begin(app: Flask) -> None:
    """Give every request its exchange; install it before every other before-request hook."""

    @app.before_request
    def exchange() -> None:
        req = request._get_current_object()  # type: ignore[attr-defined]  # (one proxy lookup)
        req.environ[ENVIRON_KEY] = Exchange(method=req.method, path=req.path)


def finish(app: Flask, backend: Backend) -> None:
    """Add the request id to every answer that has none; install it after every other
    after-request hook (Flask runs them in reverse, so this one runs first)."""

    @app.after_request
    def request_id(response: Response) -> Response:
        req = request._get_current_object()  # type: ignore[attr-defined]
        path = req.path
        ex = req.environ.get(ENVIRON_KEY)
        if path.startswith(PREFIX):
            # The pipeline's answers are final; one it did not give (a CORS preflight, a
            # shared state lost before the pipeline began) gets the API's headers here.
            if ex is not None and REQUEST_ID not in response.headers:
                elapsed = time.perf_counter() - ex.started
                for name, value in Pipeline.headers(ex, elapsed, backend.config):
                    response.headers.add(name, value)
            return response
        if not path.startswith(urls.PREFIX):
            response.headers[REQUEST_ID] = ex.request_id if ex is not None else ""
        return response
