"""The fake's configuration: one table of settings that feeds the command line,
the defaults and the docs.

A :class:`Config` is immutable; a change (``PATCH /_mock/config``, a test handle)
builds a new one and swaps it in whole, so a request never sees half a change.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from contracts.errors import ERAS
from contracts.spec import DALL_E_2, MAX_REQUEST_BYTES, MB


def _setting(default: Any, help: str, *, cli: str | None = None, repeat: bool = False) -> Any:
    """A config field with what the command line and the docs say about it."""
    meta = {"help": help, "cli": cli, "repeat": repeat}
    if isinstance(default, (list, tuple)):
        return field(default=tuple(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Config:
    api_keys: tuple[str, ...] = _setting(
        (), "Accept only these API keys (repeatable). By default any non-empty key is accepted.",
        cli="--api-key", repeat=True,
    )
    url_ttl: int = _setting(
        DALL_E_2.url_ttl_seconds, "Seconds an image URL stays valid after `created`.",
        cli="--url-ttl",
    )
    public_base_url: str | None = _setting(
        None, "Base of the image URLs the fake hands out (default: the host the client called).",
        cli="--public-base-url",
    )
    organization: str = _setting(
        "org-mockserver00000000000000",  # "org-" + 24 characters, as real ids
        "Organization id shown in the openai-organization header, URLs and quota messages.",
        cli="--organization",
    )
    error_era: str = _setting(
        "current",
        "Error wording: `current` (2024+ validator) or `legacy` (the 2022-23 texts of the seeds' era).",
        cli="--error-era",
    )
    max_request_bytes: int = _setting(
        MAX_REQUEST_BYTES, "Largest request body accepted; larger ones get 413 before they are read.",
        cli="--max-request-bytes",
    )
    store_max_images: int = _setting(
        100_000, "Most image URLs kept at once; the oldest are forgotten first (then 404).",
        cli="--store-max-images",
    )
    store_max_bytes: int = _setting(
        256 * MB, "Most bytes of uploaded inputs and rendered PNGs kept for image URLs.",
        cli="--store-max-bytes",
    )
    secret: str | None = _setting(
        None, "Key that signs image URLs (default: random per start, so old URLs die with it).",
        cli="--url-secret",
    )

    def validate(self) -> None:
        """Raise ValueError naming the first setting that is out of range."""
        if self.error_era not in ERAS:
            raise ValueError(f"error_era must be one of {list(ERAS)}, not {self.error_era!r}")
        for name in ("url_ttl", "max_request_bytes", "store_max_images", "store_max_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
        if any(not isinstance(k, str) or not k for k in self.api_keys):
            raise ValueError("api_keys must be non-empty strings")

    def replace(self, **changes: Any) -> Config:
        new = dataclasses.replace(self, **changes)
        new.validate()
        return new


def settings() -> list[dataclasses.Field[Any]]:
    """Every setting, in order, with its metadata (help text, command-line flag)."""
    return list(dataclasses.fields(Config))
