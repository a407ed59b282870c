"""``python -m mockserver``: start a fake in the foreground and print its base URL."""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys
from collections.abc import Mapping, Sequence

from contracts import timeline
from contracts.headers import WOULD_FAIL_TODAY
from contracts.models import GENERATIONS
from contracts.spec import API_PREFIX, CONTROL_PREFIX, ENDPOINTS, REAL_BASE_URL
from contracts.timeline import TODAY
from contracts.version import program, version
from mockserver.app import create_app
from mockserver.http.lifecycle import Stopping, exit_now
from mockserver.http.server import LiveServer, listening_socket, url_of
from mockserver.http.workers import Supervisor
from mockserver.settings.config import Config, ServerOptions, shown
from mockserver.settings.inputs import InputError, add_flags, given
from mockserver.state import StateUnavailable


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


def announce(host: str, url: str, base_url: str, config: Config | None = None, *, state: str | None = None,
             pids: Sequence[int] = ()) -> list[str]:
    """The start-up lines. A wildcard address is where the fake listens, not where a client
    can reach it: the printed URLs are then the loopback ones. ``state``: the Redis URL the
    fake keeps its state in (its password hidden); ``pids``: the workers of ``--workers``."""
    lines = []
    if host in ("0.0.0.0", "::", ""):
        port = url.rsplit(":", 1)[1]
        local = f"http://127.0.0.1:{port}" if host == "0.0.0.0" else f"http://[::1]:{port}"
        lines.append(f"mockserver: listening on all interfaces ({host or '0.0.0.0'}), port {port}")
        base_url = local + base_url.removeprefix(url)
        url = local
    lines.insert(0, f"mockserver: serving the Images API at {base_url}")
    lines.append(f"mockserver: OPENAI_BASE_URL={base_url}")
    if len(pids) > 1:
        lines.append(f"mockserver: {len(pids)} workers on this port (pids {', '.join(map(str, pids))})")
    if state is not None:
        lines.append(f"mockserver: state shared in Redis at {shown(state)}: every fake given "
                     "this --state is one fake")
    if config is not None:
        lines += [f"mockserver: {line}" for line in _more_start_up_lines(url, config)]
    return lines


def _more_start_up_lines(url: str, config: Config) -> list[str]:
    """Which era is served, where the control API is, how to stop the fake, and what it logs."""
    access = "with --admin-token's bearer token" if config.admin_token else "from this machine only"
    if config.record is not None:
        first = [_record_line(config)]
    elif config.replay is not None:  # the fake's own era only answers what the cassettes do not
        first = [_replay_line(config), *([_era_line(config)] if config.replay_fallback == "fake" else [])]
    else:
        first = [_era_line(config)]
    lines = [*first,
             f"control API at {url}{CONTROL_PREFIX}/ ({access}); an index of both at {url}/",
             "stop it with Ctrl+C (or SIGTERM)"]
    if config.access_log == "off":
        lines.append("access log off (--quiet)")
    else:
        lines.append(f"logging one {config.access_log} line per request below (--quiet turns it off)")
    return lines


def _era_line(config: Config) -> str:
    """Which era the fake serves, and how to get today's service."""
    if config.as_of is None:
        default = ENDPOINTS[GENERATIONS].default_model
        return (f"serving the guide's contract (every model; a request with no model gets {default}); answers "
                f"today's service refuses carry {WOULD_FAIL_TODAY}; --as-of {TODAY} serves today's")
    if config.as_of == timeline.today():
        return f"serving today's service (as of {config.as_of})"
    return f"serving the service as of {config.as_of}; --as-of {TODAY} serves today's"


def _record_line(config: Config) -> str:
    """--record: where /v1 goes, and where it is written."""
    return (f"recording: {API_PREFIX}/ is forwarded to {config.upstream or REAL_BASE_URL} with each client's own "
            f"credentials; every exchange is written to a cassette in {config.record} "
            "(keys, organization and cookies redacted)")


def _replay_line(config: Config) -> str:
    """--replay: where the answers come from, and what an unmatched request gets."""
    unmatched = ("the fake's own answer" if config.replay_fallback == "fake"
                 else "404 no_recorded_match naming the nearest recorded requests")
    return (f"replaying: {API_PREFIX}/ is answered from the cassettes in {config.replay}; "
            f"a request none matches gets {unmatched}")


def _limit_malloc_arenas() -> None:
    """glibc gives each worker thread its own malloc arena and keeps freed render buffers
    in each: with 16 threads that held about 170 MB after a burst of large renders, against
    about 75 MB with two arenas (bench/bench_startup.py). No-op off glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, 2)  # M_ARENA_MAX
        # A fixed mmap threshold: glibc otherwise raises it to the size of the last large buffer
        # freed (up to 32 MB), and the next 4K renders' buffers stay in the heap once freed.
        libc.mallopt(-3, 8 * 1024 * 1024)  # M_MMAP_THRESHOLD
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
    if listen.workers > 1:
        return _serve_workers(listen, config)
    try:
        app = create_app(config, state=listen.state)
    except StateUnavailable as exc:
        print(f"mockserver: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"mockserver: {exc}", file=sys.stderr)
        return 2
    server = LiveServer(app, listen.host, listen.port, threads=listen.threads)
    try:
        server.bind()
    except OSError as exc:
        print(f"mockserver: cannot listen on {listen.host}:{listen.port}: {exc}", file=sys.stderr)
        return 1
    stopping = Stopping(server)
    signal.signal(signal.SIGTERM, stopping.on_signal)
    signal.signal(signal.SIGINT, stopping.on_signal)
    for line in announce(listen.host, server.url, server.base_url, config, state=listen.state):
        print(line, flush=True)
    server.serve_forever()  # returns once stopping has closed the listening socket
    stopping.wait()
    exit_now(0)


def _serve_workers(listen: ServerOptions, config: Config) -> int:
    """``--workers N``: a parent and N pre-forked workers on one socket (mockserver/http/workers.py)."""
    try:
        sock = listening_socket(listen.host, listen.port)
    except OSError as exc:
        print(f"mockserver: cannot listen on {listen.host}:{listen.port}: {exc}", file=sys.stderr)
        return 1
    host, port = sock.getsockname()[:2]
    url = url_of(host, port)

    def start_up_lines(pids: Sequence[int]) -> list[str]:
        return announce(listen.host, url, url + API_PREFIX, config, state=listen.state, pids=pids)

    supervisor = Supervisor(
        sock, listen.workers,
        make_app=lambda: create_app(config, state=listen.state),
        serve=lambda app, shared: LiveServer(app, threads=listen.threads, sock=shared),
        start_up_lines=start_up_lines,
        grace=config.shutdown_grace_ms / 1000,
    )
    exit_now(supervisor.run())


if __name__ == "__main__":
    raise SystemExit(main())
