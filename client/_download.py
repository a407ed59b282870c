"""Fetch an image URL and tell an expired one from other failures.

Image URLs point at blob storage, not at the API: they are fetched without the
API key, and their failures are Azure's (XML bodies), not the API's envelope.
"""

from __future__ import annotations

import random as _random
import re
import time
from collections.abc import Callable

import requests

from client._errors import ImageDownloadError, ImageURLExpiredError
from client._retry import send_with_retries
from contracts.models import DALL_E_2

Timeout = float | tuple[float, float] | None
# openai-python's defaults: 5 s to connect, 600 s for the rest.
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 600.0)

# [obs] Azure's answer to a SAS past its expiry; see contract section 6.
_EXPIRED_MARKERS = ("<Code>AuthenticationFailed</Code>", "Signature not valid in the specified time frame")
_EXPIRY = re.compile(r"Expiry \[([^\]]+)\]")


def _short(url: str) -> str:
    """The URL without its query: the signature is long and a credential of sorts."""
    return url.split("?", 1)[0]


def _redacted(text: str, url: str) -> str:
    """``text`` with the URL's query (its signature) cut out; requests quotes it in its errors."""
    _, _, query = url.partition("?")
    return text.replace(query, "…") if query else text


def _duration(seconds: int) -> str:
    if seconds == 3600:
        return "one hour"
    return f"{seconds // 3600} hours" if seconds % 3600 == 0 else f"{seconds // 60} minutes"


def expired_message(url: str, body: str) -> str:
    """What to tell a person whose image URL has expired."""
    expiry = _EXPIRY.search(body)
    when = f" (it expired at {expiry.group(1)})" if expiry else ""
    return (
        f"image URL expired{when}: image URLs are valid for {_duration(DALL_E_2.url_ttl_seconds)} "
        "after the request; "
        f"download images promptly, or ask for response_format='b64_json'. URL: {_short(url)}"
    )


def download_png(
    session: requests.Session,
    url: str,
    *,
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: int = 0,
    sleep: Callable[[float], None] = time.sleep,
    random: Callable[[], float] = _random.random,
) -> bytes:
    """The bytes behind an image URL; raises ImageURLExpiredError or ImageDownloadError."""

    def send(retries_taken: int) -> requests.Response:
        return session.get(url, timeout=timeout)

    try:
        response = send_with_retries(send, max_retries=max_retries, sleep=sleep, random=random)
    except requests.RequestException as exc:
        raise ImageDownloadError(f"could not download {_short(url)}: {_redacted(str(exc), url)}", url=url) from exc
    with response:
        if response.status_code == 200:
            return response.content
        body = response.text
    if response.status_code == 403 and all(marker in body for marker in _EXPIRED_MARKERS):
        raise ImageURLExpiredError(expired_message(url, body), url=url, status=403, body=body)
    code = re.search(r"<Code>([^<]+)</Code>", body)
    reason = code.group(1) if code else (response.reason or "")
    raise ImageDownloadError(
        f"could not download {_short(url)}: HTTP {response.status_code} {reason}".rstrip(),
        url=url,
        status=response.status_code,
        body=body,
    )
