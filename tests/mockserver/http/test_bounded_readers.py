"""Issue 22, findings 8-10: readers, slots and writers with deadlines, against a real fake.

- 8: slow heads (a byte now and then, a new connection after each 408) cannot take the readers
  the control plane is answered by;
- 9: renders (``/_mock/images/<id>``) and image fetches run within the API's slots; a request
  kept waiting for a slot past ``queue_timeout_ms`` gets a 503 with ``retry-after``;
- 10: a stream's writes wait ``write_timeout_ms`` (not what the head's deadline left on the
  socket), and a stream cut by it, or by its client leaving, is journaled as cut.

Every client here is a real socket in a thread of the test; every wait is bounded.
"""

from __future__ import annotations

import socket
import threading
import time

import requests

from tests.support.processes import FakeProcess

CONTROL_BOUND = 1.0  # the bound for finding 8: the control plane under 1 s throughout


def _timed_get(url: str, timeout: float = 10) -> tuple[float, requests.Response]:
    started = time.monotonic()
    response = requests.get(url, timeout=timeout)
    return time.monotonic() - started, response


# --- finding 8: slow heads ----------------------------------------------------------------------

SLOW_CLIENTS = 70  # the count: more than the readers (16 threads + 48)


class _SlowHead(threading.Thread):
    """A client that sends its request line a byte every ``pause`` seconds, and reconnects as soon
    as it is answered (the 408 at the header deadline) or cut, until told to stop."""

    def __init__(self, port: int, pause: float, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.pause, self.stop = port, pause, stop
        self.answers: list[bytes] = []  # the status line of each answer it got
        self.start()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                    self._trickle(sock)
            except OSError:
                self.stop.wait(0.05)

    def _trickle(self, sock: socket.socket) -> None:
        sock.settimeout(self.pause)
        for byte in b"GET /v1/models HTTP/1.1\r\nHost: fake\r\nX-Slow: " + b"a" * 1000:
            if self.stop.is_set():
                return
            sock.send(bytes([byte]))
            try:
                answer = sock.recv(4096)
            except TimeoutError:
                continue  # not answered yet: the next byte
            if answer:
                self.answers.append(answer.split(b"\r\n", 1)[0])
            return  # answered (or closed): a new connection at once


def test_reconnecting_slow_heads_leave_the_control_plane_answering() -> None:
    # A header deadline of 2 s: long enough that readers held by slow heads would keep the control
    # plane waiting past its bound, short enough for several reconnect cycles in a few seconds.
    with FakeProcess("--header-timeout-ms", "2000") as fake:
        stop = threading.Event()
        clients = [_SlowHead(fake.port, 0.5, stop) for _ in range(SLOW_CLIENTS)]
        try:
            time.sleep(0.5)  # every slow client connected and trickling
            waits = []
            ends = time.monotonic() + 5  # two and a half header deadlines: every client reconnects
            while time.monotonic() < ends:
                took, response = _timed_get(fake.url + "/_mock/config")
                assert response.status_code == 200
                waits.append(took)
                # A normal client on the same address (loopback) still gets through at once.
                took, response = _timed_get(fake.base_url + "/models")
                assert response.status_code in (200, 401)
                waits.append(took)
                time.sleep(0.1)
        finally:
            stop.set()
            for client in clients:
                client.join(5)
        answers = [a for c in clients for a in c.answers]
        # The attack was real: the slow clients were answered 408 at the deadline and came back.
        assert len(answers) >= SLOW_CLIENTS and all(b" 408 " in a for a in answers), answers[:3]
        assert max(waits) < CONTROL_BOUND, f"slowest control answer {max(waits):.2f} s of {len(waits)}"
