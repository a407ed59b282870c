"""Many processes, one fake (issue 13): ``python -m mockserver --state redis://...`` processes on
different ports, and ``--workers N`` processes on one port, against a real redis-server.

Each process is started as a user starts it and read through what a client can see: its
printed lines, its answers, its exit status. A worker of ``--workers`` is told apart from
its siblings only from outside: the test stops one (SIGSTOP) and the port is still served,
so the other answered. Every process is stopped when its test ends, pass or fail.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from mockserver import create_app
from mockserver.http.server import LiveServer, listening_socket
from tests.redisserver import RedisServer, free_port

KEY = "sk-test-processes-0123456789abcdefghij"
AUTH = {"Authorization": f"Bearer {KEY}"}
GENERATION = {"prompt": "a lighthouse at dusk", "size": "256x256"}

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="--workers pre-forks: POSIX only")


class Fake:
    """``python -m mockserver --port 0 ARGS`` in a subprocess: its printed lines read as they come."""

    def __init__(self, *args: str) -> None:
        # A session of its own, as a terminal gives: Ctrl+C reaches the whole group (see os.killpg below).
        self.proc = subprocess.Popen([sys.executable, "-m", "mockserver", "--port", "0", "--quiet", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     start_new_session=True)
        self.out: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.err: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.seen: list[str] = []
        for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=_pump, args=(stream, lines), daemon=True).start()
        self.lines = self.wait_for(self.out, "access log off")
        match = re.search(r"serving the Images API at (http://127\.0\.0\.1:(\d+))/v1", self.lines[0])
        assert match, self.lines
        self.url, self.port = match.group(1), int(match.group(2))
        self.base_url = self.url + "/v1"
        self.workers = self._children()

    def wait_for(self, lines: queue.SimpleQueue[str], pattern: str, timeout: float = 30) -> list[str]:
        """The lines printed up to one matching ``pattern``; fails, with what was printed, if none does."""
        got: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None and lines.empty():
                    break
                continue
            got.append(line)
            self.seen.append(line)
            if re.search(pattern, line):
                return got
        raise AssertionError(f"never printed {pattern!r}; printed {self.seen}, exit status {self.proc.poll()}, "
                             f"stderr {_drain(self.err)}")

    def _children(self) -> list[int]:
        match = re.search(r"workers on this port \(pids ([\d, ]+)\)", "\n".join(self.lines))
        return [int(p) for p in match.group(1).split(", ")] if match else []

    def children_now(self) -> list[int]:
        """The worker pids now (Linux: /proc)."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        if not path.exists():
            pytest.skip("needs Linux's /proc to list the workers")
        return [int(p) for p in path.read_text().split()]

    def post(self, path: str = "/v1/images/generations", body: dict[str, Any] | None = None,
             **kwargs: Any) -> requests.Response:
        return requests.post(self.url + path, json=GENERATION if body is None else body,
                             headers=kwargs.pop("headers", AUTH), timeout=kwargs.pop("timeout", 30), **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, timeout=kwargs.pop("timeout", 30), **kwargs)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for pid in self.workers:  # a worker left behind by a parent that died
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def _pump(stream: Any, lines: queue.SimpleQueue[str]) -> None:
    try:
        for line in stream:
            lines.put(line.rstrip("\n"))
    except (OSError, ValueError):
        pass


def _drain(lines: queue.SimpleQueue[str]) -> list[str]:
    got = []
    while not lines.empty():
        got.append(lines.get())
    return got


@pytest.fixture
def fakes() -> Iterator[Callable[..., Fake]]:
    """Start fakes with ``fakes(*args)``; every one is stopped at the end of the test."""
    started: list[Fake] = []

    def start(*args: str) -> Fake:
        started.append(Fake(*args))
        return started[-1]

    yield start
    for fake in started:
        fake.close()


def _expected_429() -> dict[str, Any]:
    """The 429 body one in-memory fake answers over a 20/min quota: the reference for them all."""
    client = create_app(rate_limits="20/1m").test_client()
    answers = [client.post("/v1/images/generations", json=GENERATION, headers=AUTH) for _ in range(21)]
    assert [a.status_code for a in answers] == [200] * 20 + [429]
    body: dict[str, Any] = answers[-1].get_json()
    return body


def _spread(fakes: list[Fake], n: int, threads: int = 25) -> list[requests.Response]:
    """``n`` generation requests at once, spread evenly over ``fakes``."""
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda i: fakes[i % len(fakes)].post(), range(n)))


def _is_json_error(response: requests.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return (response.headers.get("Content-Type", "").startswith("application/json")
            and isinstance(body, dict) and isinstance(body.get("error"), dict)
            and isinstance(body["error"].get("message"), str))


# --- two fakes on different ports, one Redis ------------------------------------------------------


def test_100_concurrent_requests_over_two_fakes_get_exactly_20_grants(
        redis_server: RedisServer, fakes: Callable[..., Fake]) -> None:
    pair = [fakes("--state", redis_server.url, "--rate-limit", "20/1m") for _ in range(2)]
    answers = _spread(pair, 100)
    assert Counter(a.status_code for a in answers) == {200: 20, 429: 80}
    expected = _expected_429()
    assert all(a.json() == expected for a in answers if a.status_code == 429)
    assert all(a.headers["x-ratelimit-remaining-images"] == "0" for a in answers if a.status_code == 429)


def test_a_url_minted_on_one_fake_is_served_by_the_other_and_expires_on_both(
        redis_server: RedisServer, fakes: Callable[..., Fake]) -> None:
    one, other = (fakes("--state", redis_server.url, "--url-ttl", "60") for _ in range(2))
    answer = one.post()
    assert answer.status_code == 200, answer.text
    url = answer.json()["data"][0]["url"]
    assert url.startswith(one.url + "/")
    on_other = url.replace(one.url, other.url, 1)
    fetched = [requests.get(u, timeout=30) for u in (url, on_other)]
    assert [f.status_code for f in fetched] == [200, 200]
    assert fetched[0].content.startswith(b"\x89PNG") and fetched[0].content == fetched[1].content
    moved = other.post("/_mock/clock", {"advance": 61}, headers={})
    assert moved.status_code == 200, moved.text
    expired = [requests.get(u, timeout=30) for u in (url, on_other)]
    assert [e.status_code for e in expired] == [403, 403]
    assert all(b"Signature not valid in the specified time frame" in e.content for e in expired)


def test_a_fault_queued_with_count_3_fires_exactly_3_times_across_both(
        redis_server: RedisServer, fakes: Callable[..., Fake]) -> None:
    pair = [fakes("--state", redis_server.url) for _ in range(2)]
    queued = pair[0].post("/_mock/faults", {"kind": "status", "status": 503, "count": 3}, headers={})
    assert queued.status_code == 201, queued.text
    answers = _spread(pair, 20)
    assert Counter(a.status_code for a in answers) == {200: 17, 503: 3}
    assert all(_is_json_error(a) for a in answers if a.status_code == 503)
    assert [f.get("/_mock/faults").json()["faults"] for f in pair] == [[], []]


def test_the_journal_read_on_either_lists_the_requests_served_by_both(
        redis_server: RedisServer, fakes: Callable[..., Fake]) -> None:
    pair = [fakes("--state", redis_server.url) for _ in range(2)]
    ids = {fake.url: [fake.post().headers["x-request-id"] for _ in range(3)] for fake in pair}
    everyone = {i for served in ids.values() for i in served}
    assert len(everyone) == 6
    for fake in pair:
        listed = {e["id"] for e in fake.get("/_mock/requests").json()["requests"]}
        assert listed == everyone


def test_redis_lost_mid_run_gives_json_5xx_then_the_fakes_recover(
        redis_server: RedisServer, fakes: Callable[..., Fake]) -> None:
    pair = [fakes("--state", redis_server.url) for _ in range(2)]
    assert [f.post().status_code for f in pair] == [200, 200]
    redis_server.stop()
    try:
        for fake in pair:
            for answer in (fake.post(timeout=20), fake.get("/_mock/requests", timeout=20),
                           fake.post("/_mock/clock", {"advance": 1}, headers={}, timeout=20)):
                assert answer.status_code >= 500 and _is_json_error(answer), (answer.status_code, answer.text)
                assert "Traceback" not in answer.text
    finally:
        redis_server.start()
    _recovered(pair)


def _recovered(pair: list[Fake]) -> None:
    deadline = time.monotonic() + 15
    while [f.post().status_code for f in pair] != [200, 200]:
        assert time.monotonic() < deadline, "the fakes did not recover once Redis was back"
        time.sleep(0.2)


def test_the_control_plane_recovers_when_redis_returns_empty(
        redis_server: RedisServer, fakes: Callable[..., Fake]) -> None:
    pair = [fakes("--state", redis_server.url) for _ in range(2)]
    assert [f.post().status_code for f in pair] == [200, 200]
    redis_server.stop()
    redis_server.start()  # with no persistence: everything the fakes had is gone
    _recovered(pair)
    for fake in pair:
        for answer in (fake.get("/_mock/requests"), fake.get("/_mock/faults"), fake.get("/_mock/clock"),
                       fake.get("/_mock/config")):
            assert answer.status_code == 200, (answer.request.url, answer.text)


# --- --workers N: processes on one port ------------------------------------------------------------


def test_servers_sharing_one_listening_socket_each_serve_it_and_one_can_stop_alone() -> None:
    sock = listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    # Each its own descriptor of the one socket, as a forked worker has.
    first = LiveServer(create_app(), sock=sock.dup()).start()
    second = LiveServer(create_app(), sock=sock.dup()).start()
    try:
        assert first.port == second.port == port and first.url == f"http://127.0.0.1:{port}"
        # The two fakes keep apart clocks: which one answered shows in the clock it reports.
        for server, now in ((first, 1_000_000_000), (second, 2_000_000_000)):
            server.app.test_client().post("/_mock/clock", json={"freeze": True, "set": now})

        def clocks() -> set[int]:
            return {requests.get(f"http://127.0.0.1:{port}/_mock/clock", timeout=10).json()["now"] for _ in range(10)}

        assert clocks() <= {1_000_000_000, 2_000_000_000}
        first.stop()  # closes its handle only: the socket still listens for the other
        assert clocks() == {2_000_000_000}
    finally:
        first.stop()
        second.stop()
        sock.close()


def _served_without(pid: int, action: Callable[[], Any]) -> Any:
    """Run ``action`` while worker ``pid`` is stopped (SIGSTOP): only its siblings can answer."""
    os.kill(pid, signal.SIGSTOP)
    try:
        return action()
    finally:
        os.kill(pid, signal.SIGCONT)


def test_two_workers_serve_one_port_and_share_one_quota(
        redis_server: RedisServer, fakes: Callable[..., Fake]) -> None:
    fake = fakes("--state", redis_server.url, "--workers", "2", "--rate-limit", "20/1m")
    assert len(fake.workers) == 2 and sorted(fake.workers) == sorted(fake.children_now())
    assert sum("serving the Images API" in line for line in fake.lines) == 1  # printed once, by the parent
    assert f"mockserver: state shared in Redis at {redis_server.url}" in "\n".join(fake.lines)
    first, second = fake.workers
    # Each worker alone answers the port, and the quota is spent across both: 12 + 12 asked, 20 granted.
    one = _served_without(second, lambda: [fake.post().status_code for _ in range(12)])
    two = _served_without(first, lambda: [fake.post().status_code for _ in range(12)])
    assert one == [200] * 12 and two == [200] * 8 + [429] * 4
    requests.post(fake.url + "/_mock/reset", json={}, timeout=10).raise_for_status()
    answers = _spread([fake], 100)
    assert Counter(a.status_code for a in answers) == {200: 20, 429: 80}
    expected = _expected_429()
    assert all(a.json() == expected for a in answers if a.status_code == 429)


def test_a_worker_that_dies_is_replaced(redis_server: RedisServer, fakes: Callable[..., Fake]) -> None:
    fake = fakes("--state", redis_server.url, "--workers", "2")
    victim, survivor = fake.workers
    os.kill(victim, signal.SIGKILL)
    fake.wait_for(fake.err, rf"worker 1 \(pid {victim}\) killed by SIGKILL; starting another in its place")
    # With the survivor stopped, the replacement answers (a request waits in the backlog while it starts).
    statuses = _served_without(survivor, lambda: [fake.post().status_code for _ in range(3)])
    assert statuses == [200, 200, 200]
    assert fake.proc.poll() is None and len(fake.children_now()) == 2
    fake.workers = fake.children_now()


def test_a_worker_lost_while_redis_is_down_is_replaced_once_redis_returns(
        redis_server: RedisServer, fakes: Callable[..., Fake]) -> None:
    fake = fakes("--state", redis_server.url, "--workers", "2")
    victim, survivor = fake.workers
    redis_server.stop()
    try:
        os.kill(victim, signal.SIGKILL)
        fake.wait_for(fake.err, r"worker 1 could not start: .*127\.0\.0\.1")  # tried, and tried again
        answer = fake.post(timeout=20)  # the survivor answers meanwhile, as a fake without Redis does
        assert answer.status_code == 503 and _is_json_error(answer)
        assert fake.proc.poll() is None
    finally:
        redis_server.start()
    # With the survivor stopped, a replacement answers: the next one tried once Redis is back.
    assert _served_without(survivor, lambda: fake.post(timeout=30).status_code) == 200
    fake.workers = fake.children_now()


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_sigterm_lets_every_worker_finish_its_requests_then_exits_0(
        redis_server: RedisServer, fakes: Callable[..., Fake]) -> None:
    fake = fakes("--state", redis_server.url, "--workers", "2", "--latency-ms", "1500")
    with ThreadPoolExecutor(4) as pool:
        pending = [pool.submit(fake.post) for _ in range(4)]
        time.sleep(0.7)  # the requests are in the workers' hands, waiting out the latency
        fake.proc.send_signal(signal.SIGTERM)
        said = fake.wait_for(fake.err, "finishing the requests in flight")
        deadline = time.monotonic() + 3
        while not _refused(fake.port):
            assert time.monotonic() < deadline, "still accepting after SIGTERM"
            time.sleep(0.05)
        assert [p.result().status_code for p in pending] == [200] * 4
    assert fake.proc.wait(timeout=10) == 0
    assert sum("finishing the requests in flight" in line for line in said + _drain(fake.err)) == 1  # once


def test_ctrl_c_reaching_every_process_is_one_graceful_stop(
        redis_server: RedisServer, fakes: Callable[..., Fake]) -> None:
    fake = fakes("--state", redis_server.url, "--workers", "2", "--latency-ms", "1500")
    with ThreadPoolExecutor(2) as pool:
        pending = [pool.submit(fake.post) for _ in range(2)]
        time.sleep(0.7)
        os.killpg(fake.proc.pid, signal.SIGINT)  # what a terminal does on Ctrl+C: parent and workers alike
        assert [p.result().status_code for p in pending] == [200, 200]
    assert fake.proc.wait(timeout=10) == 0


def test_a_second_signal_exits_at_once(redis_server: RedisServer, fakes: Callable[..., Fake]) -> None:
    fake = fakes("--state", redis_server.url, "--workers", "2", "--latency-ms", "20000")
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(fake.post)
        time.sleep(0.5)
        fake.proc.send_signal(signal.SIGTERM)
        fake.wait_for(fake.err, "finishing the requests in flight")
        started = time.monotonic()
        fake.proc.send_signal(signal.SIGINT)
        assert fake.proc.wait(timeout=5) == 1
        assert time.monotonic() - started < 2
        with pytest.raises(requests.ConnectionError):
            pending.result()
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) for pid in fake.workers):
        assert time.monotonic() < deadline, "a worker outlived its parent's second signal"
        time.sleep(0.05)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"


def test_workers_stop_when_their_parent_is_killed(redis_server: RedisServer, fakes: Callable[..., Fake]) -> None:
    fake = fakes("--state", redis_server.url, "--workers", "2")
    fake.proc.kill()
    fake.proc.wait(timeout=5)
    deadline = time.monotonic() + 10
    while not _refused(fake.port):
        assert time.monotonic() < deadline, "the workers kept serving without their parent"
        time.sleep(0.05)


# --- refused at start ---------------------------------------------------------------------------------


@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_unreachable_redis_at_start_is_one_line_and_exit_1(workers: str) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    result = subprocess.run([sys.executable, "-m", "mockserver", "--port", "0", "--state", url,
                             "--workers", workers], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result
    assert result.stdout == ""  # no start-up lines: it never served
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("mockserver: "), result.stderr
    assert "Traceback" not in result.stderr and f"127.0.0.1:{url.rsplit(':', 1)[1].split('/')[0]}" in result.stderr
