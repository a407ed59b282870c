"""``python -m contracts verify ...``: the conformance report (see :mod:`contracts.verify`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

USAGE = "usage: python -m contracts verify --base-url URL [--api-key KEY] [--budget N] ...  (verify --help)"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "verify":
        print(USAGE, file=sys.stderr)
        return 2
    try:  # imported here: `python -m contracts` alone stays light
        from contracts.verify import main as verify
    except ModuleNotFoundError as exc:  # the test extra (Hypothesis, which draws the examples)
        print(f"python -m contracts verify needs {exc.name!r}: pip install 'images-api-twin[test]'", file=sys.stderr)
        return 2
    return verify(args[1:])


if __name__ == "__main__":
    sys.exit(main())
