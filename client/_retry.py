"""When to retry a request and how long to wait, exactly as the official SDK does.

openai-python (v1.0 to v2.51) and openai-node retry connection errors, timeouts
and the statuses 408, 409, 429 and >= 500, obey a ``x-should-retry`` header, and
wait what the server asks (``retry-after-ms``, else ``retry-after`` in seconds or
as an HTTP date) when that is more than 0 and at most 60 seconds, or else back
off exponentially with up to 25 % jitter. (openai-python 2.52+ honours up to
120 s and gives up beyond; we keep the older, node-compatible rule.) The headers are read by
:func:`contracts.ratelimits.retry_after_seconds`, the reader of what the fake writes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping

import requests

from contracts.headers import SHOULD_RETRY
from contracts.ratelimits import retry_after_seconds

DEFAULT_MAX_RETRIES = 2
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
RETRYABLE_STATUSES = frozenset({408, 409, 429})

# What counts as "the connection failed": the SDK retries every transport error.
RETRYABLE_EXCEPTIONS: tuple[type[Exception], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def should_retry(status: int, headers: Mapping[str, str]) -> bool:
    """Whether an error answer deserves another try."""
    if status < 400:
        return False  # the SDK only ever retries error answers
    hint = headers.get(SHOULD_RETRY)
    if hint == "true":
        return True
    if hint == "false":
        return False
    return status in RETRYABLE_STATUSES or status >= 500


def backoff_delay(retries_taken: int, random: Callable[[], float]) -> float:
    """``min(0.5 * 2**k, 8) * (1 - 0.25 * random())``: 0.375-0.5 s, then 0.75-1.0 s, ..."""
    base = min(INITIAL_RETRY_DELAY * 2.0 ** min(retries_taken, 1000), MAX_RETRY_DELAY)
    return max(base * (1 - 0.25 * random()), 0.0)


def retry_delay(
    headers: Mapping[str, str] | None,
    retries_taken: int,
    random: Callable[[], float],
    now: Callable[[], float] = time.time,
) -> float:
    """Seconds to wait before the next try: the server's wish if reasonable, else backoff."""
    if headers is not None:
        wish = retry_after_seconds(headers, now)
        if wish is not None and math.isfinite(wish) and 0 < wish <= MAX_RETRY_AFTER:
            return wish
    return backoff_delay(retries_taken, random)


def send_with_retries(
    send: Callable[[int], requests.Response],
    *,
    max_retries: int,
    sleep: Callable[[float], None],
    random: Callable[[], float],
    now: Callable[[], float] = time.time,
) -> requests.Response:
    """Call ``send(retries_taken)`` until it answers something final or the retries run out.

    Returns the last response (which may be an error answer; the caller decides what
    it means) or re-raises the last connection error.
    """
    retries_taken = 0
    while True:
        try:
            response = send(retries_taken)
        except RETRYABLE_EXCEPTIONS:
            if retries_taken >= max_retries:
                raise
            delay = backoff_delay(retries_taken, random)
        else:
            if retries_taken >= max_retries or not should_retry(response.status_code, response.headers):
                return response
            delay = retry_delay(response.headers, retries_taken, random, now)
            response.close()
        sleep(delay)
        retries_taken += 1
