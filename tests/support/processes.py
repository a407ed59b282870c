"""``python -m mockserver`` in a subprocess, as a user starts it: the one launcher of the tests
(and of the benchmarks).

    with FakeProcess("--state", redis.url, "--workers", "2") as fake:
        requests.post(fake.base_url + "/images/generations", ...)
        fake.handle().advance(61)               # the control API, through FakeHandle
        fake.signal(signal.SIGTERM)
        fake.wait_for("err", "finishing the requests in flight")
        assert fake.wait(timeout=10) == 0

It starts on a free port (``--port 0``, unless the arguments name one), in a session of its
own (a test's ``signal_group`` reaches the fake and its workers, never pytest), and returns
once the fake has printed its last start-up line: it is bound and answers from then on.
Both output streams are read as they come by two threads (so a full pipe never blocks the
fake) and kept whole in :attr:`out` and :attr:`err`. :meth:`stop` is bounded: the signal, a
wait, then SIGKILL for the fake and any worker it left; it reaps the process, ends the
reading threads and closes the pipes, however the test ended. Every wait here has a bound.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from mockserver.testing.handle import FakeHandle
from tests.support import ROOT

# The fake's last start-up line: with its access log off, or on (mockserver/__main__.py's announce).
READY = r"access log off \(--quiet\)|logging one \w+ line per request"
START_TIMEOUT = 60.0  # seconds; a loaded 2-core machine has taken over 10 s to start one with workers
STOP_TIMEOUT = 15.0  # seconds for a graceful stop before SIGKILL (the default grace is 10 s)
STOP_SIGNAL = signal.SIGTERM  # (a name of its own: in the class, `signal` is the method below)
_URL = re.compile(r"(https?://[^\s/]+)(/v1)?")
_STREAMS = ("out", "err")


class FakeProcess:
    """A fake in a subprocess: ``python -m mockserver --port 0 *args``, or ``command`` (any
    program that prints a URL line the way the fake does; ``ready`` is then the line it ends on).

    ``url`` is its root (``http://127.0.0.1:PORT``), ``base_url`` its ``/v1``, ``port`` the port,
    ``lines`` the start-up lines, ``workers`` the pids ``--workers`` printed.
    """

    def __init__(self, *args: str, command: Sequence[str] | None = None, env: Mapping[str, str] | None = None,
                 cwd: Path = ROOT, ready: str = READY, timeout: float = START_TIMEOUT,
                 default_sigint: bool = False) -> None:
        if command is None:
            command = [sys.executable, "-m", "mockserver", *([] if "--port" in args else ["--port", "0"]), *args]
        self.command = list(command)
        self.out: list[str] = []  # every line printed so far, on standard output and standard error
        self.err: list[str] = []
        self._more = threading.Condition()
        self._open = {name: True for name in _STREAMS}
        self.spawned_at = time.perf_counter()
        self.proc = subprocess.Popen(
            self.command, cwd=cwd, env={**os.environ, **env} if env else None,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
            start_new_session=True,
            # A child of a non-interactive shell's background job inherits SIGINT ignored; the
            # fake sets its own handlers, a plain program (the benchmarks' bare server) may not.
            preexec_fn=_default_sigint if default_sigint else None,
        )
        self._readers = [threading.Thread(target=self._read, args=(name, stream), daemon=True,
                                          name=f"fake-{self.proc.pid}-{name}")
                         for name, stream in (("out", self.proc.stdout), ("err", self.proc.stderr))]
        for reader in self._readers:
            reader.start()
        self.workers: list[int] = []
        try:
            self.lines = self.wait_for("out", ready, timeout=timeout)
            self.printed_at = time.perf_counter()
            match = next((m for m in map(_URL.search, self.lines) if m), None)
            assert match, f"no URL in the start-up lines {self.lines}"
        except BaseException:
            self.stop(signal.SIGKILL)
            raise
        self.url = match.group(1)
        self.base_url = self.url + "/v1"
        self.port = int(self.url.rsplit(":", 1)[1])
        found = re.search(r"workers on this port \(pids ([\d, ]+)\)", "\n".join(self.lines))
        self.workers = [int(p) for p in found.group(1).split(", ")] if found else []

    # --- reading what it prints ------------------------------------------------------------------

    def _read(self, name: str, stream: IO[str]) -> None:
        lines = self.out if name == "out" else self.err
        with contextlib.suppress(OSError, ValueError):  # the pipe closed under us by stop()
            for line in stream:
                with self._more:
                    lines.append(line.rstrip("\n"))
                    self._more.notify_all()
        with self._more:
            self._open[name] = False
            self._more.notify_all()

    def wait_for(self, stream: str, pattern: str, *, timeout: float = 30.0, start: int = 0) -> list[str]:
        """The lines of ``stream`` (``"out"`` or ``"err"``) from line ``start`` up to the first that
        matches ``pattern``; fails, saying what was printed, if none does within ``timeout`` s."""
        lines = self.out if stream == "out" else self.err
        deadline = time.monotonic() + timeout
        seen = start
        with self._more:
            while True:
                for index in range(seen, len(lines)):
                    if re.search(pattern, lines[index]):
                        return lines[start:index + 1]
                seen = len(lines)
                left = deadline - time.monotonic()
                if left <= 0 or not self._open[stream]:
                    break
                self._more.wait(min(left, 0.5))
        if not self._open[stream]:  # it closed its output: its exit status is due, and says the most
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        raise AssertionError(f"{self.command[1:]} never printed {pattern!r} on std{stream} within {timeout} s; "
                             f"exit status {self.proc.poll()}; stdout {self.out}; stderr {self.err}")

    # --- talking to it ------------------------------------------------------------------------------

    @property
    def pid(self) -> int:
        return self.proc.pid

    def handle(self, *, admin_token: str | None = None) -> FakeHandle:
        """A :class:`FakeHandle` on this fake's control API (close it, or use it in a ``with``)."""
        return FakeHandle.over_http(self.url, admin_token=admin_token)

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the fake (its parent process, with ``--workers``)."""
        self.proc.send_signal(signum)

    def signal_group(self, signum: int) -> None:
        """Send ``signum`` to the fake and its workers at once, as a terminal's Ctrl+C does."""
        os.killpg(self.proc.pid, signum)

    def children(self) -> list[int]:
        """The fake's child processes now (its workers), from Linux's /proc; [] elsewhere."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []

    def wait(self, timeout: float) -> int:
        """Its exit status, waiting at most ``timeout`` s (``subprocess.TimeoutExpired`` past that)."""
        return self.proc.wait(timeout=timeout)

    # --- stopping it ----------------------------------------------------------------------------------

    def stop(self, signum: int = STOP_SIGNAL, timeout: float = STOP_TIMEOUT) -> int | None:
        """Stop it: ``signum`` (if it still runs), at most ``timeout`` s of waiting, then SIGKILL.
        Returns its exit status, or None when it had to be killed. Any worker still alive is
        killed, the process reaped, the reading threads ended and the pipes closed. Idempotent."""
        status: int | None = self.proc.poll()
        if status is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signum)
            try:
                status = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                status = None
        if status is None or signum == signal.SIGKILL:
            status = None
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            self.proc.wait(timeout=30)
        # Its workers, and whatever else it started: none may outlive the test. They share its
        # session (it is their session's leader), which no stranger can join.
        for pid in {*self.workers, *_in_session(self.proc.pid)}:
            _kill_if_in_session(pid, self.proc.pid)
        for reader in self._readers:  # at the end of the pipes now that every writer is gone
            reader.join(timeout=10)
        stuck = [reader.name for reader in self._readers if reader.is_alive()]
        # (closing a pipe that a thread still reads would wait for that thread: leave it then, and say so)
        for stream in (self.proc.stdout, self.proc.stderr) if not stuck else ():
            if stream is not None:
                stream.close()
        assert not stuck, f"a process outside the fake's session holds its output open ({stuck})"
        return status

    def __enter__(self) -> FakeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _in_session(leader: int) -> list[int]:
    """The processes of ``leader``'s session other than the leader (Linux's /proc; [] elsewhere)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        pid = int(stat.parent.name)
        if pid != leader and fields[3] == str(leader):  # fields: state, ppid, pgrp, session, ...
            members.append(pid)
    return members


def _kill_if_in_session(pid: int, leader: int) -> None:
    """SIGKILL ``pid`` if it is still in ``leader``'s session (never a stranger that reused the pid)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getsid(pid) == leader:
            os.kill(pid, signal.SIGKILL)
