"""Run one seed document's Python examples in order, in ONE namespace, and report each.

Runs under the legacy venv's Python, in the working directory that holds the files the
examples open; it imports nothing of this project.

    python _seed_runner.py SNIPPETS_JSON REPORT_JSON

SNIPPETS_JSON is a list of ``{"label", "kind", "code"}``; REPORT_JSON receives
``{"openai_version", "api_base", "results": [...]}`` with, for each example, what it printed,
the traceback if it raised, and the ``response`` and ``image_url`` variables after it.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import traceback
from pathlib import Path
from typing import Any


def _plain(value: Any) -> Any:
    """A JSON-able copy of an SDK object (OpenAIObject is a dict), or its repr."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return repr(value)


def main(argv: list[str]) -> int:
    snippets = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    namespace: dict[str, Any] = {"__name__": "__seed__"}
    results = []
    for snippet in snippets:
        printed = io.StringIO()
        error = None
        try:
            code = compile(snippet["code"], f"<{snippet['label']}>", "exec")
            with contextlib.redirect_stdout(printed):
                exec(code, namespace)
        except Exception:  # reported, and the next example still runs
            error = traceback.format_exc()
        results.append(
            {
                "label": snippet["label"],
                "kind": snippet["kind"],
                "stdout": printed.getvalue(),
                "error": error,
                "response": _plain(namespace.get("response")),
                "image_url": namespace.get("image_url"),
            }
        )
    import openai  # the examples imported it; read what they ran against

    report = {
        "openai_version": openai.version.VERSION,
        "api_base": getattr(openai, "api_base", None),
        "results": results,
    }
    Path(argv[2]).write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
