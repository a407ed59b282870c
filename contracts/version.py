"""The installed distribution's version, for every command's ``--version``."""

from __future__ import annotations

import os
import sys
from importlib import metadata

DISTRIBUTION = "images-api-twin"


def version() -> str:
    """``images-api-twin 0.2.0``, from the installed package's metadata."""
    try:
        return f"{DISTRIBUTION} {metadata.version(DISTRIBUTION)}"
    except metadata.PackageNotFoundError:
        return f"{DISTRIBUTION} (version unknown: not installed; pip install -e .)"


def program(module_form: str) -> str:
    """The name to show in a usage line: the console script's when run as one, else ``module_form``.

    A console script stands for the words of ``module_form`` up to its own name's: ``images-verify``
    for ``python -m contracts verify``; ``images-contracts`` for ``python -m contracts``, so the
    verify command it runs is ``images-contracts verify``."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if not name or name.endswith(".py") or name in ("-c", "-m", "__main__"):
        return module_form
    words = module_form.split()
    stands_for = name.removeprefix("images-")
    if stands_for in words:
        return " ".join([name, *words[words.index(stands_for) + 1:]])
    return name
