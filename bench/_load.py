"""Shared by the benchmarks: server subprocesses, a light keep-alive load generator, statistics.

* :func:`start_server` runs ``python -m mockserver --port 0`` (or the bare Flask app
  below) as a child process, reads the URL it prints and returns a handle that
  knows the child's pid (for CPU time and RSS from ``/proc``) and how to stop it.
* :func:`run_load` drives one request at a fixed concurrency from threads that each
  own one keep-alive socket. Requests are pre-encoded bytes and responses are
  parsed just enough to find the status and ``Content-Length``, so the generator
  costs far less CPU per request than the server it measures.
* Run as a script (``python bench/_load.py bare --port 0``) this module serves a
  trivial Flask app on the same :class:`mockserver.http.server.LiveServer` (cheroot, 16
  threads) as the fake, as a floor to compare the fake against.

Everything here talks to 127.0.0.1 only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, jsonify, request

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python bench/x.py`: the checkout's tests.support, as the tests use it
from tests.support.processes import FakeProcess  # noqa: E402

PYTHON = sys.executable
LOOPBACK = "127.0.0.1"
API_KEY = "sk-bench"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
GENERATIONS = "/v1/images/generations"
EDITS = "/v1/images/edits"
VARIATIONS = "/v1/images/variations"
SMALL_BODY: dict[str, Any] = {"prompt": "a white siamese cat", "n": 1, "size": "256x256"}
# The default rate limit (50 images a minute per key) would answer nearly every benchmark
# request with a 429, so the fake runs with it off (and without its access log, which would fill
# the pipe it prints to); bench_server.py measures its cost apart.
MOCKSERVER_CMD = [PYTHON, "-m", "mockserver", "--port", "0", "--rate-limit", "off", "--quiet"]
BARE_CMD = [PYTHON, str(Path(__file__).resolve()), "bare", "--port", "0"]
_CLK_TCK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- #
# Statistics and printing
# --------------------------------------------------------------------------- #


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of values; nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ms(seconds: float) -> str:
    """Seconds as milliseconds with a sensible number of decimals."""
    value = seconds * 1000
    if value != value:  # nan
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}" if value < 1000 else f"{value:.0f}"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain text table, first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )

    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


# --------------------------------------------------------------------------- #
# Server subprocesses
# --------------------------------------------------------------------------- #


class ServerProcess(FakeProcess):
    """A server child process (the fake, or the bare app below) and what the benchmarks measure of
    it: the launcher the tests use (tests/support/processes.py), plus CPU time and memory from /proc."""

    @property
    def host(self) -> str:
        return LOOPBACK

    def proc_status(self, key: str) -> int:
        """A kB figure (VmRSS, VmHWM, ...) from /proc/<pid>/status."""
        for row in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if row.startswith(key + ":"):
                return int(row.split()[1])
        raise KeyError(key)

    def rss_mb(self) -> float:
        return self.proc_status("VmRSS") / 1024

    def hwm_mb(self) -> float:
        return self.proc_status("VmHWM") / 1024

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / _CLK_TCK

    def stop_timed(self, sig: int = signal.SIGINT, timeout: float = 5.0) -> float | None:
        """Stop it with ``sig``: seconds until it exited, or None if it had to be killed."""
        if self.proc.poll() is not None:
            self.stop()
            return 0.0
        start = time.perf_counter()
        status = self.stop(sig, timeout)
        return None if status is None else time.perf_counter() - start

    def __exit__(self, *exc: object) -> None:
        self.stop(signal.SIGINT, 5.0)


def start_server(
    cmd: Sequence[str] = MOCKSERVER_CMD, *, timeout: float = 20.0, env: Mapping[str, str] | None = None,
    cwd: Path = ROOT,
) -> ServerProcess:
    """Start cmd, wait (at most timeout seconds) for the URL it prints, check it is loopback.

    ``env``: variables added to this process's environment for the child. ``cwd``: the
    checkout whose ``mockserver`` ``python -m`` finds first (another one for a baseline).
    ``printed_at`` is when its first line, the one with the URL, was read.
    """
    server = ServerProcess(command=cmd, env=env, cwd=cwd, ready=r"https?://", timeout=timeout, default_sigint=True)
    if urlsplit(server.url).hostname != LOOPBACK:
        server.stop(signal.SIGKILL)
        raise RuntimeError(f"refusing to benchmark a non-loopback URL: {server.url}")
    return server


# --------------------------------------------------------------------------- #
# Requests
# --------------------------------------------------------------------------- #


def json_request(body: dict[str, Any], path: str = GENERATIONS, *, host: str = LOOPBACK) -> bytes:
    """A complete keep-alive HTTP/1.1 POST of body as JSON, ready to send."""
    payload = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {AUTH['Authorization']}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode("ascii") + payload


def random_boundary() -> str:
    """A fresh boundary as httpx makes one for every multipart request (``os.urandom(16).hex()``,
    in ``httpx._multipart.MultipartStream``); the official Python SDK sends its uploads through httpx."""
    return os.urandom(16).hex()


@dataclass(frozen=True)
class MultipartTemplate:
    """A multipart/form-data POST whose boundary is drawn anew for every request.

    The body is laid out as httpx lays it out (fields first, then files, each part with
    ``Content-Disposition`` and, for a file, ``Content-Type``). The file bytes are sent as
    they are, never copied: :meth:`pieces` returns the head and part headers joined, the
    files' bytes by reference, and the short tails.
    """

    path: str
    fields: tuple[tuple[str, str], ...]
    files: tuple[tuple[str, str, str, bytes], ...]  # (field name, file name, content type, bytes)
    host: str = LOOPBACK

    def pieces(self, boundary: str | None = None) -> list[bytes]:
        b = (boundary or random_boundary()).encode("ascii")
        out: list[bytes] = []
        text = b"".join(
            b"--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
            % (b, name.encode(), value.encode()) for name, value in self.fields
        )
        current = text
        for name, filename, content_type, data in self.files:
            current += (
                b"--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                b"Content-Type: %s\r\n\r\n" % (b, name.encode(), filename.encode(), content_type.encode())
            )
            out += [current, data]
            current = b"\r\n"
        out.append(current + b"--%s--\r\n" % b)
        length = sum(len(piece) for piece in out)
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: {AUTH['Authorization']}\r\n"
            f"Content-Type: multipart/form-data; boundary={b.decode()}\r\nContent-Length: {length}\r\n\r\n"
        ).encode("ascii")
        out[0] = head + out[0]
        return out

    def body(self, boundary: str) -> bytes:
        """The body alone (for in-process use), with the given boundary."""
        data = b"".join(self.pieces(boundary))
        return data[data.index(b"\r\n\r\n") + 4 :]


# What run_load sends: the same bytes every time, or a function that makes each request anew.
Payload = bytes | Callable[[], bytes | Sequence[bytes]]


class RawConnection:
    """One keep-alive socket that sends pre-encoded requests and reads Content-Length answers."""

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        if host != LOOPBACK:
            raise ValueError("loopback only")
        self._addr = (host, port)
        self._timeout = timeout
        self._sock: socket.socket | None = None
        self._buf = b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(self._addr, timeout=self._timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock, self._buf = sock, b""
        return sock

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def request(self, payload: bytes | Sequence[bytes]) -> tuple[int, bytes]:
        """Send payload (bytes, or pieces sent one after the other without joining them);
        return (status, body). Reconnects after a close."""
        sock = self._sock or self._connect()
        if isinstance(payload, bytes):
            sock.sendall(payload)
        else:
            for piece in payload:
                sock.sendall(piece)
        buf = self._buf
        while (end := buf.find(b"\r\n\r\n")) < 0:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed before the response head")
            buf += chunk
        head = buf[:end].decode("latin-1")
        status = int(head[9:12])
        length = None
        close = False
        for row in head.split("\r\n")[1:]:
            name, _, value = row.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
            elif name == "transfer-encoding":
                raise ConnectionError("chunked responses are not supported by this generator")
        if length is None:
            raise ConnectionError("response without Content-Length")
        need = end + 4 + length
        while len(buf) < need:
            chunk = sock.recv(max(65536, need - len(buf)))
            if not chunk:
                raise ConnectionError("connection closed mid-body")
            buf += chunk
        body, self._buf = buf[end + 4 : need], buf[need:]
        if close:
            self.close()
        return status, body


def http_connection(port: int, timeout: float = 60.0) -> http.client.HTTPConnection:
    """A stdlib keep-alive connection to the loopback server (for single, inspected requests)."""
    return http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)


def post_json(
    conn: http.client.HTTPConnection, body: dict[str, Any], path: str = GENERATIONS
) -> tuple[http.client.HTTPResponse, bytes, float]:
    """POST body; return (response, body bytes, seconds from send to last byte)."""
    payload = json.dumps(body).encode()
    headers = {**AUTH, "Content-Type": "application/json"}
    start = time.perf_counter()
    conn.request("POST", path, body=payload, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response, data, time.perf_counter() - start


def get(conn: http.client.HTTPConnection, target: str) -> tuple[http.client.HTTPResponse, bytes, float]:
    start = time.perf_counter()
    conn.request("GET", target)
    response = conn.getresponse()
    data = response.read()
    return response, data, time.perf_counter() - start


# --------------------------------------------------------------------------- #
# Load
# --------------------------------------------------------------------------- #


@dataclass
class LoadResult:
    concurrency: int
    measured_seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, measured window only
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0  # socket errors / unparseable answers (reconnected)
    warmup_requests: int = 0
    server_cpu: float | None = None  # server CPU seconds in the measured window
    client_cpu: float = 0.0  # this process's CPU seconds in the measured window

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.measured_seconds if self.measured_seconds > 0 else 0.0

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)


def merge(results: Sequence[LoadResult]) -> LoadResult:
    """Several runs at the same concurrency as one."""
    total = LoadResult(results[0].concurrency, 0.0)
    cpu = 0.0
    for r in results:
        total.measured_seconds += r.measured_seconds
        total.latencies.extend(r.latencies)
        total.statuses.update(r.statuses)
        total.errors += r.errors
        total.warmup_requests += r.warmup_requests
        total.client_cpu += r.client_cpu
        cpu += r.server_cpu or 0.0
    total.server_cpu = cpu if any(r.server_cpu is not None for r in results) else None
    return total


def run_load(
    port: int,
    payload: Payload,
    *,
    concurrency: int = 8,
    warmup: float = 5.0,
    duration: float = 10.0,
    max_requests: int = 1_000_000,
    server: ServerProcess | None = None,
) -> LoadResult:
    """``concurrency`` threads, each with one keep-alive connection, send payload back to back
    (a callable payload is called for every request: e.g. a fresh multipart boundary).

    Requests started during the first ``warmup`` seconds are not recorded; the run stops
    after ``warmup + duration`` seconds or once ``max_requests`` were measured, whichever
    comes first.
    """
    per_thread = max(1, -(-max_requests // concurrency))
    lock = threading.Lock()
    result = LoadResult(concurrency, 0.0)
    barrier = threading.Barrier(concurrency + 1)
    marks: dict[str, float] = {}

    def worker() -> None:
        conn = RawConnection(LOOPBACK, port)
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        errors = warm = 0
        barrier.wait(timeout=30)
        warm_end, end = marks["warm_end"], marks["end"]
        try:
            while len(latencies) < per_thread:
                start = time.perf_counter()
                if start >= end:
                    break
                try:
                    status, _ = conn.request(payload if isinstance(payload, bytes) else payload())
                except (OSError, ValueError):
                    errors += 1
                    conn.close()
                    if errors > 1000:
                        break
                    continue
                if start >= warm_end:
                    latencies.append(time.perf_counter() - start)
                    statuses[status] += 1
                else:
                    warm += 1
        finally:
            conn.close()
        with lock:
            result.latencies.extend(latencies)
            result.statuses.update(statuses)
            result.errors += errors
            result.warmup_requests += warm

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    now = time.perf_counter()
    marks["warm_end"] = now + warmup
    marks["end"] = now + warmup + duration
    barrier.wait(timeout=30)

    # Sample CPU figures at the edges of the measured window.
    time.sleep(max(0.0, marks["warm_end"] - time.perf_counter()))
    cpu0 = time.process_time()
    srv0 = server.cpu_seconds() if server else None
    t0 = time.perf_counter()
    for t in threads:
        t.join(timeout=warmup + duration + 120)
    t1 = time.perf_counter()
    result.client_cpu = time.process_time() - cpu0
    if server is not None and srv0 is not None:
        result.server_cpu = server.cpu_seconds() - srv0
    result.measured_seconds = t1 - t0
    return result


def sequential(port: int, payload: bytes, count: int, *, warmup: int = 50) -> list[float]:
    """Latencies (seconds) of count back-to-back requests on one keep-alive connection."""
    conn = RawConnection(LOOPBACK, port)
    latencies: list[float] = []
    try:
        for i in range(warmup + count):
            start = time.perf_counter()
            status, _ = conn.request(payload)
            if status != 200:
                raise RuntimeError(f"status {status}")
            if i >= warmup:
                latencies.append(time.perf_counter() - start)
    finally:
        conn.close()
    return latencies


# --------------------------------------------------------------------------- #
# The bare app
# --------------------------------------------------------------------------- #


def bare_app() -> Flask:
    """A trivial Flask app: reads the JSON body and answers a small fixed JSON. Its edits and
    variations parse the multipart body as any Flask app does (``request.form``, ``request.files``,
    every file read) and answer the same fixed JSON."""
    app = Flask("bare")

    @app.post(GENERATIONS)
    def generations() -> Response:
        request.get_data()
        return jsonify({"created": 0, "data": [{"url": "http://127.0.0.1/x.png"}]})

    @app.post(EDITS)
    @app.post(VARIATIONS)
    def multipart() -> Response:
        fields = request.form.to_dict()
        for upload in request.files.values():
            upload.read()
        if not fields and not request.files:
            refused = jsonify({"error": "no form"})
            refused.status_code = 400
            return refused
        return jsonify({"created": 0, "data": [{"url": "http://127.0.0.1/x.png"}]})

    return app


def serve_bare(argv: Sequence[str] | None = None) -> int:
    """Serve :func:`bare_app` like ``python -m mockserver`` serves the fake."""
    from mockserver.http.server import LiveServer

    parser = argparse.ArgumentParser(prog="bench/_load.py bare")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args(argv)
    server = LiveServer(bare_app(), LOOPBACK, args.port, threads=args.threads)
    server.bind()
    print(f"bare: serving a trivial Flask app at {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] != "bare":
        print("usage: python bench/_load.py bare [--port N] [--threads N]", file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(serve_bare(sys.argv[2:]))
