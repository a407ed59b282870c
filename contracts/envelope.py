"""How the Images API writes a refusal: the error envelope ``{"error": {"message", "type",
"param", "code"}}`` [spec ErrorResponse], each entry's wording in its eras, how values are written
inside messages, and the one renderer of an envelope's bytes.

An :class:`ErrorSpec` holds the status, ``error.type``, and the wording in two eras: ``current``
(the 2024+ validator: ``Invalid value: ...`` with codes such as ``invalid_value``) and, where one
was captured, ``legacy`` (the 2022-23 JSON-Schema texts with ``code: null``). The entries
themselves are data: the real API's in :mod:`contracts.api_errors`, the fake's own (its edge and
its control plane) in :mod:`contracts.fake_errors`; :mod:`contracts.errors` gathers them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from contracts.media import JSON

CURRENT = "current"
LEGACY = "legacy"
ERAS = (CURRENT, LEGACY)


@dataclass(frozen=True)
class Wording:
    """How one era writes an error. ``message`` and ``param`` are str.format templates."""

    message: str
    code: str | None
    param: str | None


@dataclass(frozen=True)
class ErrorSpec:
    key: str
    status: int
    type: str
    current: Wording
    legacy: Wording | None = None
    source: str = ""
    # What is not confirmed about this entry; None when every field was captured.
    assumption: str | None = None
    # Values put into the error object after the four standard keys (e.g. moderation_details).
    extra: tuple[str, ...] = ()

    def wording(self, era: str = CURRENT) -> Wording:
        if era == LEGACY and self.legacy is not None:
            return self.legacy
        return self.current

    def body(self, era: str = CURRENT, **values: Any) -> dict[str, Any]:
        """The JSON error envelope, exactly as the API writes it."""
        words = self.wording(era)
        filled = _Values(values)
        param = words.param.format_map(filled) if words.param is not None else None
        err: dict[str, Any] = {
            "message": words.message.format_map(filled),
            "type": self.type,
            "param": param,
            "code": words.code,
        }
        for name in self.extra:
            err[name] = values[name]
        return {"error": err}


class _Values(dict[str, Any]):
    """Template values; a placeholder with no value stays as written (``{request_id}``
    is filled by the server, which alone knows it)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"



# --- formatting helpers: how the API writes values inside messages -------------------


def quote(value: object) -> str:
    """A value as the API echoes it: strings in single quotes, others as written."""
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def enumerate_values(values: Iterable[str], conjunction: str) -> str:
    """["a", "b", "c"], "and" -> "'a', 'b', and 'c'"; two items take no comma."""
    quoted = [quote(v) for v in values]
    if len(quoted) <= 1:
        return "".join(quoted)
    if len(quoted) == 2:
        return f"{quoted[0]} {conjunction} {quoted[1]}"
    return ", ".join(quoted[:-1]) + f", {conjunction} {quoted[-1]}"


def python_list(values: Iterable[str]) -> str:
    """["a", "b"] -> "['a', 'b']", as the legacy (Python) validator printed lists."""
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


JSON_TYPE_NAMES: Mapping[type, str] = MappingProxyType(
    {
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a decimal number",
        list: "an array",
        dict: "an object",
        type(None): "null",
    }
)


def json_type_name(value: object) -> str:
    """How the current validator names the JSON type it got ("got a boolean instead")."""
    return JSON_TYPE_NAMES.get(type(value), "an unknown type")


# --- the bytes of an envelope ------------------------------------------------------------

CONTENT_TYPE = JSON
# Compact, UTF-8 as written (no \u escapes), keys in the envelope's order [obs: the API's bodies].
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def render(body: Mapping[str, Any]) -> bytes:
    """An envelope's bytes, as every error answer of the fake carries them (the API's routes, the
    control API and the HTTP server's own answers alike): compact JSON in UTF-8, then a newline."""
    return _ENCODER.encode(body).encode("utf-8") + b"\n"
