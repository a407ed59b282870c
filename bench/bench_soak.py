"""Soak the fake: many mixed requests, RSS sampled along the way, server time against a baseline.

The mix, cycled in this order over 64 prompt variants each: url generations (4 in 10),
b64_json generations (2 in 10), variations uploading a 256x256 PNG (2 in 10) and edits
uploading a 256x256 RGBA PNG with a transparent half (2 in 10); every answer is 256x256.

``--baseline DIR`` names another checkout (e.g. ``git worktree add --detach /tmp/base main``):
its ``python -m mockserver`` runs beside this checkout's, each in its own process, and
the two take the load in alternating rounds (this, base, base, this, ...), so a change in
the machine's background load hits both alike. Per server it prints the server's CPU time
per request (``/proc/<pid>/stat``: the steady figure on a busy machine), requests/s,
statuses, and RSS after every round. Aims: RSS flat after warm-up (the image store fills
to ``store_max_bytes`` first); server CPU per request within 5 % of the baseline.

Loopback only; bounded by ``--count`` (requests per server) and ``--max-minutes``.

``--only-url`` runs url generations alone: the cheapest request (about 0.4 ms of server
time), where the server layer's own cost weighs most.

Run:  .venv/bin/python bench/bench_soak.py [--count 100000] [--baseline /tmp/base]
      [--concurrency 4] [--rounds 20] [--max-minutes 40] [--only-url]
"""

from __future__ import annotations

import argparse
import io
import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from _load import API_KEY, LOOPBACK, MOCKSERVER_CMD, ROOT, RawConnection, ServerProcess, print_table, start_server
from PIL import Image, ImageDraw

VARIANTS = 64


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def _picture(seed: int, mode: str) -> Image.Image:
    image = Image.new("RGB", (256, 256), (30 + seed % 200, 90, 160))
    draw = ImageDraw.Draw(image)
    for x in range(0, 256, 16):
        draw.line([(x, 0), (255 - x, 255)], fill=(250, (x + seed) % 256, x), width=2)
    image = image.convert(mode)
    if mode == "RGBA":  # the right half transparent: what the edit repaints
        alpha = Image.new("L", image.size, 255)
        ImageDraw.Draw(alpha).rectangle([128, 0, 255, 255], fill=0)
        image.putalpha(alpha)
    return image


def _json(body: dict[str, object]) -> bytes:
    payload = json.dumps(body).encode()
    return (f"POST /v1/images/generations HTTP/1.1\r\nHost: {LOOPBACK}\r\nAuthorization: Bearer {API_KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n").encode() + payload


def _multipart(path: str, fields: dict[str, str], files: dict[str, bytes]) -> bytes:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, data in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}.png"\r\n'
                     f"Content-Type: image/png\r\n\r\n".encode() + data + b"\r\n")
    payload = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return (f"POST {path} HTTP/1.1\r\nHost: {LOOPBACK}\r\nAuthorization: Bearer {API_KEY}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(payload)}\r\n\r\n"
            ).encode() + payload


def mix(only_url: bool = False) -> list[bytes]:
    """The request cycle: 10 requests per variant, 64 variants (``only_url``: url generations only)."""
    cycle: list[bytes] = []
    for i in range(VARIANTS):
        prompt = f"a white siamese cat, study {i}"
        url = _json({"prompt": prompt, "size": "256x256"})
        if only_url:
            cycle.append(url)
            continue
        b64 = _json({"prompt": prompt, "size": "256x256", "response_format": "b64_json"})
        variation = _multipart("/v1/images/variations", {"size": "256x256"}, {"image": _png(_picture(i, "RGB"))})
        edit = _multipart("/v1/images/edits", {"prompt": prompt, "size": "256x256"},
                          {"image": _png(_picture(i, "RGBA"))})
        cycle += [url, b64, variation, url, edit, url, b64, variation, url, edit]
    return cycle


@dataclass
class Tally:
    requests: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    rss: list[tuple[int, float]] = field(default_factory=list)  # (requests so far, MB)


def run_chunk(server: ServerProcess, cycle: list[bytes], start: int, count: int, concurrency: int,
              deadline: float, tally: Tally) -> None:
    """``count`` requests from ``cycle`` (from index ``start``) over ``concurrency`` keep-alive sockets."""
    lock = threading.Lock()
    next_index = [start]
    end = start + count

    def worker() -> None:
        conn = RawConnection(LOOPBACK, server.port)
        statuses: Counter[int] = Counter()
        errors = 0
        try:
            while time.monotonic() < deadline:
                with lock:
                    i = next_index[0]
                    if i >= end:
                        break
                    next_index[0] = i + 1
                try:
                    status, _ = conn.request(cycle[i % len(cycle)])
                except (OSError, ValueError):
                    errors += 1
                    conn.close()
                    if errors > 100:
                        break
                    continue
                statuses[status] += 1
        finally:
            conn.close()
        with lock:
            tally.statuses.update(statuses)
            tally.errors += errors

    cpu0, t0 = server.cpu_seconds(), time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, deadline - time.monotonic() + 60))
    tally.seconds += time.perf_counter() - t0
    tally.cpu += server.cpu_seconds() - cpu0
    tally.requests += min(next_index[0], end) - start
    tally.rss.append((tally.requests, server.rss_mb()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="requests per server (default %(default)s)")
    parser.add_argument("--baseline", type=Path, help="another checkout to run side by side (e.g. main)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=20, help="rounds per server; RSS is sampled after each")
    parser.add_argument("--max-minutes", type=float, default=40.0, help="stop early after this long")
    parser.add_argument("--only-url", action="store_true",
                        help="url generations only: the cheapest request, where the server layer weighs most")
    args = parser.parse_args()

    cycle = mix(args.only_url)
    names = ["this"] + (["base"] if args.baseline else [])
    servers = {"this": start_server(MOCKSERVER_CMD, cwd=ROOT)}
    if args.baseline:
        servers["base"] = start_server(MOCKSERVER_CMD, cwd=args.baseline.resolve())
    tallies = {name: Tally() for name in names}
    deadline = time.monotonic() + args.max_minutes * 60
    per_round = max(1, args.count // args.rounds)
    try:
        for server in servers.values():  # warm-up, not counted: imports, first renders
            run_chunk(server, cycle, 0, min(200, per_round), args.concurrency, deadline, Tally())
        for r in range(args.rounds):
            order = names if r % 2 == 0 else names[::-1]
            for name in order:
                run_chunk(servers[name], cycle, r * per_round, per_round, args.concurrency, deadline,
                          tallies[name])
            print(f"round {r + 1}/{args.rounds}: " + ", ".join(
                f"{n} {tallies[n].requests} requests, RSS {tallies[n].rss[-1][1]:.0f} MB" for n in names), flush=True)
            if time.monotonic() >= deadline:
                print(f"(stopped after round {r + 1} of {args.rounds}: --max-minutes reached)")
                break
    finally:
        stops = {name: server.stop_timed() for name, server in servers.items()}

    rows = []
    for name in names:
        t = tallies[name]
        rss = [mb for _, mb in t.rss]
        warm = rss[max(0, len(rss) // 5 - 1)] if rss else float("nan")
        rows.append([
            name, t.requests, f"{t.cpu / max(1, t.requests) * 1e6:.0f}", f"{t.requests / max(t.seconds, 1e-9):.0f}",
            " ".join(f"{k}:{v}" for k, v in sorted(t.statuses.items())), t.errors,
            f"{warm:.1f}", f"{rss[-1]:.1f}" if rss else "-", f"{max(rss):.1f}" if rss else "-",
            f"{stops[name]:.2f}" if stops[name] is not None else "killed",
        ])
    print_table(["server", "requests", "srv CPU us/req", "req/s", "statuses", "errors", "RSS@20% MB",
                 "RSS end MB", "RSS max MB", "stop s"], rows)
    print()
    print("RSS (MB) after each round, by requests served:")
    for name in names:
        print(f"  {name}: " + ", ".join(f"{n}:{mb:.0f}" for n, mb in tallies[name].rss))
    if args.baseline and tallies["base"].requests and tallies["this"].requests:
        this = tallies["this"].cpu / tallies["this"].requests
        base = tallies["base"].cpu / tallies["base"].requests
        print(f"\nserver CPU per request, this / base: {this / base:.3f}  (aim: <= 1.05)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
