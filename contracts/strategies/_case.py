"""What a case is: a request, and the outcome the contract promises for it.

Also the API's way of writing values in its messages, written here again so that an
expected message never comes from :mod:`contracts.rules`, the code under test."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeAlias

from hypothesis import strategies as st

from contracts.envelope import CURRENT
from contracts.errors import CATALOGUE
from contracts.media import JSON
from contracts.models import DALL_E_2
from contracts.spec import API_PREFIX, ENDPOINTS

# Sent as the Authorization header; ``{api_key}`` is filled in by whoever sends the case.
DEFAULT_AUTHORIZATION = "Bearer {api_key}"
JSON_CONTENT_TYPE = JSON


@dataclass(frozen=True)
class Success:
    """The contract's promise for a valid request: ``n`` images of ``size`` in ``response_format``,
    encoded as ``output_format``, from ``model``; for today's models also the ``quality`` and
    ``background`` the answer reports (resolved: never ``auto``; None where the model has none)."""

    n: int
    size: str  # resolved: WIDTHxHEIGHT
    response_format: str
    output_format: str = "png"
    model: str = DALL_E_2.name
    quality: str | None = None
    background: str | None = None


@dataclass(frozen=True)
class Refusal:
    """The catalogued error a request must get, with the values that fill its template."""

    rule: str  # the catalogue key
    status: int
    type: str
    code: str | None
    param: str | None
    message: str  # in the current era; body(era) gives any era
    values: tuple[tuple[str, Any], ...] = ()

    def body(self, era: str = CURRENT) -> dict[str, Any]:
        """The whole error envelope, as the API writes it in ``era``."""
        return CATALOGUE[self.rule].body(era, **dict(self.values))


def refusal(rule: str, **values: Any) -> Refusal:
    """The :class:`Refusal` of catalogue entry ``rule`` filled with ``values``."""
    spec = CATALOGUE[rule]
    error = spec.body(CURRENT, **values)["error"]
    return Refusal(rule, spec.status, spec.type, error["code"], error["param"], error["message"],
                   tuple(values.items()))


@dataclass(frozen=True)
class Part:
    """One multipart file part."""

    field: str
    filename: str
    content_type: str
    data: bytes
    note: str = ""  # what the bytes are, for reports: "RGBA 64x64 PNG"

    def describe(self) -> str:
        return f"{self.field}: {self.note or 'bytes'} ({len(self.data)} bytes)"

    def __repr__(self) -> str:
        return f"Part({self.describe()})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


BodyKind: TypeAlias = Literal["json", "multipart", "raw", "empty"]


@dataclass(frozen=True)
class Case:
    """One request and what the contract says it must get.

    ``path`` is relative to the base URL (``/images/generations``); ``authorization``
    is the header to send, with ``{api_key}`` filled in (None: no header).
    """

    endpoint: str | None  # None for a path that is no endpoint
    expect: Success | Refusal
    kind: BodyKind
    path: str
    method: str = "POST"
    json: Mapping[str, Any] | None = None
    fields: tuple[tuple[str, str], ...] = ()
    files: tuple[Part, ...] = ()
    raw: bytes | None = None
    content_type: str | None = None
    authorization: str | None = DEFAULT_AUTHORIZATION
    label: str = ""  # how the request was built, e.g. "n above the maximum"

    @property
    def valid(self) -> bool:
        return isinstance(self.expect, Success)

    def summary(self, limit: int = 400) -> str:
        """The request in one line, long strings and bytes abbreviated."""
        text = f"{self.method} {API_PREFIX}{self.path}"
        if self.kind == "json":
            text += " json=" + json.dumps(_abbreviated(self.json), ensure_ascii=False)
        elif self.kind == "multipart":
            text += " fields=" + json.dumps(_abbreviated(dict(self.fields)), ensure_ascii=False)
            if len({name for name, _ in self.fields}) != len(self.fields):
                text += f" (repeated: {[name for name, _ in self.fields]})"
            text += " files=[" + ", ".join(p.describe() for p in self.files) + "]"
        elif self.kind == "raw" and self.raw is not None:
            head = self.raw[:80]
            more = f"…({len(self.raw)} bytes)" if len(self.raw) > len(head) else ""
            text += f" content-type={self.content_type!r} body={head!r}{more}"
        if self.authorization != DEFAULT_AUTHORIZATION:
            text += " authorization=" + ("(none)" if self.authorization is None else repr(self.authorization))
        if len(text) > limit:
            text = text[: limit - 1] + "…"
        return text

    def __repr__(self) -> str:
        outcome = (f"expect {self.expect!r}" if isinstance(self.expect, Success)
                   else f"expect {self.expect.status} {self.expect.rule}")
        return f"Case({self.label or self.kind}: {self.summary(2000)}; {outcome})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def _abbreviated(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 80:
        return f"{value[:60]}…({len(value)} characters)"
    if isinstance(value, Mapping):
        return {k: _abbreviated(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_abbreviated(v) for v in value]
    return value


CaseStrategy: TypeAlias = st.SearchStrategy[Case]


def json_case(endpoint: str, body: Mapping[str, Any], expect: Success | Refusal, label: str,
              **changes: Any) -> Case:
    """A JSON case (``changes`` replace any other field of it)."""
    case = Case(endpoint, expect, "json", ENDPOINTS[endpoint].path, json=dict(body), label=label)
    return replace(case, **changes) if changes else case


def form_case(endpoint: str, fields: Mapping[str, str] | Sequence[tuple[str, str]], files: Sequence[Part],
              expect: Success | Refusal, label: str) -> Case:
    """A multipart case; ``fields`` in the order they are sent (a name may repeat)."""
    pairs = tuple(fields.items()) if isinstance(fields, Mapping) else tuple(fields)
    return Case(endpoint, expect, "multipart", ENDPOINTS[endpoint].path, fields=pairs, files=tuple(files),
                label=label)


# --- the API's way of writing values in messages (independent of contracts.rules) ----------


def quote(value: str) -> str:
    return f"'{value}'"


def listing(values: Sequence[str], conjunction: str) -> str:
    """'a', 'b', and 'c'  /  'a' and 'b'  /  'a'"""
    quoted = [quote(v) for v in values]
    if len(quoted) < 3:
        return f" {conjunction} ".join(quoted)
    return ", ".join(quoted[:-1]) + f", {conjunction} {quoted[-1]}"


def python_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(quote(v) for v in values) + "]"
