"""Record and replay: who answers ``/v1/`` when the fake was started with ``--record DIR`` (a proxy
to ``--upstream`` that writes every exchange to a cassette) or ``--replay DIR`` (the cassettes
answer), instead of the request pipeline. The cassettes themselves (format, redaction, matching)
are :mod:`contracts.cassette`.

Installed between the CORS preflight and the pipeline (``app.py``): everything else of the fake
keeps working as it does, the control API, the live view and the access log; each proxied or
replayed request gets its journal entry (with ``recorded`` or ``replayed``: which cassette and
exchange), and ``POST /_mock/reset`` starts a replay again from the first recorded answers.
With neither setting nothing is installed, and the fake's request path is unchanged.
"""

from __future__ import annotations

from flask import Flask, Response, request

from contracts.spec import CONTROL_PREFIX
from mockserver.core.backend import Backend
from mockserver.core.exchange import ENVIRON_KEY
from mockserver.core.pipeline import PREFIX
from mockserver.recording.proxy import Recorder
from mockserver.recording.replay import Replayer

RESET = CONTROL_PREFIX + "/reset"
EXTENSION = "mockserver.recording"  # app.extensions[EXTENSION]: the Recorder or the Replayer


def install(app: Flask, backend: Backend) -> None:
    """Answer ``/v1/`` by recording or replaying when the configuration says so (a ValueError
    when it asks for both, or when ``--replay``'s directory holds no readable cassette)."""
    config = backend.config
    if config.record is not None and config.replay is not None:
        raise ValueError("--record and --replay cannot be used together: record a session first, then replay it")
    handler: Recorder | Replayer
    if config.record is not None:
        handler = Recorder(backend, config)
    elif config.replay is not None:
        handler = Replayer(backend, config)
    else:
        return
    app.extensions[EXTENSION] = handler
    if isinstance(handler, Recorder):
        backend.on_close.append(handler.close)  # its pool of connections to the upstream

    @app.before_request
    def recorded() -> Response | None:
        req = request._get_current_object()  # type: ignore[attr-defined]
        if not req.path.startswith(PREFIX):
            return None
        return handler.serve(req, req.environ[ENVIRON_KEY])

    if isinstance(handler, Replayer):
        @app.after_request
        def rewound(response: Response) -> Response:
            # POST /_mock/reset forgets what the fake was asked: the replay starts again from
            # the first recorded answers too (a new test of a suite gets what it got when recorded).
            if request.path == RESET and request.method == "POST" and response.status_code == 200:
                handler.rewind()
            return response
