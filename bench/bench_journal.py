"""Benchmark the journal: its step on an ordinary request, and its bounds on hostile ones.

1. The journal step of an ordinary generation (the body summarised, the entry built and
   recorded in memory), in µs: the median and the minimum of --rounds rounds.
2. Summarising hostile bodies: nested arrays of about 16 MB (7 million numbers, built from
   shared lists so that building them is free) and 100 times that; ms of CPU and the summary's
   weight (bounded by journal_entry_bytes whatever the body).
3. A fake in its own process given --requests bodies of 16 MB of nested arrays: its RSS over
   idle, the server CPU per request, and GET /_mock/requests (time and bytes of one page, and of
   reading every page).

Run:  .venv/bin/python bench/bench_journal.py [--rounds 7] [--requests 16]
"""

from __future__ import annotations

import argparse
import statistics
import time
import timeit
from pathlib import Path

import _load  # noqa: F401  (puts the checkout first on sys.path: its tests.support, as the tests use it)
import requests

from mockserver.app import create_app
from mockserver.core.exchange import Answer, Exchange
from mockserver.core.pipeline import Pipeline
from mockserver.state.journal import ENTRY_BYTES, summarise
from tests.support.processes import FakeProcess

BODY = {"prompt": "a white siamese cat sitting on a red cushion, studio light", "n": 1, "size": "256x256",
        "model": "dall-e-2", "response_format": "url"}
AUTH = {"Authorization": "Bearer sk-bench-0123456789", "Content-Type": "application/json"}


def journal_step(rounds: int) -> None:
    pipeline = Pipeline(create_app().extensions["mockserver"])
    answer = Answer(200, b"{}", [])

    def step() -> None:
        ex = Exchange(method="POST", path="/v1/images/generations", endpoint="generations", api_key="sk-bench-0123")
        ex.params, ex.params_weight, ex.params_cut = summarise(BODY, ENTRY_BYTES)
        ex.images = [{"id": "img_1", "url": "/_mock/images/img_1"}]
        pipeline._journal(ex, answer, 0.001)

    runs = [min(timeit.repeat(step, number=20_000, repeat=3)) / 20_000 * 1e6 for _ in range(rounds)]
    print(f"1. journal step of an ordinary generation: median {statistics.median(runs):.2f} µs, "
          f"min {min(runs):.2f} µs ({rounds} rounds)")


def hostile_summaries() -> None:
    block = [[[0] * 8] * 100] * 100
    for copies, label in ((92, "16 MB"), (9200, "1.6 GB")):
        started = time.process_time()
        summary = summarise({"prompt": "a cat", "extra": [block] * copies})
        took = (time.process_time() - started) * 1000
        print(f"2. nested arrays worth {label}: {took:.1f} ms of CPU, weight {summary.weight} (cut: {summary.cut})")


def nested_arrays(size: int = 16_000_000) -> bytes:
    block = "[" + ",".join(["[" + ",".join(["[" + ",".join(["0"] * 8) + "]"] * 100) + "]"] * 100) + "]"
    return f'{{"prompt":"a cat","extra":[{",".join([block] * ((size - 100) // (len(block) + 1)))}]}}'.encode()


def _proc(pid: int) -> tuple[float, float]:
    """RSS in MB and CPU seconds (user + system) of ``pid``."""
    rss = next(int(r.split()[1]) / 1024 for r in Path(f"/proc/{pid}/status").read_text().splitlines()
               if r.startswith("VmRSS:"))
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return rss, (int(fields[11]) + int(fields[12])) / 100  # utime, stime in clock ticks (100 a second)


def hostile_process(count: int) -> None:
    body = nested_arrays()
    with FakeProcess("--quiet") as fake, requests.Session() as session:
        idle, cpu0 = _proc(fake.pid)
        for _ in range(count):
            session.post(f"{fake.base_url}/images/generations", data=body, headers=AUTH, timeout=120)
        rss, cpu = _proc(fake.pid)
        print(f"3. {count} bodies of {len(body) / 1e6:.1f} MB: RSS {rss - idle:+.0f} MB over idle ({idle:.0f} MB), "
              f"server CPU {(cpu - cpu0) / count:.2f} s a request")
        started = time.perf_counter()
        answer = session.get(f"{fake.url}/_mock/requests", timeout=120)
        print(f"   GET /_mock/requests: {time.perf_counter() - started:.3f} s, {len(answer.content)} bytes, "
              f"{len(answer.json()['requests'])} entries, next: {answer.json().get('next') is not None}")
        started = time.perf_counter()
        with fake.handle() as handle:
            entries = handle.requests()
        print(f"   every page (FakeHandle.requests): {time.perf_counter() - started:.3f} s, {len(entries)} entries")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=16)
    args = parser.parse_args()
    journal_step(args.rounds)
    hostile_summaries()
    hostile_process(args.requests)


if __name__ == "__main__":
    main()
