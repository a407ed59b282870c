"""Serve a fake over HTTP on a production-grade threaded WSGI server (cheroot).

:class:`LiveServer` runs one in a background thread (tests, the pytest plugin);
``python -m mockserver`` runs one in the foreground.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from cheroot import wsgi
from flask import Flask

from contracts.spec import API_PREFIX
from mockserver.faults import ENVIRON_CONNECTION


class _Gateway(wsgi.Gateway_10):
    """cheroot's WSGI gateway, also handing the app the connection (to drop it on a fault)."""

    def get_environ(self) -> Any:
        environ: dict[str, object] = super().get_environ()  # type: ignore[no-untyped-call]
        environ[ENVIRON_CONNECTION] = self.req.conn
        return environ


class LiveServer:
    """A fake listening on ``host:port`` (port 0: a free one) until stopped."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0, *, threads: int = 16) -> None:
        self.app = app
        self._server = wsgi.Server(
            (host, port),
            app,
            numthreads=threads,
            server_name="mockserver",
            timeout=30,  # seconds a connection may stay silent; no request hangs for ever
            request_queue_size=128,  # listen backlog: cheroot's default of 5 resets bursts of clients
            shutdown_timeout=2,
        )
        # cheroot's own body limit stays off, so the app answers 413 in JSON.
        self._server.max_request_body_size = 0
        self._server.gateway = _Gateway
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._server.bind_addr[0])

    @property
    def port(self) -> int:
        return int(self._server.bind_addr[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What to give an SDK as its base URL."""
        return self.url + API_PREFIX

    def bind(self) -> LiveServer:
        """Open the socket (so ``port`` is known) without serving yet."""
        self._server.prepare()
        return self

    def serve_forever(self) -> None:
        if not self._server.ready:
            self.bind()
        self._server.serve()

    def start(self) -> LiveServer:
        """Bind and serve in a daemon thread; returns once the port is open."""
        self.bind()
        self._thread = threading.Thread(target=self._server.serve, name="mockserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
