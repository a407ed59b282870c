"""``python -m mockserver --workers N``: N processes serving one port, one fake between them.

**Pre-fork.** The parent opens the listening socket, then forks N workers. Each worker
builds its own app *after* the fork (its own Redis connections, threads and locks; none
is shared across a fork) and serves the inherited socket: the kernel queues new
connections on the one socket and each goes to whichever worker accepts it first, and
stays with it. The workers share the fake's state through ``--state`` (Redis); the
parent serves nothing.

Why not ``SO_REUSEPORT`` (one socket per worker, the kernel spreading connections over
them): each socket then has its own accept queue, so the connections queued on a worker
that dies or stops are reset rather than served by the others; ``--port 0`` would need
the port reserved first; and the balancing is Linux's alone. With one shared queue a
worker that is busy simply accepts less, and nothing queued is lost while the others run.

**The parent** prints the start-up lines once, when every worker is serving. On SIGTERM
or SIGINT it stops accepting (closes its handle of the socket), says so once, and sends
SIGTERM to the workers, which finish their requests in flight as a single fake does
(``--shutdown-grace-ms``); a second signal kills them and exits 1 at once. Workers ignore
SIGINT themselves (Ctrl+C reaches the whole process group; the parent decides), and stop
on their own when the parent is gone. A worker that dies while the fake is serving is
replaced (ASSUMPTION: like gunicorn's arbiter; with the state in Redis nothing is lost
but the requests it was answering), at most once a second per worker, with a line on
standard error. A worker that cannot start (Redis unreachable) stops the whole start:
its one-line reason is printed once, and the parent exits 1.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from flask import Flask

from mockserver.http.lifecycle import Stopping, exit_now
from mockserver.http.server import LiveServer

RESTART_SPACING = 1.0  # seconds: the least time between two starts of one worker
KILL_AFTER = 5.0  # seconds past the grace before workers still stopping are killed
CANNOT_START = 3  # a worker's exit status when it could not build its app
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


@dataclass
class _Worker:
    number: int  # 1..N, kept by its replacements
    pid: int = 0
    started: float = 0.0
    ready: bool = False
    restart_at: float | None = None


def describe_exit(status: int) -> str:
    """A ``waitpid`` status in words: ``exited with status 3``, ``killed by SIGKILL``."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"killed by {name}"
    return f"exited with status {os.WEXITSTATUS(status)}"


class Supervisor:
    """The parent of ``count`` workers serving ``sock``; :meth:`run` returns the exit status.

    ``make_app`` builds a worker's app (called in the worker, after the fork; its exception's
    text is the one line printed when a worker cannot start); ``serve`` turns it into a
    :class:`LiveServer` on the shared socket. ``start_up_lines(pids)`` are printed once every
    worker serves; ``grace`` is the workers' shutdown grace, in seconds.
    """

    def __init__(
        self,
        sock: socket.socket,
        count: int,
        make_app: Callable[[], Flask],
        serve: Callable[[Flask, socket.socket], LiveServer],
        start_up_lines: Callable[[Sequence[int]], list[str]],
        grace: float,
    ) -> None:
        self._sock: socket.socket | None = sock
        self._make_app = make_app
        self._serve = serve
        self._start_up_lines = start_up_lines
        self._grace = grace
        self._workers = [_Worker(n) for n in range(1, count + 1)]
        self._signals = 0
        self._stop_deadline: float | None = None
        self._abnormal = False
        self._reports, self._report_end = os.pipe()  # workers -> parent: "pid ok" / "pid error <why>"
        self._life, self._life_end = os.pipe()  # held open by the parent alone: EOF tells workers it is gone

    # --- the parent -----------------------------------------------------------------------------

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        for worker in self._workers:
            self._spawn(worker)
        failure = self._wait_until_ready()
        if failure is not None:
            print(f"mockserver: {failure}", file=sys.stderr, flush=True)
            self._stop_workers(signal.SIGTERM)
            self._reap_all(time.monotonic() + self._grace + KILL_AFTER)
            return 1
        self._serving = True
        if not self._signals:
            for line in self._start_up_lines([w.pid for w in self._workers]):
                print(line, flush=True)
        while not self._signals or any(w.pid for w in self._workers):
            self._read_reports(0.1)
            self._reap()
            if not self._signals:
                self._restart_due()
            elif self._stop_deadline is not None and time.monotonic() > self._stop_deadline:
                self._stop_workers(signal.SIGKILL)
                self._abnormal = True
        return 1 if self._abnormal else 0

    _serving = False  # every worker has started once: from now on a dead one is replaced

    def _wait_until_ready(self) -> str | None:
        """None once every worker serves (or a signal stops the start); else why the fake cannot start."""
        while not all(w.ready for w in self._workers) and not self._signals:
            failure = self._read_reports(0.1)
            if failure is not None:
                return failure
            for worker, status in self._reap():
                if not worker.ready:  # its report, if it made one, is in the pipe by now
                    return self._read_reports(0) or f"worker {worker.number} {describe_exit(status)} while starting"
        return None

    def _spawn(self, worker: _Worker) -> None:
        sys.stdout.flush()
        sys.stderr.flush()  # or the worker would write the parent's buffered text again
        # Signals wait until the worker has its own handlers (the parent's are not for it).
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        pid = os.fork()
        if pid == 0:
            self._worker_main()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        worker.pid, worker.started, worker.ready, worker.restart_at = pid, time.monotonic(), False, None

    def _read_reports(self, timeout: float) -> str | None:
        """Read what the workers said; while starting, a worker's reason it could not start."""
        ready, _, _ = select.select([self._reports], [], [], timeout)
        if not ready:
            return None
        failure = None
        for line in os.read(self._reports, 65536).decode("utf-8", "replace").splitlines():
            pid_text, _, said = line.partition(" ")
            worker = next((w for w in self._workers if w.pid and str(w.pid) == pid_text), None)
            if worker is None:
                continue
            if said == "ok":
                worker.ready = True
            elif said.startswith("error "):
                failure = said.removeprefix("error ")
                if self._serving:  # a replacement: the others serve on, and it is tried again
                    print(f"mockserver: worker {worker.number} could not start: {failure}", file=sys.stderr,
                          flush=True)
        return None if self._serving else failure

    def _reap(self) -> list[tuple[_Worker, int]]:
        """Collect the workers that have exited; while serving, schedule their replacements."""
        gone = []
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            worker = next((w for w in self._workers if w.pid == pid), None)
            if worker is None:
                continue
            worker.pid = 0
            gone.append((worker, status))
            if self._signals:
                if os.WIFSIGNALED(status) or os.WEXITSTATUS(status) != 0:
                    self._abnormal = True
            elif self._serving:
                worker.restart_at = max(time.monotonic(), worker.started + RESTART_SPACING)
                if worker.ready:  # (a replacement that could not start has said why already)
                    print(f"mockserver: worker {worker.number} (pid {pid}) {describe_exit(status)}; "
                          "starting another in its place", file=sys.stderr, flush=True)
        return gone

    def _restart_due(self) -> None:
        now = time.monotonic()
        for worker in self._workers:
            if worker.pid == 0 and worker.restart_at is not None and now >= worker.restart_at:
                self._spawn(worker)

    def _on_signal(self, signum: int, frame: Any) -> None:
        self._signals += 1
        if self._signals > 1:
            self._stop_workers(signal.SIGKILL)
            exit_now(1)
        print(f"mockserver: {signal.Signals(signum).name}: finishing the requests in flight "
              f"(up to {self._grace:g} s); a second signal exits at once", file=sys.stderr, flush=True)
        if self._sock is not None:  # the parent's handle: once the workers close theirs, the port is shut
            self._sock.close()
            self._sock = None
        self._stop_deadline = time.monotonic() + self._grace + KILL_AFTER
        self._stop_workers(signal.SIGTERM)

    def _stop_workers(self, signum: int) -> None:
        for worker in self._workers:
            if worker.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.pid, signum)

    def _reap_all(self, deadline: float) -> None:
        while any(w.pid for w in self._workers):
            if time.monotonic() > deadline:
                self._stop_workers(signal.SIGKILL)
            self._reap()
            time.sleep(0.05)

    # --- a worker -------------------------------------------------------------------------------

    def _worker_main(self) -> NoReturn:
        """In the forked worker: build the app, serve the shared socket until told to stop."""

        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C: the parent decides
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
            os.close(self._reports)
            os.close(self._life_end)
            assert self._sock is not None
            server = self._serve(self._make_app(), self._sock)
            server.bind()
        except BaseException as exc:  # any reason is reported, as one line
            reason = " ".join(str(exc).split()) or type(exc).__name__
            self._report(f"error {reason}")
            exit_now(CANNOT_START)
        stopping = Stopping(server, say=False)
        signal.signal(signal.SIGTERM, stopping.on_signal)
        threading.Thread(target=self._watch_parent, args=(stopping,), name="mockserver-parent", daemon=True).start()
        self._report("ok")
        server.serve_forever()
        stopping.wait()
        exit_now(0)

    def _report(self, text: str) -> None:
        with contextlib.suppress(OSError):
            os.write(self._report_end, f"{os.getpid()} {text}\n".encode()[:4000])  # atomic below PIPE_BUF

    def _watch_parent(self, stopping: Any) -> None:
        """Stop gracefully once the parent is gone (its end of the life pipe closes)."""
        with contextlib.suppress(OSError):
            while os.read(self._life, 1):
                pass
        stopping.begin()

