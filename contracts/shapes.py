"""Response shapes: what a successful answer and an error envelope look like.

Each check returns a list of problems (empty when the value fits), so tests can
print every difference at once and the conformance report can quote them.
"""

from __future__ import annotations

from typing import Any

ERROR_KEYS = ("message", "type", "param", "code")  # [spec] Error: all four required
DALL_E_RESPONSE_KEYS = frozenset({"created", "data"})  # [obs] dall-e-2 answers
# [spec] ImagesResponse of a GPT image model; safety_identifier [sdk-py] when one was given.
GPT_RESPONSE_KEYS = frozenset({"created", "data", "background", "output_format", "size", "quality", "usage"})
GPT_OPTIONAL_KEYS = frozenset({"safety_identifier"})
USAGE_KEYS = frozenset({"input_tokens", "input_tokens_details", "output_tokens", "total_tokens"})  # [spec]
USAGE_DETAIL_KEYS = frozenset({"text_tokens", "image_tokens"})  # [spec] ImageGenUsage.input_tokens_details


def images_response_problems(
    body: Any, *, n: int, response_format: str, gpt: bool = False, revised_prompt: bool = False
) -> list[str]:
    """Problems with an ``ImagesResponse`` answering a request for ``n`` images: the DALL·E shape,
    or with ``gpt`` today's GPT shape (b64_json items, background, output_format, size, quality,
    usage); ``revised_prompt``: each item also carries one (dall-e-3)."""
    if not isinstance(body, dict):
        return [f"body is {type(body).__name__}, not an object"]
    problems = []
    if gpt:
        response_format = "b64_json"
        if not GPT_RESPONSE_KEYS <= set(body) <= GPT_RESPONSE_KEYS | GPT_OPTIONAL_KEYS:
            problems.append(f"keys are {sorted(body)}, expected {sorted(GPT_RESPONSE_KEYS)}")
        problems += usage_problems(body.get("usage"))
        if body.get("quality") == "auto" or body.get("size") == "auto" or body.get("background") == "auto":
            problems.append("quality, size and background must be resolved, never 'auto'")
    elif set(body) != DALL_E_RESPONSE_KEYS:
        problems.append(f"keys are {sorted(body)}, expected {sorted(DALL_E_RESPONSE_KEYS)}")
    created = body.get("created")
    if isinstance(created, bool) or not isinstance(created, int):
        problems.append(f"created is {created!r}, not an integer")
    data = body.get("data")
    if not isinstance(data, list):
        return [*problems, f"data is {type(data).__name__}, not an array"]
    if len(data) != n:
        problems.append(f"data has {len(data)} items, expected {n}")
    expected = {response_format, "revised_prompt"} if revised_prompt else {response_format}
    for i, item in enumerate(data):
        if not isinstance(item, dict) or set(item) != expected:
            problems.append(f"data[{i}] is {item!r:.80}, expected exactly {sorted(expected)}")
            continue
        for key in sorted(expected):
            if not isinstance(item[key], str) or not item[key]:
                problems.append(f"data[{i}].{key} is not a non-empty string")
    return problems


def usage_problems(usage: Any) -> list[str]:
    """Problems with a GPT answer's ``usage`` object [spec ImageGenUsage]."""
    if not isinstance(usage, dict):
        return [f"usage is {usage!r:.80}, not an object"]
    problems = []
    if not set(usage) >= USAGE_KEYS:
        problems.append(f"usage keys are {sorted(usage)}, expected at least {sorted(USAGE_KEYS)}")
    details = usage.get("input_tokens_details")
    if not isinstance(details, dict) or set(details) != USAGE_DETAIL_KEYS:
        problems.append(f"usage.input_tokens_details is {details!r:.80}")
    values = [usage.get(k) for k in ("input_tokens", "output_tokens", "total_tokens")]
    numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool) and v >= 0]
    if len(numbers) != len(values):
        problems.append(f"usage token counts are not non-negative integers: {values}")
    elif numbers[0] + numbers[1] != numbers[2]:
        problems.append(f"usage.total_tokens {numbers[2]} is not input + output ({numbers[0]} + {numbers[1]})")
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
