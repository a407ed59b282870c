"""``python -m mockserver``: start a fake in the foreground and print its base URL."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from typing import Any

from mockserver.app import create_app
from mockserver.config import Config, settings
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
    parser.add_argument("--threads", type=int, default=16, help="Worker threads (default: %(default)s).")
    for f in settings():
        flag = f.metadata.get("cli")
        if not flag:
            continue
        kind: Any = int if f.type in ("int", int) else str
        if f.metadata.get("repeat"):
            parser.add_argument(flag, dest=f.name, action="append", type=str, help=f.metadata["help"])
        else:
            parser.add_argument(flag, dest=f.name, type=kind, help=f.metadata["help"])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    overrides = {
        f.name: (tuple(v) if f.metadata.get("repeat") else v)
        for f in settings()
        if (v := getattr(args, f.name, None)) is not None
    }
    try:
        config = Config().replace(**overrides)
    except ValueError as exc:
        print(f"mockserver: {exc}", file=sys.stderr)
        return 2
    server = LiveServer(create_app(config), args.host, args.port, threads=args.threads)
    try:
        server.bind()
    except OSError as exc:
        print(f"mockserver: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"mockserver: serving the Images API at {server.base_url}", flush=True)
    print(f"mockserver: OPENAI_BASE_URL={server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    # Stopping cheroot from inside a signal handler would wait on the loop it
    # interrupted; leave the loop instead, and stop it in main's finally.
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit(main())
