"""The fake's configuration: one table of settings that feeds the command line,
``GET``/``PATCH /_mock/config``, the defaults and the docs.

A :class:`Config` is immutable; a change builds a new one and swaps it in whole,
so a request never sees half a change, and a bad value changes nothing.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts import timeline
from contracts.errors import ERAS
from contracts.policy import DEFAULT_BLOCKED_TERMS
from contracts.ratelimits import DEFAULT_WINDOWS, QUOTA_MODES, Window, parse_windows
from contracts.spec import DALL_E_2, MAX_REQUEST_BYTES, MB, MODELS

# How a setting's value is read from JSON and from the command line.
INT, TEXT, OPTIONAL_TEXT, TEXTS, WINDOWS = "int", "text", "optional text", "texts", "windows"


class ConfigError(ValueError):
    """A setting's value is wrong; ``name`` says which."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def _setting(
    default: Any,
    help: str,
    *,
    kind: str,
    cli: str | None = None,
    patchable: bool = True,
    minimum: int | None = None,
    choices: tuple[str, ...] = (),
) -> Any:
    meta = {"help": help, "kind": kind, "cli": cli, "patchable": patchable, "minimum": minimum,
            "choices": choices}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Config:
    api_keys: tuple[str, ...] = _setting(
        (), "Accept only these API keys (repeatable). By default any non-empty key is accepted.",
        kind=TEXTS, cli="--api-key",
    )
    url_ttl: int = _setting(
        DALL_E_2.url_ttl_seconds, "Seconds an image URL stays valid after `created`.",
        kind=INT, cli="--url-ttl", minimum=1,
    )
    rate_limits: tuple[Window, ...] = _setting(
        DEFAULT_WINDOWS,
        "Images allowed per API key over sliding windows, e.g. `20/1m,50/5m`, or a preset: "
        "`default` (50/1m), `beta-2022` (20/1m,50/5m), `off`.",
        kind=WINDOWS, cli="--rate-limit",
    )
    quota_mode: str = _setting(
        "normal",
        "`normal`; `insufficient_quota` (every request gets that 429) or "
        "`billing_hard_limit_reached` (every request gets that 400).",
        kind=TEXT, cli="--quota-mode", choices=QUOTA_MODES,
    )
    family_rate_limits: tuple[str, ...] = _setting(
        (),
        "Windows for one model family instead of `rate_limits`, as `FAMILY=WINDOWS`, "
        "e.g. `gpt-image-2=5/1m`. Each family (a model and its dated snapshots) has its own quota.",
        kind=TEXTS, cli="--family-rate-limit",
    )
    verification_required_models: tuple[str, ...] = _setting(
        (),
        "Models answered with 403 organization_must_be_verified, as for an unverified organization.",
        kind=TEXTS, cli="--require-verification",
    )
    blocked_terms: tuple[str, ...] = _setting(
        DEFAULT_BLOCKED_TERMS,
        "Prompt words or phrases refused with content_policy_violation (whole words, any case, "
        "after NFKC). `--blocked-term` adds to the default list.",
        kind=TEXTS, cli="--blocked-term",
    )
    blocked_image_sha256: tuple[str, ...] = _setting(
        (), "SHA-256 (hex) of uploaded images refused with content_policy_violation.",
        kind=TEXTS, cli="--blocked-image-sha256",
    )
    latency_ms: int = _setting(
        0, "Added to every API answer, to feel like the real, slow service.",
        kind=INT, cli="--latency-ms", minimum=0,
    )
    latency_jitter_ms: int = _setting(
        0, "Up to this much more latency, drawn from a generator seeded by latency_seed.",
        kind=INT, cli="--latency-jitter-ms", minimum=0,
    )
    latency_seed: int = _setting(
        0, "Seed of the latency jitter, so slow runs repeat exactly.",
        kind=INT, cli="--latency-seed",
    )
    journal_size: int = _setting(
        1000, "Requests kept by GET /_mock/requests; the oldest are dropped. 0 turns the journal off.",
        kind=INT, cli="--journal-size", minimum=0,
    )
    public_base_url: str | None = _setting(
        None, "Base of the image URLs the fake hands out (default: the host the client called).",
        kind=OPTIONAL_TEXT, cli="--public-base-url",
    )
    organization: str = _setting(
        "org-mockserver00000000000000",  # "org-" + 24 characters, as real ids
        "Organization id shown in the openai-organization header, URLs and quota messages.",
        kind=TEXT, cli="--organization",
    )
    as_of: str | None = _setting(
        None,
        "Behave as the service did on this date (YYYY-MM-DD): models not yet released are unknown, "
        "retired ones and removed endpoints refused, dated defaults and the error wording of the date. "
        "Unset: every model is served with the seed's defaults.",
        kind=OPTIONAL_TEXT, cli="--as-of",
    )
    error_era: str = _setting(
        "current",
        "Error wording: `current` (2024+ validator) or `legacy` (the 2022-23 texts of the seeds' era).",
        kind=TEXT, cli="--error-era", choices=ERAS,
    )
    max_request_bytes: int = _setting(
        MAX_REQUEST_BYTES, "Largest request body accepted; larger ones get 413 before they are read.",
        kind=INT, cli="--max-request-bytes", patchable=False, minimum=1024,
    )
    store_max_images: int = _setting(
        50_000, "Most image URLs kept at once; the oldest are forgotten first (then 404).",
        kind=INT, cli="--store-max-images", minimum=1,
    )
    store_max_bytes: int = _setting(
        64 * MB, "Most bytes kept for image URLs (their recipes, uploaded inputs and rendered PNGs); "
        "bounds the fake's memory however long it runs.",
        kind=INT, cli="--store-max-bytes", minimum=1,
    )
    admin_token: str | None = _setting(
        None, "Require `Authorization: Bearer <token>` on /_mock/. Without it, /_mock/ answers only "
        "to loopback clients. Never shown by GET /_mock/config.",
        kind=OPTIONAL_TEXT, cli="--admin-token", patchable=False,
    )
    secret: str | None = _setting(
        None, "Key that signs image URLs (default: random per start, so old URLs die with it).",
        kind=OPTIONAL_TEXT, cli="--url-secret", patchable=False,
    )

    def validate(self) -> None:
        """Raise ConfigError naming the first setting that is out of range."""
        for f in dataclasses.fields(self):
            _check(f, getattr(self, f.name))

    def replace(self, **changes: Any) -> Config:
        new = dataclasses.replace(self, **changes)
        new.validate()
        return new

    def patch(self, changes: Mapping[str, Any], *, allow_all: bool = False) -> Config:
        """A new Config from JSON values (PATCH /_mock/config, or every setting when
        ``allow_all``, as the command line may); ConfigError on any bad one."""
        fields = {f.name: f for f in dataclasses.fields(self)}
        values = {}
        for name, value in changes.items():
            f = fields.get(name)
            if f is None or not (allow_all or f.metadata["patchable"]):
                known = ", ".join(n for n, g in fields.items() if g.metadata["patchable"])
                raise ConfigError(name, f"is not a setting that can be changed; these can: {known}")
            values[name] = from_json(f, value)
        return self.replace(**values)

    def to_json(self) -> dict[str, Any]:
        """The running configuration as JSON (the admin token and URL secret are hidden)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in ("admin_token", "secret"):
                value = None if value is None else "********"
            elif f.metadata["kind"] == WINDOWS:
                value = [str(w) for w in value]
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out


def settings() -> list[dataclasses.Field[Any]]:
    """Every setting, in order, with its metadata (help text, kind, command-line flag)."""
    return list(dataclasses.fields(Config))


_SHA256 = re.compile(r"[0-9a-f]{64}")


def from_json(f: dataclasses.Field[Any], value: Any) -> Any:
    """Read one setting's JSON value into its Config form, or raise ConfigError."""
    kind = f.metadata["kind"]
    if kind == WINDOWS:
        if isinstance(value, tuple) and all(isinstance(w, Window) for w in value):
            return value
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = ",".join(value) if value else "off"
        if not isinstance(value, str):
            raise ConfigError(f.name, "must be a string like '20/1m,50/5m' or a list of them")
        try:
            return parse_windows(value)
        except ValueError as exc:
            raise ConfigError(f.name, str(exc)) from None
    if kind == TEXTS:
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f.name, "must be a list of strings")
        if f.name == "blocked_image_sha256":
            value = [v.lower() for v in value]
        return tuple(value)
    if kind == INT and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f.name, f"must be an integer, not {value!r}")
    if kind == TEXT and not isinstance(value, str):
        raise ConfigError(f.name, f"must be a string, not {value!r}")
    if kind == OPTIONAL_TEXT and value is not None and not isinstance(value, str):
        raise ConfigError(f.name, f"must be a string or null, not {value!r}")
    return value


def _check(f: dataclasses.Field[Any], value: Any) -> None:
    meta = f.metadata
    if meta["kind"] == INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f.name, f"must be an integer, not {value!r}")
        if meta["minimum"] is not None and value < meta["minimum"]:
            raise ConfigError(f.name, f"must be at least {meta['minimum']}, not {value}")
    if meta["choices"] and value not in meta["choices"]:
        raise ConfigError(f.name, f"must be one of {list(meta['choices'])}, not {value!r}")
    if f.name == "api_keys" and any(not isinstance(k, str) or not k for k in value):
        raise ConfigError(f.name, "must be non-empty strings")
    if f.name == "blocked_image_sha256" and not all(isinstance(v, str) and _SHA256.fullmatch(v) for v in value):
        raise ConfigError(f.name, "must be SHA-256 digests: 64 lowercase hex characters each")
    if f.name == "rate_limits" and not all(isinstance(w, Window) for w in value):
        raise ConfigError(f.name, "must be rate-limit windows")
    if f.name == "verification_required_models":
        unknown = [m for m in value if m not in MODELS]
        if unknown:
            raise ConfigError(f.name, f"unknown model {unknown[0]!r}; known: {', '.join(MODELS)}")
    if f.name == "family_rate_limits":
        family_windows(value)
    if f.name == "as_of" and value is not None:
        try:
            if timeline.parse_date(value) != value:
                raise ValueError(value)
        except ValueError:
            raise ConfigError(f.name, f"must be a date as YYYY-MM-DD or null, not {value!r}") from None


def family_windows(entries: tuple[str, ...]) -> dict[str, tuple[Window, ...]]:
    """``("gpt-image-2=5/1m", ...)`` -> {family: windows}; ConfigError naming what is wrong."""
    families = {p.quota_family for p in MODELS.values()}
    out: dict[str, tuple[Window, ...]] = {}
    for entry in entries:
        family, sep, text = str(entry).partition("=")
        family = family.strip()
        if not sep or family not in families:
            raise ConfigError(
                "family_rate_limits",
                f"{entry!r} is not FAMILY=WINDOWS with a known family ({', '.join(sorted(families))})",
            )
        try:
            out[family] = parse_windows(text)
        except ValueError as exc:
            raise ConfigError("family_rate_limits", str(exc)) from None
    return out


def reference_table() -> str:
    """The configuration reference as a Markdown table (the README embeds it; a test checks it)."""
    rows = [
        "| flag | setting | default | what it does |",
        "| --- | --- | --- | --- |",
        "| `--host` | | `127.0.0.1` | Address to listen on. |",
        "| `--port` | | `5000` | Port; `0` picks a free one and prints it. |",
        "| `--threads` | | `16` | Worker threads of the WSGI server. |",
    ]
    for f in settings():
        meta = f.metadata
        default: Any = f.default
        if f.name == "rate_limits":
            default = ",".join(str(w) for w in default)
        elif isinstance(default, tuple):
            default = ", ".join(default) if default else "(none)"
        elif default is None:
            default = "(none)"
        flag = f"`{meta['cli']}`" if meta["cli"] else ""
        patch = "" if meta["patchable"] else " Fixed at start."
        rows.append(f"| {flag} | `{f.name}` | `{default}` | {meta['help']}{patch} |")
    return "\n".join(rows)
