"""The access log: one line per request, as the fake saw it.

    2026-11-29T18:04:05.123Z POST /v1/images/generations 200 12.4ms sk-test0***ABCD -
    2026-11-29T18:04:05.310Z POST /v1/images/generations 400 1.1ms sk-test0***ABCD invalid_size
    2026-11-29T18:04:06.002Z POST /v1/images/edits - 0.3ms sk-test0***ABCD fault=reset

Fields: time (UTC, wall clock, not the fake's virtual clock), method, path, status (``-``
when the connection was dropped on purpose), milliseconds, the masked API key (``-`` when
none was sent), then the error code, ``fault=<kind>`` for an injected fault, or ``-``.
With ``access_log="json"`` the same fields are one JSON object per line, for machines.

Off by default (``create_app()``, the pytest plugin and ``intercept()`` stay silent);
``python -m mockserver`` turns it on unless ``--quiet``. When off it costs one attribute
read per request; when on, one f-string and one write of a whole line.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import TextIO

from flask import Flask, Request, Response, request

from contracts.auth import mask_for_log as masked  # the key as sent, masked (any Bearer case)
from contracts.headers import AUTHORIZATION
from mockserver.core.backend import Backend
from mockserver.core.exchange import ENVIRON_KEY, Exchange

OFF, JSON = "off", "json"  # the values of Config.access_log (the other one is "text")

_second: tuple[int, str] = (-1, "")
_JSON = json.JSONEncoder(ensure_ascii=False)  # made once: json.dumps(..., ensure_ascii=False) makes one per call


def _timestamp(now: float) -> str:
    """ISO 8601 UTC with milliseconds; the part up to the second is formatted once per second."""
    global _second
    whole = int(now)
    cached = _second
    if cached[0] != whole:
        cached = _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{cached[1]}.{int((now - whole) * 1000):03d}Z"


class AccessLog:
    """Writes one line per request to ``stream`` (default: the process's standard output at
    the time of writing), whole lines at once, flushed, so concurrent requests never mix."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self._lock = threading.Lock()

    def line(self, fmt: str, req: Request, status: int | None, elapsed: float, ex: Exchange) -> str:
        key = masked(req.headers.get(AUTHORIZATION))
        fault = ex.fault
        outcome = f"fault={fault.kind}" if fault is not None else ex.error_code or ex.error_type
        now = time.time()
        if fmt == JSON:
            return _JSON.encode({
                "time": _timestamp(now), "method": req.method, "path": req.path, "status": status,
                "ms": round(elapsed * 1000, 1), "api_key": key, "error_code": ex.error_code,
                "error_type": ex.error_type,
                "fault": fault.kind if fault is not None else None, "request_id": ex.request_id,
            })
        return (f"{_timestamp(now)} {req.method} {req.path} {status if status is not None else '-'} "
                f"{elapsed * 1000:.1f}ms {key or '-'} {outcome or '-'}")

    def write(self, text: str) -> None:
        stream = self.stream or sys.stdout
        with self._lock:
            try:
                stream.write(text + "\n")
                stream.flush()
            except (OSError, ValueError):  # a closed or broken stream must never fail a request
                pass


def install(app: Flask, backend: Backend, log: AccessLog | None = None) -> AccessLog:
    """Log every request of ``app`` while ``backend.config.access_log`` is not ``off``. Installed
    before the app's other after-request hooks, so it runs after them and sees the final answer."""
    log = log or AccessLog()

    @app.after_request
    def access_log(response: Response) -> Response:
        fmt = backend.config.access_log
        if fmt == OFF:
            return response
        req = request._get_current_object()  # type: ignore[attr-defined]
        ex = req.environ.get(ENVIRON_KEY) or Exchange()
        elapsed = time.perf_counter() - ex.started
        status = None if ex.dropped else response.status_code
        log.write(log.line(fmt, req, status, elapsed, ex))
        return response

    return log
