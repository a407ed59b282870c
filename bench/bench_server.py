"""Benchmark the fake over HTTP: throughput, latency, server time, big answers, image URLs.

1. Requests/s and p50/p90/p99 latency of ``POST /v1/images/generations``
   (``{"prompt": "a white siamese cat", "n": 1, "size": "256x256"}``, url answers)
   against ``python -m mockserver --port 0`` in its own process, at concurrency 1
   and 8 (keep-alive, warm-up excluded, time-bounded).
2. The same load against a bare Flask app on the same LiveServer/cheroot set-up
   (``bench/_load.py bare``), also in its own process; prints fake/bare (aim >= 60%).
   The measured time is split into --rounds rounds that alternate fake and bare
   (fake, bare, bare, fake, ...), so a change in the machine's background load
   affects both alike; the per-round ratios show how noisy the run was.
3. Server time of one n=1 url request in-process: the Flask test client and a
   direct WSGI call (median of --runs), and the ``openai-processing-ms`` header
   (in-process and over HTTP); aim: under 2 ms.
   The servers run with ``--rate-limit off`` (the default 50 images/min per key
   would turn the load into 429s); 3b measures the rate limiter apart: server time
   once L images were granted inside one window of L/min (default L: 1000, 5000, 10000).
4. Latency of n=10, 1024x1024, b64_json over HTTP (median and p99 of --b64-runs).
5. Fetching an image URL: the first GET renders the PNG, the second is cached.
6. Requests/s of one b64 generation of today's models next to dall-e-2's, on one fake
   (n=1, 1024x1024: dall-e-2 b64_json; gpt-image-1.5 low png, jpeg and webp; gpt-image-2
   1536x864 low png), rounds alternating between the bodies. ``--only-gpt`` runs just this.
7. Requests the way the official SDKs send them, fake against the bare app, side by side:
   multipart variations and edits (dall-e-2, url answers) with a fresh random boundary per
   request (httpx's form: 32 hex digits), uploading a 256x256 PNG and a PNG of about 4 MB,
   each against the bare app's multipart endpoint (Werkzeug parses the same body, a new
   boundary each time, every file read); and the n=1 256x256 url generation. Rounds
   alternate fake and bare (ABBA) row by row; with two or more CPUs both servers are pinned
   to CPU 0 and the load generator to CPU 1. Aims: multipart >= 60 %, generations >= 80 %
   with p99 within 2x. ``--only-sdk`` runs just this.

The load generator runs in this process; each server has a process of its own, so
they do not share a GIL. All traffic goes to 127.0.0.1.

Run:  .venv/bin/python bench/bench_server.py [--concurrency 8 --warmup 5 --duration 10 --rounds 5]
      [--profile]  (adds a cProfile of the in-process request path)
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _load import (
    AUTH,
    BARE_CMD,
    EDITS,
    GENERATIONS,
    LOOPBACK,
    MOCKSERVER_CMD,
    ROOT,
    SMALL_BODY,
    VARIATIONS,
    LoadResult,
    MultipartTemplate,
    Payload,
    ServerProcess,
    get,
    http_connection,
    json_request,
    median,
    merge,
    ms,
    percentile,
    post_json,
    print_table,
    run_load,
    start_server,
)
from PIL import Image
from werkzeug.test import EnvironBuilder

from contracts.ratelimits import Window
from mockserver import create_app
from mockserver.state.memory import MemoryClock

B64_BODY: dict[str, Any] = {
    "prompt": "a white siamese cat",
    "n": 10,
    "size": "1024x1024",
    "response_format": "b64_json",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--concurrency", type=int, default=8, help="load threads (default: %(default)s)")
    add("--warmup", type=float, default=5.0, help="seconds not measured (default: %(default)s)")
    add("--duration", type=float, default=10.0, help="seconds measured (default: %(default)s)")
    add("--rounds", type=int, default=5, help="alternations of fake and bare (default: %(default)s)")
    add("--runs", type=int, default=2000, help="in-process requests (default: %(default)s)")
    add("--b64-runs", type=int, default=15, help="n=10 b64 requests (default: %(default)s)")
    add("--fetch-runs", type=int, default=20, help="image URLs per size (default: %(default)s)")
    add("--rate-limits", type=int, nargs="*", default=[1000, 5000, 10000],
        help="window sizes L for 3b (default: %(default)s)")
    add("--profile", action="store_true", help="cProfile the in-process request path")
    add("--only-gpt", action="store_true", help="run only part 6 (GPT b64 next to dall-e-2)")
    add("--only-sdk", action="store_true", help="run only part 7 (multipart and generations, as the SDKs send)")
    add("--no-pin", action="store_true", help="part 7: do not pin the servers and the load generator to CPUs")
    add("--fake-checkout", type=Path, default=None,
        help="part 7: run the fake of another checkout (e.g. `git archive` of an older commit), for before/after")
    add("--before-checkout", type=Path, default=None,
        help="part 7: also run the fake of another checkout (e.g. `git worktree add DIR OLD_COMMIT`) in the same "
        "alternating rounds, as 'fake (before)': before and after side by side in one run")
    args = parser.parse_args()
    args.concurrency = max(1, min(args.concurrency, 64))
    args.warmup = max(0.0, min(args.warmup, 60.0))
    args.duration = max(0.5, min(args.duration, 120.0))
    args.rounds = max(1, min(args.rounds, 20))
    args.rate_limits = [max(200, min(n, 20_000)) for n in args.rate_limits[:5]]
    args.runs = max(10, min(args.runs, 100_000))
    args.b64_runs = max(2, min(args.b64_runs, 200))
    args.fetch_runs = max(2, min(args.fetch_runs, 500))
    return args


def heading(text: str) -> None:
    print(f"\n## {text}")


# --------------------------------------------------------------------------- #
# 1 + 2: throughput and latency, fake versus bare Flask
# --------------------------------------------------------------------------- #


def check_answers(server: ServerProcess, fake: bool) -> None:
    conn = http_connection(server.port)
    try:
        response, data, _ = post_json(conn, SMALL_BODY)
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"{server.base_url}: status {response.status}: {data[:300]!r}")
    if fake:
        url = json.loads(data)["data"][0]["url"]
        if urlsplit(url).hostname != LOOPBACK:
            raise RuntimeError(f"unexpected image URL {url}")


def load_row(name: str, result: LoadResult) -> list[object]:
    lat = result.latencies
    non_200 = result.count - result.ok
    srv = f"{result.server_cpu / result.count * 1e6:.0f}" if result.server_cpu and result.count else "-"
    return [
        name,
        result.concurrency,
        result.count,
        f"{result.rps:.0f}",
        ms(percentile(lat, 50)),
        ms(percentile(lat, 90)),
        ms(percentile(lat, 99)),
        ms(max(lat) if lat else float("nan")),
        non_200,
        result.errors,
        srv,
        f"{result.client_cpu / result.measured_seconds * 100:.0f}%" if result.measured_seconds else "-",
    ]


def throughput(args: argparse.Namespace) -> float:
    rounds = args.rounds
    heading(
        f"1+2. POST {GENERATIONS} {json.dumps(SMALL_BODY)} (url), keep-alive; per row: warm-up "
        f"{args.warmup:g} s, then {rounds} rounds of {args.duration / rounds:g} s alternating fake and "
        f"bare (ABBA), {args.duration:g} s measured in all"
    )
    payload = json_request(SMALL_BODY)
    results: dict[tuple[str, int], LoadResult] = {}
    spreads: dict[int, list[float]] = {}
    with start_server(MOCKSERVER_CMD) as fake, start_server(BARE_CMD) as bare:
        check_answers(fake, fake=True)
        check_answers(bare, fake=False)
        servers = {"fake": fake, "bare flask": bare}
        for conc in sorted({1, args.concurrency}):
            for server in servers.values():
                run_load(server.port, payload, concurrency=conc, warmup=0.0, duration=args.warmup)
            parts: dict[str, list[LoadResult]] = {name: [] for name in servers}
            for i in range(rounds):
                for name in list(servers)[:: 1 if i % 2 == 0 else -1]:
                    parts[name].append(run_load(
                        servers[name].port, payload, concurrency=conc, warmup=0.2,
                        duration=args.duration / rounds, server=servers[name],
                    ))
            for name in servers:
                results[name, conc] = merge(parts[name])
            spreads[conc] = [f.rps / b.rps for f, b in zip(parts["fake"], parts["bare flask"], strict=True)]
        fake_rss = fake.rss_mb()
    print_table(
        ["server", "conc", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "non-200",
         "sock err", "srv CPU us/req", "loadgen CPU"],
        [load_row(name, res) for (name, _), res in results.items()],
    )
    for conc in sorted({1, args.concurrency}):
        ratio = results["fake", conc].rps / results["bare flask", conc].rps
        aim = " (aim >= 60%)" if conc == args.concurrency else ""
        per_round = " ".join(f"{r * 100:.0f}" for r in spreads[conc])
        print(f"fake/bare req/s at concurrency {conc}: {ratio * 100:.0f}%{aim}; per round: {per_round}")
        fake_cpu, bare_cpu = (results[name, conc].server_cpu for name in ("fake", "bare flask"))
        if fake_cpu and bare_cpu:
            cpu_ratio = (bare_cpu / results["bare flask", conc].count) / (fake_cpu / results["fake", conc].count)
            print(f"  bare/fake server CPU per request at concurrency {conc}: {cpu_ratio * 100:.0f}% "
                  "(the same comparison, less swayed by other work on the machine)")
    print(f"fake RSS after the load: {fake_rss:.1f} MB")
    return results["fake", args.concurrency].rps / results["bare flask", args.concurrency].rps


# --------------------------------------------------------------------------- #
# 6: today's models: a GPT b64 generation next to dall-e-2's
# --------------------------------------------------------------------------- #

PROMPT = "a white siamese cat"
GPT_BODIES: dict[str, dict[str, Any]] = {
    "dall-e-2 b64_json png 1024": {"prompt": PROMPT, "n": 1, "size": "1024x1024", "response_format": "b64_json"},
    "gpt-image-1.5 low png 1024": {"prompt": PROMPT, "model": "gpt-image-1.5", "quality": "low",
                                   "size": "1024x1024"},
    "gpt-image-1.5 low jpeg 1024": {"prompt": PROMPT, "model": "gpt-image-1.5", "quality": "low",
                                    "size": "1024x1024", "output_format": "jpeg"},
    "gpt-image-1.5 low webp 1024": {"prompt": PROMPT, "model": "gpt-image-1.5", "quality": "low",
                                    "size": "1024x1024", "output_format": "webp"},
    "gpt-image-2 low png 1536x864": {"prompt": PROMPT, "model": "gpt-image-2", "quality": "low",
                                     "size": "1536x864"},
}


def gpt_b64(args: argparse.Namespace) -> dict[str, float]:
    """Requests/s per body, measured in alternating rounds on one fake (each answer checked once)."""
    rounds = args.rounds
    heading(f"6. b64 generations of today's models next to dall-e-2's, concurrency {args.concurrency}, "
            f"{rounds} rounds of {args.duration / rounds:g} s per body, alternating")
    payloads = {name: json_request(body) for name, body in GPT_BODIES.items()}
    parts: dict[str, list[LoadResult]] = {name: [] for name in GPT_BODIES}
    with start_server(MOCKSERVER_CMD) as fake:
        conn = http_connection(fake.port)
        try:
            for name, body in GPT_BODIES.items():
                response, data, _ = post_json(conn, body)
                if response.status != 200 or "b64_json" not in json.loads(data)["data"][0]:
                    raise RuntimeError(f"{name}: status {response.status}: {data[:300]!r}")
        finally:
            conn.close()
        for payload in payloads.values():
            run_load(fake.port, payload, concurrency=args.concurrency, warmup=0.0, duration=min(args.warmup, 2.0))
        names = list(GPT_BODIES)
        for i in range(rounds):
            for name in names[:: 1 if i % 2 == 0 else -1]:
                parts[name].append(run_load(fake.port, payloads[name], concurrency=args.concurrency, warmup=0.2,
                                            duration=args.duration / rounds, server=fake))
    results = {name: merge(found) for name, found in parts.items()}
    print_table(
        ["body", "conc", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "non-200",
         "sock err", "srv CPU us/req", "loadgen CPU"],
        [load_row(name, res) for name, res in results.items()],
    )
    base = results[names[0]].rps
    for name in names[1:]:
        print(f"{name} / dall-e-2 b64: {results[name].rps / base * 100:.0f}% of the requests/s")
    return {name: res.rps for name, res in results.items()}


# --------------------------------------------------------------------------- #
# 3: server time of one request, in-process
# --------------------------------------------------------------------------- #


def wsgi_caller(app: Any, body: dict[str, Any]) -> Callable[[], str]:
    """A function that runs one request through app's WSGI callable; returns the status line."""
    builder = EnvironBuilder(
        path=GENERATIONS, method="POST", json=body, headers=list(AUTH.items()), base_url=f"http://{LOOPBACK}:5000"
    )
    base = builder.get_environ()
    raw = base["wsgi.input"].read()
    builder.close()
    status: list[str] = []

    def start_response(line: str, headers: Iterable[tuple[str, str]], exc_info: object = None) -> None:
        status.append(line)

    def call() -> str:
        environ = dict(base)
        environ["wsgi.input"] = io.BytesIO(raw)
        status.clear()
        result = app(environ, start_response)
        try:
            for _ in result:
                pass
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return status[0]

    return call


def server_time(args: argparse.Namespace) -> tuple[float, float]:
    heading(f"3. server time of one n=1 url request, in-process (median of {args.runs})")
    app = create_app(rate_limits=())
    client = app.test_client()
    warm = max(50, args.runs // 10)

    def test_client_once() -> tuple[float, str]:
        start = time.perf_counter()
        response = client.post(GENERATIONS, json=SMALL_BODY, headers=AUTH)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"status {response.status_code}: {response.get_data()[:300]!r}")
        return elapsed, response.headers["openai-processing-ms"]

    for _ in range(warm):
        test_client_once()
    tc_times: list[float] = []
    headers: Counter[str] = Counter()
    for _ in range(args.runs):
        elapsed, header = test_client_once()
        tc_times.append(elapsed)
        headers[header] += 1

    call = wsgi_caller(app, SMALL_BODY)
    for _ in range(warm):
        call()
    wsgi_times: list[float] = []
    for _ in range(args.runs):
        start = time.perf_counter()
        line = call()
        wsgi_times.append(time.perf_counter() - start)
        if not line.startswith("200"):
            raise RuntimeError(line)

    # The header over real HTTP, from the server in its own process.
    live_headers: Counter[str] = Counter()
    live_times: list[float] = []
    with start_server(MOCKSERVER_CMD) as fake:
        conn = http_connection(fake.port)
        try:
            for i in range(250):
                response, _, elapsed = post_json(conn, SMALL_BODY)
                if i >= 50:
                    live_headers[response.getheader("openai-processing-ms", "?")] += 1
                    live_times.append(elapsed)
        finally:
            conn.close()

    print_table(
        ["path", "runs", "median ms", "p90 ms", "p99 ms", "max ms"],
        [
            ["Flask test client (client + app)", args.runs, ms(median(tc_times)),
             ms(percentile(tc_times, 90)), ms(percentile(tc_times, 99)), ms(max(tc_times))],
            ["app WSGI call (app only)", args.runs, ms(median(wsgi_times)), ms(percentile(wsgi_times, 90)),
             ms(percentile(wsgi_times, 99)), ms(max(wsgi_times))],
            ["over HTTP, c=1 (client latency)", len(live_times), ms(median(live_times)),
             ms(percentile(live_times, 90)), ms(percentile(live_times, 99)), ms(max(live_times))],
        ],
    )
    for where, counts in (("in-process", headers), ("over HTTP", live_headers)):
        spread = ", ".join(f"{value} ms: {n}" for value, n in sorted(counts.items(), key=by_number))
        print(f"openai-processing-ms header, {where}: {spread}")
    print("  (the header is whole milliseconds, rounded, at least 1)")
    if args.profile:
        profile_requests(call, args.runs)
    return median(wsgi_times), median(tc_times)


def rate_limiter_cost(sizes: Sequence[int]) -> list[tuple[str, float, float]]:
    """In-process server time with one window of L images/minute, once L images were granted.

    The clock is frozen, so no grant leaves the window: request k finds k grants in the log.
    """
    heading("3b. server time with the rate limiter on: one window of L images/min (in-process, WSGI)")
    rows: list[list[object]] = []
    out: list[tuple[str, float, float]] = []
    for limit in (0, *sizes):
        clock = MemoryClock()
        clock.freeze()
        windows = (Window(limit, 60),) if limit else ()
        call = wsgi_caller(create_app(clock=clock, rate_limits=windows), SMALL_BODY)
        count = limit or 1000
        times: list[float] = []
        start = time.perf_counter()
        for _ in range(count):
            t0 = time.perf_counter()
            line = call()
            times.append(time.perf_counter() - t0)
            if not line.startswith("200"):
                raise RuntimeError(line)
        label = f"{limit}/1m" if limit else "off"
        first, last = median(times[:200]), median(times[-200:])
        rows.append([label, count, ms(first), ms(last), f"{time.perf_counter() - start:.1f}"])
        out.append((label, first, last))
    print_table(["rate limit", "requests", "first 200 median ms", "last 200 median ms", "total s"], rows)
    return out


def by_number(item: tuple[str, int]) -> tuple[int, str]:
    return (len(item[0]), item[0])


def profile_requests(call: Callable[[], str], runs: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        call()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(20)
    print(f"\ncProfile of {runs} in-process requests (top 20 by own time):")
    print("\n".join(out.getvalue().splitlines()[4:]))


# --------------------------------------------------------------------------- #
# 4 + 5: big b64 answers, image URL fetches
# --------------------------------------------------------------------------- #


def b64_latency(server: ServerProcess, runs: int) -> tuple[float, float]:
    heading(f"4. POST {json.dumps(B64_BODY)} over HTTP, sequential (2 warm-up + {runs} runs)")
    conn = http_connection(server.port, timeout=120)
    times: list[float] = []
    headers: list[int] = []
    size = 0
    try:
        for i in range(runs + 2):
            response, data, elapsed = post_json(conn, B64_BODY)
            if response.status != 200:
                raise RuntimeError(f"status {response.status}: {data[:300]!r}")
            items = json.loads(data)["data"]
            if len(items) != 10 or not all("b64_json" in item for item in items):
                raise RuntimeError("expected 10 b64_json images")
            if i >= 2:
                times.append(elapsed)
                headers.append(int(response.getheader("openai-processing-ms", "0")))
                size = len(data)
    finally:
        conn.close()
    print_table(
        ["measure", "median ms", "p99 ms", "min ms", "max ms"],
        [
            ["client latency", ms(median(times)), ms(percentile(times, 99)), ms(min(times)), ms(max(times))],
            ["openai-processing-ms", f"{statistics.median(headers):.0f}", f"{percentile(headers, 99):.0f}",
             f"{min(headers)}", f"{max(headers)}"],
        ],
    )
    print(f"answer size {size / 1e6:.2f} MB; {ms(median(times) / 10)} ms per image (median / 10)")
    return median(times), percentile(times, 99)


def url_fetches(server: ServerProcess, runs: int) -> dict[str, tuple[float, float]]:
    heading(f"5. GET an image URL twice: first renders, second is cached ({runs} URLs per size)")
    rows: list[list[object]] = []
    medians: dict[str, tuple[float, float]] = {}
    conn = http_connection(server.port, timeout=120)
    try:
        for size in ("256x256", "1024x1024"):
            first: list[float] = []
            second: list[float] = []
            png_bytes = 0
            for i in range(runs + 1):
                body = {"prompt": f"a white siamese cat #{i}", "n": 1, "size": size}
                response, data, _ = post_json(conn, body)
                if response.status != 200:
                    raise RuntimeError(f"status {response.status}: {data[:300]!r}")
                parts = urlsplit(json.loads(data)["data"][0]["url"])
                if parts.hostname != LOOPBACK or parts.port != server.port:
                    raise RuntimeError(f"image URL not on this server: {parts.geturl()}")
                target = f"{parts.path}?{parts.query}"
                fetched = []
                for _ in range(2):
                    response, png, elapsed = get(conn, target)
                    if response.status != 200 or response.getheader("Content-Type") != "image/png":
                        raise RuntimeError(f"GET {target}: {response.status} {png[:300]!r}")
                    fetched.append((png, elapsed))
                if fetched[0][0] != fetched[1][0]:
                    raise RuntimeError("the second fetch returned different bytes")
                if i == 0:
                    continue  # warm-up
                first.append(fetched[0][1])
                second.append(fetched[1][1])
                png_bytes = len(fetched[0][0])
            for label, times in (("first (renders)", first), ("second (cached)", second)):
                rows.append([f"{size} {label}", len(times), ms(median(times)), ms(percentile(times, 99)),
                             ms(max(times)), f"{png_bytes / 1024:.0f}"])
            medians[size] = (median(first), median(second))
    finally:
        conn.close()
    print_table(["fetch", "runs", "median ms", "p99 ms", "max ms", "PNG KiB"], rows)
    return medians

# --------------------------------------------------------------------------- #
# 7: as the SDKs send: multipart with random boundaries, and generations
# --------------------------------------------------------------------------- #


def png_bytes(side: int, *, rgba: bool, noise: bool, seed: int = 7) -> bytes:
    """A side x side PNG: a smooth gradient, or noise (which barely compresses: a big upload).
    With rgba, the top-left quarter is transparent (a dall-e-2 edit needs transparency)."""
    import random

    rng = random.Random(seed)
    if noise:
        rgb = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    else:
        rgb = Image.linear_gradient("L").resize((side, side)).convert("RGB")
    img = rgb
    if rgba:
        alpha = Image.new("L", (side, side), 255)
        alpha.paste(0, (0, 0, side // 2, side // 2))
        img = rgb.copy()
        img.putalpha(alpha)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def sdk_templates() -> dict[str, tuple[MultipartTemplate | bytes, bytes | MultipartTemplate]]:
    """Row name -> (what the fake gets, what the bare app gets); the bare app gets the same body."""
    # 256x256 noise: an upload of a photo's size (a gradient would be a few hundred bytes).
    small_rgb = png_bytes(256, rgba=False, noise=True)
    small_rgba = png_bytes(256, rgba=True, noise=True)
    # The largest noise PNGs that stay under dall-e-2's 4 MB limit: 1024x1024 RGB (about 3.1 MB),
    # and for an edit 1024x1024 RGBA with an opaque alpha but a transparent quarter (about 3.5 MB).
    big_rgb = png_bytes(1024, rgba=False, noise=True)
    big_rgba = png_bytes(1024, rgba=True, noise=True)
    url = (("n", "1"), ("size", "256x256"), ("response_format", "url"))
    rows: dict[str, MultipartTemplate | bytes] = {
        "generations n=1 256 url (JSON)": json_request(SMALL_BODY),
        f"variations 256x256 noise PNG ({len(small_rgb) // 1024} KB)": MultipartTemplate(
            VARIATIONS, url, (("image", "image.png", "image/png", small_rgb),)),
        f"variations 1024x1024 noise PNG ({len(big_rgb) / 2**20:.1f} MB)": MultipartTemplate(
            VARIATIONS, url, (("image", "image.png", "image/png", big_rgb),)),
        f"edits 256x256 noise RGBA PNG ({len(small_rgba) // 1024} KB)": MultipartTemplate(
            EDITS, (("prompt", "a white siamese cat"), *url), (("image", "image.png", "image/png", small_rgba),)),
        f"edits 1024x1024 noise RGBA PNG ({len(big_rgba) / 2**20:.1f} MB)": MultipartTemplate(
            EDITS, (("prompt", "a white siamese cat"), *url), (("image", "image.png", "image/png", big_rgba),)),
    }
    return {name: (body, body) for name, body in rows.items()}


def as_payload(body: MultipartTemplate | bytes) -> Payload:
    return body if isinstance(body, bytes) else body.pieces


def check_sdk_answer(server: ServerProcess, body: MultipartTemplate | bytes, name: str) -> None:
    from _load import RawConnection

    conn = RawConnection(LOOPBACK, server.port)
    try:
        status, data = conn.request(body if isinstance(body, bytes) else body.pieces())
    finally:
        conn.close()
    if status != 200:
        raise RuntimeError(f"{name}: {server.base_url}: status {status}: {data[:300]!r}")


def sdk_rows(args: argparse.Namespace) -> dict[str, tuple[float, float, float]]:
    """Part 7: per row, fake and bare in alternating rounds. Returns row -> (req/s ratio,
    fake p99 / bare p99, bare CPU / fake CPU per request)."""
    rounds = args.rounds
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2 and hasattr(os, "sched_setaffinity")
    heading(
        f"7. as the SDKs send: a new multipart boundary per request; concurrency {args.concurrency}; per row: "
        f"warm-up {args.warmup:g} s, then {rounds} rounds of {args.duration / rounds:g} s alternating fake and "
        f"bare (ABBA){'; servers on CPU 0, load generator on CPU 1' if pin else ''}"
    )
    templates = sdk_templates()
    results: dict[tuple[str, str], LoadResult] = {}
    spreads: dict[str, list[float]] = {}
    saved = os.sched_getaffinity(0) if pin else None
    try:
        fake_cwd = args.fake_checkout.resolve() if args.fake_checkout else ROOT
        before_cwd = args.before_checkout.resolve() if args.before_checkout else None
        with contextlib.ExitStack() as stack:
            fake = stack.enter_context(start_server(MOCKSERVER_CMD, cwd=fake_cwd))
            bare = stack.enter_context(start_server(BARE_CMD))
            servers = {"fake": fake, "bare flask": bare}
            print(f"fake: python -m mockserver from {fake_cwd}")
            if before_cwd is not None:
                servers["fake (before)"] = stack.enter_context(start_server(MOCKSERVER_CMD, cwd=before_cwd))
                print(f"fake (before): python -m mockserver from {before_cwd}")
            if pin:
                for server in servers.values():
                    os.sched_setaffinity(server.pid, {0})
                os.sched_setaffinity(0, {1})
            for name, (fake_body, bare_body) in templates.items():
                check_sdk_answer(fake, fake_body, name)
                check_sdk_answer(bare, bare_body, name)
                payloads = {"fake": as_payload(fake_body), "bare flask": as_payload(bare_body),
                            "fake (before)": as_payload(fake_body)}
                for who, server in servers.items():
                    run_load(server.port, payloads[who], concurrency=args.concurrency, warmup=0.0,
                             duration=args.warmup)
                parts: dict[str, list[LoadResult]] = {who: [] for who in servers}
                for i in range(rounds):
                    for who in list(servers)[:: 1 if i % 2 == 0 else -1]:
                        parts[who].append(run_load(
                            servers[who].port, payloads[who], concurrency=args.concurrency, warmup=0.2,
                            duration=args.duration / rounds, server=servers[who],
                        ))
                for who in servers:
                    results[name, who] = merge(parts[who])
                spreads[name] = [f.rps / b.rps for f, b in zip(parts["fake"], parts["bare flask"], strict=True)]
    finally:
        if saved is not None:
            os.sched_setaffinity(0, saved)
    print_table(
        ["request", "conc", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "non-200",
         "sock err", "srv CPU us/req", "loadgen CPU"],
        [load_row(f"{name}: {who}", res) for (name, who), res in results.items()],
    )
    out: dict[str, tuple[float, float, float]] = {}
    for name in templates:
        bare_res = results[name, "bare flask"]
        if (name, "fake (before)") in results:
            before = results[name, "fake (before)"]
            if before.server_cpu and bare_res.server_cpu:
                cpu = (bare_res.server_cpu / bare_res.count) / (before.server_cpu / before.count)
                print(f"{name}: before: bare/fake server CPU per request {cpu * 100:.0f}%, "
                      f"fake/bare req/s {before.rps / bare_res.rps * 100:.0f}%")
        fake_res = results[name, "fake"]
        ratio = fake_res.rps / bare_res.rps
        p99 = percentile(fake_res.latencies, 99) / percentile(bare_res.latencies, 99)
        cpu = float("nan")
        if fake_res.server_cpu and bare_res.server_cpu:
            cpu = (bare_res.server_cpu / bare_res.count) / (fake_res.server_cpu / fake_res.count)
        out[name] = (ratio, p99, cpu)
        per_round = " ".join(f"{r * 100:.0f}" for r in spreads[name])
        aim = "aim >= 80 %, p99 <= 2x" if name.startswith("generations") else "aim >= 60 %"
        print(f"{name}: fake/bare req/s {ratio * 100:.0f}% (rounds {per_round}), p99 fake/bare {p99:.2f}x, "
              f"bare/fake server CPU per request {cpu * 100:.0f}% ({aim})")
    return out


def main() -> int:
    args = parse_args()
    print(f"bench_server: {time.strftime('%Y-%m-%d %H:%M:%S')}, concurrency {args.concurrency}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    if os.getloadavg()[0] > 0.5:
        print("note: the machine is not idle (load average above 0.5); figures will be noisy")
    if args.only_gpt:
        gpt_b64(args)
        return 0
    if args.only_sdk:
        sdk_rows(args)
        return 0
    ratio = throughput(args)
    wsgi_median, tc_median = server_time(args)
    limited = rate_limiter_cost(args.rate_limits)
    with start_server(MOCKSERVER_CMD) as fake:
        b64_median, b64_p99 = b64_latency(fake, args.b64_runs)
        fetch = url_fetches(fake, args.fetch_runs)
    gpt = gpt_b64(args)
    sdk = sdk_rows(args)

    heading(f"summary (load average now {os.getloadavg()[0]:.2f})")
    print_table(
        ["figure", "value", "aim", "met"],
        [
            [f"fake/bare req/s (c={args.concurrency})", f"{ratio * 100:.0f}%", ">= 60%",
             "yes" if ratio >= 0.6 else "NO"],
            ["server time, n=1 url (WSGI median)", f"{ms(wsgi_median)} ms", "< 2 ms",
             "yes" if wsgi_median < 0.002 else "NO"],
            ["test-client time, n=1 url (median)", f"{ms(tc_median)} ms", "< 2 ms",
             "yes" if tc_median < 0.002 else "NO"],
            *[[f"server time, rate limit {label}, last 200", f"{ms(last)} ms", "< 2 ms",
               "yes" if last < 0.002 else "NO"] for label, _, last in limited],
            ["n=10 1024 b64_json median / p99", f"{ms(b64_median)} / {ms(b64_p99)} ms", "-", "-"],
            *[[f"URL fetch {size} first / second", f"{ms(a)} / {ms(b)} ms", "-", "-"]
              for size, (a, b) in fetch.items()],
            *[[f"req/s, {name}", f"{rps:.0f}", "-", "-"] for name, rps in gpt.items()],
            *[[f"fake/bare req/s, {name} (p99 ratio)", f"{ratio * 100:.0f}% ({p99:.2f}x)",
               ">= 80%, p99 <= 2x" if name.startswith("generations") else ">= 60%",
               "yes" if (ratio >= 0.8 and p99 <= 2) or (not name.startswith("generations") and ratio >= 0.6)
               else "NO"] for name, (ratio, p99, _) in sdk.items()],
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
