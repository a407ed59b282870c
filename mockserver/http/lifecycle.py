"""The process's lifecycle: a graceful stop on the first signal, an immediate exit on the second."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Any, NoReturn

from mockserver.http.server import LiveServer

LINGER = 2.0  # seconds the serving loop has to return once the server is stopped (it takes milliseconds)


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
        self._done = threading.Event()  # the server's stop is over (done, or failed)
        self._failed = False

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
        self._thread = threading.Thread(target=self._stop, name="mockserver-stop", daemon=True)
        self._thread.start()

    def _stop(self) -> None:
        """Stop the server, and make sure the process ends whatever happens on the way: the stop
        itself is bounded by the grace; if it fails (it must not), the reason is said in one line
        and the process exits 1 rather than serving on; if the serving loop does not return
        within ``LINGER`` s of the stop, the process leaves anyway."""
        try:
            self._server.stop()
        except Exception as exc:  # a stop that fails must not leave the process serving, unstoppable
            self._failed = True
            reason = " ".join(str(exc).split()) or type(exc).__name__
            print(f"mockserver: stopping failed ({type(exc).__name__}: {reason}); exiting",
                  file=sys.stderr, flush=True)
        finally:
            self._done.set()
        time.sleep(LINGER)  # the main thread normally exits first (wait() returns once we are done)
        exit_now(1 if self._failed else 0)

    def wait(self) -> None:
        """Return once the stop is over (exit 1 at once if it failed)."""
        while not self._done.wait(0.1):  # short waits keep signals answered
            pass
        if self._failed:
            exit_now(1)


def exit_now(status: int) -> NoReturn:
    """Leave without waiting on worker threads: once the grace is over, a worker still
    busy with a slow or hung client must not keep the process alive."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
