"""Issue 3's benchmarks: quota exactness under concurrency, and what the control
features cost per request.

1. Exactness: 50 concurrent clients, each with its own keep-alive connection, ask
   for 1-3 images at once against a limit of L per minute on a frozen clock; the
   images granted must be exactly L, trial after trial.
2. Cost: the server time of an n=1 url generation (in-process, Flask test client,
   median of many) with the journal, the quota ledger and a queue of faults that
   never match all on, against all of them off; printed as a ratio.
3. The access log's cost: the same request with ``access_log`` off, ``text`` and
   ``json`` (written to /dev/null), side by side as ratios to off.

Run: .venv/bin/python bench/bench_control.py
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mockserver import create_app
from mockserver.http.server import LiveServer
from mockserver.state.memory import MemoryClock
from mockserver.testing.handle import FakeHandle

BODY = {"prompt": "a white siamese cat", "n": 1, "size": "256x256"}
AUTH = {"Authorization": "Bearer sk-bench"}


def _client(base_url: str, n: int, rounds: int, barrier: threading.Barrier, lock: threading.Lock,
            granted: Counter[int]) -> None:
    """One client on its own keep-alive connection, asking for n images per request."""
    with requests.Session() as session:
        barrier.wait()
        for _ in range(rounds):
            status = session.post(f"{base_url}/images/generations", json={**BODY, "n": n}, headers=AUTH,
                                  timeout=30).status_code
            with lock:
                granted[status] += n if status == 200 else 1


def exactness(limit: int = 100, clients: int = 50, rounds: int = 4, trials: int = 5) -> None:
    print(f"quota exactness: {clients} concurrent clients, limit {limit} images/min, frozen clock")
    for trial in range(trials):
        clock = MemoryClock()
        clock.freeze()
        with LiveServer(create_app(clock=clock, rate_limits=f"{limit}/1m", journal_size=0), threads=clients) as server:
            granted: Counter[int] = Counter()
            lock = threading.Lock()
            barrier = threading.Barrier(clients)
            started = time.perf_counter()
            threads = [
                threading.Thread(target=_client, args=(server.base_url, 1 + i % 3, rounds, barrier, lock, granted))
                for i in range(clients)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            took = time.perf_counter() - started
        verdict = "exact" if granted[200] == limit else "WRONG"
        print(f"  trial {trial + 1}: {clients * rounds} requests in {took:.2f} s, images granted {granted[200]}"
              f" (limit {limit}), refused {granted[429]}: {verdict}")


def server_time(settings: dict[str, object], faults: int, runs: int = 3000) -> float:
    app = create_app(**settings)
    for _ in range(faults):
        FakeHandle.in_process(app).inject_fault(endpoint="edits", status=500, count=None)
    client = app.test_client()
    backend = app.extensions["mockserver"]
    times = []
    for i in range(runs):
        if i % 500 == 0:
            backend.store.clear()
        started = time.perf_counter()
        response = client.post("/v1/images/generations", json=BODY, headers=AUTH)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.get_json()
    return statistics.median(times[runs // 10:])


def cost() -> None:
    off = {"rate_limits": "off", "journal_size": 0}
    on = {"rate_limits": "1000000/1m", "journal_size": 1000, "latency_ms": 0}
    for _ in range(2):  # warm up both paths
        server_time(off, 0, 300)
        server_time(on, 10, 300)
    a = [server_time(off, 0) for _ in range(3)]
    b = [server_time(on, 10) for _ in range(3)]
    base, full = min(a), min(b)
    print("per-request server time, n=1 url generation, in-process (median of 3000, best of 3)")
    print(f"  journal, quota and faults off : {base * 1000:.3f} ms")
    print(f"  journal + quota + 10 faults on: {full * 1000:.3f} ms")
    print(f"  ratio on/off                  : {full / base:.2f}")


def access_log_cost() -> None:
    base = {"rate_limits": "off", "journal_size": 0}
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        for fmt in ("off", "text", "json"):  # warm up
            server_time({**base, "access_log": fmt}, 0, 300)
        times = {fmt: min(server_time({**base, "access_log": fmt}, 0) for _ in range(3))
                 for fmt in ("off", "text", "json")}
    print("access log, n=1 url generation, in-process (median of 3000, best of 3; lines to /dev/null)")
    for fmt, seconds in times.items():
        print(f"  {fmt:<4}: {seconds * 1000:.3f} ms  ratio to off {seconds / times['off']:.2f}")


if __name__ == "__main__":
    exactness()
    cost()
    access_log_cost()
