"""What the live view (GET /_mock/ui) costs the API requests, with and without a page open.

1. In-process, nobody watching: the server time of an n=1 url generation and of an
   n=1 b64_json one (Flask test client, median of 3000 (b64: 400), best of 3; the two
   apps take turns request by request)
   with the journal's image references recorded as they are, against the same app
   with the recording replaced by a no-op. This is all the view adds while nobody
   looks: the page itself runs only in a browser.
2. Over HTTP (``python -m mockserver --port 0 --rate-limit off`` as a child process):
   n=1 url generations back to back on one keep-alive connection, in rounds that
   alternate: nobody watching; a client polling as an open page does (the journal
   since its cursor, the clock, the faults, the quotas every second, the config every
   fifth, and each new image's thumbnail, as the page fetches those of the rows it
   shows); and, when Chromium and selenium are installed, the page itself open in
   headless Chromium. Printed: the server's CPU per generation (from /proc, the poller's
   and the page's requests included) and the generations' median latency.

Run: .venv/bin/python bench/bench_ui.py [--seconds 8]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
import timeit
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _load import (
    LOOPBACK,
    MOCKSERVER_CMD,
    SMALL_BODY,
    ServerProcess,
    json_request,
    median,
    print_table,
    run_load,
    start_server,
)

from mockserver import create_app
from mockserver.render import Recipe
from mockserver.state.memory import MemoryGallery

AUTH = {"Authorization": "Bearer sk-bench"}
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)


# --- 1. in-process ---------------------------------------------------------------------------


def in_process(body: dict[str, Any], runs: int = 3000) -> tuple[float, float]:
    """Median server time (seconds) without and with the recording; the two apps take turns,
    request by request, so that the machine's load hits both alike."""
    apps = [create_app(rate_limits="off"), create_app(rate_limits="off")]
    apps[0].extensions["mockserver"].gallery.add = lambda recipe, **_: {}  # the recording, and nothing else, gone
    clients = [app.test_client() for app in apps]
    times: list[list[float]] = [[], []]
    for i in range(runs):
        for which in (0, 1) if i % 2 else (1, 0):
            if i % 500 == 0:
                apps[which].extensions["mockserver"].store.clear()
            started = time.perf_counter()
            response = clients[which].post("/v1/images/generations", json=body, headers=AUTH)
            times[which].append(time.perf_counter() - started)
            assert response.status_code == 200
    return statistics.median(times[0][runs // 10:]), statistics.median(times[1][runs // 10:])


def gallery_add() -> float:
    """Seconds one image's reference takes to record (the whole of the recording)."""
    gallery = MemoryGallery()
    recipe = Recipe(endpoint="generations", model="dall-e-2", prompt="a white siamese cat", width=256, height=256,
                    index=0, n=1)
    return min(timeit.repeat(lambda: gallery.add(recipe, image_id="x" * 24, expires_at=0.0), number=20000,
                             repeat=5)) / 20000


def nobody_watching() -> None:
    print("1. in-process, nobody watching: server time of one generation (median of 3000, best of 3 runs)")
    rows = []
    for name, body in (("n=1 url 256x256", SMALL_BODY), ("n=1 b64_json 256x256",
                                                         {**SMALL_BODY, "response_format": "b64_json"})):
        runs = [in_process(body, 3000 if "url" in name else 400) for _ in range(3)]
        a, b = min(r[0] for r in runs), min(r[1] for r in runs)
        rows.append([name, f"{a * 1e6:.0f}", f"{b * 1e6:.0f}", f"{b / a:.3f}"])
    print_table(["request", "no recording us", "recording us", "ratio"], rows)
    print(f"   recording one image's reference (Gallery.add), alone: {gallery_add() * 1e6:.1f} us")


# --- 2. over HTTP, with and without a page -----------------------------------------------


class Poller:
    """Does what an open page does, once a second, until stopped."""

    def __init__(self, port: int) -> None:
        self._conn = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.polls = self.thumbnails = 0

    def _get(self, path: str) -> bytes:
        self._conn.request("GET", path)
        return self._conn.getresponse().read()

    def _run(self) -> None:
        cursor = ""
        tick = 0
        while not self._stop.is_set():
            after = f"&after={cursor}" if cursor else ""  # (the page's own query: the newest 500 rows at most)
            journal = json.loads(self._get(f"/_mock/requests?newest=true&limit=500{after}"))
            cursor = journal["cursor"]
            for path in ("/_mock/clock", "/_mock/faults", "/_mock/quotas"):
                self._get(path)
            if tick % 5 == 0:
                self._get("/_mock/config")
            # The page loads the thumbnails of the rows in view: the newest ones (a window shows about 20).
            for entry in journal["requests"][-20:]:
                for ref in entry["images"][:4]:
                    self._get(f"/_mock/images/{ref['id']}")
                    self.thumbnails += 1
            tick += 1
            self.polls += 1
            self._stop.wait(1.0)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self._conn.close()


@contextlib.contextmanager
def chromium_page(url: str) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="bench-ui-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1440,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver") or "chromedriver"))
    try:
        driver.get(url + "/_mock/ui")
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def chromium_available() -> bool:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return False
    return shutil.which("chromium") is not None and shutil.which("chromedriver") is not None


def measure(server: ServerProcess, seconds: float) -> tuple[float, float, int]:
    """Back-to-back n=1 url generations: (server CPU us per generation, median latency ms, count)."""
    result = run_load(server.port, json_request(SMALL_BODY), concurrency=1, warmup=1.0, duration=seconds,
                      server=server)
    assert result.ok == result.count, result.statuses
    cpu = (result.server_cpu or 0.0) / result.count
    return cpu * 1e6, median(result.latencies) * 1000, result.count


def with_and_without(seconds: float, rounds: int) -> None:
    browser = chromium_available()
    print(f"\n2. over HTTP: n=1 url generations back to back, {rounds} rounds of {seconds:.0f} s per setting"
          + ("" if browser else " (no Chromium or selenium: the page itself is left out)"))
    server = start_server([*MOCKSERVER_CMD, "--journal-size", "1000"])
    figures: dict[str, list[tuple[float, float, int]]] = {}
    extra: dict[str, str] = {}
    try:
        settings: list[tuple[str, Callable[[], contextlib.AbstractContextManager[Any]]]] = [
            ("nobody watching", contextlib.nullcontext),
            ("a client polling as the page does", lambda: Poller(server.port)),
        ]
        if browser:
            settings.append(("the page open in headless Chromium",
                             lambda: chromium_page(f"http://{LOOPBACK}:{server.port}")))
        for _ in range(rounds):
            for name, watcher in settings:
                with watcher() as watching:
                    if name.startswith("the page"):
                        time.sleep(2)  # let it load and start polling
                    figures.setdefault(name, []).append(measure(server, seconds))
                    if isinstance(watching, Poller):
                        extra[name] = f"{watching.polls} polls, {watching.thumbnails} thumbnails"
    finally:
        server.stop()
    base = statistics.median(cpu for cpu, _, _ in figures["nobody watching"])
    rows = []
    for name, runs in figures.items():
        cpu = statistics.median(c for c, _, _ in runs)
        latency = statistics.median(lat for _, lat, _ in runs)
        rows.append([name, sum(n for _, _, n in runs), f"{cpu:.0f}", f"{cpu / base:.2f}", f"{latency:.2f}",
                     extra.get(name, "")])
    print_table(["setting", "generations", "srv CPU us/gen", "vs nobody", "median ms", "watcher"], rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per round and setting")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per setting, alternated")
    args = parser.parse_args()
    nobody_watching()
    with_and_without(args.seconds, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
