"""Response shapes: what a successful answer and an error envelope look like, written once and
read two ways.

* **Exactly** (:func:`images_response_problems`, :func:`usage_problems`): the keys the contract
  promises and no others; the conformance report's oracle and the fake's tests.
* **Readably** (:func:`readable_response_problems`, :func:`readable_usage_problems`): what a client
  needs to read an answer, lenient where the API may grow (a field it does not know is no problem,
  a known field of the wrong type is); the reference client's validation.

Each check returns a list of problems (empty when the value fits), so tests can print every
difference at once and the conformance report can quote them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ERROR_KEYS = ("message", "type", "param", "code")  # [spec] Error: all four required
# [spec] Image: each item of `data` carries its picture one way, and dall-e-3 a revised_prompt.
IMAGE_KINDS = ("url", "b64_json")
REVISED_PROMPT = "revised_prompt"
# [spec] ImagesResponse of a GPT image model: the settings it answered with (never "auto").
REPORTED_SETTINGS = ("background", "output_format", "quality", "size")
DALL_E_RESPONSE_KEYS = frozenset({"created", "data"})  # [obs] dall-e-2 answers
GPT_RESPONSE_KEYS = DALL_E_RESPONSE_KEYS | {*REPORTED_SETTINGS, "usage"}
SVG_USAGE = "svg_usage"  # [sdk-py] ImagesResponse.svg_usage: an SVG answer's authoring tokens
GPT_OPTIONAL_KEYS = frozenset({"safety_identifier", SVG_USAGE})  # [sdk-py] when one was given; SVG answers
# [spec] ImageGenUsage: token counts, and the split of the input (and optionally the output).
USAGE_COUNTS = ("input_tokens", "output_tokens", "total_tokens")
USAGE_DETAILS = ("input_tokens_details", "output_tokens_details")
OPTIONAL_USAGE_DETAILS = frozenset({"output_tokens_details"})
USAGE_KEYS = frozenset({*USAGE_COUNTS, *(d for d in USAGE_DETAILS if d not in OPTIONAL_USAGE_DETAILS)})
USAGE_DETAIL_FIELDS = ("text_tokens", "image_tokens")  # [spec] ImageGenUsage.input_tokens_details
USAGE_DETAIL_KEYS = frozenset(USAGE_DETAIL_FIELDS)
# [sdk-py images_response.py] SvgUsage: four counts and the author model's name.
SVG_USAGE_COUNTS = ("input_tokens", "output_tokens", "reasoning_tokens", "total_tokens")
SVG_USAGE_KEYS = frozenset({*SVG_USAGE_COUNTS, "model"})


def images_response_problems(
    body: Any, *, n: int, response_format: str, gpt: bool = False, revised_prompt: bool = False,
    svg: bool | None = None,
) -> list[str]:
    """Problems with an ``ImagesResponse`` answering a request for ``n`` images: the DALL·E shape,
    or with ``gpt`` today's GPT shape (b64_json items, background, output_format, size, quality,
    usage); ``revised_prompt``: each item also carries one (dall-e-3); ``svg``: an answer of SVG
    output, which carries ``svg_usage`` (True), or of another format, which does not (False); None:
    either."""
    if not isinstance(body, dict):
        return [f"body is {type(body).__name__}, not an object"]
    problems = []
    if gpt:
        response_format = "b64_json"
        if not GPT_RESPONSE_KEYS <= set(body) <= GPT_RESPONSE_KEYS | GPT_OPTIONAL_KEYS:
            problems.append(f"keys are {sorted(body)}, expected {sorted(GPT_RESPONSE_KEYS)}")
        problems += usage_problems(body.get("usage"))
        if SVG_USAGE in body:
            problems += svg_usage_problems(body[SVG_USAGE])
        if svg is not None and (SVG_USAGE in body) != svg:
            problems.append(f"svg_usage is {'missing' if svg else 'there'}: expected only in an SVG answer")
        # What a client could not read is no answer as promised either.
        problems += [f"{key} is {body[key]!r:.60}, not a string" for key in REPORTED_SETTINGS
                     if key in body and not isinstance(body[key], str)]
        if any(body.get(key) == "auto" for key in ("quality", "size", "background")):
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
    expected = {response_format, REVISED_PROMPT} if revised_prompt else {response_format}
    for i, item in enumerate(data):
        if not isinstance(item, dict) or set(item) != expected:
            problems.append(f"data[{i}] is {item!r:.80}, expected exactly {sorted(expected)}")
            continue
        for key in sorted(expected):
            if not isinstance(item[key], str) or not item[key]:
                problems.append(f"data[{i}].{key} is not a non-empty string")
    return problems


def usage_problems(usage: Any) -> list[str]:
    """Problems with a GPT answer's ``usage`` object [spec ImageGenUsage]: what a client could not
    read (:func:`readable_usage_problems`), then the keys promised, counts below 0, and a total
    that is not input + output."""
    problems = readable_usage_problems(usage)
    if not isinstance(usage, Mapping):
        return problems
    if not set(usage) >= USAGE_KEYS:
        problems.append(f"usage keys are {sorted(usage)}, expected at least {sorted(USAGE_KEYS)}")
    for name in USAGE_DETAILS:
        details = usage.get(name)
        if isinstance(details, Mapping) and set(details) != USAGE_DETAIL_KEYS:
            problems.append(f"usage.{name} is {details!r:.80}")
    values: list[int] = [usage[k] for k in USAGE_COUNTS if _is_int(usage.get(k))]
    if len(values) == len(USAGE_COUNTS):
        if min(values) < 0:
            problems.append(f"usage token counts are not non-negative integers: {values}")
        elif values[0] + values[1] != values[2]:
            problems.append(f"usage.total_tokens {values[2]} is not input + output ({values[0]} + {values[1]})")
    return problems


def svg_usage_problems(value: Any) -> list[str]:
    """Problems with an SVG answer's ``svg_usage`` [sdk-py SvgUsage]: exactly its keys, counts that are
    non-negative integers, a total that is input + output, and reasoning within the output."""
    problems = readable_svg_usage_problems(value)
    if problems or not isinstance(value, Mapping):
        return problems
    if set(value) != SVG_USAGE_KEYS:
        problems.append(f"svg_usage keys are {sorted(value)}, expected {sorted(SVG_USAGE_KEYS)}")
    counts = {key: value[key] for key in SVG_USAGE_COUNTS}
    if min(counts.values()) < 0:
        problems.append(f"svg_usage token counts are not non-negative integers: {counts}")
    elif counts["input_tokens"] + counts["output_tokens"] != counts["total_tokens"]:
        problems.append(f"svg_usage.total_tokens is not input + output: {counts}")
    elif counts["reasoning_tokens"] > counts["output_tokens"]:
        problems.append(f"svg_usage.reasoning_tokens exceed its output_tokens: {counts}")
    return problems


# --- read by a client: what it needs, lenient where the API may grow ------------------------


def readable_svg_usage_problems(value: Any) -> list[str]:
    """Problems a client meets reading ``svg_usage``: no object, counts that are no integers, a model that
    is no string."""
    if not isinstance(value, Mapping):
        return [f"svg_usage is {type(value).__name__}, not an object"]
    problems = [f"svg_usage.{key} is {value.get(key)!r}, not an integer"
                for key in SVG_USAGE_COUNTS if not _is_int(value.get(key))]
    if not isinstance(value.get("model"), str):
        problems.append(f"svg_usage.model is {value.get('model')!r:.60}, not a string")
    return problems


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def readable_usage_problems(usage: Any) -> list[str]:
    """Problems a client meets reading a GPT answer's ``usage``: counts that are no integers, token
    details that are no objects (the output's may be missing)."""
    if not isinstance(usage, Mapping):
        return [f"usage is {type(usage).__name__}, not an object"]
    problems = [f"usage.{key} is {usage.get(key)!r}, not an integer"
                for key in USAGE_COUNTS if not _is_int(usage.get(key))]
    for name in USAGE_DETAILS:
        details = usage.get(name)
        if details is None and name in OPTIONAL_USAGE_DETAILS:
            continue
        if not isinstance(details, Mapping):
            problems.append(f"usage.{name} is {details!r:.60}, not an object")
            continue
        problems += [f"usage.{name}.{key} is {details.get(key)!r}, not an integer"
                     for key in USAGE_DETAIL_FIELDS if not _is_int(details.get(key))]
    return problems


def readable_response_problems(body: Any, *, n: int | None, response_format: str | None) -> list[str]:
    """What keeps a client from reading an images answer to a request for ``n`` images (None: any
    number) in ``response_format`` (None: url or b64_json). Unknown fields are not problems."""
    if not isinstance(body, Mapping):
        return [f"body is {type(body).__name__}, not an object"]
    problems = []
    if not _is_int(body.get("created")):
        problems.append(f"created is {body.get('created')!r}, not an integer")
    for key in REPORTED_SETTINGS:
        if body.get(key) is not None and not isinstance(body[key], str):
            problems.append(f"{key} is {body[key]!r:.60}, not a string")
    if body.get("usage") is not None:
        problems += readable_usage_problems(body["usage"])
    if body.get(SVG_USAGE) is not None:
        problems += readable_svg_usage_problems(body[SVG_USAGE])
    data = body.get("data")
    if not isinstance(data, list):
        return [*problems, f"data is {type(data).__name__}, not an array"]
    if n is not None and len(data) != n:
        problems.append(f"data has {len(data)} items, expected {n}")
    kinds = (response_format,) if response_format else IMAGE_KINDS
    for i, item in enumerate(data):
        if not isinstance(item, Mapping):
            problems.append(f"data[{i}] is {item!r:.80}, not an object")
            continue
        given = [kind for kind in IMAGE_KINDS if item.get(kind) is not None]
        if len(given) != 1 or given[0] not in kinds:
            problems.append(f"data[{i}] has {given or 'neither url nor b64_json'}, expected one of {list(kinds)}")
        elif not isinstance(item[given[0]], str) or not item[given[0]]:
            problems.append(f"data[{i}].{given[0]} is not a non-empty string")
        if item.get(REVISED_PROMPT) is not None and not isinstance(item[REVISED_PROMPT], str):
            problems.append(f"data[{i}].revised_prompt is not a string")
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
