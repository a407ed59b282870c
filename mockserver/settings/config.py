"""The fake's configuration: one described field per setting, feeding the command line,
the ``MOCKSERVER_*`` environment, ``create_app(**settings)``, ``GET``/``PATCH /_mock/config``
and the docs' configuration reference (see :mod:`mockserver.settings.inputs` for the format).

A :class:`Config` is immutable; a change builds a new one and swaps it in whole,
so a request never sees half a change, and a bad value changes nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from contracts import timeline
from contracts.envelope import ERAS
from contracts.imagefile import DEFAULT_LIMITS, DecodeLimits
from contracts.limits import HEADER_TIMEOUT_MS, MAX_REQUEST_BYTES, QUEUE_TIMEOUT_MS, WRITE_TIMEOUT_MS
from contracts.models import DALL_E_2, MB, MODELS
from contracts.policy import DEFAULT_BLOCKED_TERMS
from contracts.ratelimits import DEFAULT_WINDOWS, QUOTA_MODES, Window, parse_windows
from contracts.spec import REAL_BASE_URL
from mockserver.settings.inputs import (
    Choice,
    InputError,
    Integer,
    List,
    Optional,
    Setting,
    Text,
    Windows,
    check_fields,
    described,
    read_fields,
    reference_rows,
    setting,
    to_json,
)

# Shapes (ASSUMPTION: our bounds; each keeps the fake answering, none is the real API's).
ORGANIZATION = Text(64, pattern=r"org-[A-Za-z0-9_-]{1,60}",
                    shape="`org-` then 1 to 60 ASCII letters, digits, `_` or `-`")
SECRET_TEXT = Text(512, pattern=r"[!-~]+", shape="1 to 512 printable ASCII characters, no spaces")
URL = Text(2000, pattern=r"https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?(/[!-~]*)?",
           shape="an `http(s)://host[:port][/path]` URL, ASCII")
HOST = Text(253, pattern=r"[A-Za-z0-9.-]+|[0-9A-Fa-f:.]+", shape="a host name or an IP address")
SHA256 = Text(64, pattern=r"[0-9a-f]{64}", shape="a SHA-256 digest (64 hex characters)", lower=True)
DIRECTORY = Text(4096, shape="a directory path")
HEADER_NAME = Text(200, pattern=r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", shape="an HTTP header name")
FIELD_PATH = Text(500, pattern=r"[^.]+(\.[^.]+)*", shape="keys separated by dots (`*`: any key or item)")
YEAR_SECONDS = 365 * 86400
# The default budget of one journal entry's parameters (journal_entry_bytes; the journal's summary
# takes it when no budget is given).
JOURNAL_ENTRY_BYTES = 64 * 1024
MAX_WORKERS = 256  # --workers (ASSUMPTION: our bound; each worker holds its own threads and connections)


@dataclass(frozen=True)
class Date(Text):
    """A calendar date, `YYYY-MM-DD`, or `today`: the UTC date when the value is read (at start for
    the command line, the environment, `create_app()` and the pytest fixtures; at the PATCH for
    PATCH /_mock/config), resolved by contracts.timeline.parse_date, as `verify --as-of` is."""

    max_length: int = 10
    shape: str = f"a date, `YYYY-MM-DD`, or `{timeline.TODAY}` (the UTC date when read)"

    def read(self, value: Any) -> str:
        text = super().read(value)
        try:
            date = timeline.parse_date(text)
            if text in (date, timeline.TODAY):
                return date
        except ValueError:
            pass
        raise ValueError(f"must be {self.shape}, not {text!r}")


STATE_SCHEMES = ("redis", "rediss", "unix")


def shown(url: str) -> str:
    """``url`` with its password (if any) hidden, for messages."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(":" + parts.password + "@", ":****@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return url


def check_url(url: str) -> str:
    """``url`` if it names a Redis (``redis://HOST:PORT/DB``, ``rediss://`` or ``unix://``);
    else a ValueError saying what is expected."""
    if not isinstance(url, str):
        raise ValueError(f"state must be a redis:// URL, not {url!r}")
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme not in STATE_SCHEMES:
        raise ValueError(f"state must be a redis://HOST:PORT/DB URL (or rediss://, unix://), not {shown(url)!r}")
    return url



@dataclass(frozen=True)
class StateUrl(Text):
    """A Redis URL for the shared state (the schemes :func:`check_url` takes)."""

    max_length: int = 2000
    pattern: str | None = r"[!-~]+"
    shape: str = "a `redis://[:PASSWORD@]HOST[:PORT][/DB]` URL (or `rediss://`, `unix://`)"

    def read(self, value: Any) -> str:
        return check_url(super().read(value))


@dataclass(frozen=True)
class FamilyWindows(Text):
    """`FAMILY=WINDOWS` with a known model family, e.g. `gpt-image-2=5/1m`."""

    max_length: int = 200
    shape: str = "`FAMILY=WINDOWS`, e.g. `gpt-image-2=5/1m`"

    def read(self, value: Any) -> str:
        text = super().read(value)
        _family_entry(text)
        return text


def _family_entry(entry: str) -> tuple[str, tuple[Window, ...]]:
    families = sorted({p.quota_family for p in MODELS.values()})
    family, sep, windows = entry.partition("=")
    family = family.strip()
    if not sep or family not in families:
        raise ValueError(f"{entry!r} is not FAMILY=WINDOWS with a known family ({', '.join(families)})")
    return family, parse_windows(windows)


def family_windows(entries: tuple[str, ...]) -> dict[str, tuple[Window, ...]]:
    """``("gpt-image-2=5/1m", ...)`` -> {family: windows} (entries already read by FamilyWindows)."""
    return dict(_family_entry(entry) for entry in entries)


class ConfigError(InputError):
    """A setting's value is wrong; ``name`` says which."""


@dataclass(frozen=True)
class Config:
    api_keys: tuple[str, ...] = setting(
        (), "Accept only these API keys. By default any non-empty key is accepted.",
        List(SECRET_TEXT), flag="--api-key",
    )
    url_ttl: int = setting(
        DALL_E_2.url_ttl_seconds, "Seconds an image URL stays valid after `created`.",
        Integer(1, 10 * YEAR_SECONDS), flag="--url-ttl",
    )
    rate_limits: tuple[Window, ...] = setting(
        DEFAULT_WINDOWS,
        "Images allowed per API key over sliding windows, e.g. `20/1m,50/5m`, or a preset: "
        "`default` (50/1m), `beta-2022` (20/1m,50/5m), `off`.",
        Windows(), flag="--rate-limit",
    )
    quota_mode: str = setting(
        "normal",
        "`normal`; `insufficient_quota` (every request gets that 429) or "
        "`billing_hard_limit_reached` (every request gets that 400).",
        Choice(QUOTA_MODES), flag="--quota-mode",
    )
    family_rate_limits: tuple[str, ...] = setting(
        (),
        "Windows for one model family instead of `rate_limits`, as `FAMILY=WINDOWS`, "
        "e.g. `gpt-image-2=5/1m`. Each family (a model and its dated snapshots) has its own quota.",
        List(FamilyWindows(), max_items=100), flag="--family-rate-limit",
    )
    verification_required_models: tuple[str, ...] = setting(
        (),
        "Models answered with 403 organization_must_be_verified, as for an unverified organization.",
        List(Choice(tuple(MODELS)), max_items=100), flag="--require-verification",
    )
    blocked_terms: tuple[str, ...] = setting(
        DEFAULT_BLOCKED_TERMS,
        "Prompt words or phrases refused with content_policy_violation (whole words, any case, "
        "after NFKC).",
        List(Text(200)), flag="--blocked-term", extends_default=True,
    )
    blocked_image_sha256: tuple[str, ...] = setting(
        (), "SHA-256 (hex) of uploaded images refused with content_policy_violation.",
        List(SHA256, max_items=10_000), flag="--blocked-image-sha256",
    )
    latency_ms: int = setting(
        0, "Added to every API answer, to feel like the real, slow service.",
        Integer(0, 120_000), flag="--latency-ms",
    )
    latency_jitter_ms: int = setting(
        0, "Up to this much more latency, drawn from a generator seeded by latency_seed.",
        Integer(0, 120_000), flag="--latency-jitter-ms",
    )
    latency_seed: int = setting(
        0, "Seed of the latency jitter, so slow runs repeat exactly.",
        Integer(0, 2**63 - 1), flag="--latency-seed",
    )
    journal_size: int = setting(
        1000, "Requests kept by GET /_mock/requests; the oldest are dropped. 0 turns the journal off.",
        Integer(0, 100_000), flag="--journal-size",
    )
    journal_bytes: int = setting(
        16 * MB, "Most bytes the journal keeps (each entry weighed as its JSON, about); the oldest "
        "entries are dropped first, so that entries full of parameters cannot fill the memory "
        "(1000 ordinary entries take under 1 MB; raise it with a larger journal_size).",
        Integer(1, 64 * 1024 * MB), flag="--journal-bytes",
    )
    journal_entry_bytes: int = setting(
        JOURNAL_ENTRY_BYTES, "Most bytes of one journal entry's parameters (as JSON, about). A body's "
        "parameters are summarised: strings cut at 2000 characters, 8 levels, 100 items per "
        "list or object, and the whole at this size; each cut marked (`…`, and the entry's "
        "params_cut). The default holds any request the API accepts, 16 images as data URLs "
        "included, cut to 2000 characters each.",
        Integer(1024, 16 * MB), flag="--journal-entry-bytes",
    )
    journal_page_bytes: int = setting(
        1 * MB, "Most bytes of one GET /_mock/requests answer (as JSON, about; one entry at "
        "least): past it the answer is a page, its `next` the cursor to read on from. The default "
        "holds a default journal of ordinary entries in one answer.",
        Integer(1024, 1024 * MB), flag="--journal-page-bytes",
    )
    public_base_url: str | None = setting(
        None, "Base of the image URLs the fake hands out (default: the host the client called).",
        Optional(URL), flag="--public-base-url",
    )
    organization: str = setting(
        "org-mockserver00000000000000",  # "org-" + 24 characters, as real ids
        "Organization id shown in the openai-organization header, URLs and quota messages.",
        ORGANIZATION, flag="--organization",
    )
    as_of: str | None = setting(
        None,
        "Behave as the service did on this date (YYYY-MM-DD, or `today`: the date at start): models not yet "
        "released are unknown, retired ones and removed endpoints refused, dated defaults and the error "
        "wording of the date. Unset: every model is served with the seed's defaults.",
        Optional(Date()), flag="--as-of",
    )
    error_era: str = setting(
        "current",
        "Error wording: `current` (2024+ validator) or `legacy` (the 2022-23 texts of the seeds' era).",
        Choice(ERAS), flag="--error-era",
    )
    max_request_bytes: int = setting(
        MAX_REQUEST_BYTES, "Largest request body accepted; larger ones get 413 before they are read.",
        Integer(1024, 1024 * MB), flag="--max-request-bytes", patchable=False,
    )
    store_max_images: int = setting(
        50_000, "Most image URLs kept at once; the oldest are forgotten first (then 404).",
        Integer(1, 10_000_000), flag="--store-max-images",
    )
    store_max_bytes: int = setting(
        64 * MB, "Most bytes kept for image URLs (their recipes, uploaded inputs and rendered PNGs); "
        "bounds the fake's memory however long it runs.",
        Integer(1, 64 * 1024 * MB), flag="--store-max-bytes",
    )
    upload_max_decode_bytes: int = setting(
        DEFAULT_LIMITS.decode_bytes, "Most bytes decoding one request's uploaded images may take, together, "
        "estimated from their headers before any is decoded (PNG and JPEG about 8 and 4 bytes a pixel, WebP 16, "
        "a progressive JPEG's coefficients 128 bytes a block); past it the upload is refused as unreadable "
        "(`invalid_image_file`, dall-e-2's `invalid_image_format`). The default (768 MiB) takes any 8192x8192 "
        "PNG or JPEG and bounds the fake's memory against decompression bombs (a 34-byte 8192x8192 WebP).",
        Integer(16 * MB, 64 * 1024 * MB), flag="--upload-max-decode-bytes",
    )
    upload_max_jpeg_scans: int = setting(
        DEFAULT_LIMITS.jpeg_scans, "Most scans (SOS markers, counted in the bytes) in one uploaded JPEG, and in "
        "a request's JPEGs together weighted by their size (as many passes over an 8192x8192 image); a decoder "
        "walks every block in each scan, so hundreds of tiny scans cost minutes. Encoders write 1 to a few "
        "dozen; the default (100) bounds the decoding of a request's JPEGs to about a second and a half.",
        Integer(1, 1_000_000), flag="--upload-max-jpeg-scans",
    )
    upload_max_frames: int = setting(
        DEFAULT_LIMITS.frames, "Most frames in one uploaded animated PNG or WebP (only the first is decoded; the "
        "default, 4096, bounds the reading of the rest).",
        Integer(1, 1_000_000), flag="--upload-max-frames",
    )
    upload_max_inflated_chunks: int = setting(
        DEFAULT_LIMITS.inflated_chunks, "Most bytes the compressed ancillary chunks (iCCP, zTXt, iTXt) of one "
        "uploaded PNG may inflate to, together, each inflated with a bound (one chunk is refused from 1 MiB, as "
        "Pillow refuses it); at most 14 MiB, so that what is accepted is always rendered. Default 8 MiB.",
        Integer(0, 14 * MB), flag="--upload-max-inflated-chunks",
    )
    shutdown_grace_ms: int = setting(
        5000, "On SIGTERM or SIGINT the fake stops accepting and lets requests in flight finish "
        "for up to this long, then exits 0; a second signal exits at once.",
        Integer(0, 600_000), flag="--shutdown-grace-ms", patchable=False,
    )
    header_timeout_ms: int = setting(
        HEADER_TIMEOUT_MS, "Time a client has to send a request's line and headers; then a JSON 408 and the connection "
        "closes. Heads still arriving wait without a thread (one watcher reads them as their bytes come), so "
        "slow or silent clients cannot take the threads that answer the control plane; 10 s is far more than "
        "any client on a working network needs.",
        Integer(100, 600_000), flag="--header-timeout-ms",
    )
    queue_timeout_ms: int = setting(
        QUEUE_TIMEOUT_MS, "Longest a request waits for one of the `--threads` slots that answer the API, image "
        "URLs and /_mock/images/<id> (the renders); past it, the API's 503 `overloaded` with `retry-after` "
        "(image URLs: blob storage's 503 ServerBusy) instead of a queue without end. 60 s: longer than any "
        "answer takes without latency or faults, and the SDKs retry a 503.",
        Integer(100, 3_600_000), flag="--queue-timeout-ms",
    )
    render_slots: int = setting(
        0, "Most images rendered at once (answers, streams, image URLs, /_mock/images/<id>); `0`: one per CPU "
        "core (at least 2). A 3840x2160 WebP takes about 150 MB and holds the interpreter's lock for 0.2 s at "
        "a time: more renders than cores only add memory and slow every other thread, the control plane's too.",
        Integer(0, 1024), flag="--render-slots",
    )
    write_timeout_ms: int = setting(
        WRITE_TIMEOUT_MS, "Time one write of an answer may wait on a client that does not read (a stream's next event, "
        "a large body); past it the answer is cut and a stream is journaled with `cut: write_timeout`. 10 "
        "minutes, the official SDKs' own timeout: a slow reader is never cut sooner than its SDK would give "
        "up (a slow reader's socket can stay full for long: the kernel waits for half its buffer to drain).",
        Integer(100, 3_600_000), flag="--write-timeout-ms",
    )
    admin_token: str | None = setting(
        None, "Require `Authorization: Bearer <token>` on /_mock/. Without it, /_mock/ answers only "
        "to loopback clients. Never shown by GET /_mock/config.",
        Optional(SECRET_TEXT), flag="--admin-token", patchable=False, secret=True,
    )
    secret: str | None = setting(
        None, "Key that signs image URLs (default: random per start, so old URLs die with it).",
        Optional(SECRET_TEXT), flag="--url-secret", patchable=False, secret=True,
    )
    # --- record and replay (mockserver/recording/; the cassettes: contracts/cassette.py) ---
    record: str | None = setting(
        None, "Record: forward every /v1 request to `upstream` with the client's own credentials, answer "
        "with what it answers, and write each exchange to a cassette (VCR.py format, JSON) in this directory.",
        Optional(DIRECTORY), flag="--record", patchable=False,
    )
    upstream: str | None = setting(
        None, f"The API that `record` forwards to (its /v1 base URL); unset: the real API, {REAL_BASE_URL}.",
        Optional(URL), flag="--upstream", patchable=False,
    )
    upstream_timeout_ms: int = setting(
        600_000, "How long `record` waits for the upstream to connect or to send the next bytes "
        "before answering 504 (ASSUMPTION: our bound; image generation takes minutes at worst).",
        Integer(100, 3_600_000), flag="--upstream-timeout-ms", patchable=False,
    )
    replay: str | None = setting(
        None, "Replay: answer every /v1 request from the cassettes in this directory (a recorded exchange that "
        "matches it as the API reads it), instead of the fake's own behaviour.",
        Optional(DIRECTORY), flag="--replay", patchable=False,
    )
    replay_fallback: str = setting(
        "error", "A request no cassette matches gets `error` (404 naming the nearest recorded requests and what "
        "differs) or `fake` (the fake's own answer).", Choice(("error", "fake")), flag="--replay-fallback",
        patchable=False,
    )
    redact_headers: tuple[str, ...] = setting(
        (), "More header names whose values `record` never writes (besides Authorization, api-key, "
        "OpenAI-Organization, OpenAI-Project, Cookie, Set-Cookie and the answers' openai-organization).",
        List(HEADER_NAME, max_items=100), flag="--redact-header", patchable=False,
    )
    redact_fields: tuple[str, ...] = setting(
        (), "JSON field paths (`user`, `data.*.revised_prompt`) whose values `record` never writes, in request "
        "and answer bodies, stream events and form fields.", List(FIELD_PATH, max_items=100), flag="--redact-field",
        patchable=False,
    )
    access_log: str = setting(
        "off",
        "One line per request (time, method, path, status, ms, masked key, error code or fault): "
        "`off`, `text` or `json`. `python -m mockserver` logs `text` to standard output unless "
        "`--quiet` (`--log-format json` for machines); `create_app()` and the pytest plugin stay silent.",
        Choice(("off", "text", "json")), flag="--access-log",
    )
    cors_origins: tuple[str, ...] = setting(
        (), "Browser origins allowed to call the fake (repeatable; `*` for any): `OPTIONS` preflights "
        "get 204 with the allow headers, answers get `access-control-allow-origin`. Off by default.",
        List(Text(200, pattern=r"\*|null|https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?",
                  shape="`*`, `null` or an origin such as `http://localhost:3000`")), flag="--cors",
    )

    def validate(self) -> None:
        """Raise ConfigError naming the first setting whose value its description refuses."""
        check_fields(self, ConfigError)

    def replace(self, **changes: Any) -> Config:
        new = dataclasses.replace(self, **changes)
        new.validate()
        return new

    def patch(self, changes: Mapping[str, Any], *, allow_all: bool = False) -> Config:
        """A new Config from JSON values (PATCH /_mock/config; every setting when ``allow_all``,
        as ``create_app(**settings)`` and the command line may); ConfigError on any bad one."""
        values = read_fields(Config, changes, accept=lambda s: allow_all or s.patchable, what="setting",
                             error=ConfigError)
        return dataclasses.replace(self, **values)

    def to_json(self) -> dict[str, Any]:
        """The running configuration as JSON (the admin token and URL secret are hidden)."""
        return to_json(self)

    def decode_limits(self) -> DecodeLimits:
        """What decoding one request's uploaded images may cost (the ``upload_max_*`` settings)."""
        return DecodeLimits(self.upload_max_decode_bytes, self.upload_max_jpeg_scans, self.upload_max_frames,
                            self.upload_max_inflated_chunks)


@dataclass(frozen=True)
class ServerOptions:
    """How ``python -m mockserver`` listens: command line and environment only."""

    host: str = setting("127.0.0.1", "Address to listen on; `0.0.0.0` or `::` for every interface.", HOST,
                        flag="--host", patchable=False)
    port: int = setting(5000, "Port; `0` picks a free one and prints it.", Integer(0, 65535), flag="--port",
                        patchable=False)
    threads: int = setting(16, "Worker threads answering the API and image URLs (the control plane has its own).",
                           Integer(1, 1024), flag="--threads",
                           patchable=False)
    state: str | None = setting(
        None, "Where the fake keeps its state (quotas, clock, faults, journal, images, configuration): "
        "a Redis URL, shared by every process and host given the same one. Default: this process's memory.",
        Optional(StateUrl()), flag="--state", patchable=False,
    )
    workers: int = setting(
        1, "Processes serving the one port (pre-forked), each with its own `--threads`; more than 1 needs "
        "`--state`, so they share one fake.", Integer(1, MAX_WORKERS), flag="--workers", patchable=False,
    )

    def __post_init__(self) -> None:
        if self.workers > 1 and self.state is None:
            raise InputError("workers", f"{self.workers} workers need --state redis://HOST:PORT/DB to share "
                             "one fake: each would otherwise keep its own quotas, clock, faults and images")


def settings() -> list[dataclasses.Field[Any]]:
    """Every setting of Config, in order, with its description (``field.metadata["setting"]``)."""
    return [f for f, _ in described(Config)]


def _where(s: Setting) -> str:
    return "" if s.patchable else " Fixed at start."


def reference_table() -> str:
    """The configuration reference as a Markdown table (the docs build puts it at a page's
    ``<!-- generated: settings -->`` line)."""
    rows = [
        "| flag | environment | setting | default | accepts | what it does |",
        "| --- | --- | --- | --- | --- | --- |",
        *reference_rows(ServerOptions, where=lambda s: " Command line and environment only."),
        *reference_rows(Config, where=_where),
    ]
    return "\n".join(rows)
