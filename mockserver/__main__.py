"""``python -m mockserver``: start a fake in the foreground and print its base URL."""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import NoReturn

from contracts.version import program, version
from mockserver.app import create_app
from mockserver.config import Config, ServerOptions
from mockserver.inputs import InputError, add_flags, given
from mockserver.server import LiveServer


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=program("python -m mockserver"),
        description="An offline twin of the OpenAI Images API. Every option can also be given as the "
        "environment variable named in its help (a list: comma-separated); a flag wins over its variable.",
    )
    parser.add_argument("--version", action="version", version=version())
    add_flags(parser, ServerOptions)
    add_flags(parser, Config)
    parser.add_argument("--quiet", action="store_true",
                        help="No access log: print only the start-up lines (default: one line per request).")
    parser.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="The access log's format: `text` for people, `json` (one object per line) "
                        "for machines (default: %(default)s).")
    return parser


def options(args: argparse.Namespace, environ: Mapping[str, str]) -> tuple[ServerOptions, Config]:
    """How to listen, and the fake's configuration, from the flags and the ``MOCKSERVER_*``
    variables (flags win); InputError names a bad one. The command line logs each request
    (``access_log``) unless ``--quiet``."""
    server = ServerOptions(**given(ServerOptions, args, environ))
    settings = given(Config, args, environ)
    if "access_log" not in settings:
        settings["access_log"] = "off" if getattr(args, "quiet", False) else getattr(args, "log_format", "text")
    return server, Config(**settings)


def announce(host: str, url: str, base_url: str, config: Config | None = None) -> list[str]:
    """The start-up lines. A wildcard address is where the fake listens, not where a client
    can reach it: the printed URLs are then the loopback ones."""
    lines = []
    if host in ("0.0.0.0", "::", ""):
        port = url.rsplit(":", 1)[1]
        local = f"http://127.0.0.1:{port}" if host == "0.0.0.0" else f"http://[::1]:{port}"
        lines.append(f"mockserver: listening on all interfaces ({host or '0.0.0.0'}), port {port}")
        base_url = local + base_url.removeprefix(url)
        url = local
    lines.insert(0, f"mockserver: serving the Images API at {base_url}")
    lines.append(f"mockserver: OPENAI_BASE_URL={base_url}")
    if config is not None:
        lines += [f"mockserver: {line}" for line in _more_start_up_lines(url, config)]
    return lines


def _more_start_up_lines(url: str, config: Config) -> list[str]:
    """Where the control API is, how to stop the fake, and what it logs."""
    access = "with --admin-token's bearer token" if config.admin_token else "from this machine only"
    lines = [f"control API at {url}/_mock/ ({access}); an index of both at {url}/",
             "stop it with Ctrl+C (or SIGTERM)"]
    if config.access_log == "off":
        lines.append("access log off (--quiet)")
    else:
        lines.append(f"logging one {config.access_log} line per request below (--quiet turns it off)")
    return lines


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
        listen, config = options(args, os.environ)
    except InputError as exc:
        print(f"mockserver: {exc}", file=sys.stderr)
        return 2
    server = LiveServer(create_app(config), listen.host, listen.port, threads=listen.threads)
    try:
        server.bind()
    except OSError as exc:
        print(f"mockserver: cannot listen on {listen.host}:{listen.port}: {exc}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: _stop_soon(server))
    for line in announce(listen.host, server.url, server.base_url, config):
        print(line, flush=True)
    try:
        server.serve_forever()  # returns once stopped
    except KeyboardInterrupt:
        _stop_soon(server)
    _exit_now()


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
