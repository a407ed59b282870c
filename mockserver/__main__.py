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

from contracts.version import program, version
from mockserver.app import create_app
from mockserver.config import INT, TEXTS, Config, settings
from mockserver.server import LiveServer


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=program("python -m mockserver"),
        description="An offline twin of the OpenAI Images API.",
    )
    parser.add_argument("--version", action="version", version=version())
    parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default: %(default)s).")
    parser.add_argument(
        "--port", type=int, default=5000, help="Port; 0 picks a free one (default: %(default)s)."
    )
    parser.add_argument("--threads", type=int, default=16, help="Worker threads (default: %(default)s).")
    for f in settings():
        meta = f.metadata
        if not meta["cli"]:
            continue
        metavar = meta["cli"].lstrip("-").upper().replace("-", "_")
        if meta["kind"] == TEXTS:
            text = meta["help"] if "repeatable" in meta["help"].lower() else meta["help"] + " Repeatable."
            parser.add_argument(meta["cli"], dest=f.name, action="append", metavar=metavar,
                                help=_with_default(text, f))
        else:
            kind: Any = int if meta["kind"] == INT else str
            parser.add_argument(meta["cli"], dest=f.name, type=kind, metavar=metavar,
                                help=_with_default(meta["help"], f))
    parser.add_argument("--quiet", action="store_true",
                        help="No access log: print only the start-up lines (default: one line per request).")
    parser.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="The access log's format: `text` for people, `json` (one object per line) "
                        "for machines (default: %(default)s).")
    return parser


def _with_default(text: str, f: Any) -> str:
    """A setting's help with its default, as the configuration reference shows it."""
    default = f.default
    if isinstance(default, tuple):
        default = ",".join(str(d) for d in default) if default else "none"
    elif default is None:
        default = "none"
    return f"{text} (default: {default})".replace("%", "%%")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line, as JSON-like values for Config.patch."""
    given: dict[str, Any] = {}
    if getattr(args, "quiet", None) is not None:  # the access log: on unless --quiet
        given["access_log"] = "off" if args.quiet else args.log_format
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
    signal.signal(signal.SIGTERM, lambda *_: _stop_soon(server))
    print(f"mockserver: serving the Images API at {server.base_url}", flush=True)
    print(f"mockserver: OPENAI_BASE_URL={server.base_url}", flush=True)
    for line in _more_start_up_lines(server, config):
        print(f"mockserver: {line}", flush=True)
    try:
        server.serve_forever()  # returns once stopped
    except KeyboardInterrupt:
        _stop_soon(server)
    _exit_now()


def _more_start_up_lines(server: LiveServer, config: Config) -> list[str]:
    """Where the control API is, how to stop the fake, and what it logs."""
    access = "with --admin-token's bearer token" if config.admin_token else "from this machine only"
    lines = [f"control API at {server.url}/_mock/ ({access}); an index of both at {server.url}/",
             "stop it with Ctrl+C (or SIGTERM)"]
    if config.access_log == "off":
        lines.append("access log off (--quiet)")
    else:
        lines.append(f"logging one {config.access_log} line per request below (--quiet turns it off)")
    return lines


def _stop_soon(server: LiveServer) -> None:
    # Not from inside the signal handler: stopping cheroot there would wait on the very
    # loop the signal interrupted. Another thread stops it; the loop then returns.
    threading.Thread(target=server.stop, name="mockserver-stop", daemon=True).start()


def _exit_now() -> NoReturn:
    """Leave without waiting on worker threads: a worker still busy with a slow or
    hung client must not keep a stopped server's process alive."""
    time.sleep(0.05)  # let the stopping thread close the listening socket
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
