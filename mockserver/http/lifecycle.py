"""The process's lifecycle: a graceful stop on the first signal, an immediate exit on the second."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Any, NoReturn

from mockserver.http.server import LiveServer


class Stopping:
    """The first SIGTERM or SIGINT stops the server gracefully (it stops accepting and
    lets requests in flight finish, within ``shutdown_grace_ms``); a second one exits
    at once, with status 1. ``say``: print that it is stopping (a worker of ``--workers``
    leaves that to its parent)."""

    def __init__(self, server: LiveServer, *, say: bool = True) -> None:
        self._server = server
        self._say = say
        self._thread: threading.Thread | None = None
        self._signalled = False

    def on_signal(self, signum: int, frame: Any) -> None:
        if self._signalled or self._thread is not None:
            exit_now(1)
        # Noted first: a second signal can arrive (and its handler run, nested in this one) as soon
        # as the line below is out, before begin() has started the stop; it must still exit at once.
        self._signalled = True
        if self._say:
            print(f"mockserver: {signal.Signals(signum).name}: finishing the requests in flight "
                  f"(up to {self._server.grace:g} s); a second signal exits at once", file=sys.stderr, flush=True)
        self.begin()

    def begin(self) -> None:
        """Stop gracefully (once)."""
        if self._thread is not None:
            return
        # Not from inside the signal handler: stopping waits on the very loop the signal
        # interrupted. Another thread stops the server; the loop then returns.
        self._thread = threading.Thread(target=self._server.stop, name="mockserver-stop", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        while self._thread is None or self._thread.is_alive():  # short waits keep signals answered
            if self._thread is None:
                time.sleep(0.05)
            else:
                self._thread.join(0.1)


def exit_now(status: int) -> NoReturn:
    """Leave without waiting on worker threads: once the grace is over, a worker still
    busy with a slow or hung client must not keep the process alive."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
