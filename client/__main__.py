"""``python -m client``: generate, edit or vary images and save the PNGs.

    python -m client generate "a white siamese cat" -n 2 --size 512x512 --out DIR
    python -m client edit IMAGE --prompt "add a hat" [--mask MASK]
    python -m client variation IMAGE
    python -m client sample-images [--out DIR]   # the files the guide's legacy examples open

Reads OPENAI_BASE_URL and OPENAI_API_KEY (``--base-url``/``--api-key`` win).
Prints the saved paths on stdout, one per line; progress and errors go to
stderr. Exit status: 0 done, 1 the API (or a download) failed, 2 bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from client._client import API_KEY_ENV, BASE_URL_ENV, ImagesClient
from client._errors import ImagesError
from client._results import ImagesResult
from client._retry import DEFAULT_MAX_RETRIES
from client._samples import write_samples
from contracts.spec import DALL_E_2, REAL_BASE_URL
from contracts.version import program, version

EXIT_API_ERROR = 1
EXIT_USAGE = 2


def _connection_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    # Accepted before or after the command; SUPPRESS keeps a subcommand from resetting
    # a value given before it to the default.
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--base-url", default=default, help=f"API base URL (env {BASE_URL_ENV}; default {REAL_BASE_URL})"
    )
    parser.add_argument("--api-key", default=default, help=f"API key (env {API_KEY_ENV})")
    parser.add_argument("--timeout", type=float, default=default,
                        help="seconds to wait for an answer (default: 5 to connect, 600 to answer)")
    parser.add_argument("--max-retries", type=int, default=default,
                        help=f"retries on 408/409/429/5xx and connection errors (default {DEFAULT_MAX_RETRIES})")


def _image_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-n", type=int, help=f"how many images ({DALL_E_2.n_min}-{DALL_E_2.n_max}; server default {DALL_E_2.default_n})"
    )
    parser.add_argument("--size", help=f"one of {', '.join(DALL_E_2.sizes)} (server default {DALL_E_2.default_size})")
    parser.add_argument("--format", dest="response_format", choices=DALL_E_2.response_formats,
                        help="how the API returns images (server default url)")
    parser.add_argument("--model", help=f"model name (server default {DALL_E_2.name})")
    parser.add_argument("--user", help="end-user id passed to the API")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the PNGs (default: current)")
    parser.add_argument("--prefix", help="file name prefix (default: <command>-<created>)")
    _connection_options(parser, suppress=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=program("python -m client"),
                                     description="Create images with the Images API.")
    parser.add_argument("--version", action="version", version=version())
    _connection_options(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    generate = commands.add_parser("generate", help="images from a prompt")
    generate.add_argument("prompt")
    _image_options(generate)

    edit = commands.add_parser("edit", help="repaint the transparent part of an image")
    edit.add_argument("image", type=Path)
    edit.add_argument("--prompt", required=True)
    edit.add_argument("--mask", type=Path, help="PNG whose transparent part marks what to repaint")
    _image_options(edit)

    variation = commands.add_parser("variation", help="variations of an image")
    variation.add_argument("image", type=Path)
    _image_options(variation)

    samples = commands.add_parser(
        "sample-images", help="write sunlit_lounge.png, mask.png and corgi_and_cat_paw.png, the files "
        "the guide's legacy examples open (no API call)")
    samples.add_argument("--out", type=Path, default=Path("."), help="folder for the PNGs (default: current)")
    return parser


def _call(client: ImagesClient, args: argparse.Namespace) -> ImagesResult:
    common = {"model": args.model, "n": args.n, "size": args.size,
              "response_format": args.response_format, "user": args.user}
    if args.command == "generate":
        return client.generate(args.prompt, **common)
    if args.command == "edit":
        return client.edit(args.image, prompt=args.prompt, mask=args.mask, **common)
    return client.create_variation(args.image, **common)


def one_line(text: str, limit: int = 600) -> str:
    """``text`` on one line (an HTML error page has many), cut to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "sample-images":
        try:
            for sample in write_samples(args.out):
                print(sample)
        except OSError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_API_ERROR
        return 0
    if not (args.api_key or os.environ.get(API_KEY_ENV)):
        parser.error(f"no API key: pass --api-key or set {API_KEY_ENV}")
    for name in ("image", "mask"):
        path = getattr(args, name, None)
        if path is not None and not path.is_file():
            parser.error(f"{name} {str(path)!r} is not a readable file")
    if args.max_retries is not None and args.max_retries < 0:
        parser.error("--max-retries must be 0 or more")
    # Only what was given: from_env fills the rest from the environment and the defaults.
    options = {name: getattr(args, name) for name in ("base_url", "api_key", "timeout", "max_retries")}
    options = {name: value for name, value in options.items() if value is not None}

    def progress(index: int, total: int) -> None:
        if total > 1:
            print(f"downloading {index}/{total}", file=sys.stderr, flush=True)

    try:
        with ImagesClient.from_env(**options) as client:
            result = _call(client, args)
            prefix = args.prefix or f"{args.command}-{result.created}"
            fetching = any(item.url is not None and item.b64_json is None for item in result.data)
            paths = result.save_all(args.out, prefix, progress=progress if fetching else None)
    except (ImagesError, OSError) as exc:  # OSError: the output folder cannot be written
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_API_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
