"""``python -m mockserver``: start a fake in the foreground and print its base URL."""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any, NoReturn

from mockserver.app import create_app
from mockserver.config import INT, TEXTS, Config, settings
from mockserver.server import LiveServer


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mockserver",
        description="An offline twin of the OpenAI Images API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default: %(default)s).")
    parser.add_argument(
        "--port", type=int, default=5000, help="Port; 0 picks a free one (default: %(default)s)."
    )
    parser.add_argument(
        "--threads", type=int, default=16,
        help="Worker threads answering the API and image URLs; the control plane has its own "
        "(default: %(default)s).",
    )
    for f in settings():
        meta = f.metadata
        if not meta["cli"]:
            continue
        if meta["kind"] == TEXTS:
            parser.add_argument(meta["cli"], dest=f.name, action="append", help=meta["help"] + " Repeatable.")
        else:
            kind: Any = int if meta["kind"] == INT else str
            parser.add_argument(meta["cli"], dest=f.name, type=kind, help=meta["help"])
    return parser


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line, as JSON-like values for Config.patch."""
    given: dict[str, Any] = {}
    for f in settings():
        value = getattr(args, f.name, None)
        if value is None:
            continue
        if f.name == "blocked_terms":  # the flag adds to the documented default list
            value = [*Config().blocked_terms, *value]
        given[f.name] = value
    return given


def _limit_malloc_arenas() -> None:
    """glibc gives each worker thread its own malloc arena and keeps freed render buffers
    in each: with 16 threads that held about 170 MB after a burst of large renders, against
    about 75 MB with two arenas (bench/bench_startup.py). No-op off glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _limit_malloc_arenas()
    try:
        config = Config().patch(overrides(args), allow_all=True)
    except ValueError as exc:
        print(f"mockserver: {exc}", file=sys.stderr)
        return 2
    server = LiveServer(create_app(config), args.host, args.port, threads=args.threads)
    try:
        server.bind()
    except OSError as exc:
        print(f"mockserver: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    stopping = _Stopping(server)
    signal.signal(signal.SIGTERM, stopping.on_signal)
    signal.signal(signal.SIGINT, stopping.on_signal)
    print(f"mockserver: serving the Images API at {server.base_url}", flush=True)
    print(f"mockserver: OPENAI_BASE_URL={server.base_url}", flush=True)
    server.serve_forever()  # returns once stopping has closed the listening socket
    stopping.wait()
    _exit_now(0)


class _Stopping:
    """The first SIGTERM or SIGINT stops the server gracefully (it stops accepting and
    lets requests in flight finish, within ``shutdown_grace_ms``); a second one exits
    at once, with status 1."""

    def __init__(self, server: LiveServer) -> None:
        self._server = server
        self._thread: threading.Thread | None = None

    def on_signal(self, signum: int, frame: Any) -> None:
        if self._thread is not None:
            _exit_now(1)
        print(f"mockserver: {signal.Signals(signum).name}: finishing the requests in flight "
              f"(up to {self._server.grace:g} s); a second signal exits at once", file=sys.stderr, flush=True)
        # Not from inside the signal handler: stopping waits on the very loop the signal
        # interrupted. Another thread stops the server; the loop then returns.
        self._thread = threading.Thread(target=self._server.stop, name="mockserver-stop", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        while self._thread is None or self._thread.is_alive():  # short waits keep signals answered
            if self._thread is None:
                time.sleep(0.05)
            else:
                self._thread.join(0.1)


def _exit_now(status: int) -> NoReturn:
    """Leave without waiting on worker threads: once the grace is over, a worker still
    busy with a slow or hung client must not keep the process alive."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    raise SystemExit(main())
