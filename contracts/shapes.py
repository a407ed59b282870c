"""Response shapes: what a successful answer and an error envelope look like.

Each check returns a list of problems (empty when the value fits), so tests can
print every difference at once and the conformance report can quote them.
"""

from __future__ import annotations

from typing import Any

ERROR_KEYS = ("message", "type", "param", "code")  # [spec] Error: all four required
DALL_E_RESPONSE_KEYS = frozenset({"created", "data"})  # [obs] dall-e-2 answers


def images_response_problems(body: Any, *, n: int, response_format: str) -> list[str]:
    """Problems with a DALL·E ``ImagesResponse`` answering a request for ``n`` images."""
    if not isinstance(body, dict):
        return [f"body is {type(body).__name__}, not an object"]
    problems = []
    if set(body) != DALL_E_RESPONSE_KEYS:
        problems.append(f"keys are {sorted(body)}, expected {sorted(DALL_E_RESPONSE_KEYS)}")
    created = body.get("created")
    if isinstance(created, bool) or not isinstance(created, int):
        problems.append(f"created is {created!r}, not an integer")
    data = body.get("data")
    if not isinstance(data, list):
        return [*problems, f"data is {type(data).__name__}, not an array"]
    if len(data) != n:
        problems.append(f"data has {len(data)} items, expected {n}")
    for i, item in enumerate(data):
        if not isinstance(item, dict) or set(item) != {response_format}:
            problems.append(f"data[{i}] is {item!r:.80}, expected exactly {{{response_format!r}}}")
        elif not isinstance(item[response_format], str) or not item[response_format]:
            problems.append(f"data[{i}].{response_format} is not a non-empty string")
    return problems


def error_envelope_problems(body: Any) -> list[str]:
    """Problems with an ``{"error": {...}}`` envelope."""
    if not isinstance(body, dict) or set(body) != {"error"}:
        return [f"body is not an error envelope: {body!r:.120}"]
    err = body["error"]
    if not isinstance(err, dict):
        return ["error is not an object"]
    problems = [f"error has no {key!r}" for key in ERROR_KEYS if key not in err]
    for key in ("message", "type"):
        if not isinstance(err.get(key), str):
            problems.append(f"error.{key} is not a string")
    for key in ("param", "code"):
        if err.get(key) is not None and not isinstance(err.get(key), str):
            problems.append(f"error.{key} is neither a string nor null")
    return problems
