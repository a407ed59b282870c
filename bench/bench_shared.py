"""Benchmark the shared state: the fake on Redis against in-memory, and two workers against one.

Three servers, each ``python -m mockserver --port 0 --rate-limit off --quiet`` in its own
process, side by side in one run:

- ``in-memory``: today's embedded state (no Redis);
- ``redis, 1 worker``: ``--state redis://.../1``;
- ``redis, 2 workers``: ``--state redis://.../2 --workers 2`` (one port, two processes).

They share one ``redis-server`` started here on a free loopback port with no persistence
(the way tests/support/redisserver.py starts it; the benchmark says so and stops when there is
none), each server on a database of its own. Each row (a request body) gets a warm-up,
then --rounds rounds that alternate the servers (A B C, C B A, ...), so a change in the
machine's background load hits all of them alike.

Per server and row: requests/s, p50/p99 latency, and CPU time per request from
``/proc/PID/stat``: of the fake's processes (the parent and every worker), of the
redis-server, and the two together. Then the ratios the issue aims at:

1. server CPU per request, Redis (one worker) against in-memory: aim within 1.5x
   (the fake's processes alone, and with redis-server's CPU added);
2. total server CPU per request (workers and redis-server), two workers against one:
   aim within 1.1x (workers add cores, not cost);
3. requests/s of two workers against one.

Rows: ``POST /v1/images/generations`` ``{"prompt": "a white siamese cat", "n": 1,
"size": "256x256"}`` (url answers, the typical cheap request); ``GET`` of one image URL
that answer handed out (256x256 PNG: rendered by the first GET, then from the store's
bytes cache: in Redis for the shared state), each server its own URL; and with ``--b64``
the POST with ``response_format: b64_json`` (a render on every request).

Run:  .venv/bin/python bench/bench_shared.py [--concurrency 8 --warmup 3 --duration 12 --rounds 6]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _load import (
    GENERATIONS,
    LOOPBACK,
    MOCKSERVER_CMD,
    ROOT,
    SMALL_BODY,
    LoadResult,
    RawConnection,
    ServerProcess,
    http_connection,
    json_request,
    merge,
    ms,
    percentile,
    post_json,
    print_table,
    run_load,
    start_server,
)

sys.path.insert(0, str(ROOT))
from tests.support.redisserver import REDIS_SERVER, RedisServer  # the real redis-server the tests start

PROC = Path("/proc")
B64_BODY: dict[str, Any] = {**SMALL_BODY, "response_format": "b64_json"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--concurrency", type=int, default=8, help="load threads (default: %(default)s)")
    add("--warmup", type=float, default=3.0, help="seconds of warm-up per server and row (default: %(default)s)")
    add("--duration", type=float, default=12.0, help="seconds measured per server and row (default: %(default)s)")
    add("--rounds", type=int, default=6, help="alternations of the servers (default: %(default)s)")
    add("--b64", action="store_true", help="add a row of b64_json answers (a render per request)")
    add("--no-fetch", action="store_true", help="leave out the row of image URL fetches")
    add("--no-workers", action="store_true", help="leave out the two-worker server")
    args = parser.parse_args()
    args.concurrency = max(1, min(args.concurrency, 64))
    args.warmup = max(0.0, min(args.warmup, 60.0))
    args.duration = max(1.0, min(args.duration, 300.0))
    args.rounds = max(1, min(args.rounds, 30))
    return args


# --------------------------------------------------------------------------- #
# CPU time of a process tree, from /proc
# --------------------------------------------------------------------------- #


def _stat(pid: int) -> list[str] | None:
    try:
        return (PROC / str(pid) / "stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None


def _tree(root: int) -> list[int]:
    """root and every live descendant of it."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pids: Sequence[int]) -> dict[int, float]:
    """User + system CPU seconds of each pid (those still alive)."""
    tick = os.sysconf("SC_CLK_TCK")
    result = {}
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            result[pid] = (int(fields[11]) + int(fields[12])) / tick
    return result


# --------------------------------------------------------------------------- #
# The servers and the load
# --------------------------------------------------------------------------- #


@dataclass
class Target:
    name: str
    server: ServerProcess
    redis_pid: int | None
    pids: list[int]  # the fake's processes: the parent and its workers

    def cpu(self) -> tuple[float, float]:
        """(the fake's processes, redis-server) CPU seconds so far."""
        fake = cpu_seconds(self.pids)
        redis = cpu_seconds([self.redis_pid]) if self.redis_pid else {}
        return sum(fake.values()), sum(redis.values())


@dataclass
class Measured:
    load: list[LoadResult]
    fake_cpu: float = 0.0
    redis_cpu: float = 0.0

    @property
    def merged(self) -> LoadResult:
        return merge(self.load)

    def per_request(self, seconds: float) -> float:
        count = self.merged.count
        return seconds / count if count else float("nan")


def check(server: ServerProcess, body: dict[str, Any]) -> bytes:
    conn = http_connection(server.port)
    try:
        response, data, _ = post_json(conn, body)
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"{server.base_url}: status {response.status}: {data[:300]!r}")
    return data


def fetch_request(server: ServerProcess) -> bytes:
    """A keep-alive GET of an image URL this server handed out (checked to answer a PNG)."""
    url = urlsplit(json.loads(check(server, SMALL_BODY))["data"][0]["url"])
    if url.hostname != LOOPBACK or url.port != server.port:
        raise RuntimeError(f"unexpected image URL {url.geturl()}")
    target = url.path + (f"?{url.query}" if url.query else "")
    payload = f"GET {target} HTTP/1.1\r\nHost: {LOOPBACK}:{server.port}\r\n\r\n".encode("ascii")
    status, body = RawConnection(LOOPBACK, server.port).request(payload)
    if status != 200 or not body.startswith(b"\x89PNG"):
        raise RuntimeError(f"{url.geturl()}: status {status}: {body[:100]!r}")
    return payload


def measure(target: Target, payload: bytes, args: argparse.Namespace, seconds: float) -> tuple[LoadResult, float,
                                                                                                 float]:
    """One round: load for ``seconds``, with the CPU the servers spent during it."""
    fake0, redis0 = target.cpu()
    result = run_load(target.server.port, payload, concurrency=args.concurrency, warmup=0.0, duration=seconds)
    fake1, redis1 = target.cpu()
    return result, fake1 - fake0, redis1 - redis0


def row(args: argparse.Namespace, targets: list[Target], body: dict[str, Any] | None) -> dict[str, Measured]:
    """Each target under load with body (POSTed), or None: a GET of an image URL it handed out."""
    payloads = {}
    for target in targets:
        if body is None:
            payloads[target.name] = fetch_request(target.server)
        else:
            check(target.server, body)
            payloads[target.name] = json_request(body)
        run_load(target.server.port, payloads[target.name], concurrency=args.concurrency, warmup=0.0,
                 duration=args.warmup)
    measured = {t.name: Measured([]) for t in targets}
    for i in range(args.rounds):
        for target in targets[:: 1 if i % 2 == 0 else -1]:
            result, fake, redis = measure(target, payloads[target.name], args, args.duration / args.rounds)
            entry = measured[target.name]
            entry.load.append(result)
            entry.fake_cpu += fake
            entry.redis_cpu += redis
    return measured


def us(seconds: float) -> str:
    return "-" if seconds != seconds else f"{seconds * 1e6:.0f}"


def report(title: str, measured: dict[str, Measured]) -> None:
    print(f"\n## {title}")
    rows = []
    for name, m in measured.items():
        merged = m.merged
        has_redis = "redis" in name
        rows.append([
            name, merged.count, f"{merged.rps:.0f}", ms(percentile(merged.latencies, 50)),
            ms(percentile(merged.latencies, 99)), merged.count - merged.ok, merged.errors,
            us(m.per_request(m.fake_cpu)), us(m.per_request(m.redis_cpu)) if has_redis else "-",
            us(m.per_request(m.fake_cpu + m.redis_cpu)),
            f"{merged.client_cpu / merged.measured_seconds * 100:.0f}%" if merged.measured_seconds else "-",
        ])
    print_table(["server", "requests", "req/s", "p50 ms", "p99 ms", "non-200", "sock err", "fake CPU us/req",
                 "redis CPU us/req", "total CPU us/req", "loadgen CPU"], rows)

    def total(name: str) -> float:
        m = measured[name]
        return m.per_request(m.fake_cpu + m.redis_cpu)

    memory, one = measured["in-memory"], measured["redis, 1 worker"]
    print(f"1. CPU per request, Redis (1 worker) / in-memory: the fake's process "
          f"{one.per_request(one.fake_cpu) / memory.per_request(memory.fake_cpu):.2f}x, "
          f"with redis-server's {total('redis, 1 worker') / total('in-memory'):.2f}x (aim: within 1.5x)")
    if "redis, 2 workers" in measured:
        two = measured["redis, 2 workers"]
        print(f"2. total CPU per request (workers + redis-server), 2 workers / 1: "
              f"{total('redis, 2 workers') / total('redis, 1 worker'):.2f}x (aim: within 1.1x)")
        per_round = " ".join(f"{b.rps / a.rps:.2f}" for a, b in zip(one.load, two.load, strict=True))
        print(f"3. requests/s, 2 workers / 1: {two.merged.rps / one.merged.rps:.2f}x; per round: {per_round}")


def main() -> int:
    args = parse_args()
    if shutil.which(REDIS_SERVER) is None:
        print("bench_shared: skipped: redis-server is not installed (apt-get install redis-server)")
        return 0
    with RedisServer() as redis:
        assert redis._process is not None  # started, or start() raised
        redis_pid = redis._process.pid
        base = redis.url.rsplit("/", 1)[0]
        commands = {"in-memory": MOCKSERVER_CMD, "redis, 1 worker": [*MOCKSERVER_CMD, "--state", f"{base}/1"]}
        if not args.no_workers:
            commands["redis, 2 workers"] = [*MOCKSERVER_CMD, "--state", f"{base}/2", "--workers", "2"]
        print(f"# load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
              f"({os.cpu_count()} CPUs)")
        print(f"# bench_shared: concurrency {args.concurrency}; per server and row {args.warmup:g} s warm-up, then "
              f"{args.rounds} rounds alternating the servers, {args.duration:g} s measured in all; "
              f"redis-server pid {redis_pid} on port {redis.port}")
        servers: list[ServerProcess] = []
        try:
            targets = []
            for name, cmd in commands.items():
                server = start_server(cmd, timeout=30)
                servers.append(server)
                targets.append(Target(name, server, redis_pid if "redis" in name else None, []))
            for target in targets:
                target.pids = _tree(target.server.pid)
                print(f"# {target.name}: {' '.join(commands[target.name][2:])}: pids {target.pids}")
            rows: dict[str, dict[str, Any] | None] = {
                f"POST {GENERATIONS} {json.dumps(SMALL_BODY)} (url)": SMALL_BODY}
            if not args.no_fetch:
                rows["GET an image URL of that answer (256x256 PNG, rendered by the first GET)"] = None
            if args.b64:
                rows[f"POST {GENERATIONS} {json.dumps(B64_BODY)}"] = B64_BODY
            for title, body in rows.items():
                report(title, row(args, targets, body))
            print(f"\n# load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        finally:
            for server in servers:
                server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
