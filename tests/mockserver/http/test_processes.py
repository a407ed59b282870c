"""Many processes, one fake (issue 13): ``python -m mockserver --state redis://...`` processes on
different ports, and ``--workers N`` processes on one port, against a real redis-server.

Each process is started as a user starts it and read through what a client can see: its
printed lines, its answers, its exit status. A worker of ``--workers`` is told apart from
its siblings only from outside: the test stops one (SIGSTOP) and the port is still served,
so the other answered. Every process is stopped when its test ends, pass or fail.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from mockserver import create_app
from mockserver.http.server import LiveServer, listening_socket
from mockserver.testing.handle import FakeHandle
from tests.support.ports import free_port, refused
from tests.support.processes import FakeProcess
from tests.support.redisserver import RedisServer

KEY = "sk-test-processes-0123456789abcdefghij"
AUTH = {"Authorization": f"Bearer {KEY}"}
GENERATION = {"prompt": "a lighthouse at dusk", "size": "256x256"}

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="--workers pre-forks: POSIX only")


def post(fake: FakeProcess, timeout: float = 30) -> requests.Response:
    """One generation request."""
    return requests.post(fake.base_url + "/images/generations", json=GENERATION, headers=AUTH, timeout=timeout)


def get(fake: FakeProcess, path: str, timeout: float = 30) -> requests.Response:
    return requests.get(fake.url + path, timeout=timeout)


def running_children(fake: FakeProcess) -> list[int]:
    """The worker pids now (Linux's /proc)."""
    if not Path(f"/proc/{fake.pid}/task").exists():
        pytest.skip("needs Linux's /proc to list the workers")
    return fake.children()


def _expected_429() -> dict[str, Any]:
    """The 429 body one in-memory fake answers over a 20/min quota: the reference for them all."""
    client = create_app(rate_limits="20/1m").test_client()
    answers = [client.post("/v1/images/generations", json=GENERATION, headers=AUTH) for _ in range(21)]
    assert [a.status_code for a in answers] == [200] * 20 + [429]
    body: dict[str, Any] = answers[-1].get_json()
    return body


def _spread(fakes: list[FakeProcess], n: int, threads: int = 25) -> list[requests.Response]:
    """``n`` generation requests at once, spread evenly over ``fakes``."""
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda i: post(fakes[i % len(fakes)]), range(n)))


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
        redis_server: RedisServer, fake_process: Callable[..., FakeProcess]) -> None:
    pair = [fake_process("--quiet", "--state", redis_server.url, "--rate-limit", "20/1m") for _ in range(2)]
    answers = _spread(pair, 100)
    assert Counter(a.status_code for a in answers) == {200: 20, 429: 80}
    expected = _expected_429()
    assert all(a.json() == expected for a in answers if a.status_code == 429)
    assert all(a.headers["x-ratelimit-remaining-images"] == "0" for a in answers if a.status_code == 429)


def test_a_url_minted_on_one_fake_is_served_by_the_other_and_expires_on_both(
        redis_server: RedisServer, fake_process: Callable[..., FakeProcess]) -> None:
    one, other = (fake_process("--quiet", "--state", redis_server.url, "--url-ttl", "60") for _ in range(2))
    answer = post(one)
    assert answer.status_code == 200, answer.text
    url = answer.json()["data"][0]["url"]
    assert url.startswith(one.url + "/")
    on_other = url.replace(one.url, other.url, 1)
    fetched = [requests.get(u, timeout=30) for u in (url, on_other)]
    assert [f.status_code for f in fetched] == [200, 200]
    assert fetched[0].content.startswith(b"\x89PNG") and fetched[0].content == fetched[1].content
    with other.handle() as control:
        control.advance(61)
    expired = [requests.get(u, timeout=30) for u in (url, on_other)]
    assert [e.status_code for e in expired] == [403, 403]
    assert all(b"Signature not valid in the specified time frame" in e.content for e in expired)


def test_a_fault_queued_with_count_3_fires_exactly_3_times_across_both(
        redis_server: RedisServer, fake_process: Callable[..., FakeProcess]) -> None:
    pair = [fake_process("--quiet", "--state", redis_server.url) for _ in range(2)]
    with pair[0].handle() as first, pair[1].handle() as second:
        first.inject_fault(kind="status", status=503, count=3)
        answers = _spread(pair, 20)
        assert Counter(a.status_code for a in answers) == {200: 17, 503: 3}
        assert all(_is_json_error(a) for a in answers if a.status_code == 503)
        assert [first.faults(), second.faults()] == [[], []]


def test_the_journal_read_on_either_lists_the_requests_served_by_both(
        redis_server: RedisServer, fake_process: Callable[..., FakeProcess]) -> None:
    pair = [fake_process("--quiet", "--state", redis_server.url) for _ in range(2)]
    ids = {fake.url: [post(fake).headers["x-request-id"] for _ in range(3)] for fake in pair}
    everyone = {i for served in ids.values() for i in served}
    assert len(everyone) == 6
    for fake in pair:
        with fake.handle() as control:
            assert {e["id"] for e in control.requests()} == everyone


def test_redis_lost_mid_run_gives_json_5xx_then_the_fakes_recover(
        redis_server: RedisServer, fake_process: Callable[..., FakeProcess]) -> None:
    pair = [fake_process("--quiet", "--state", redis_server.url) for _ in range(2)]
    assert [post(f).status_code for f in pair] == [200, 200]
    redis_server.stop()
    try:
        for fake in pair:  # the control routes' own answers too: raw, to see their status and body
            for answer in (post(fake, timeout=20), get(fake, "/_mock/requests", timeout=20),
                           requests.post(fake.url + "/_mock/clock", json={"advance": 1}, timeout=20)):
                assert answer.status_code >= 500 and _is_json_error(answer), (answer.status_code, answer.text)
                assert "Traceback" not in answer.text
    finally:
        redis_server.start()
    _recovered(pair)


def _recovered(pair: list[FakeProcess]) -> None:
    deadline = time.monotonic() + 15
    while [post(f).status_code for f in pair] != [200, 200]:
        assert time.monotonic() < deadline, "the fakes did not recover once Redis was back"
        time.sleep(0.2)


def test_the_control_plane_recovers_when_redis_returns_empty(
        redis_server: RedisServer, fake_process: Callable[..., FakeProcess]) -> None:
    pair = [fake_process("--quiet", "--state", redis_server.url) for _ in range(2)]
    assert [post(f).status_code for f in pair] == [200, 200]
    redis_server.stop()
    redis_server.start()  # with no persistence: everything the fakes had is gone
    _recovered(pair)
    for fake in pair:
        with fake.handle() as control:  # each raises ControlError unless the route answers 2xx
            assert control.requests() and control.faults() == []  # the journal: the requests since
            assert control.now() > 0 and control.config()["rate_limits"]


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
            control = FakeHandle.in_process(server.app)
            control.freeze()
            control.set_time(now)

        def clocks() -> set[int]:  # a new connection each (a handle's session would keep to one server)
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
        redis_server: RedisServer, fake_process: Callable[..., FakeProcess]) -> None:
    fake = fake_process("--quiet", "--state", redis_server.url, "--workers", "2", "--rate-limit", "20/1m")
    assert len(fake.workers) == 2 and sorted(fake.workers) == sorted(running_children(fake))
    assert sum("serving the Images API" in line for line in fake.lines) == 1  # printed once, by the parent
    assert f"mockserver: state shared in Redis at {redis_server.url}" in "\n".join(fake.lines)
    first, second = fake.workers
    # Each worker alone answers the port, and the quota is spent across both: 12 + 12 asked, 20 granted.
    one = _served_without(second, lambda: [post(fake).status_code for _ in range(12)])
    two = _served_without(first, lambda: [post(fake).status_code for _ in range(12)])
    assert one == [200] * 12 and two == [200] * 8 + [429] * 4
    with fake.handle() as control:
        control.reset()
    answers = _spread([fake], 100)
    assert Counter(a.status_code for a in answers) == {200: 20, 429: 80}
    expected = _expected_429()
    assert all(a.json() == expected for a in answers if a.status_code == 429)


def test_a_worker_that_dies_is_replaced(redis_server: RedisServer, fake_process: Callable[..., FakeProcess]) -> None:
    fake = fake_process("--quiet", "--state", redis_server.url, "--workers", "2")
    victim, survivor = fake.workers
    os.kill(victim, signal.SIGKILL)
    fake.wait_for("err", rf"worker 1 \(pid {victim}\) killed by SIGKILL; starting another in its place")
    # With the survivor stopped, the replacement answers (a request waits in the backlog while it starts).
    statuses = _served_without(survivor, lambda: [post(fake).status_code for _ in range(3)])
    assert statuses == [200, 200, 200]
    assert fake.proc.poll() is None and len(running_children(fake)) == 2


def test_a_worker_lost_while_redis_is_down_is_replaced_once_redis_returns(
        redis_server: RedisServer, fake_process: Callable[..., FakeProcess]) -> None:
    fake = fake_process("--quiet", "--state", redis_server.url, "--workers", "2")
    victim, survivor = fake.workers
    redis_server.stop()
    try:
        os.kill(victim, signal.SIGKILL)
        fake.wait_for("err", r"worker 1 could not start: .*127\.0\.0\.1")  # tried, and tried again
        answer = post(fake, timeout=20)  # the survivor answers meanwhile, as a fake without Redis does
        assert answer.status_code == 503 and _is_json_error(answer)
        assert fake.proc.poll() is None
    finally:
        redis_server.start()
    # With the survivor stopped, a replacement answers: the next one tried once Redis is back.
    assert _served_without(survivor, lambda: post(fake, timeout=30).status_code) == 200


def test_sigterm_lets_every_worker_finish_its_requests_then_exits_0(
        redis_server: RedisServer, fake_process: Callable[..., FakeProcess]) -> None:
    fake = fake_process("--quiet", "--state", redis_server.url, "--workers", "2", "--latency-ms", "1500")
    with ThreadPoolExecutor(4) as pool:
        pending = [pool.submit(post, fake) for _ in range(4)]
        time.sleep(0.7)  # the requests are in the workers' hands, waiting out the latency
        fake.signal(signal.SIGTERM)
        said = fake.wait_for("err", "finishing the requests in flight")
        deadline = time.monotonic() + 3
        while not refused(fake.port):
            assert time.monotonic() < deadline, "still accepting after SIGTERM"
            time.sleep(0.05)
        assert [p.result().status_code for p in pending] == [200] * 4
    assert fake.wait(timeout=10) == 0
    assert said and fake.stop() == 0  # stop(): every line it printed is read
    assert sum("finishing the requests in flight" in line for line in fake.err) == 1  # once


def test_ctrl_c_reaching_every_process_is_one_graceful_stop(
        redis_server: RedisServer, fake_process: Callable[..., FakeProcess]) -> None:
    fake = fake_process("--quiet", "--state", redis_server.url, "--workers", "2", "--latency-ms", "1500")
    with ThreadPoolExecutor(2) as pool:
        pending = [pool.submit(post, fake) for _ in range(2)]
        time.sleep(0.7)
        fake.signal_group(signal.SIGINT)  # what a terminal does on Ctrl+C: parent and workers alike
        assert [p.result().status_code for p in pending] == [200, 200]
    assert fake.wait(timeout=10) == 0


def test_a_second_signal_exits_at_once(redis_server: RedisServer, fake_process: Callable[..., FakeProcess]) -> None:
    fake = fake_process("--quiet", "--state", redis_server.url, "--workers", "2", "--latency-ms", "20000")
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(post, fake)
        time.sleep(0.5)
        fake.signal(signal.SIGTERM)
        fake.wait_for("err", "finishing the requests in flight")
        started = time.monotonic()
        fake.signal(signal.SIGINT)
        assert fake.wait(timeout=5) == 1
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


def test_workers_stop_when_their_parent_is_killed(
        redis_server: RedisServer, fake_process: Callable[..., FakeProcess]) -> None:
    fake = fake_process("--quiet", "--state", redis_server.url, "--workers", "2")
    fake.signal(signal.SIGKILL)
    fake.wait(timeout=5)
    deadline = time.monotonic() + 10
    while not refused(fake.port):
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
