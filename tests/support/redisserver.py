"""A real ``redis-server`` (Debian's package) for the tests of shared state.

Started on a free loopback port with no persistence, in a temporary folder, and stopped
after. ``stop()`` and ``start()`` again on the same port let a test take Redis away
mid-run and bring it back. Outside CI the tests that need it skip, saying why, when
``redis-server`` is not installed; in CI (``CI`` set) they fail instead: ``.ci/run``
installs it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.support import in_ci
from tests.support.ports import free_port

REDIS_SERVER = "redis-server"


def missing_redis() -> str | None:
    """Why the tests that need a real Redis cannot run here, or None."""
    if shutil.which(REDIS_SERVER) is None:
        return "redis-server is not installed: apt-get install redis-server to run the shared-state tests"
    return None


def need_redis() -> None:
    """Skip (fail in CI) when no redis-server can be started here."""
    reason = missing_redis()
    if reason is None:
        return
    if in_ci():
        pytest.fail(f"{reason} (CI must have it: .ci/run installs redis-server)", pytrace=False)
    pytest.skip(reason)


class RedisServer:
    """One redis-server process on 127.0.0.1:``port`` (a free one by default)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._folder = Path(tempfile.mkdtemp(prefix="mockserver-redis-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The redis-server's process id while it runs (to pause it: SIGSTOP, SIGCONT)."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        if self._process is not None and self._process.poll() is None:
            return self
        self._process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self._folder), "--protected-mode", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode(errors="replace") if self._process.stderr else ""
                raise RuntimeError(f"redis-server exited with {self._process.returncode}: {err.strip()}")
            if self.ping():
                return self
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout} s")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(b"FLUSHALL\r\n")
            reply = sock.recv(64)
        if not reply.startswith(b"+OK"):
            raise RuntimeError(f"FLUSHALL answered {reply!r}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        if process.stderr is not None:
            process.stderr.close()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
