"""The fake's state and behaviour, with no HTTP in it.

A :class:`Backend` owns one fake's clock, configuration, image store, URL
signer, quota ledger, fault queue and journal. Views parse a request into a
:class:`contracts.ImageRequest`, hand it here, and serialise what comes back.
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
import re
import threading
from collections.abc import Mapping
from typing import Any

from contracts.errors import FAULT_ERRORS, ApiError, error, mask_key
from contracts.policy import blocked_pattern, find_blocked
from contracts.rules import ImageRequest
from contracts.spec import parse_size
from mockserver.clock import Clock
from mockserver.config import Config
from mockserver.faults import Fault, FaultQueue
from mockserver.files import UrlSigner, new_image_id, user_segment
from mockserver.gallery import Gallery
from mockserver.journal import Journal
from mockserver.quotas import QuotaLedger, rate_headers
from mockserver.render import Recipe, render
from mockserver.store import ImageStore


class Backend:
    def __init__(self, config: Config, *, clock: Clock | None = None) -> None:
        config.validate()
        self._lock = threading.Lock()
        self.clock = clock or Clock()
        self.signer = UrlSigner(config.secret)
        self.store = ImageStore(max_images=config.store_max_images, max_bytes=config.store_max_bytes)
        self.quotas = QuotaLedger()
        self.faults = FaultQueue()
        self.journal = Journal(config.journal_size)
        self.gallery = Gallery()  # the images the journal's entries refer to
        self._config = self._initial_config = config
        self._apply(config)

    @property
    def config(self) -> Config:
        return self._config

    def _apply(self, config: Config) -> None:
        """Derive what the running fake needs from a (new) configuration."""
        self._blocked: re.Pattern[str] | None = blocked_pattern(config.blocked_terms)
        self._latency_rng = random.Random(config.latency_seed)
        self.store.max_images = config.store_max_images
        self.store.max_bytes = config.store_max_bytes
        self.journal.resize(config.journal_size)

    def configure(self, changes: Mapping[str, Any]) -> Config:
        """Swap in a changed configuration (JSON values); ConfigError changes nothing."""
        with self._lock:
            new = self._config.patch(changes)
            self._config = new
            self._apply(new)
            return new

    def reset(self, *, config: bool = False) -> None:
        """Forget images, quota counters, the journal and faults; the clock returns to real
        time. The configuration is kept, unless ``config``: then it returns to the one the
        fake started with."""
        with self._lock:
            if config:
                self._config = self._initial_config
            self.store.clear()
            self.quotas.clear()
            self.journal.clear()
            self.gallery.clear()
            self.faults.clear()
            self.clock.reset()
            self._apply(self._config)

    # --- the API's decisions ---------------------------------------------------------

    def authenticate(self, authorization: str | None) -> str:
        """The API key of an ``Authorization`` header, or the catalogued 401."""
        scheme, _, key = (authorization or "").strip().partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise error("missing_api_key")
        allowed = self._config.api_keys
        if allowed and key not in allowed:
            raise error("invalid_api_key", masked_key=mask_key(key))
        return key

    def latency(self) -> float:
        """Seconds to hold this answer back (configured latency plus seeded jitter)."""
        config = self._config
        if not config.latency_ms and not config.latency_jitter_ms:
            return 0.0
        with self._lock:
            jitter = self._latency_rng.uniform(0, config.latency_jitter_ms)
        return (config.latency_ms + jitter) / 1000

    def fault_error(self, fault: Fault, api_key: str) -> ApiError:
        """The error a ``status`` fault answers with: the real body for its status."""
        headers = {}
        if fault.retry_after is not None:
            # [spec] retry-after is whole seconds, at least 1; the milliseconds carry the rest.
            headers = {"retry-after": str(max(1, math.ceil(fault.retry_after))),
                       "retry-after-ms": str(round(fault.retry_after * 1000))}
        windows = self._config.rate_limits
        window = windows[0] if windows else None
        return error(
            FAULT_ERRORS.get(fault.status, "server_error"),
            status=fault.status,
            headers=headers,
            organization=self._config.organization,
            limit=window.limit if window else 0,
            current=(window.limit + 1) if window else 1,
            window=window.label if window else "1min",
            masked_key=mask_key(api_key),
        )

    def check_policy(self, req: ImageRequest) -> None:
        """Refuse a prompt with a blocked term, or an upload whose SHA-256 is blocked."""
        if req.prompt is not None and find_blocked(req.prompt, self._blocked) is not None:
            raise error("content_policy_prompt")
        blocked = self._config.blocked_image_sha256
        if blocked:
            for data in (req.image, req.mask):
                if data is not None and hashlib.sha256(data).hexdigest() in blocked:
                    raise error("content_policy_image")

    def spend(self, api_key: str, n: int) -> dict[str, str]:
        """Charge ``n`` images to ``api_key``, or raise the 429; returns the rate-limit headers."""
        config = self._config
        if config.quota_mode == "insufficient_quota":
            raise error("insufficient_quota")
        if config.quota_mode == "billing_hard_limit_reached":
            raise error("billing_hard_limit_reached")
        refusal, states = self.quotas.spend(api_key, n, config.rate_limits, self.clock.now())
        headers = rate_headers(states)
        if refusal is not None:
            raise error(
                "rate_limit_exceeded",
                headers={**headers, **refusal.headers()},
                organization=config.organization,
                limit=refusal.window.limit,
                current=refusal.current,
                window=refusal.window.label,
            )
        return headers

    def rate_limit_headers(self, api_key: str) -> dict[str, str]:
        return rate_headers(self.quotas.states(api_key, self._config.rate_limits, self.clock.now()))

    def create_images(
        self, req: ImageRequest, *, api_key: str, base_url: str, shown: list[dict[str, Any]] | None = None
    ) -> dict[str, object]:
        """Answer a valid request: ``{"created": ..., "data": [...]}`` with ``n`` images.

        With ``shown`` (the journal is on), each image's recipe is kept in the gallery and
        its reference appended there, for the journal entry."""
        config = self._config
        created = int(self.clock.now())
        width, height = parse_size(req.size)
        recipes = [
            Recipe(endpoint=req.endpoint, model=req.model.name, prompt=req.prompt, width=width, height=height,
                   index=i, n=req.n, image=req.image, mask=req.mask)
            for i in range(req.n)
        ]
        if req.response_format == "b64_json":
            data = [{"b64_json": base64.b64encode(render(r)).decode("ascii")} for r in recipes]
            if shown is not None:
                shown.extend(self.gallery.add(r) for r in recipes)
        else:
            base = (config.public_base_url or base_url).rstrip("/")
            folder = f"/private/{config.organization}/user-{user_segment(api_key)}"
            data = []
            for recipe in recipes:
                image_id = new_image_id()
                path = f"{folder}/img-{image_id}.png"
                self.store.add(image_id, recipe, expires_at=created + config.url_ttl, now=self.clock.now())
                if shown is not None:
                    shown.append(self.gallery.add(recipe, image_id=image_id, expires_at=created + config.url_ttl))
                data.append({"url": f"{base}{path}?{self.signer.sign(path, created, config.url_ttl)}"})
        return {"created": created, "data": data}
