"""Sending a case: the HTTP request a :class:`~contracts.strategies.Case` is, and the whole answer.

It talks HTTP with ``requests`` only, so it reaches the fake, the real API or any
OpenAI-compatible server alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict
from urllib3 import encode_multipart_formdata

from contracts.media import JSON
from contracts.strategies import Case

DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class Outgoing:
    """A case as an HTTP request."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None


@dataclass(frozen=True)
class Answer:
    """What came back: status, headers and body (parsed when it is JSON)."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    body: Any = None  # the parsed JSON; None when the body is not JSON

    @property
    def is_json(self) -> bool:
        return self.body is not None

    def describe(self, limit: int = 1200) -> str:
        text = json.dumps(_shortened(self.body), ensure_ascii=False) if self.is_json else repr(self.content[:limit])
        if len(text) > limit:
            text = text[: limit - 1] + "…"
        return f"{self.status} {text}"


def _shortened(value: Any) -> Any:
    """A JSON value with long strings (base64 images, long messages) cut short."""
    if isinstance(value, str) and len(value) > 600:
        return f"{value[:60]}…({len(value)} characters)"
    if isinstance(value, dict):
        return {k: _shortened(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shortened(v) for v in value]
    return value


def outgoing(case: Case, *, base_url: str, api_key: str) -> Outgoing:
    """The HTTP request for ``case``: its method, URL, headers and body bytes."""
    headers = {"Accept": JSON}
    if case.authorization is not None:
        headers["Authorization"] = case.authorization.format(api_key=api_key)
    body: bytes | None = None
    if case.kind == "json":
        body = json.dumps(case.json).encode()
        headers["Content-Type"] = JSON
    elif case.kind == "multipart":
        parts: list[tuple[str, Any]] = list(case.fields)
        parts += [(p.field, (p.filename, p.data, p.content_type)) for p in case.files]
        body, headers["Content-Type"] = encode_multipart_formdata(parts)
    elif case.kind == "raw":
        body = case.raw
        if case.content_type is not None:
            headers["Content-Type"] = case.content_type
    return Outgoing(case.method, base_url.rstrip("/") + case.path, headers, body)


class Unreachable(Exception):
    """Nothing answers at the base URL (connection refused, unknown host, no route)."""


def probe(session: requests.Session, base_url: str, *, timeout: float) -> None:
    """Raise :class:`Unreachable` unless something answers HTTP at ``base_url`` (any status)."""
    try:
        session.get(base_url.rstrip("/") + "/models", timeout=min(timeout, 10.0), allow_redirects=False).close()
    except (requests.ConnectionError, requests.Timeout) as exc:
        reason = exc.args[0] if exc.args else exc
        reason = getattr(reason, "reason", reason)
        raise Unreachable(f"{type(exc).__name__}: {reason}") from None


def send(session: requests.Session, case: Case, *, base_url: str, api_key: str,
         timeout: float = DEFAULT_TIMEOUT) -> Answer:
    """Send ``case`` with ``session`` and read the whole answer."""
    return send_request(session, outgoing(case, base_url=base_url, api_key=api_key), timeout=timeout)


def send_request(session: requests.Session, request: Outgoing, *, timeout: float = DEFAULT_TIMEOUT) -> Answer:
    """Send ``request`` with ``session`` and read the whole answer (a stream to its end)."""
    response = session.request(request.method, request.url, headers=request.headers, data=request.body,
                               timeout=timeout, allow_redirects=False)
    with response:
        content = response.content
        try:
            body = json.loads(content) if content else None
        except ValueError:
            body = None
        return Answer(response.status_code, CaseInsensitiveDict(response.headers), content, body)
