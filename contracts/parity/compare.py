"""How an endpoint's answer differs from the recorded one, in what a client relies on.

Compared: the status; which of the API's headers are present (:data:`HEADERS`, their names
from :mod:`contracts.headers`) and the body's media type; every field of a JSON body, and its
type (an error's ``type``, ``code``, ``param`` and ``message`` by value, as every other value);
each image's format and size (decoded); a stream's event types in order, and each event as a
JSON body. Not compared: what must differ from one answer to the next (:data:`MUST_DIFFER`: ids,
``created``, the request id, image bytes, a generated ``revised_prompt``), header values.

A value that differs where the contract's data marks its source ``ASSUMPTION``
(:data:`contracts.usage.ANSWER_SOURCES`, e.g. token counts) is a :class:`Finding` with
``assumed`` set: what to correct in the contract, not a failure.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PIL import Image

from contracts import headers as names
from contracts import media, streaming
from contracts.cassette import REDACTED
from contracts.usage import ANSWER_SOURCES
from contracts.verify.sending import Answer

# The API's headers a client reads (presence only: their values are the request's, or the quota's).
HEADERS: tuple[str, ...] = (*names.RESPONSE_HEADERS, names.SHOULD_RETRY)
# Fields whose values differ from one answer to the next by nature (their type is still compared).
# ASSUMPTION (our choice): revised_prompt is generated text, new on every call, as the image is.
MUST_DIFFER = frozenset({"id", "created", "created_at", "url", "revised_prompt"})
IMAGE_FIELDS = frozenset({"b64_json"})  # compared decoded: format and size, never the bytes
EVENT_STREAM = "text/event-stream"
ASSUMPTION = "ASSUMPTION"
_INDEX = re.compile(r"\[\d+\]")
# A request id written into a text (a moderation refusal's message names its request): it must differ.
_REQUEST_ID = re.compile(re.escape(names.REQUEST_ID_PREFIX) + r"[0-9A-Za-z]{8,64}")
_SHOWN = 200  # characters of a value shown in a finding


@dataclass(frozen=True)
class Finding:
    """One difference: where (``where``: ``status``, ``header NAME``, a field's path, ``events``),
    what the recording has, what came back, and the contract's source when it assumed the value."""

    where: str
    recorded: str
    got: str
    source: str | None = None

    @property
    def assumed(self) -> bool:
        return self.source is not None and ASSUMPTION in self.source

    def __str__(self) -> str:
        text = f"{self.where}: recorded {self.recorded}, got {self.got}"
        return f"{text} (the contract: {self.source})" if self.source else text


def source_of(path: str) -> str | None:
    """The contract's source of the value at ``path`` (``data[0].usage.total_tokens`` reads as
    ``usage.total_tokens``, and so does a stream event's ``event 2 (...) usage.total_tokens``): the
    entry of :data:`ANSWER_SOURCES` naming it or a field above it."""
    keys = _INDEX.sub("", path.split(" ")[-1]).split(".")
    for end in range(len(keys), 0, -1):
        for start in range(end):  # the nearest place in the answer that has an entry
            found = ANSWER_SOURCES.get(".".join(keys[start:end]))
            if found is not None:
                return found
    return None


def media_type(answer: Answer) -> str:
    return answer.headers.get("content-type", "").split(";")[0].strip().lower()


def compare(recorded: Answer, got: Answer) -> list[Finding]:
    """Every difference a client would see between ``recorded`` and ``got`` (empty when none)."""
    found: list[Finding] = []
    if recorded.status != got.status:
        found.append(Finding("status", str(recorded.status), str(got.status)))
    kind, got_kind = media_type(recorded), media_type(got)
    if kind != got_kind:
        found.append(Finding("content-type", kind or "(none)", got_kind or "(none)"))
    elif kind == EVENT_STREAM:
        found += _compare_streams(recorded.content, got.content)
    elif recorded.is_json or got.is_json:
        _compare_json("", recorded.body, got.body, found)
    for had in (True, False):  # the headers the answer lost, then those it gained: one line each
        which = [n for n in HEADERS if (n in recorded.headers) == had and (n in got.headers) != had]
        if which:
            shown = ("present", "absent") if had else ("absent", "present")
            found.append(Finding(f"header{'s' if len(which) > 1 else ''} {', '.join(which)}", *shown))
    return found


def _compare_streams(recorded: bytes, got: bytes) -> list[Finding]:
    try:
        before = streaming.parse(recorded)
    except (ValueError, KeyError) as exc:
        return [Finding("events", "a stream that cannot be read", f"({exc})")]
    try:
        after = streaming.parse(got)
    except (ValueError, KeyError) as exc:
        return [Finding("events", describe_events(before), f"a stream that cannot be read ({exc})")]
    found: list[Finding] = []
    if [e.get("type") for e in before] != [e.get("type") for e in after]:
        found.append(Finding("events", describe_events(before), describe_events(after)))
    for index, (one, other) in enumerate(zip(before, after, strict=False)):
        if one.get("type") == other.get("type"):
            _compare_json(f"event {index + 1} ({one.get('type')}) ", one, other, found)
    return found


def describe_events(events: list[dict[str, Any]]) -> str:
    return "[" + ", ".join(str(e.get("type")) for e in events) + "]"


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array",
            dict: "object"}.get(type(value), type(value).__name__)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path and not path.endswith(" ") else f"{path}{key}"


def _compare_json(path: str, recorded: Any, got: Any, found: list[Finding]) -> None:
    where = path.strip() or "body"
    if _type_name(recorded) != _type_name(got):
        if isinstance(recorded, dict | list) or isinstance(got, dict | list):
            found.append(Finding(where, _type_name(recorded), _type_name(got)))
        else:  # two values: both shown (an error's code, a field's setting)
            found.append(Finding(where, f"{_shown(recorded)} ({_type_name(recorded)})",
                                 f"{_shown(got)} ({_type_name(got)})"))
        return
    if isinstance(recorded, dict):
        for key in recorded:
            if key not in got:
                found.append(Finding(_join(path, key), "present", "absent"))
        for key in got:
            if key not in recorded:
                found.append(Finding(_join(path, key), "absent", "present"))
        for key in recorded:
            if key in got:
                _compare_json(_join(path, key), recorded[key], got[key], found)
        return
    if isinstance(recorded, list):
        if len(recorded) != len(got):
            found.append(Finding(f"{where} (items)", str(len(recorded)), str(len(got))))
        for index, (one, other) in enumerate(zip(recorded, got, strict=False)):
            _compare_json(f"{path.rstrip()}[{index}]", one, other, found)
        return
    key = where.rsplit(".", 1)[-1].split(" ")[-1]
    if key in IMAGE_FIELDS and isinstance(recorded, str):
        one, other = describe_image(recorded), describe_image(got)
        if one != other:
            found.append(Finding(where, one, other))
        return
    if key in MUST_DIFFER or recorded == got or (isinstance(recorded, str) and same_text(recorded, got)):
        return
    if isinstance(recorded, str) and isinstance(got, str):
        one, other = _around_difference(recorded, got)
        found.append(Finding(where, one, other, source_of(where)))
        return
    found.append(Finding(where, _shown(recorded), _shown(got), source_of(where)))


def same_text(recorded: str, got: str) -> bool:
    """Whether two texts are the same but for what must differ (request ids) and what the recording
    redacted (:data:`contracts.cassette.REDACTED` there stands for any text)."""
    recorded, got = _REQUEST_ID.sub("req_…", recorded), _REQUEST_ID.sub("req_…", got)
    if REDACTED not in recorded:
        return recorded == got
    pattern = ".+?".join(re.escape(piece) for piece in recorded.split(REDACTED))
    return re.fullmatch(pattern, got, re.S) is not None


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _around_difference(one: str, other: str) -> tuple[str, str]:
    """Two long texts shown from a little before the first character where they part."""
    start = next((i for i, (a, b) in enumerate(zip(one, other, strict=False)) if a != b), min(len(one), len(other)))
    cut = max(0, start - 40)
    if max(len(one), len(other)) <= _SHOWN or cut == 0:
        return _shown(one), _shown(other)
    return "…" + _shown(one[cut:])[1:], "…" + _shown(other[cut:])[1:]


def describe_image(b64: str) -> str:
    """An image by what a client sees of it: its format and size (``png 1024x1024``), decoded."""
    try:
        data = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        return "no base64 image"
    kind = media.sniff(data)
    if kind == media.SVG:
        return "svg"
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return f"{(image.format or kind or 'unknown').lower()} {image.width}x{image.height}"
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        return f"an image that cannot be decoded ({kind or 'unknown format'}: {type(exc).__name__})"


def describe(answer: Answer) -> str:
    """An answer in one line: status, media type, and what its body holds."""
    kind = media_type(answer) or "no content-type"
    if kind == EVENT_STREAM:
        try:
            return f"{answer.status} {kind} {describe_events(streaming.parse(answer.content))}"
        except (ValueError, KeyError):
            return f"{answer.status} {kind} (unreadable)"
    body = answer.body
    if isinstance(body, dict) and isinstance(body.get("error"), Mapping):
        error = body["error"]
        fields = ", ".join(f"{k}={error.get(k)!r}" for k in ("type", "code", "param"))
        return f"{answer.status} error {fields}: {str(error.get('message'))[:160]}"
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        items = body["data"]
        images = [describe_image(i["b64_json"]) if isinstance(i, dict) and isinstance(i.get("b64_json"), str)
                  else "url" if isinstance(i, dict) and "url" in i else "?" for i in items]
        return f"{answer.status} {len(items)} image(s) [{', '.join(images)}], fields {sorted(body)}"
    if answer.is_json:
        return f"{answer.status} {kind} {_shown(body)}"
    return f"{answer.status} {kind} {len(answer.content)} bytes"
