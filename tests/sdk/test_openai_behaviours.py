"""The fake's behaviours, steered through its control API, as the official ``openai`` SDK sees them.

Quotas (429 with the real message and retry-after, refilled by moving the clock),
quota modes, injected 5xx answers that the SDK's own retries ride out, the content
policy, URL expiry, broken connections, a malformed answer, and latency.

The session's live fake is reset before each test but keeps its configuration, so
every setting changed here is put back by the ``fake`` fixture.
"""

from __future__ import annotations

import json
import logging
import re
import time
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import Any, Literal

import openai
import pytest
import requests
from openai.types import ImagesResponse

from mockserver.http.server import LiveServer
from mockserver.testing.handle import FakeHandle
from tests.conftest import API_KEY
from tests.support import pngs

ORGANIZATION = "org-mockserver00000000000000"
RATE_LIMIT_MESSAGE = (
    f"Rate limit exceeded for images per minute in organization {ORGANIZATION}. Limit: 3/1min. "
    "Current: 4/1min. Please visit https://platform.openai.com/docs/guides/rate-limits to learn how "
    "to increase your rate limit."
)
INSUFFICIENT_QUOTA_MESSAGE = (
    "You exceeded your current quota, please check your plan and billing details. For more "
    "information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."
)
SERVER_ERROR_MESSAGE = "The server had an error while processing your request. Sorry about that!"
OVERLOADED_MESSAGE = "The engine is currently overloaded, please try again later."
PROMPT_POLICY_MESSAGE = (
    "Your request was rejected as a result of our safety system. Your prompt may contain text "
    "that is not allowed by our safety system."
)
IMAGE_POLICY_MESSAGE = "Your input image may contain content that is not allowed by our safety system."
# Settings these tests change; the `fake` fixture puts them back.
RESTORED = ("rate_limits", "quota_mode", "blocked_terms", "blocked_image_sha256", "latency_ms")

MakeSdk = Callable[..., openai.OpenAI]


# --- fixtures and helpers ---------------------------------------------------------------


@pytest.fixture
def fake(live_server: LiveServer) -> Iterator[FakeHandle]:
    """A handle on the live fake; whatever a test changes is restored afterwards."""
    with FakeHandle.over_http(live_server.url) as handle:
        before = handle.config()
        try:
            yield handle
        finally:
            handle.reset()  # faults, clock, journal, quotas
            handle.configure(**{name: before[name] for name in RESTORED})


@pytest.fixture
def make_sdk(live_server: LiveServer) -> Iterator[MakeSdk]:
    """``make_sdk(max_retries=0, timeout=...)``: SDK clients on the live fake, closed afterwards."""
    opened: list[openai.OpenAI] = []

    def make(**options: Any) -> openai.OpenAI:
        sdk = openai.OpenAI(base_url=live_server.base_url, api_key=API_KEY, **options)
        opened.append(sdk)
        return sdk

    yield make
    for sdk in opened:
        sdk.close()


def generate(
    sdk: openai.OpenAI,
    *,
    n: int = 1,
    prompt: str = "a lighthouse at dusk",
    response_format: Literal["url", "b64_json"] = "b64_json",
) -> tuple[ImagesResponse, dict[str, str]]:
    """One generation; its parsed answer and its headers."""
    raw = sdk.images.with_raw_response.generate(prompt=prompt, n=n, size="256x256", response_format=response_format)
    result = raw.parse()
    assert result.data is not None and len(result.data) == n
    return result, dict(raw.headers)


def create_variation(sdk: openai.OpenAI, **params: Any) -> ImagesResponse:
    """``images.create_variation``, which this SDK marks deprecated (the warning is the SDK's)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "deprecated", DeprecationWarning)
        return sdk.images.create_variation(**params)


def journal(fake: FakeHandle, endpoint: str = "generations") -> list[tuple[int | None, str | None]]:
    """(status, fault) of each request the fake saw on ``endpoint``, in order."""
    return [(entry["status"], entry["fault"]) for entry in fake.requests(endpoint=endpoint)]


def download(url: str) -> tuple[int, str, bytes]:
    with requests.get(url, timeout=10) as response:
        return response.status_code, response.headers.get("content-type", ""), response.content


# --- 1. quotas ------------------------------------------------------------------------------


def test_rate_limit_refuses_the_fourth_image_until_the_window_moves(fake: FakeHandle, make_sdk: MakeSdk) -> None:
    fake.set_rate_limits("3/1m")
    fake.freeze()
    sdk = make_sdk(max_retries=0)  # the 429 says "retry in 60 s": the SDK would sleep that long

    _, headers = generate(sdk, n=2)
    assert (headers["x-ratelimit-limit-images"], headers["x-ratelimit-remaining-images"]) == ("3", "1")
    assert headers["x-ratelimit-reset-images"] == "1m0s"
    _, headers = generate(sdk, n=1)
    assert headers["x-ratelimit-limit-images"] == "3"
    assert headers["x-ratelimit-remaining-images"] == "0"
    assert headers["x-ratelimit-reset-images"] == "1m0s"

    with pytest.raises(openai.RateLimitError) as caught:
        generate(sdk, n=1)
    err = caught.value
    assert err.status_code == 429
    assert err.code == "rate_limit_exceeded"
    assert err.type == "requests"
    assert err.param is None
    assert err.body == {"message": RATE_LIMIT_MESSAGE, "type": "requests", "param": None, "code": "rate_limit_exceeded"}
    assert err.message == f"Error code: 429 - {RATE_LIMIT_MESSAGE}"
    # Frozen clock: the first grant leaves the window exactly 60 s after it was made.
    assert err.response.headers["retry-after"] == "60"
    assert err.response.headers["retry-after-ms"] == "60000"
    assert err.response.headers["x-ratelimit-remaining-images"] == "0"

    fake.advance(59)
    with pytest.raises(openai.RateLimitError) as caught:
        generate(sdk, n=1)
    assert caught.value.response.headers["retry-after"] == "1"
    assert caught.value.response.headers["retry-after-ms"] == "1000"

    fake.advance(1)  # both grants (made at the same frozen instant) leave the window
    _, headers = generate(sdk, n=1)
    assert headers["x-ratelimit-remaining-images"] == "2"
    assert journal(fake) == [(200, None), (200, None), (429, None), (429, None), (200, None)]
    assert [e["error_code"] for e in fake.requests(status=429)] == ["rate_limit_exceeded"] * 2


def test_insufficient_quota_and_billing_hard_limit(fake: FakeHandle, make_sdk: MakeSdk) -> None:
    sdk = make_sdk(max_retries=0)  # a 429 without retry-after would be retried after 0.5-1 s backoffs

    fake.set_quota_mode("insufficient_quota")
    with pytest.raises(openai.RateLimitError) as caught:
        generate(sdk)
    err = caught.value
    assert err.status_code == 429
    assert (err.code, err.type, err.param) == ("insufficient_quota", "insufficient_quota", None)
    assert err.body == {
        "message": INSUFFICIENT_QUOTA_MESSAGE,
        "type": "insufficient_quota",
        "param": None,
        "code": "insufficient_quota",
    }
    assert "retry-after" not in err.response.headers
    assert "retry-after-ms" not in err.response.headers

    fake.set_quota_mode("billing_hard_limit_reached")
    with pytest.raises(openai.BadRequestError) as bad:
        generate(sdk)
    assert bad.value.status_code == 400
    assert bad.value.code == "billing_hard_limit_reached"
    assert bad.value.type == "invalid_request_error"
    assert bad.value.body == {
        "message": "Billing hard limit has been reached",
        "type": "invalid_request_error",
        "param": None,
        "code": "billing_hard_limit_reached",
    }

    fake.set_quota_mode("normal")
    generate(sdk)
    assert journal(fake) == [(429, None), (400, None), (200, None)]


# --- 3. injected 5xx and the SDK's retries ---------------------------------------------------


@pytest.mark.parametrize("status", [500, 503, 429])
def test_sdk_retries_ride_out_injected_errors(fake: FakeHandle, make_sdk: MakeSdk, status: int,
                                              caplog: pytest.LogCaptureFixture) -> None:
    fault = fake.inject_fault(endpoint="generations", status=status, count=2, retry_after=0.01)
    assert (fault["kind"], fault["count"]) == ("status", 2)
    sdk = make_sdk()  # the default: max_retries=2
    with caplog.at_level(logging.INFO, logger="openai"):
        generate(sdk)
    assert journal(fake) == [(status, "status"), (status, "status"), (200, None)]
    # retry-after-ms: 10 was honoured, as the SDK says before each sleep (its own backoff would have
    # slept 0.375 s or more; the wall time of the whole, once asserted, is the machine's to stretch).
    said = [re.match(r"Retrying request in ([\d.]+) seconds", record.getMessage()) for record in caplog.records]
    assert [float(m.group(1)) for m in said if m] == [0.01, 0.01], caplog.text
    assert fake.faults() == []


@pytest.mark.parametrize(("status", "message"), [(500, SERVER_ERROR_MESSAGE), (503, OVERLOADED_MESSAGE)])
def test_sdk_gives_up_after_its_retries(fake: FakeHandle, make_sdk: MakeSdk, status: int, message: str) -> None:
    fake.inject_fault(endpoint="generations", status=status, count=3, retry_after=0.01)
    with pytest.raises(openai.InternalServerError) as caught:
        generate(make_sdk())
    err = caught.value
    assert err.status_code == status
    assert err.body == {"message": message, "type": "server_error", "param": None, "code": None}
    assert err.message == f"Error code: {status} - {message}"
    assert err.response.headers["retry-after-ms"] == "10"
    assert journal(fake) == [(status, "status")] * 3


# --- 4. content policy -------------------------------------------------------------------------


def test_content_policy_refuses_prompts_and_images_without_spending_quota(fake: FakeHandle, make_sdk: MakeSdk) -> None:
    fake.set_rate_limits("50/1m")
    fake.freeze()
    sdk = make_sdk(max_retries=0)
    _, headers = generate(sdk)
    assert headers["x-ratelimit-remaining-images"] == "49"

    refusals: list[openai.BadRequestError] = []
    for prompt in ("a nude statue", "A ＮＳＦＷ poster"):  # the second in full-width letters
        with pytest.raises(openai.BadRequestError) as caught:
            generate(sdk, prompt=prompt)
        refusals.append(caught.value)

    fake.block_terms("flamingo")
    assert "flamingo" in fake.config()["blocked_terms"]
    image = pngs.png_bytes(pngs.rgba_with_hole(128))
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.images.edit(image=image, prompt="A pink Flamingo in the pool", size="256x256")
    refusals.append(caught.value)
    for refusal in refusals:
        assert refusal.status_code == 400
        assert (refusal.code, refusal.param, refusal.type) == (
            "content_policy_violation",
            None,
            "invalid_request_error",
        )
        assert refusal.body == {
            "message": PROMPT_POLICY_MESSAGE,
            "type": "invalid_request_error",
            "param": None,
            "code": "content_policy_violation",
        }
        assert refusal.message == f"Error code: 400 - {PROMPT_POLICY_MESSAGE}"

    blocked = pngs.png_bytes(pngs.pattern(128))
    fake.block_images(blocked)
    with pytest.raises(openai.BadRequestError) as caught:
        create_variation(sdk, image=("blocked.png", blocked, "image/png"), size="256x256")
    err = caught.value
    assert (err.status_code, err.code, err.param) == (400, "content_policy_violation", None)
    assert err.body == {
        "message": IMAGE_POLICY_MESSAGE,
        "type": "invalid_request_error",
        "param": None,
        "code": "content_policy_violation",
    }

    # A whole-word match only: "flamingos" is not "flamingo". And the refusals spent nothing.
    raw = sdk.images.with_raw_response.edit(image=image, prompt="two flamingos", size="256x256")
    raw.parse()
    assert raw.headers["x-ratelimit-remaining-images"] == "48"
    policy = [e["endpoint"] for e in fake.requests(status=400) if e["error_code"] == "content_policy_violation"]
    assert policy == ["generations", "generations", "edits", "variations"]


# --- 5. URL expiry ------------------------------------------------------------------------------


def test_url_answers_until_its_hour_is_up_then_403(fake: FakeHandle, make_sdk: MakeSdk) -> None:
    fake.freeze()
    result, _ = generate(make_sdk(), response_format="url")
    assert result.data is not None and result.data[0].url
    url = result.data[0].url

    status, content_type, body = download(url)
    assert (status, content_type) == (200, "image/png")
    assert body.startswith(b"\x89PNG\r\n\x1a\n")

    fake.advance(3601)  # more than an hour after `created`, whatever the fraction of a second
    status, content_type, body = download(url)
    assert status == 403
    assert content_type == "application/xml"
    error = ET.fromstring(body)
    assert error.tag == "Error"
    assert error.findtext("Code") == "AuthenticationFailed"
    assert (error.findtext("AuthenticationErrorDetail") or "").startswith(
        "Signature not valid in the specified time frame"
    )

    fake.set_time(result.created + 3600)  # its last valid second (expiry is inclusive)
    assert download(url)[:2] == (200, "image/png")


# --- 6. broken connections and a malformed answer ---------------------------------------------


def test_connection_reset(fake: FakeHandle, make_sdk: MakeSdk) -> None:
    fake.inject_fault(endpoint="generations", kind="reset")
    with pytest.raises(openai.APIConnectionError) as caught:
        generate(make_sdk(max_retries=0))
    assert type(caught.value) is openai.APIConnectionError  # not a timeout
    assert journal(fake) == [(None, "reset")]

    fake.inject_fault(endpoint="generations", kind="reset")
    generate(make_sdk(max_retries=1))  # one retry, after the SDK's ~0.4-0.5 s backoff
    assert journal(fake) == [(None, "reset"), (None, "reset"), (200, None)]


def test_hang_times_the_sdk_out(fake: FakeHandle, make_sdk: MakeSdk) -> None:
    fake.inject_fault(endpoint="generations", kind="hang", delay_ms=2000)
    started = time.perf_counter()
    with pytest.raises(openai.APITimeoutError):
        generate(make_sdk(timeout=0.5, max_retries=0))
    elapsed = time.perf_counter() - started
    assert 0.45 <= elapsed < 2.0, elapsed  # its own timeout, not the end of the 2 s hang
    assert journal(fake) == [(None, "hang")]


def test_truncated_answer_is_a_connection_error_and_is_retried(fake: FakeHandle, make_sdk: MakeSdk) -> None:
    fake.inject_fault(endpoint="generations", kind="truncated")
    with pytest.raises(openai.APIConnectionError):
        generate(make_sdk(max_retries=0))
    fake.inject_fault(endpoint="generations", kind="truncated")
    generate(make_sdk(max_retries=1))
    assert journal(fake) == [(200, "truncated"), (200, "truncated"), (200, None)]


def test_malformed_json_escapes_the_sdk_as_a_json_decode_error(fake: FakeHandle, make_sdk: MakeSdk) -> None:
    """openai 3.51 reads a ``200 application/json`` answer with ``response.json()`` after its retry
    loop and does not wrap the failure: the caller gets the standard library's JSONDecodeError,
    which is no ``openai.OpenAIError`` (nor an APIResponseValidationError), and nothing is retried."""
    fake.inject_fault(endpoint="generations", kind="malformed_json")
    with pytest.raises(json.JSONDecodeError) as caught:
        generate(make_sdk())  # default retries: a 200 is never retried
    assert not isinstance(caught.value, openai.OpenAIError)
    assert journal(fake) == [(200, "malformed_json")]


# --- 7. latency ----------------------------------------------------------------------------------


def test_latency_is_added_to_every_answer(fake: FakeHandle, make_sdk: MakeSdk) -> None:
    fake.configure(latency_ms=150)
    sdk = make_sdk(max_retries=0)
    started = time.perf_counter()
    _, headers = generate(sdk)
    elapsed = time.perf_counter() - started
    assert elapsed >= 0.15, elapsed
    assert int(headers["openai-processing-ms"]) >= 150
    fake.configure(latency_ms=0)
    started = time.perf_counter()
    _, without = generate(sdk)
    # Faster by the latency: relative to the first answer, so the load of a shared machine on
    # either cannot decide it (an absolute bound of 150 ms could be broken by that load alone).
    assert time.perf_counter() - started < elapsed
    assert int(without["openai-processing-ms"]) < int(headers["openai-processing-ms"])
