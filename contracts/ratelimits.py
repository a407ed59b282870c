"""Rate-limit policy as data: image quotas over sliding windows, and the headers
that report them.

Sources: the seed documents give the limits ("20 images per minute and 50 per
5 minutes" in the 2022 beta guide, "50 images per minute" in the later one);
the 429 body is the catalogue's ``rate_limit_exceeded``; the headers follow the
documented ``x-ratelimit-*`` family ([guide] rate limits; docs/assumptions.md for the
image ones), their names in :mod:`contracts.headers`. How long to wait is written here
(:func:`retry_headers`, :func:`go_duration`) and read here (:func:`retry_after_seconds`,
:func:`parse_go_duration`).
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from contracts.headers import RETRY_AFTER, RETRY_AFTER_MS


@dataclass(frozen=True)
class Window:
    """At most ``limit`` images in any ``seconds``-long stretch of time."""

    limit: int
    seconds: int

    @property
    def label(self) -> str:
        """As the 429 message writes a window: ``1min``, ``5min``, ``30s``."""
        if self.seconds % 60 == 0:
            return f"{self.seconds // 60}min"
        return f"{self.seconds}s"

    def __str__(self) -> str:
        unit = f"{self.seconds // 60}m" if self.seconds % 60 == 0 else f"{self.seconds}s"
        return f"{self.limit}/{unit}"


# The later seed document: "the default rate limit is 50 images per minute".
DEFAULT_WINDOWS: tuple[Window, ...] = (Window(50, 60),)
PRESETS: Mapping[str, tuple[Window, ...]] = MappingProxyType(
    {
        "default": DEFAULT_WINDOWS,
        # The 2022 beta guide: "20 images per minute, 50 per 5 minutes".
        "beta-2022": (Window(20, 60), Window(50, 300)),
        "off": (),
    }
)

QUOTA_MODES = ("normal", "insufficient_quota", "billing_hard_limit_reached")


# ASSUMPTION: the wait the fake asks for when it is overloaded (a request kept waiting for a slot
# past its deadline): the real service's 503 was never captured with a retry-after. One second:
# a slot frees in about that.
OVERLOADED_RETRY_SECONDS = 1.0


def retry_headers(seconds: float) -> dict[str, str]:
    """``retry-after`` (whole seconds, at least 1) and ``retry-after-ms`` for a wait of ``seconds``."""
    ms = math.ceil(round(seconds * 1000, 6))  # round off float noise first: 0.57 s is 570 ms, not 571
    return {RETRY_AFTER: str(max(1, math.ceil(seconds))), RETRY_AFTER_MS: str(max(1, ms))}


_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600}
_WINDOW = re.compile(r"\s*([0-9]+)\s*/\s*([0-9]*)\s*(s|m|min|h)\s*")


def parse_windows(text: str) -> tuple[Window, ...]:
    """``"20/1m,50/5m"`` (or a preset name) -> windows. Raises ValueError saying what is wrong."""
    text = text.strip()
    if text in PRESETS:
        return PRESETS[text]
    windows = []
    for part in text.split(","):
        match = _WINDOW.fullmatch(part)
        if not match:
            raise ValueError(
                f"rate limit {part.strip()!r} is not LIMIT/WINDOW like '20/1m' or '50/5m' "
                f"(units s, m, h), nor a preset ({', '.join(PRESETS)})"
            )
        limit, count, unit = int(match[1]), int(match[2] or 1), match[3]
        if limit < 1 or count < 1:
            raise ValueError(f"rate limit {part.strip()!r} needs a limit and a window of at least 1")
        windows.append(Window(limit, count * _UNITS[unit]))
    return tuple(windows)


def go_duration(seconds: float) -> str:
    """A reset time as the real headers write it (Go's time.Duration): ``12ms``, ``1s``, ``6m0s``."""
    if seconds <= 0:
        return "0s"
    if seconds < 1:
        return f"{max(1, math.ceil(seconds * 1000))}ms"
    whole = math.ceil(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


# --- reading them back: what a client (or the conformance report) makes of an answer ----------

_GO_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?"
                          r"(?:(\d+(?:\.\d+)?)ms)?")


def retry_after_seconds(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """The wait an answer asks for, in seconds, read as the SDKs read it [sdk-py
    ``_calculate_retry_timeout``]: ``retry-after-ms`` in milliseconds, else ``retry-after`` in
    seconds, else ``retry-after`` as an HTTP date (less ``now()``); a value that is no number (nor
    date) is passed over. None when nothing readable is there. The value is not judged: a
    negative, huge or NaN wait is for the caller to refuse or bound (the SDK's 0 < wait <= 60)."""
    for name, scale in ((RETRY_AFTER_MS, 1000.0), (RETRY_AFTER, 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(value) / scale
        except ValueError:
            continue  # not a number: `retry-after` may still be a date
    value = headers.get(RETRY_AFTER)
    if value is None:
        return None
    try:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        return float(email.utils.mktime_tz(parsed) - now())
    except (TypeError, ValueError, OverflowError):  # a date no clock can hold
        return None


def parse_go_duration(text: str | None) -> float | None:
    """Seconds of a reset time as :func:`go_duration` writes it (``12ms``, ``1s``, ``6m0s``,
    ``1h2m3.5s``); None for anything else."""
    match = _GO_DURATION.fullmatch(text.strip()) if text else None
    if match is None or not any(match.groups()):
        return None
    hours, minutes, seconds, millis = (float(group or 0) for group in match.groups())
    return hours * 3600 + minutes * 60 + seconds + millis / 1000

