"""The server layer under hostile clients (issue 10): slow clients, huge heads, garbage
request lines, hangs, dual-stack loopback, ``Expect: 100-continue``. Everything goes
through real sockets; every wait is bounded."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, suppress
from typing import Any

import pytest
import requests

from contracts.limits import MAX_REQUEST_BYTES
from mockserver import create_app
from mockserver.http.server import MAX_HEADER_BYTES, MAX_HEADER_COUNT, MAX_REQUEST_LINE, LiveServer
from mockserver.testing.handle import FakeHandle
from tests.conftest import API_KEY, AUTH
from tests.support.ports import refused
from tests.support.processes import FakeProcess

GENERATION = json.dumps({"prompt": "cat", "size": "256x256"}).encode()


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer(create_app()) as live:
        yield live


def connect(server: LiveServer, timeout: float = 5) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)


def exchange(server: LiveServer, data: bytes, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read one answer: (status, lower-cased headers, body)."""
    with closing(connect(server, timeout)) as sock:
        sender = _Sender(sock, data)
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
        sender.join()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body


class _Sender(threading.Thread):
    """Sends in the background, so an answer that comes before the whole request is read."""

    def __init__(self, sock: socket.socket, data: bytes) -> None:
        super().__init__(daemon=True)
        self.sock, self.data = sock, data
        self.start()

    def run(self) -> None:
        with suppress(OSError):  # the server may answer and close before taking it all
            self.sock.sendall(self.data)


def json_error(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    assert headers["content-type"] == "application/json"
    error: dict[str, Any] = json.loads(body)["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return error


def generation_request(extra: bytes = b"", path: bytes = b"/v1/images/generations") -> bytes:
    return (b"POST " + path + b" HTTP/1.1\r\nHost: fake\r\nAuthorization: Bearer " + API_KEY.encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(GENERATION)).encode()
            + b"\r\n" + extra + b"\r\n" + GENERATION)


def still_serves(server: LiveServer) -> None:
    response = requests.post(f"{server.base_url}/images/generations", data=GENERATION,
                             headers={**AUTH, "Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 200


# --- finding 1: slow clients --------------------------------------------------------------------


def test_slow_header_senders_cannot_take_the_control_plane_or_the_api(server: LiveServer) -> None:
    with ExitStack() as stack:
        for _ in range(24):  # more than the 16 API workers; each stops half-way through its headers
            sock = stack.enter_context(closing(connect(server)))
            sock.sendall(b"POST /v1/images/generations HTTP/1.1\r\nHost: fake\r\n")
        started = time.monotonic()
        with FakeHandle.over_http(server.url, timeout=3) as control:
            control.now()  # the control plane answers (a ControlError or a timeout otherwise)
        still_serves(server)
        assert time.monotonic() - started < 3


def test_a_trickling_client_is_cut_at_the_header_deadline() -> None:
    with LiveServer(create_app(), header_timeout=0.5) as live, closing(connect(live)) as sock:
        stop = threading.Event()

        def trickle() -> None:  # one byte every 50 ms: each wait is short, the whole is not
            try:
                for byte in b"POST /v1/images/generations HTTP/1.1\r\nHost: fake\r\nX-Slow: " + b"a" * 200:
                    if stop.wait(0.05):
                        return
                    sock.send(bytes([byte]))
            except OSError:
                pass

        sender = threading.Thread(target=trickle, daemon=True)
        sender.start()
        started = time.monotonic()
        response = http.client.HTTPResponse(sock)
        response.begin()
        headers = {k.lower(): v for k, v in response.getheaders()}
        error = json_error(headers, response.read())
        stop.set()
        sender.join(2)
        assert response.status == 408 and error["type"] == "invalid_request_error"
        assert headers["connection"] == "close"
        assert 0.4 < time.monotonic() - started < 3


def test_slow_uploads_are_cut_at_the_body_deadline_and_leave_the_control_plane() -> None:
    with LiveServer(create_app(), threads=2, body_timeout=0.5) as live, ExitStack() as stack:
        length = 3_900_000
        socks = []
        for _ in range(4):  # twice the API workers, each sending 1 KB of a 3.9 MB edit and stopping
            sock = stack.enter_context(closing(connect(live)))
            sock.sendall(b"POST /v1/images/variations HTTP/1.1\r\nHost: fake\r\nAuthorization: Bearer "
                         + API_KEY.encode() + b"\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                         + b"Content-Length: " + str(length).encode() + b"\r\n\r\n--b\r\n"
                         + b'Content-Disposition: form-data; name="image"; filename="a.png"\r\n\r\n'
                         + b"\x89PNG" + b"\0" * 1000)
            socks.append(sock)
        started = time.monotonic()
        with FakeHandle.over_http(live.url, timeout=2) as control:
            control.now()
        for sock in socks:
            response = http.client.HTTPResponse(sock)
            response.begin()
            headers = {k.lower(): v for k, v in response.getheaders()}
            assert response.status == 408
            assert json_error(headers, response.read())["type"] == "invalid_request_error"
        assert time.monotonic() - started < 4
        still_serves(live)


# --- finding 6: head sizes ---------------------------------------------------------------------


@pytest.mark.parametrize("extra", [
    b"X-Big: " + b"a" * (MAX_HEADER_BYTES + 1) + b"\r\n",
    b"".join(b"X-H%d: v\r\n" % i for i in range(MAX_HEADER_COUNT + 1)),
    b"Accept: text/plain\r\n" * 30_000,  # 600 KB of a header that is joined: was quadratic
])
def test_too_large_heads_get_431_in_json(server: LiveServer, extra: bytes) -> None:
    started = time.monotonic()
    status, headers, body = exchange(server, generation_request(extra))
    assert status == 431
    error = json_error(headers, body)
    assert error["type"] == "invalid_request_error" and str(MAX_HEADER_BYTES) in error["message"]
    assert time.monotonic() - started < 3
    still_serves(server)


def test_a_header_within_the_bounds_is_served(server: LiveServer) -> None:
    extra = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 200) for i in range(50))
    assert exchange(server, generation_request(extra))[0] == 200


def test_an_over_long_request_line_gets_414_in_json(server: LiveServer) -> None:
    path = b"/v1/images/generations?q=" + b"a" * MAX_REQUEST_LINE
    status, headers, body = exchange(server, generation_request(path=path))
    assert status == 414
    assert str(MAX_REQUEST_LINE) in json_error(headers, body)["message"]
    still_serves(server)


# --- finding 10 (server layer): garbage, HTTP/2.0, double slashes -------------------------------


@pytest.mark.parametrize(("data", "status"), [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\nHost: fake\r\n\r\n", 505),
    (b"GET /v1/models HTTP/1.1\r\nHost: fake\r\nNo colon here\r\n\r\n", 400),
    (b"GET /v1/models HTTP/1.1\r\nHost: fake\r\nX-A: 1\r\n folded\r\n\r\n", 400),
])
def test_the_server_layer_answers_in_json(server: LiveServer, data: bytes, status: int) -> None:
    got, headers, body = exchange(server, data)
    assert got == status
    assert json_error(headers, body)["type"] == "invalid_request_error"
    assert headers["x-request-id"].startswith("req_")


def test_a_double_slash_is_the_apis_404_not_a_redirect(server: LiveServer) -> None:
    response = requests.post(f"{server.url}/v1//images/generations", data=GENERATION, allow_redirects=False,
                             headers={**AUTH, "Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Invalid URL (POST /v1//images/generations)"


# --- Expect: 100-continue -----------------------------------------------------------------------


def first_line(server: LiveServer, length: int) -> bytes:
    with closing(connect(server)) as sock:
        sock.sendall(b"POST /v1/images/variations HTTP/1.1\r\nHost: fake\r\nAuthorization: Bearer "
                     + API_KEY.encode() + b"\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                     + b"Content-Length: " + str(length).encode() + b"\r\nExpect: 100-continue\r\n\r\n")
        return sock.makefile("rb").readline()


def test_expect_continue_over_the_limit_gets_413_without_100(server: LiveServer) -> None:
    assert first_line(server, MAX_REQUEST_BYTES + 1).startswith(b"HTTP/1.1 413 ")
    assert first_line(server, 1000).startswith(b"HTTP/1.1 100 ")


# --- finding 7: hangs end on reset and DELETE /_mock/faults ------------------------------------


@pytest.mark.parametrize("end", [FakeHandle.clear_faults, FakeHandle.reset], ids=["delete-faults", "reset"])
def test_ending_hangs_is_immediate_and_the_control_plane_is_never_behind_them(
    end: Callable[[FakeHandle], None],
) -> None:
    with LiveServer(create_app()) as live, FakeHandle.over_http(live.url, timeout=2) as control:
        control.inject_fault(kind="hang", delay_ms=30000, count=None)
        outcomes: list[str] = []

        def client() -> None:
            try:
                requests.post(f"{live.base_url}/images/generations", data=GENERATION,
                              headers={**AUTH, "Content-Type": "application/json"}, timeout=10)
                outcomes.append("answered")
            except requests.RequestException:
                outcomes.append("dropped")

        threads = [threading.Thread(target=client, daemon=True) for _ in range(20)]
        for thread in threads:
            thread.start()
        _wait_for(lambda: control.faults()[0]["fired"] >= 16)
        started = time.monotonic()
        end(control)
        for thread in threads:
            thread.join(max(0.1, started + 3 - time.monotonic()))
        assert len(outcomes) == 20 and "dropped" in outcomes
        assert time.monotonic() - started < 3


def _wait_for(condition: Callable[[], bool], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


# --- finding 11: dual-stack loopback ------------------------------------------------------------


def _dual_stack() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            probe.bind(("::", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _dual_stack(), reason="this machine has no dual-stack IPv6")
def test_an_ipv4_client_of_a_dual_stack_fake_is_loopback() -> None:
    with LiveServer(create_app(), host="::") as live:
        for url in (f"http://127.0.0.1:{live.port}", f"http://[::1]:{live.port}"):
            with FakeHandle.over_http(url, timeout=3) as control:
                control.now()  # answered (a ControlError or a timeout otherwise)


# --- finding 5: SIGTERM and SIGINT let requests in flight finish --------------------------------


def in_flight(fake: FakeProcess, n: int) -> list[socket.socket]:
    """``n`` generation requests, sent; then a control request answered, so the fake
    has taken them (connections are accepted in order)."""
    socks = []
    for _ in range(n):
        sock = socket.create_connection(("127.0.0.1", fake.port), timeout=10)
        sock.sendall(generation_request())
        socks.append(sock)
    with fake.handle() as control:
        control.now()
    # The control request is answered by a reader thread while another may still be reading
    # an API request's head: let the readers hand the API requests to their workers.
    time.sleep(0.5)
    return socks


def read_status(sock: socket.socket) -> int | str:
    try:
        response = http.client.HTTPResponse(sock)
        response.begin()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__
    finally:
        sock.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_lets_requests_in_flight_finish_then_exits_0(fake_process: Callable[..., FakeProcess],
                                                              signum: int) -> None:
    fake = fake_process("--latency-ms", "1500")
    socks = in_flight(fake, 3)
    fake.signal(signum)
    fake.wait_for("err", "finishing the requests in flight")
    _wait_for(lambda: refused(fake.port), timeout=3)  # no longer accepting
    assert [read_status(sock) for sock in socks] == [200, 200, 200]
    assert fake.wait(timeout=5) == 0


def test_the_grace_is_bounded_and_configurable(fake_process: Callable[..., FakeProcess]) -> None:
    fake = fake_process("--latency-ms", "20000", "--shutdown-grace-ms", "300")
    socks = in_flight(fake, 2)
    started = time.monotonic()
    fake.signal(signal.SIGTERM)
    assert fake.wait(timeout=5) == 0
    assert time.monotonic() - started < 3
    assert all(read_status(sock) != 200 for sock in socks)  # dropped once the grace was over


def test_a_second_signal_exits_at_once(fake_process: Callable[..., FakeProcess]) -> None:
    fake = fake_process("--latency-ms", "20000")
    socks = in_flight(fake, 1)
    try:
        fake.signal(signal.SIGTERM)
        fake.wait_for("err", "finishing the requests in flight")
        started = time.monotonic()
        fake.signal(signal.SIGINT)
        assert fake.wait(timeout=5) == 1
        assert time.monotonic() - started < 2
    finally:
        read_status(socks[0])  # closes it
