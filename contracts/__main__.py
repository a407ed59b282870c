"""``python -m contracts verify ...``: the conformance report (see :mod:`contracts.verify`);
``python -m contracts drift``: what the installed SDK's image types and the contract do not share
(see :mod:`contracts.drift`); ``python -m contracts parity DIR ...``: an endpoint against a recording (see
:mod:`contracts.parity`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from contracts.version import program, version

USAGE = "usage: {prog} [--help] [--version] COMMAND ..."
COMMANDS = {
    "verify": "check an endpoint against the contract, rule by rule (verify --base-url URL; verify --help)",
    "drift": "list what the installed openai package's image types and the contract do not share",
    "parity": "send a recording's requests to an endpoint and compare the answers (parity DIR --base-url URL)",
}
HELP = "\n".join([
    USAGE,
    "",
    "The OpenAI Images API contract as data, and the tools that use it.",
    "",
    "commands:",
    *(f"  {name:<8} {text}" for name, text in COMMANDS.items()),
    "",
    "options:",
    "  -h, --help  show this help message and exit",
    "  --version   show the version and exit",
])


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    prog = program("python -m contracts")
    if args[:1] in (["-h"], ["--help"]):
        print(HELP.format(prog=prog))
        return 0
    if args[:1] == ["--version"]:
        print(version())
        return 0
    if not args or args[0] not in COMMANDS:
        problem = f"unknown command {args[0]!r}" if args else "a command is needed"
        print(f"{USAGE.format(prog=prog)}\n{prog}: error: {problem}; the commands are: {', '.join(COMMANDS)} "
              "(--help says more)", file=sys.stderr)
        return 2
    if args[0] == "drift":  # imported here: `python -m contracts` alone stays light
        from contracts.drift import main as drift

        return drift(args[1:])
    if args[0] == "parity":  # (requests and Pillow, which every install has)
        from contracts.parity import main as parity

        return parity(args[1:])
    try:  # imported here: `python -m contracts` alone stays light
        from contracts.verify import main as verify
    except ModuleNotFoundError as exc:  # the test extra (Hypothesis, which draws the examples)
        print(f"{prog} verify needs {exc.name!r}: pip install 'images-api-twin[test]'", file=sys.stderr)
        return 2
    return verify(args[1:])


def verify(argv: Sequence[str] | None = None) -> int:
    """``images-verify ARGS``: ``python -m contracts verify ARGS``, as a console script of its own."""
    return main(["verify", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
