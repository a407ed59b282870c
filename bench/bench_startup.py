"""Benchmark start-up time, shutdown and memory of ``python -m mockserver --port 0``.

1. Start-up: from spawning the process until the URL it prints answers a real
   ``POST /v1/images/generations`` (1 untimed warm-up start, then the median of 5);
   aim under 1 s. Also: time to the printed URL, the cost of a bare interpreter
   and of importing the package, the slowest imports (``-X importtime``), and how
   long SIGINT and SIGTERM take to end the server.
2. Memory (VmRSS and the VmHWM peak from /proc/<pid>/status, after 1 s idle):
   after start-up, after 2000 url generations (256x256) and after 200 b64_json
   generations (1024x1024, n=1); aim under 80 MB idle. Repeated with the server
   started under MALLOC_ARENA_MAX=2, to tell retained malloc arenas from live data.
3. Growth over a longer run: RSS every 2000 of 20,000 url generations with the
   default store (Config.store_max_images URLs), the per-URL cost and the plateau it implies;
   then the same run against a server started with ``--store-max-images 5000`` to
   show the curve flatten once the store is full.
4. Rendered-PNG cache: RSS while 1000 distinct 256x256 image URLs are fetched
   (each first fetch renders and keeps the PNG, bounded by --store-max-bytes).

The servers run with ``--rate-limit off`` (the default 50 images/min would refuse
nearly all of these requests with 429).

Run:  .venv/bin/python bench/bench_startup.py [--long 20000] [--fetches 1000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from _load import (
    LOOPBACK,
    MOCKSERVER_CMD,
    PYTHON,
    ROOT,
    SMALL_BODY,
    ServerProcess,
    get,
    http_connection,
    json_request,
    median,
    ms,
    post_json,
    print_table,
    run_load,
    start_server,
)

from mockserver.settings.config import Config

CAP = Config().store_max_images  # the store's default bound on image URLs

B64_BODY: dict[str, Any] = {"prompt": "a white siamese cat", "n": 1, "size": "1024x1024",
                            "response_format": "b64_json"}
STEP = 2000  # url generations between two RSS samples of the long run


def heading(text: str) -> None:
    print(f"\n## {text}")


def first_answer(server: ServerProcess, timeout: float = 20.0) -> float:
    """Poll until a generation request is answered with 200; perf_counter() at that moment."""
    deadline = time.perf_counter() + timeout
    while True:
        conn = http_connection(server.port, timeout=timeout)
        try:
            response, data, _ = post_json(conn, SMALL_BODY)
            if response.status != 200:
                raise RuntimeError(f"status {response.status}: {data[:300]!r}")
            return time.perf_counter()
        except (ConnectionError, http.client.HTTPException):
            if time.perf_counter() > deadline or server.proc.poll() is not None:
                raise
            time.sleep(0.002)
        finally:
            conn.close()


def wall(cmd: Sequence[str], runs: int = 5) -> float:
    """Median wall time of running cmd to completion."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(list(cmd), cwd=ROOT, check=True, capture_output=True, timeout=60)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def imports_by_package(count: int = 10) -> tuple[list[tuple[str, int]], int]:
    """The packages whose modules take longest to import for ``mockserver.__main__``.

    Sums the self time (us) of every module by its top-level package, from one
    ``python -X importtime`` run; returns the slowest packages and the total.
    """
    done = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", "import mockserver.__main__"],
        cwd=ROOT, check=True, capture_output=True, text=True, timeout=60,
    )
    totals: Counter[str] = Counter()
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        own, _, name = line.removeprefix("import time:").split("|", 2)
        totals[name.strip().split(".")[0]] += int(own)
    return totals.most_common(count), sum(totals.values())


def startup(runs: int) -> float:
    heading(f"1. start-up of python -m mockserver --port 0 (1 warm-up + {runs} runs)")
    rows: list[list[object]] = []
    printed: list[float] = []
    answered: list[float] = []
    exits: list[float] = []
    for i in range(runs + 1):
        server = start_server(MOCKSERVER_CMD)
        try:
            answer = first_answer(server)
        finally:
            took = server.stop_timed(signal.SIGINT)
        if i == 0:
            continue
        printed.append(server.printed_at - server.spawned_at)
        answered.append(answer - server.spawned_at)
        exits.append(float("nan") if took is None else took)
        rows.append([f"run {i}", ms(printed[-1]), ms(answered[-1]), "killed" if took is None else ms(took)])
    rows.append(["median", ms(median(printed)), ms(median(answered)), ms(median(exits))])
    print_table(["", "URL printed ms", "first 200 ms (aim < 1000)", "SIGINT -> exit ms"], rows)

    bare = wall([PYTHON, "-c", "pass"])
    imports = wall([PYTHON, "-c", "import mockserver.__main__"])
    print(f"\nfor comparison (medians of 5): python -c pass {ms(bare)} ms; "
          f"python -c 'import mockserver.__main__' {ms(imports)} ms")
    slowest, total = imports_by_package()
    print(f"import time by top-level package (python -X importtime, one run, {total / 1000:.0f} ms in all):")
    print_table(["package", "ms"], [[name, f"{own / 1000:.1f}"] for name, own in slowest])

    server = start_server(MOCKSERVER_CMD)
    first_answer(server)
    took = server.stop_timed(signal.SIGTERM, timeout=3.0)
    if took is None:
        print("\nSIGTERM -> exit: did NOT exit within 3 s; killed with SIGKILL")
    else:
        print(f"\nSIGTERM -> exit: {ms(took)} ms")
    return median(answered)


def settle_rss(server: ServerProcess) -> tuple[float, float]:
    time.sleep(1.0)
    return server.rss_mb(), server.hwm_mb()


def generate(server: ServerProcess, body: dict[str, Any], count: int, concurrency: int) -> None:
    """Exactly count requests (bounded to 300 s), all of which must answer 200."""
    result = run_load(server.port, json_request(body), concurrency=concurrency, warmup=0.0,
                      duration=300.0, max_requests=count)
    if result.ok != count or result.errors:
        raise RuntimeError(f"expected {count} x 200, got {dict(result.statuses)}, {result.errors} errors")


def memory_rows(label: str, env: dict[str, str] | None = None) -> tuple[list[list[object]], float]:
    rows: list[list[object]] = []
    with start_server(MOCKSERVER_CMD, env=env) as server:
        first_answer(server)
        rss, hwm = settle_rss(server)
        rows.append([label, "after start-up (1 request)", f"{rss:.1f}", f"{hwm:.1f}"])
        generate(server, SMALL_BODY, 2000, 4)
        rss, hwm = settle_rss(server)
        rows.append(["", "+ 2000 url generations 256x256", f"{rss:.1f}", f"{hwm:.1f}"])
        generate(server, B64_BODY, 200, 2)
        rss, hwm = settle_rss(server)
        rows.append(["", "+ 200 b64_json generations 1024x1024", f"{rss:.1f}", f"{hwm:.1f}"])
    return rows, rss


def memory() -> float:
    heading("2. memory (VmRSS / VmHWM after 1 s idle)")
    rows, idle = memory_rows("python -m mockserver")
    # The same with glibc limited to 2 malloc arenas: shows how much of the figure above
    # is freed render memory that the 16 worker threads' own arenas keep, not live data.
    more, _ = memory_rows("MALLOC_ARENA_MAX=2", {"MALLOC_ARENA_MAX": "2"})
    print_table(["server", "state", "RSS MB (aim < 80)", "peak MB"], rows + more)
    return idle


def long_run(total: int, store_max_images: int | None) -> list[tuple[int, float]]:
    cmd = list(MOCKSERVER_CMD)
    if store_max_images is not None:
        cmd += ["--store-max-images", str(store_max_images)]
    samples: list[tuple[int, float]] = []
    with start_server(cmd) as server:
        first_answer(server)
        samples.append((0, settle_rss(server)[0]))
        done = 0
        while done < total:
            step = min(STEP, total - done)
            generate(server, SMALL_BODY, step, 4)
            done += step
            samples.append((done, server.rss_mb()))
        samples[-1] = (done, settle_rss(server)[0])
    return samples


def growth(total: int) -> None:
    heading(f"3. RSS over {total} url generations (256x256, 4 connections)")
    default = long_run(total, None)
    capped = long_run(total, 5000)
    rows = [[n, f"{a:.1f}", f"{b:.1f}"] for (n, a), (_, b) in zip(default, capped, strict=True)]
    print_table(["requests", "RSS MB, default store", "RSS MB, --store-max-images 5000"], rows)
    per_url = (default[-1][1] - default[1][1]) * 1024 * 1024 / (default[-1][0] - default[1][0])
    print(f"default store: {per_url:.0f} bytes of RSS per stored image URL (from {default[1][0]} to "
          f"{default[-1][0]}); at its cap of {CAP:,} URLs that is about "
          f"{default[1][1] + per_url * (CAP - default[1][0]) / 2**20:.0f} MB")
    late = capped[len(capped) // 2:]
    print(f"--store-max-images 5000: RSS moved {late[-1][1] - late[0][1]:+.1f} MB over the last "
          f"{late[-1][0] - late[0][0]} requests (bounded)")


def png_cache(fetches: int) -> None:
    heading(f"4. rendered-PNG cache: {fetches} distinct 256x256 image URLs fetched once each")
    rows: list[list[object]] = []
    with start_server(MOCKSERVER_CMD) as server:
        first_answer(server)
        conn = http_connection(server.port, timeout=60)
        try:
            targets: list[str] = []
            for i in range(-(-fetches // 10)):
                body = {"prompt": f"a white siamese cat #{i}", "n": 10, "size": "256x256"}
                response, data, _ = post_json(conn, body)
                if response.status != 200:
                    raise RuntimeError(f"status {response.status}: {data[:300]!r}")
                for item in json.loads(data)["data"]:
                    parts = urlsplit(item["url"])
                    if parts.hostname != LOOPBACK or parts.port != server.port:
                        raise RuntimeError(f"image URL not on this server: {item['url']}")
                    targets.append(f"{parts.path}?{parts.query}")
            rss, _ = settle_rss(server)
            rows.append([0, f"{rss:.1f}", "0.0"])
            png_bytes = 0
            mark = max(1, fetches // 5)
            for i, target in enumerate(targets[:fetches], 1):
                response, png, _ = get(conn, target)
                if response.status != 200:
                    raise RuntimeError(f"GET {target}: {response.status}")
                png_bytes += len(png)
                if i % mark == 0 or i == fetches:
                    rows.append([i, f"{server.rss_mb():.1f}", f"{png_bytes / 2**20:.1f}"])
        finally:
            conn.close()
        rows[-1][1] = f"{settle_rss(server)[0]:.1f}"
    print_table(["URLs fetched", "RSS MB", "PNG bytes cached MB"], rows)
    print(f"the cache is bounded by --store-max-bytes (default {Config().store_max_bytes // 2**20} MB, "
          "shared with the URLs' recipes and uploaded inputs)")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="timed start-ups (default: %(default)s)")
    parser.add_argument("--long", type=int, default=20_000, help="url generations (default: %(default)s)")
    parser.add_argument("--fetches", type=int, default=1000, help="image URLs fetched (default: %(default)s)")
    args = parser.parse_args()
    runs = max(1, min(args.runs, 50))
    total = max(STEP, min(args.long, 200_000))
    fetches = max(10, min(args.fetches, 10_000))
    print(f"bench_startup: {time.strftime('%Y-%m-%d %H:%M:%S')}, load average {os.getloadavg()[0]:.2f}")
    start = startup(runs)
    idle = memory()
    growth(total)
    png_cache(fetches)
    heading("summary")
    print_table(
        ["figure", "value", "aim", "met"],
        [
            ["start-up to first 200 (median)", f"{ms(start)} ms", "< 1000 ms", "yes" if start < 1 else "NO"],
            ["RSS idle after 2000 url + 200 b64", f"{idle:.1f} MB", "< 80 MB", "yes" if idle < 80 else "NO"],
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
