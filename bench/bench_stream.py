"""Benchmark streamed answers: time to the first event and to the last, for partial_images 0-3.

Starts ``python -m mockserver --port 0 --rate-limit off`` as a child process and, over one
keep-alive HTTP connection, sends ``{"model": "gpt-image-1.5", "prompt": ..., "size":
"1024x1024", "quality": "low", "stream": true, "partial_images": P}`` for P = 0..3, reading the
chunked body line by line as it arrives. Per P: the median (and max) of ``--runs`` runs of the
time from sending the request to the end of the first event (its blank line) and to the end of
the body, then the same request unstreamed (one JSON answer), side by side, in alternating
rounds so the machine's load hits every column alike. Aim: the first event within 50 ms.

Run by hand:  PYTHONPATH=. .venv/bin/python bench/bench_stream.py [--runs N]
"""

from __future__ import annotations

import argparse
import http.client
import json
import time
from typing import Any

from _load import AUTH, GENERATIONS, MOCKSERVER_CMD, http_connection, median, ms, print_table, start_server

PROMPT = "A watercolour painting of a lighthouse on a rocky island at dawn"
HEADERS = {**AUTH, "Content-Type": "application/json"}


def streamed(conn: http.client.HTTPConnection, partial_images: int) -> tuple[float, float, int]:
    """(seconds to the first event, seconds to the end, events)."""
    body: dict[str, Any] = {"model": "gpt-image-1.5", "prompt": PROMPT, "size": "1024x1024", "quality": "low",
                            "stream": True, "partial_images": partial_images}
    start = time.perf_counter()
    conn.request("POST", GENERATIONS, body=json.dumps(body).encode(), headers=HEADERS)
    response = conn.getresponse()
    assert response.status == 200, response.read()[:300]
    first = None
    events = 0
    while True:
        line = response.readline()
        if not line:
            break
        if line == b"\n":
            events += 1
            if first is None:
                first = time.perf_counter() - start
    assert events == partial_images + 1 and first is not None
    return first, time.perf_counter() - start, events


def whole(conn: http.client.HTTPConnection) -> float:
    body = {"model": "gpt-image-1.5", "prompt": PROMPT, "size": "1024x1024", "quality": "low"}
    start = time.perf_counter()
    conn.request("POST", GENERATIONS, body=json.dumps(body).encode(), headers=HEADERS)
    response = conn.getresponse()
    response.read()
    assert response.status == 200
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    server = start_server([*MOCKSERVER_CMD, "--rate-limit", "off"])
    try:
        conn = http_connection(server.port)
        streamed(conn, 0)  # warm up
        firsts: dict[int, list[float]] = {p: [] for p in range(4)}
        lasts: dict[int, list[float]] = {p: [] for p in range(4)}
        wholes: list[float] = []
        for _ in range(args.runs):
            for p in range(4):
                first, last, _events = streamed(conn, p)
                firsts[p].append(first)
                lasts[p].append(last)
            wholes.append(whole(conn))
        rows = [[p, p + 1, ms(median(firsts[p])), ms(max(firsts[p])), ms(median(lasts[p])), ms(median(wholes)),
                 f"{median(lasts[p]) / median(wholes):.2f}"] for p in range(4)]
        print(f"gpt-image-1.5, 1024x1024, quality low, png; median of {args.runs} runs")
        print_table(["partial_images", "events", "first event", "first (max)", "last event", "unstreamed",
                     "last / unstreamed"], rows)
    finally:
        server.proc.terminate()
        server.proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
