"""Benchmark record and replay: what the recording proxy adds to a request, and how fast a replay answers.

Starts three child processes on 127.0.0.1: an upstream ``python -m mockserver --rate-limit off``,
a recorder in front of it (``--record DIR --upstream <upstream>/v1``), and later a replayer of
what was recorded (``--replay DIR``).

1. **Added latency.** ``--rounds`` alternating rounds of ``--per-round`` sequential requests on
   one keep-alive connection each: straight to the upstream, then the same requests through the
   recorder (which forwards them to the same upstream and writes each exchange to its cassette
   before it is done). Each request has a prompt of its own (``a white siamese cat, take N``), so
   every exchange the recorder writes is a new one. Printed per round: the medians direct and
   recorded, the difference (the recorder's added latency per request) and the ratio, with the
   number of exchanges in the cassette at the end of the round (its current part is rewritten
   whole, atomically, after each exchange: a part holds at most 100 exchanges or 4 MB, so the
   added latency should not grow with the session).
2. **Replay throughput.** The recorder is stopped; a replayer answers the recorded requests
   (each payload one of the recorded ones, in turn, so every request matches) at concurrency 1
   and 8 for ``--duration`` seconds, then the upstream fake answers the same payloads the same
   way: requests/s side by side, replay/fake as a ratio.

Requests are dall-e-2 ``{"prompt": ..., "n": 1, "size": "256x256"}`` with url answers (small
bodies: what is measured is the proxy and the cassette, not the images); ``--gpt`` asks
gpt-image-1 for one 1024x1024 ``low`` image instead, answered in base64 inline, as today's models
answer (each exchange then adds the image to the cassette).

Run by hand:  .venv/bin/python bench/bench_record.py [--rounds 4 --per-round 50 --duration 5] [--gpt]
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from _load import (
    AUTH,
    GENERATIONS,
    MOCKSERVER_CMD,
    SMALL_BODY,
    ServerProcess,
    http_connection,
    json_request,
    median,
    ms,
    percentile,
    print_table,
    run_load,
    start_server,
)

BODY: dict[str, object] = dict(SMALL_BODY)
GPT_BODY: dict[str, object] = {"model": "gpt-image-1", "prompt": SMALL_BODY["prompt"], "size": "1024x1024",
                               "quality": "low"}


def prompt(number: int) -> str:
    return f"{SMALL_BODY['prompt']}, take {number}"


def sequential(port: int, numbers: range) -> list[float]:
    """Seconds of each request (one prompt a number) sent one after the other on one connection."""
    conn = http_connection(port)
    took = []
    try:
        for number in numbers:
            payload = json.dumps({**BODY, "prompt": prompt(number)}).encode()
            start = time.perf_counter()
            conn.request("POST", GENERATIONS, body=payload, headers={**AUTH, "Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            took.append(time.perf_counter() - start)
            if response.status != 200:
                raise RuntimeError(f"status {response.status} for request {number}")
    finally:
        conn.close()
    return took


def cycling(numbers: range) -> Callable[[], bytes]:
    """A payload function for run_load: the recorded requests in turn, thread-safe."""
    counter = itertools.cycle(numbers)
    lock = threading.Lock()

    def next_payload() -> bytes:
        with lock:
            number = next(counter)
        return json_request({**BODY, "prompt": prompt(number)})

    return next_payload


def interactions(folder: Path) -> int:
    return sum(len(json.loads(p.read_text())["interactions"]) for p in folder.glob("*.json"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--per-round", type=int, default=50)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of each throughput run")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up before each throughput run")
    parser.add_argument("--gpt", action="store_true", help="gpt-image-1 1024x1024 low, b64_json answers")
    args = parser.parse_args()
    if args.gpt:
        BODY.clear()
        BODY.update(GPT_BODY)
    print(f"request body: {json.dumps({**BODY, 'prompt': prompt(0)})}")
    with tempfile.TemporaryDirectory(prefix="bench-record-") as temp:
        folder = Path(temp) / "cassettes"
        upstream: ServerProcess = start_server(MOCKSERVER_CMD)
        try:
            recorded = latency(upstream, folder, args.rounds, args.per_round)
            throughput(upstream, folder, recorded, args.duration, args.warmup)
        finally:
            upstream.stop()
    return 0


def latency(upstream: ServerProcess, folder: Path, rounds: int, per_round: int) -> range:
    """Part 1; returns the numbers of the requests the cassette holds."""
    recorder = start_server([*MOCKSERVER_CMD, "--record", str(folder), "--upstream", upstream.base_url])
    rows = []
    direct_all: list[float] = []
    proxied_all: list[float] = []
    try:
        sequential(upstream.port, range(-20, 0))  # warm both up (the recorder's first exchanges too)
        sequential(recorder.port, range(-20, 0))
        for round_ in range(rounds):
            numbers = range(round_ * per_round, (round_ + 1) * per_round)
            direct = sequential(upstream.port, numbers)
            proxied = sequential(recorder.port, numbers)
            direct_all += direct
            proxied_all += proxied
            rows.append([round_ + 1, interactions(folder), ms(median(direct)), ms(median(proxied)),
                         ms(median(proxied) - median(direct)), f"{median(proxied) / median(direct):.2f}"])
    finally:
        recorder.stop()
    print(f"1. Added latency: {rounds} rounds of {per_round} sequential requests, direct then through the recorder "
          "(milliseconds, medians)")
    print_table(["round", "exchanges in the cassette", "direct", "recorded", "added", "recorded / direct"], rows)
    print(f"   all rounds: direct p50 {ms(median(direct_all))} p90 {ms(percentile(direct_all, 90))}; recorded p50 "
          f"{ms(median(proxied_all))} p90 {ms(percentile(proxied_all, 90))}; added p50 "
          f"{ms(median(proxied_all) - median(direct_all))} ({median(proxied_all) / median(direct_all):.2f}x)")
    return range(0, rounds * per_round)


def throughput(upstream: ServerProcess, folder: Path, recorded: range, duration: float, warmup: float) -> None:
    """Part 2: the replayer and the fake, the same payloads, side by side."""
    replayer = start_server([*MOCKSERVER_CMD, "--replay", str(folder)])
    rows = []
    try:
        for concurrency in (1, 8):
            replay = run_load(replayer.port, cycling(recorded), concurrency=concurrency, warmup=warmup,
                              duration=duration, server=replayer)
            fake = run_load(upstream.port, cycling(recorded), concurrency=concurrency, warmup=warmup,
                            duration=duration, server=upstream)
            for name, result in (("replay", replay), ("fake", fake)):
                bad = result.count - result.ok + result.errors
                rows.append([name, concurrency, f"{result.rps:.0f}", ms(median(result.latencies)),
                             ms(percentile(result.latencies, 99)),
                             f"{1000 * (result.server_cpu or 0) / max(1, result.count):.2f}", bad])
            rows.append(["replay / fake", concurrency, f"{replay.rps / fake.rps:.2f}" if fake.rps else "-", "", "", "",
                         ""])
    finally:
        replayer.stop()
    print(f"\n2. Replay throughput: {len(recorded)} of the {interactions(folder)} recorded exchanges asked for in "
          f"turn, {duration:g} s per run after {warmup:g} s of warm-up")
    print_table(["server", "concurrency", "req/s", "p50 ms", "p99 ms", "server CPU ms/req", "not 200"], rows)


if __name__ == "__main__":
    raise SystemExit(main())
