"""The error catalogue: every way the fake says "no", as data, and the refusal raised with it.

:data:`CATALOGUE` gathers the real API's refusals (:mod:`contracts.api_errors`) and the fake's own
(:mod:`contracts.fake_errors`: its edge and its control plane), keyed by name; how an entry is
written is :mod:`contracts.envelope`. ``docs/errors.md`` explains every entry by its situation.

An :class:`ApiError` is an ErrorSpec with the values that fill its template; it is raised by the
rules and rendered in one place (:func:`contracts.envelope.render`) by the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from contracts.api_errors import API_ERRORS
from contracts.envelope import CURRENT, ErrorSpec
from contracts.fake_errors import FAKE_ERRORS


class ApiError(Exception):
    """A catalogued refusal, with the values that fill the message template."""

    def __init__(
        self,
        spec: ErrorSpec,
        *,
        headers: Mapping[str, str] | None = None,
        status: int | None = None,
        **values: Any,
    ) -> None:
        self.spec = spec
        self.values = values
        self.headers = dict(headers or {})
        self._status = status  # an injected fault may send a catalogued body with another status
        super().__init__(spec.body(CURRENT, **values)["error"]["message"])

    @property
    def status(self) -> int:
        return self._status if self._status is not None else self.spec.status

    def body(self, era: str = CURRENT, **defaults: Any) -> dict[str, Any]:
        """The envelope; ``defaults`` fill what the rules could not know (``request_id``)."""
        return self.spec.body(era, **{**defaults, **self.values})




# What an injected `status` fault answers for each status; any other status gets
# the server_error body with that status.
FAULT_ERRORS: Mapping[int, str] = MappingProxyType(
    {
        400: "billing_hard_limit_reached",
        401: "invalid_api_key",
        429: "rate_limit_exceeded",
        500: "server_error",
        502: "bad_gateway",
        503: "overloaded",
        504: "gateway_timeout",
    }
)

CATALOGUE: Mapping[str, ErrorSpec] = MappingProxyType({spec.key: spec for spec in (*API_ERRORS, *FAKE_ERRORS)})


def catalogue_table() -> str:
    """Every entry as a Markdown table (docs/errors.md holds it; a test keeps it current)."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    rows = ["| key | status | type | code | message (current) | evidence |", "| --- | --- | --- | --- | --- | --- |"]
    for spec in CATALOGUE.values():
        evidence = spec.source + (f"; ASSUMPTION: {spec.assumption}" if spec.assumption else "")
        code = f"`{spec.current.code}`" if spec.current.code else "null"
        rows.append(f"| `{spec.key}` | {spec.status} | `{spec.type}` | {code} | {cell(spec.current.message)} | "
                    f"{cell(evidence)} |")
    return "\n".join(rows)


def error(
    key: str, *, headers: Mapping[str, str] | None = None, status: int | None = None, **values: Any
) -> ApiError:
    """The ApiError for catalogue entry ``key`` filled with ``values``."""
    return ApiError(CATALOGUE[key], headers=headers, status=status, **values)
