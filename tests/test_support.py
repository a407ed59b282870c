"""tests/support itself: the test Redis, the fake-process launcher and the leak check keep their
promises (what every other test relies on)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import ROOT
from tests.support.ports import refused
from tests.support.processes import FakeProcess
from tests.support.redisserver import RedisServer


def test_redis_server_stops_and_starts_again_on_its_port(redis_server: RedisServer) -> None:
    assert redis_server.ping()
    port = redis_server.port
    redis_server.stop()
    assert not redis_server.ping()
    redis_server.start()
    assert redis_server.port == port and redis_server.ping()


def test_a_fake_that_cannot_start_says_why_and_is_reaped() -> None:
    with pytest.raises(AssertionError, match="error_era: must be one of") as failed:
        FakeProcess("--error-era", "medieval")
    assert "exit status 2" in str(failed.value)


def test_stop_leaves_nothing_of_the_fake_behind(redis_server: RedisServer,
                                                fake_process: Callable[..., FakeProcess]) -> None:
    fake = fake_process("--quiet", "--state", redis_server.url, "--workers", "2")
    assert len(fake.workers) == 2 and fake.lines[0].endswith(fake.base_url)
    with fake.handle() as control:
        assert control.requests() == []
    assert fake.stop() == 0  # SIGTERM: a graceful stop
    assert refused(fake.port)
    assert all(not Path(f"/proc/{pid}").exists() or _zombie(pid) for pid in [fake.pid, *fake.workers])
    assert fake.proc.stdout is not None and fake.proc.stdout.closed
    assert fake.stop() == 0  # again: nothing to do


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


LEAKY = '''
import socket


class Holder:
    def __init__(self):
        self.me = self  # a cycle: only the garbage collector frees it, whenever it runs
        self.sock = socket.socket()


def test_leaks_a_socket():
    Holder()


def test_next():
    pass
'''


def test_a_leak_fails_the_test_that_leaked_not_the_next(tmp_path: Path) -> None:
    (tmp_path / "test_leaky.py").write_text(textwrap.dedent(LEAKY))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.support.leaks", "-p", "no:cacheprovider",
                             "-W", "error", "-rA", "test_leaky.py"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "ERROR test_leaky.py::test_leaks_a_socket - Failed: left behind by this test" in result.stdout
    assert "PASSED test_leaky.py::test_next" in result.stdout
    assert "ResourceWarning: unclosed <socket.socket" in result.stdout
