"""A Python handle on a fake, for tests: the same operations whether the fake runs
in this process or as a live server elsewhere.

    fake = FakeHandle.in_process(app)            # or FakeHandle.over_http("http://127.0.0.1:5000")
    fake.reset()
    fake.set_rate_limits("20/1m,50/5m")
    fake.block_terms("flamingo")
    fake.inject_fault(endpoint="generations", status=503, count=2)
    fake.advance(3601)
    fake.requests(endpoint="generations", status=429)

Both go through the control API (``/_mock/``), so they behave exactly alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

import requests
from flask import Flask

from contracts.spec import CONTROL_PREFIX

_MAX_PAGES = 100_000  # pages read by requests() at most (the largest journal, one entry a page)
Transport = Callable[[str, str, "dict[str, Any] | None", "dict[str, str] | None"], "tuple[int, Any]"]


class ControlError(RuntimeError):
    """The control API refused an operation (a bad setting, a bad fault)."""

    def __init__(self, status: int, body: Any) -> None:
        message = body.get("error", {}).get("message") if isinstance(body, dict) else str(body)
        super().__init__(f"{status}: {message}")
        self.status = status
        self.body = body


class FakeHandle:
    def __init__(self, transport: Transport, close: Callable[[], None] | None = None) -> None:
        self._transport = transport
        self._close = close

    def close(self) -> None:
        """Release the connection pool of a handle over HTTP (a no-op in-process)."""
        if self._close is not None:
            self._close()

    def __enter__(self) -> FakeHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def in_process(cls, app: Flask) -> FakeHandle:
        """A handle on a fake living in this process (no sockets)."""
        client = app.test_client()

        def transport(method: str, path: str, body: dict[str, Any] | None, query: dict[str, str] | None) -> Any:
            response = client.open(path, method=method, json=body, query_string=query)
            return response.status_code, response.get_json(silent=True)

        handle = cls(transport)
        handle.app = app
        return handle

    @classmethod
    def over_http(cls, url: str, *, admin_token: str | None = None, timeout: float = 30) -> FakeHandle:
        """A handle on a live fake at ``url`` (its root or its ``/v1`` base URL)."""
        root = url.rstrip("/").removesuffix("/v1")
        session = requests.Session()
        if admin_token:
            session.headers["Authorization"] = f"Bearer {admin_token}"

        def transport(method: str, path: str, body: dict[str, Any] | None, query: dict[str, str] | None) -> Any:
            response = session.request(method, root + path, json=body, params=query, timeout=timeout)
            try:
                return response.status_code, response.json()
            except ValueError:
                return response.status_code, response.text

        return cls(transport, close=session.close)

    app: Flask | None = None

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              query: dict[str, str] | None = None) -> Any:
        status, payload = self._transport(method, CONTROL_PREFIX + path, body, query)
        if status >= 400:
            raise ControlError(status, payload)
        return payload

    # --- state ---------------------------------------------------------------------------
    def reset(self, *, config: bool = False) -> None:
        """Forget images, quota counters, the journal and faults; the clock returns to real time.
        With ``config=True`` the configuration returns to the one the fake started with."""
        self._call("POST", "/reset", {"config": True} if config else None)

    # --- clock -----------------------------------------------------------------------------
    def now(self) -> float:
        return float(self._call("GET", "/clock")["now"])

    def advance(self, seconds: float) -> float:
        return float(self._call("POST", "/clock", {"advance": seconds})["now"])

    def set_time(self, epoch_seconds: float) -> float:
        return float(self._call("POST", "/clock", {"set": epoch_seconds})["now"])

    def freeze(self, frozen: bool = True) -> float:
        return float(self._call("POST", "/clock", {"freeze": frozen})["now"])

    # --- configuration ------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/config")
        return result

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Change settings (see GET /_mock/config for the names); ControlError if one is bad."""
        result: dict[str, Any] = self._call("PATCH", "/config", settings)
        return result

    def set_rate_limits(self, limits: str | Iterable[str]) -> dict[str, Any]:
        """``"20/1m,50/5m"``, a preset (``default``, ``beta-2022``, ``off``) or a list of windows."""
        return self.configure(rate_limits=limits if isinstance(limits, str) else list(limits))

    def set_quota_mode(self, mode: str) -> dict[str, Any]:
        """``normal``, ``insufficient_quota`` or ``billing_hard_limit_reached``."""
        return self.configure(quota_mode=mode)

    def block_terms(self, *terms: str, replace: bool = False) -> dict[str, Any]:
        current = [] if replace else self.config()["blocked_terms"]
        return self.configure(blocked_terms=[*current, *terms])

    def block_images(self, *images: bytes | str) -> dict[str, Any]:
        """Refuse these uploads: PNG bytes, or their SHA-256 hex digests."""
        digests = [hashlib.sha256(i).hexdigest() if isinstance(i, bytes) else i for i in images]
        return self.configure(blocked_image_sha256=[*self.config()["blocked_image_sha256"], *digests])

    # --- faults ---------------------------------------------------------------------------
    def inject_fault(self, **fault: Any) -> dict[str, Any]:
        """Queue a fault: endpoint, status, count, after, delay_ms, kind, retry_after, probability, seed,
        after_events (a fault for streams: cut after that many events)."""
        result: dict[str, Any] = self._call("POST", "/faults", fault)
        return result

    def faults(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/faults")["faults"])

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def images(self) -> dict[str, int]:
        """How many image URLs the fake holds (``count``) and the bytes they take (``bytes``)."""
        result: dict[str, int] = self._call("GET", "/images")
        return result

    # --- journal ----------------------------------------------------------------------------
    def requests(self, *, endpoint: str | None = None, status: int | None = None) -> list[dict[str, Any]]:
        """The journal's entries, oldest first (of ``endpoint``, with ``status``, when given),
        read page after page (``next``) to its end."""
        query = {k: str(v) for k, v in (("endpoint", endpoint), ("status", status)) if v is not None}
        found: list[dict[str, Any]] = []
        page = self._call("GET", "/requests", query=query)
        for _ in range(_MAX_PAGES):
            if page.get("complete"):
                found = []  # (cleared while it was read: what came before is gone)
            found.extend(page["requests"])
            if not page.get("next"):
                break
            page = self._call("GET", "/requests", query={**query, "after": page["next"]})
        return found

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")
