"""Soak the fake: many mixed requests with bombs mixed in, RSS along the way, server CPU against a baseline.

The normal mix, cycled in this order over 64 prompt variants each: url generations (4 in 10),
b64_json generations (2 in 10), variations uploading a 256x256 PNG (2 in 10) and edits
uploading a 256x256 RGBA PNG with a transparent half (2 in 10); every answer is 256x256.

**Bombs** (``--bombs PERCENT``, default 1; 0 turns them off): hostile uploads of issue 22's
findings 1-3, built from their recipes in ``tests/support/bombs.py`` (see :data:`BOMBS`: a
progressive JPEG of 300 scans, a 1x67M and a 67Mx1 PNG, an 8192x8192 lossless WebP alone and as
16 ``image[]`` parts, PNGs whose iCCP or zTXt chunk inflates past Pillow's limit, a PNG of 3,000
zTXt chunks), sent as GPT image edits (``gpt-image-1.5``, quality low, 1024x1024), cycling the
kinds and, for each kind in turn, the transport: a multipart upload, then a JSON edit whose
``images[].image_url`` are ``data:`` URLs. ``--count`` is the number of NORMAL requests per
server; on top of them this checkout gets ``count * PERCENT / 100`` bombs.

How the bombs' cost is kept apart from the normal requests'. Each round has two timed slices:

1. the normal slice: ``count / rounds`` normal requests over ``--concurrency`` keep-alive
   sockets; the server's CPU time (``/proc/<pid>/stat``, user + system) read before and after it
   is the round's normal CPU;
2. the bomb slice (this checkout only): the round's bombs, ONE AT A TIME, each on a fresh
   connection with a per-request timeout (``--bomb-timeout``, on every socket operation); a
   bomb's CPU is the server's CPU from just before it is sent to its answer. A bomb answered by
   a timeout or a dropped connection may leave the server working on it after the client left,
   so the bench then waits for the server to settle (its CPU grows by at most one clock tick in
   0.25 s, at most ``--settle-max`` seconds) and charges that tail to the bomb too. After the
   slice the server is let settle once more; whatever it spends then goes to the bombs' total
   (as "tail"), not to any request.

The normal slice of the next round starts only after the settle, so the normal CPU per request
excludes the bombs' whatever the bombs do; if a server did not settle within ``--settle-max``
the round is flagged (its normal CPU may then hold some of a bomb's). Bombs leave their effect
on what follows (caches, memory, the allocator): that part is real and is in the normal figures.

Every bomb is recorded with its kind, transport, outcome and CPU: ``200``, a 4xx whose body is
the API's JSON error (``4xx json``), or what must not happen: a 5xx, a 4xx without a JSON error,
``timeout``, ``dropped`` (the connection closed without an answer). Normal requests are tallied
the same way; tracebacks in a server's log are counted. The exit status is 1 if any request,
normal or bomb, was not answered as it should be (a normal request: 200; a bomb: 200 or a JSON
4xx).

``--baseline DIR`` names another checkout (e.g. ``git worktree add --detach /tmp/soak-base
main``): its ``python -m mockserver`` runs beside this checkout's, each in its own process, and
the two take the normal load in alternating rounds (this, base, base, this, ...), so a change in
the machine's background load hits both alike. Bombs go to THIS checkout only (the baseline,
without the defences, would spend minutes of CPU and gigabytes on them, and the figure wanted is
the normal requests' cost side by side); the report says so. Per server it prints the normal
requests' CPU per request, requests/s and statuses, RSS after every round (and the peak within
it), the bombs' outcomes and CPU by kind, and the time SIGINT takes to end it. Aims: every
request answered; RSS flat after warm-up (the image store fills to ``store_max_bytes`` first);
server CPU per normal request within 5 % of the baseline's.

Loopback only; bounded by ``--count``, ``--max-minutes`` (checked between slices), the per-request
timeouts and ``--settle-max``.

``--only-url`` runs url generations alone as the normal load: the cheapest request (about
0.4 ms of server time), where the server layer's own cost weighs most.

Run:  .venv/bin/python bench/bench_soak.py [--count 100000] [--bombs 1] [--baseline /tmp/soak-base]
      [--concurrency 4] [--rounds 20] [--max-minutes 60] [--timeout 30] [--bomb-timeout 30]
      [--settle-max 60] [--only-url]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import os
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from _load import (
    API_KEY,
    EDITS,
    LOOPBACK,
    MOCKSERVER_CMD,
    ROOT,
    MultipartTemplate,
    RawConnection,
    ServerProcess,
    print_table,
    start_server,
)
from PIL import Image, ImageDraw

from tests.support import bombs

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


def _json(body: dict[str, object], path: str = "/v1/images/generations") -> bytes:
    payload = json.dumps(body).encode()
    return (f"POST {path} HTTP/1.1\r\nHost: {LOOPBACK}\r\nAuthorization: Bearer {API_KEY}\r\n"
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


# --------------------------------------------------------------------------- #
# Bombs
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class Bomb:
    """One kind of bomb: ``make(tag)`` gives its bytes (from the recipe in tests/support/bombs.py),
    unique for each ``tag``; the media type it is declared as; and how many copies one request
    carries (``image[]`` parts of a multipart edit, entries of a JSON edit's ``images``), each of
    them unique too."""

    name: str
    media_type: str
    make: Callable[[int], bytes]
    copies: int = 1


def mark(data: bytes, tag: int) -> bytes:
    """A PNG or JPEG made unique by ``tag`` without changing what decoding it costs: a tEXt chunk
    right after a PNG's IHDR, a COM segment right after a JPEG's SOI. Why: the fake caches decoded
    inputs by their bytes' digest, so a bomb sent again would be served from the cache and
    measure nothing; an adversary sends new bytes each time."""
    text = b"soak %d" % tag
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return data[:33] + bombs.png_chunk(b"tEXt", b"Comment\x00" + text) + data[33:]
    if data.startswith(b"\xff\xd8"):
        return data[:2] + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + data[2:]
    raise ValueError("mark() knows PNG and JPEG")


def marked(build: Callable[[], bytes]) -> Callable[[int], bytes]:
    """``build()`` once (some recipes compress tens of megabytes), then :func:`mark` per tag."""
    built: list[bytes] = []

    def make(tag: int) -> bytes:
        if not built:
            built.append(build())
        return mark(built[0], tag)

    return make


def _webp(tag: int) -> bytes:
    # The recipe's own padding (zero bytes after the bitstream, which a decoder never reads) makes
    # each one unique; 2-6 KB, the size of the finding's ("a 2.6 KB 8192² lossless WebP").
    return bombs.webp_lossless_bomb(padding=2048 + tag % 4096)


# The bomb mix, cycled in this order: the findings 1-3 of issue 22, each from its recipe. Another
# kind is one more entry here.
BOMBS: list[Bomb] = [
    Bomb("jpeg 300 scans", "image/jpeg", marked(lambda: bombs.jpeg_scan_bomb(300))),
    Bomb("png 1x67M", "image/png", marked(bombs.png_tall)),
    Bomb("png 67Mx1", "image/png", marked(bombs.png_wide)),
    Bomb("webp 8192² lossless", "image/webp", _webp),
    Bomb("webp 8192² x16 parts", "image/webp", _webp, copies=16),
    Bomb("png iCCP 2 MB", "image/png", marked(bombs.png_iccp_bomb)),
    Bomb("png zTXt 2 MB", "image/png", marked(bombs.png_ztxt_bomb)),
    Bomb("png 3000 zTXt", "image/png", marked(bombs.png_many_ztxt)),
]
TRANSPORTS = ("multipart", "json data:")
# What a bomb asks for: a GPT edit (it reads PNG, JPEG and WebP, by multipart or JSON), the
# cheapest answer of that model.
BOMB_FIELDS = {"model": "gpt-image-1.5", "prompt": "a white siamese cat", "quality": "low", "size": "1024x1024"}
_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


class BombSender:
    """The request of the n-th bomb: kind ``n % len(kinds)``, the transport alternating each time
    the kinds come round; every image in it unique (a counter's tag)."""

    def __init__(self, kinds: Sequence[Bomb]) -> None:
        self.kinds = list(kinds)
        self._tag = 0

    def prepare(self) -> None:
        """Build every kind once (before the servers start: the recipes' own cost is not timed)."""
        for bomb in self.kinds:
            bomb.make(0)

    def pick(self, n: int) -> tuple[Bomb, str]:
        return self.kinds[n % len(self.kinds)], TRANSPORTS[(n // len(self.kinds)) % len(TRANSPORTS)]

    def _images(self, bomb: Bomb) -> list[bytes]:
        images = []
        for _ in range(bomb.copies):
            self._tag += 1
            images.append(bomb.make(self._tag))
        return images

    def request(self, bomb: Bomb, transport: str) -> list[bytes]:
        images = self._images(bomb)
        if transport == "multipart":
            name = "image[]" if bomb.copies > 1 else "image"
            filename = f"bomb.{_EXTENSIONS.get(bomb.media_type, 'bin')}"
            template = MultipartTemplate(EDITS, tuple(BOMB_FIELDS.items()),
                                         tuple((name, filename, bomb.media_type, data) for data in images))
            return template.pieces()
        refs = [{"image_url": f"data:{bomb.media_type};base64," + base64.b64encode(data).decode("ascii")}
                for data in images]
        return [_json({**BOMB_FIELDS, "images": refs}, EDITS)]


@dataclass
class BombResult:
    kind: str
    transport: str
    outcome: str  # "200", "400 json", ... or "timeout", "dropped", "413 not JSON"
    cpu: float  # server CPU seconds, from the send to the answer (and the settle after a timeout)
    seconds: float  # wall time to the answer (or the timeout)
    settled: bool = True


def classify(status: int, body: bytes) -> str:
    """A status as the report shows it: 4xx answers are ``NNN json`` when the body is the API's
    JSON error (an object with an ``error`` object), ``NNN not JSON`` otherwise."""
    if 400 <= status < 500:
        try:
            parsed = json.loads(body)
        except ValueError:
            return f"{status} not JSON"
        ok = isinstance(parsed, dict) and isinstance(parsed.get("error"), dict)
        return f"{status} json" if ok else f"{status} not JSON"
    return str(status)


def answered(outcome: str, *, bomb: bool) -> bool:
    """What the aim counts as answered: a normal request 200; a bomb 200 or a JSON 4xx."""
    return outcome == "200" or (bomb and outcome.startswith("4") and outcome.endswith(" json"))


_TICK = 1 / os.sysconf("SC_CLK_TCK")  # the granularity of /proc/<pid>/stat's CPU times


def settle(server: ServerProcess, max_seconds: float, interval: float = 0.25) -> bool:
    """Wait until the server is idle (its CPU time grows by at most one clock tick in ``interval``
    seconds), at most ``max_seconds``; False if it was still busy then."""
    end = time.monotonic() + max_seconds
    last = server.cpu_seconds()
    while time.monotonic() < end:
        time.sleep(interval)
        now = server.cpu_seconds()
        if now - last <= _TICK * 1.01:
            return True
        last = now
    return False


def send_bomb(server: ServerProcess, sender: BombSender, bomb: Bomb, transport: str, timeout: float,
              settle_max: float) -> BombResult:
    """One bomb on a fresh connection; its outcome and the server CPU it cost."""
    payload = sender.request(bomb, transport)
    conn = RawConnection(LOOPBACK, server.port, timeout=timeout)
    cpu0, t0 = server.cpu_seconds(), time.perf_counter()
    try:
        status, body = conn.request(payload)
        outcome = classify(status, body)
    except TimeoutError:
        outcome = "timeout"
    except (OSError, ValueError):
        outcome = "dropped"
    finally:
        conn.close()
    seconds = time.perf_counter() - t0
    settled = True
    if outcome in ("timeout", "dropped"):  # the server may still be working on it: charge the tail
        settled = settle(server, settle_max)
    return BombResult(bomb.name, transport, outcome, server.cpu_seconds() - cpu0, seconds, settled)


# --------------------------------------------------------------------------- #
# Rounds
# --------------------------------------------------------------------------- #


@dataclass
class Tally:
    requests: int = 0  # normal requests
    seconds: float = 0.0  # wall time of the normal slices
    cpu: float = 0.0  # server CPU of the normal slices
    statuses: Counter[str] = field(default_factory=Counter)  # normal requests' outcomes
    rss: list[tuple[int, float]] = field(default_factory=list)  # (normal requests so far, MB) after each round
    rounds: list[float] = field(default_factory=list)  # server CPU seconds per normal request, each round
    peaks: list[float] = field(default_factory=list)  # MB: the peak RSS within each round (VmHWM)
    bombs: list[BombResult] = field(default_factory=list)
    bomb_tail_cpu: float = 0.0  # server CPU after the bomb slices, while it settled
    unsettled_rounds: list[int] = field(default_factory=list)


def reset_peak(server: ServerProcess) -> None:
    """Reset the process's VmHWM (``5`` to /proc/<pid>/clear_refs), so that each round's peak is
    its own; where that is refused, the peak is the process's since it started."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{server.pid}/clear_refs").write_text("5")


def run_chunk(server: ServerProcess, cycle: list[bytes], start: int, count: int, concurrency: int,
              deadline: float, timeout: float, tally: Tally) -> None:
    """``count`` requests from ``cycle`` (from index ``start``) over ``concurrency`` keep-alive sockets."""
    lock = threading.Lock()
    next_index = [start]
    end = start + count

    def worker() -> None:
        conn = RawConnection(LOOPBACK, server.port, timeout=timeout)
        outcomes: Counter[str] = Counter()
        failures = 0
        try:
            while time.monotonic() < deadline:
                with lock:
                    i = next_index[0]
                    if i >= end:
                        break
                    next_index[0] = i + 1
                try:
                    status, body = conn.request(cycle[i % len(cycle)])
                except TimeoutError:
                    outcomes["timeout"] += 1
                except (OSError, ValueError):
                    outcomes["dropped"] += 1
                else:
                    outcomes[classify(status, body) if status != 200 else "200"] += 1
                    continue
                conn.close()  # a new connection for the next request
                failures += 1
                if failures > 100:
                    break
        finally:
            conn.close()
        with lock:
            tally.statuses.update(outcomes)

    cpu0, t0 = server.cpu_seconds(), time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, deadline - time.monotonic() + 60))
    tally.seconds += time.perf_counter() - t0
    cpu = server.cpu_seconds() - cpu0
    served = min(next_index[0], end) - start
    tally.cpu += cpu
    tally.requests += served
    if served:
        tally.rounds.append(cpu / served)


def run_bombs(server: ServerProcess, sender: BombSender, first: int, count: int, timeout: float,
              settle_max: float, deadline: float, tally: Tally, round_no: int) -> int:
    """The bomb slice: ``count`` bombs one after the other, then a settle; returns how many were sent."""
    sent = 0
    for n in range(first, first + count):
        if time.monotonic() >= deadline:
            break
        bomb, transport = sender.pick(n)
        result = send_bomb(server, sender, bomb, transport, timeout, settle_max)
        tally.bombs.append(result)
        sent += 1
        if not result.settled and round_no not in tally.unsettled_rounds:
            tally.unsettled_rounds.append(round_no)
    cpu0 = server.cpu_seconds()
    if not settle(server, settle_max) and round_no not in tally.unsettled_rounds:
        tally.unsettled_rounds.append(round_no)
    tally.bomb_tail_cpu += server.cpu_seconds() - cpu0
    return sent


# --------------------------------------------------------------------------- #
# Report
# --------------------------------------------------------------------------- #


def _outcomes(counter: Counter[str]) -> str:
    return " ".join(f"{k}:{v}" for k, v in sorted(counter.items())) or "-"


def _tracebacks(server: ServerProcess) -> int:
    return sum(line.startswith("Traceback") for line in server.err + server.out)


def report(names: list[str], servers: dict[str, ServerProcess], tallies: dict[str, Tally],
           stops: dict[str, float | None], tracebacks: dict[str, int], bombs_to: str, baseline: bool) -> bool:
    """Print the figures; True if every request was answered as it should be."""
    ok = True
    rows = []
    for name in names:
        t = tallies[name]
        rss = [mb for _, mb in t.rss]
        warm = rss[max(0, len(rss) // 5 - 1)] if rss else float("nan")
        bad = sum(v for k, v in t.statuses.items() if not answered(k, bomb=False))
        ok = ok and bad == 0
        rows.append([
            name, t.requests, f"{t.cpu / max(1, t.requests) * 1e6:.0f}", f"{t.requests / max(t.seconds, 1e-9):.0f}",
            _outcomes(t.statuses), bad, f"{warm:.1f}", f"{rss[-1]:.1f}" if rss else "-",
            f"{max(t.peaks):.1f}" if t.peaks else "-", len(t.bombs), tracebacks[name],
            f"{stops[name]:.2f}" if stops[name] is not None else "killed",
        ])
    print("Normal requests (the bombs' CPU excluded: see the docstring):")
    print_table(["server", "normal", "srv CPU us/normal", "req/s", "normal statuses", "not answered",
                 "RSS@20% MB", "RSS end MB", "peak MB", "bombs", "tracebacks", "stop s"], rows)
    print()
    print("RSS (MB) after each round, by normal requests served [peak within the round]:")
    for name in names:
        t = tallies[name]
        print(f"  {name}: " + ", ".join(f"{n}:{mb:.0f} [{peak:.0f}]"
                                        for (n, mb), peak in zip(t.rss, t.peaks, strict=True)))
        rss = [mb for _, mb in t.rss]
        if len(rss) >= 5:
            warm_i = max(0, len(rss) // 5 - 1)
            served = t.rss[-1][0] - t.rss[warm_i][0]
            growth = rss[-1] - rss[warm_i]
            print(f"    after warm-up (from {t.rss[warm_i][0]} requests): {growth:+.1f} MB over {served} normal "
                  f"requests ({growth / max(1, served) * 1e4:+.2f} MB per 10,000)  (aim: flat)")

    for name in names:
        t = tallies[name]
        if not t.bombs:
            continue
        print()
        print(f"Bombs sent to {name} ({bombs_to}), one at a time, each on its own connection:")
        by_kind: dict[tuple[str, str], list[BombResult]] = {}
        for b in t.bombs:
            by_kind.setdefault((b.kind, b.transport), []).append(b)
        kind_rows = []
        for (kind, transport), results in by_kind.items():
            cpus = [r.cpu for r in results]
            kind_rows.append([kind, transport, len(results), _outcomes(Counter(r.outcome for r in results)),
                         f"{statistics.median(cpus):.3f}", f"{max(cpus):.3f}",
                         f"{max(r.seconds for r in results):.2f}", sum(not r.settled for r in results)])
        print_table(["kind", "transport", "sent", "outcomes", "srv CPU s median", "srv CPU s max", "wall s max",
                     "unsettled"], kind_rows)
        failed = [b for b in t.bombs if not answered(b.outcome, bomb=True)]
        ok = ok and not failed
        total = sum(b.cpu for b in t.bombs)
        print(f"  bombs: {len(t.bombs)}, answered (200 or a JSON 4xx): {len(t.bombs) - len(failed)}, "
              f"not: {len(failed)} ({_outcomes(Counter(b.outcome for b in failed))}); server CPU on bombs "
              f"{total:.1f} s + {t.bomb_tail_cpu:.1f} s while settling after the slices; "
              f"max one bomb {max(b.cpu for b in t.bombs):.2f} s (aim: <= 5 s)")
        if t.unsettled_rounds:
            print(f"  NOTE: the server was still busy after --settle-max in {len(t.unsettled_rounds)} round(s) "
                  f"({t.unsettled_rounds}): those rounds' normal CPU may hold some of a bomb's")

    if baseline and tallies["base"].requests and tallies["this"].requests:
        this = tallies["this"].cpu / tallies["this"].requests
        base = tallies["base"].cpu / tallies["base"].requests
        # Each round's pair ran back to back (this, base, base, this, ...): its ratio is the one least
        # moved by the machine's background load; their spread says how far to trust the total.
        pairs = [t / b for t, b in zip(tallies["this"].rounds, tallies["base"].rounds, strict=False) if b]
        print("\nserver CPU per normal request by round, us (this / base): " + ", ".join(
            f"{t * 1e6:.0f}/{b * 1e6:.0f}" for t, b in zip(tallies["this"].rounds, tallies["base"].rounds,
                                                            strict=False)))
        if pairs:
            print(f"  ratio by round: median {statistics.median(pairs):.3f}, "
                  f"{min(pairs):.3f} to {max(pairs):.3f}")
        print(f"server CPU per normal request, this / base: {this / base:.3f}  (aim: <= 1.05; {bombs_to})")
    print(f"\nevery request answered (normal 200; bombs 200 or a JSON 4xx): {'yes' if ok else 'NO'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="normal requests per server (default %(default)s)")
    parser.add_argument("--bombs", type=float, default=1.0, metavar="PERCENT",
                        help="bombs sent to this checkout, as a percentage of --count (default %(default)s; 0: none)")
    parser.add_argument("--baseline", type=Path, help="another checkout to run side by side (e.g. main); "
                        "it gets the normal requests only")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=20, help="rounds per server; RSS is sampled after each")
    parser.add_argument("--max-minutes", type=float, default=60.0, help="stop early after this long")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per socket operation, normal requests")
    parser.add_argument("--bomb-timeout", type=float, default=30.0,
                        help="seconds per socket operation of a bomb; past it the bomb counts as 'timeout'")
    parser.add_argument("--settle-max", type=float, default=60.0,
                        help="seconds to wait at most for the server to go idle after the bombs")
    parser.add_argument("--only-url", action="store_true",
                        help="url generations only: the cheapest request, where the server layer weighs most")
    args = parser.parse_args()

    cycle = mix(args.only_url)
    names = ["this"] + (["base"] if args.baseline else [])
    per_round = max(1, args.count // args.rounds)
    total_bombs = round(args.count * args.bombs / 100)
    sender = BombSender(BOMBS)
    if total_bombs:
        sender.prepare()
    bombs_to = ("no bombs" if not total_bombs
                else "bombs to this checkout only; the baseline gets the normal requests only" if args.baseline
                else "no baseline")
    print(f"{args.count} normal requests per server in {args.rounds} rounds; {total_bombs} bombs "
          f"({args.bombs:g} %) to this checkout, {len(BOMBS)} kinds x {len(TRANSPORTS)} transports; {bombs_to}",
          flush=True)

    servers = {"this": start_server(MOCKSERVER_CMD, cwd=ROOT)}
    if args.baseline:
        servers["base"] = start_server(MOCKSERVER_CMD, cwd=args.baseline.resolve())
    tallies = {name: Tally() for name in names}
    deadline = time.monotonic() + args.max_minutes * 60
    sent = 0
    try:
        for server in servers.values():  # warm-up, not counted: imports, first renders
            run_chunk(server, cycle, 0, min(200, per_round), args.concurrency, deadline, args.timeout, Tally())
        for r in range(args.rounds):
            order = names if r % 2 == 0 else names[::-1]
            for name in order:
                server, tally = servers[name], tallies[name]
                reset_peak(server)
                run_chunk(server, cycle, r * per_round, per_round, args.concurrency, deadline, args.timeout, tally)
                if name == "this" and total_bombs:
                    due = round(total_bombs * (r + 1) / args.rounds) - sent  # spread evenly over the rounds
                    sent += run_bombs(server, sender, sent, due, args.bomb_timeout, args.settle_max, deadline,
                                      tally, r + 1)
                tally.rss.append((tally.requests, server.rss_mb()))
                tally.peaks.append(server.hwm_mb())
            print(f"round {r + 1}/{args.rounds}: " + ", ".join(
                f"{n} {tallies[n].requests} requests + {len(tallies[n].bombs)} bombs, "
                f"RSS {tallies[n].rss[-1][1]:.0f} MB (peak {tallies[n].peaks[-1]:.0f})" for n in names), flush=True)
            if time.monotonic() >= deadline:
                print(f"(stopped after round {r + 1} of {args.rounds}: --max-minutes reached)")
                break
    finally:
        stops = {name: server.stop_timed() for name, server in servers.items()}
    tracebacks = {name: _tracebacks(server) for name, server in servers.items()}
    return 0 if report(names, servers, tallies, stops, tracebacks, bombs_to, bool(args.baseline)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
