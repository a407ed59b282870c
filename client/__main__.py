"""``python -m client``: generate, edit or vary images and save them.

    python -m client generate "a white siamese cat" -n 2 --size 512x512 --out DIR
    python -m client generate "a cat" --model gpt-image-1.5 --quality low --output-format jpeg
    python -m client generate "a cat" --model gpt-image-1.5 --stream --partial-images 2   # paths as they arrive
    python -m client edit IMAGE [IMAGE ...] --prompt "add a hat" [--mask MASK]
    python -m client edit https://example.com/a.png data:image/png;base64,... --prompt "..."
    python -m client variation IMAGE
    python -m client sample-images [--out DIR]   # the files the guide's legacy examples open

Every image parameter is an option fed from one table (:data:`OPTIONS`). An edit's IMAGE
may be a file, or a URL (``http(s):`` or ``data:``) that sends the edit as JSON; so may MASK.
Images are saved with the extension of their format (``.png``, ``.jpg``, ``.webp``, ...).

Reads OPENAI_BASE_URL and OPENAI_API_KEY (``--base-url``/``--api-key`` win).
Prints the saved paths on stdout, one per line; progress and errors go to
stderr. Exit status: 0 done, 1 the API (or a download) failed, 2 bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from client._client import API_KEY_ENV, BASE_URL_ENV, ImagesClient
from client._errors import ImagesError
from client._images import ImageRef
from client._results import ImagesResult
from client._retry import DEFAULT_MAX_RETRIES
from client._samples import write_samples
from client._stream import ImageEvent, ImageStream, PartialImageEvent
from contracts.models import DALL_E_2, GPT_DEFAULT_MODEL, MODELS
from contracts.spec import REAL_BASE_URL
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


GENERATE, EDIT, VARIATION = "generate", "edit", "variation"
_ALL = frozenset({GENERATE, EDIT, VARIATION})
_GPT = frozenset({GENERATE, EDIT})


@dataclass(frozen=True)
class Option:
    """One image parameter on the command line: the client's keyword, its flags, how to read
    its value, its help, and the commands that take it."""

    name: str
    flags: tuple[str, ...]
    help: str
    commands: frozenset[str] = _GPT
    type: Callable[[str], object] = str
    choices: tuple[str, ...] | None = None
    switch: bool = False  # a flag with no value (store_true)


_GPT_DEFAULT = MODELS[GPT_DEFAULT_MODEL]


def _values(attribute: str) -> str:
    """Every value some model takes for a choice parameter, in the contract's order."""
    choices = [getattr(profile, attribute) for profile in MODELS.values()]
    return ", ".join(dict.fromkeys(value for choice in choices if choice is not None for value in choice.values))


# The one table: build_parser() adds these options and _call() passes them on. Which values a
# model takes is the server's to say; the help names the defaults of the seed model.
OPTIONS: tuple[Option, ...] = (
    Option("n", ("-n",), f"how many images ({DALL_E_2.n_min}-{DALL_E_2.n_max}; "
           f"server default {DALL_E_2.default_n})", _ALL, int),
    Option("size", ("--size",), f"WIDTHxHEIGHT or auto, as the model allows "
           f"({', '.join(DALL_E_2.sizes)} for {DALL_E_2.name}; server default {DALL_E_2.default_size})", _ALL),
    Option("response_format", ("--format",), "how a DALL·E model returns images (server default url; "
           "GPT image models always return b64_json)", _ALL, choices=DALL_E_2.response_formats),
    Option("model", ("--model",), f"model name (server default {DALL_E_2.name})", _ALL),
    Option("user", ("--user",), "end-user id passed to the API (deprecated for --safety-identifier)", _ALL),
    Option("quality", ("--quality",), f"{_values('quality')}, as the model takes"),
    Option("style", ("--style",), f"{_values('style')} (dall-e-3)", frozenset({GENERATE})),
    Option("background", ("--background",), f"{_values('background')} (GPT image models)"),
    Option("output_format", ("--output-format",), f"{_values('output_format')}, as the model takes "
           "(GPT image models; server default png)"),
    Option("output_compression", ("--compression",), f"{_GPT_DEFAULT.compression_min}-"
           f"{_GPT_DEFAULT.compression_max}, for {' and '.join(_GPT_DEFAULT.compression_formats)} output", type=int),
    Option("moderation", ("--moderation",), f"{_values('moderation')} (GPT image models)"),
    Option("input_fidelity", ("--input-fidelity",), f"{_values('input_fidelity')}: how closely an edit keeps "
           "its inputs", frozenset({EDIT})),
    Option("safety_identifier", ("--safety-identifier",), "a stable, hashed id of your end user"),
    Option("frame_count", ("--frame-count",), "frames of an animated gif", type=int),
    Option("frame_duration_ms", ("--frame-duration-ms",), "milliseconds per frame of an animated gif", type=int),
    Option("stream", ("--stream",), "stream the answer: save each partial image and the final one, printing "
           "their paths as they arrive (GPT image models)", switch=True),
    Option("partial_images", ("--partial-images",), "partial images per image when streaming (0-3)", type=int),
)


def _image_options(parser: argparse.ArgumentParser, command: str) -> None:
    for option in OPTIONS:
        if command in option.commands:
            if option.switch:
                parser.add_argument(*option.flags, dest=option.name, action="store_true", help=option.help)
            else:
                parser.add_argument(*option.flags, dest=option.name, type=option.type, choices=option.choices,
                                    help=option.help)
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the images (default: current)")
    parser.add_argument("--prefix", help="file name prefix (default: <command>-<created>)")
    _connection_options(parser, suppress=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=program("python -m client"),
                                     description="Create images with the Images API.")
    parser.add_argument("--version", action="version", version=version())
    _connection_options(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    generate = commands.add_parser(GENERATE, help="images from a prompt")
    generate.add_argument("prompt")
    _image_options(generate, GENERATE)

    edit = commands.add_parser(EDIT, help="repaint images (the transparent part, or as the prompt says)")
    edit.add_argument("image", nargs="+", help="a file, or an http(s): or data: URL (then the edit is sent as JSON)")
    edit.add_argument("--prompt", required=True)
    edit.add_argument("--mask", help="PNG (file or URL) whose transparent part marks what to repaint")
    _image_options(edit, EDIT)

    variation = commands.add_parser(VARIATION, help="variations of an image (dall-e-2)")
    variation.add_argument("image", type=Path)
    _image_options(variation, VARIATION)

    samples = commands.add_parser(
        "sample-images", help="write sunlit_lounge.png, mask.png and corgi_and_cat_paw.png, the files "
        "the guide's legacy examples open (no API call)")
    samples.add_argument("--out", type=Path, default=Path("."), help="folder for the PNGs (default: current)")
    return parser


_URL_SCHEMES = ("http://", "https://", "data:")


def _picture(argument: str) -> Path | ImageRef:
    return ImageRef.url(argument) if argument.startswith(_URL_SCHEMES) else Path(argument)


def _call(client: ImagesClient, args: argparse.Namespace) -> ImagesResult | ImageStream:
    given = {option.name: getattr(args, option.name) for option in OPTIONS if args.command in option.commands}
    if args.command == GENERATE:
        return cast(ImagesResult | ImageStream, client.generate(args.prompt, **given))
    if args.command == EDIT:
        images = [_picture(argument) for argument in args.image]
        mask = _picture(args.mask) if args.mask is not None else None
        return cast(ImagesResult | ImageStream,
                    client.edit(images if len(images) > 1 else images[0], prompt=args.prompt, mask=mask, **given))
    return client.create_variation(args.image, **given)


def _save_event(event: ImageEvent, args: argparse.Namespace) -> Path:
    """A streamed event's image as ``<prefix>-<i>-partial-<k>.<ext>`` or, the final one, ``<prefix>-<i>.<ext>``
    (i the image's number from 1, k the partial image's index from 0)."""
    prefix = args.prefix or f"{args.command}-{event.created_at}"
    name = f"{prefix}-{event.output_index + 1}"
    if isinstance(event, PartialImageEvent):
        name += f"-partial-{event.partial_image_index}"
    return event.decode().save(Path(args.out) / name)


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
        given = getattr(args, name, None)
        for argument in given if isinstance(given, list) else [given]:
            if argument is None or str(argument).startswith(_URL_SCHEMES):
                continue
            if not Path(argument).is_file():
                parser.error(f"{name} {str(argument)!r} is not a readable file")
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
            if isinstance(result, ImageStream):
                with result:
                    for event in result:
                        print(_save_event(event, args), flush=True)
                return 0
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
