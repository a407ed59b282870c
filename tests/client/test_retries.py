"""Retries exactly as the official SDK does them: which answers, how long, how many times."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator

import pytest
import requests
import responses
from responses.registries import OrderedRegistry

from client import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ImageDownloadError,
    ImagesClient,
    InternalServerError,
    RateLimitError,
)
from client._retry import backoff_delay, retry_after_seconds, retry_delay
from tests.client.conftest import FAKE_BASE, Sleeps
from tests.conftest import API_KEY

URL = f"{FAKE_BASE}/images/generations"
OK = {"created": 1700000000, "data": [{"url": "http://fake.test/private/img.png"}]}
SERVER_ERROR = {"error": {"message": "The server had an error while processing your request. Sorry about that!",
                          "type": "server_error", "param": None, "code": None}}


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    # Ordered: each registered answer is used once, in turn, so a test scripts a conversation.
    with responses.RequestsMock(registry=OrderedRegistry) as rsps:
        yield rsps


def make(sleeps: Sleeps, *, random: float = 0.0, max_retries: int = 2) -> ImagesClient:
    return ImagesClient(base_url=FAKE_BASE, api_key=API_KEY, max_retries=max_retries, sleep=sleeps,
                        random=lambda: random)


def error(mock: responses.RequestsMock, status: int, **headers: str) -> None:
    mock.add(responses.POST, URL, status=status, json=SERVER_ERROR, headers=headers)


def ok(mock: responses.RequestsMock) -> None:
    mock.add(responses.POST, URL, status=200, json=OK)


def retry_counts(mock: responses.RequestsMock) -> list[str]:
    return [call.request.headers["x-stainless-retry-count"] for call in mock.calls]


def test_500_then_200_succeeds_after_one_sleep(mock: responses.RequestsMock) -> None:
    error(mock, 500)
    ok(mock)
    sleeps = Sleeps()
    with make(sleeps) as images:
        result = images.generate("a cat")
    assert result.created == 1700000000
    assert sleeps == [0.5]
    assert retry_counts(mock) == ["0", "1"]


@pytest.mark.parametrize(
    ("headers", "slept"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "0.25"}, 0.25),  # a float is allowed
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),  # milliseconds win
        ({"retry-after-ms": "soon", "retry-after": "2"}, 2.0),  # a garbled one is skipped
        ({"retry-after": "60"}, 60.0),  # the largest honoured
        ({"retry-after": "120"}, 0.5),  # over 60 s: backoff instead
        ({"retry-after": "0"}, 0.5),  # not positive: backoff
        ({"retry-after": "-3"}, 0.5),
        ({"retry-after": "whenever"}, 0.5),
    ],
)
def test_429_waits_what_the_server_asks(mock: responses.RequestsMock, headers: dict[str, str], slept: float) -> None:
    error(mock, 429, **headers)
    ok(mock)
    sleeps = Sleeps()
    with make(sleeps) as images:
        images.generate("a cat")
    assert sleeps == [slept]
    assert len(mock.calls) == 2


def test_retry_after_as_an_http_date(mock: responses.RequestsMock) -> None:
    error(mock, 503, **{"retry-after": email.utils.formatdate(time.time() + 30, usegmt=True)})
    ok(mock)
    sleeps = Sleeps()
    with make(sleeps) as images:
        images.generate("a cat")
    assert len(sleeps) == 1 and 28.0 < sleeps[0] <= 30.0  # the date has whole seconds


def test_retry_after_date_is_read_against_the_clock() -> None:
    date = "Fri, 01 Mar 2024 01:18:47 GMT"
    epoch = 1709255927.0
    assert retry_after_seconds({"retry-after": date}, now=lambda: epoch - 12) == 12.0
    assert retry_delay({"retry-after": date}, 0, lambda: 0.0, now=lambda: epoch - 12) == 12.0
    assert retry_delay({"retry-after": date}, 0, lambda: 0.0, now=lambda: epoch + 5) == 0.5  # already past
    assert retry_after_seconds({}) is None


def test_backoff_formula() -> None:
    assert [backoff_delay(k, lambda: 0.0) for k in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert [backoff_delay(k, lambda: 1.0) for k in range(3)] == [0.375, 0.75, 1.5]
    assert backoff_delay(5000, lambda: 0.0) == 8.0  # no overflow on absurd counts


@pytest.mark.parametrize(("random", "expected"), [(0.0, [0.5, 1.0]), (1.0, [0.375, 0.75]), (0.5, [0.4375, 0.875])])
def test_backoff_sequence_then_give_up(mock: responses.RequestsMock, random: float, expected: list[float]) -> None:
    for _ in range(3):
        error(mock, 500)
    sleeps = Sleeps()
    with make(sleeps, random=random) as images, pytest.raises(InternalServerError):
        images.generate("a cat")
    assert sleeps == expected
    assert retry_counts(mock) == ["0", "1", "2"]


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 599])
def test_retried_statuses(mock: responses.RequestsMock, status: int) -> None:
    error(mock, status)
    ok(mock)
    sleeps = Sleeps()
    with make(sleeps) as images:
        images.generate("a cat")
    assert len(mock.calls) == 2 and sleeps == [0.5]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
def test_client_errors_are_never_retried(mock: responses.RequestsMock, status: int) -> None:
    error(mock, status)
    sleeps = Sleeps()
    with make(sleeps) as images, pytest.raises(Exception) as caught:
        images.generate("a cat")
    assert getattr(caught.value, "status", None) == status
    assert len(mock.calls) == 1 and sleeps == []


def test_x_should_retry_false_forbids_a_retry(mock: responses.RequestsMock) -> None:
    error(mock, 500, **{"x-should-retry": "false"})
    sleeps = Sleeps()
    with make(sleeps) as images, pytest.raises(InternalServerError):
        images.generate("a cat")
    assert len(mock.calls) == 1 and sleeps == []


def test_x_should_retry_true_forces_a_retry(mock: responses.RequestsMock) -> None:
    error(mock, 400, **{"x-should-retry": "true"})
    error(mock, 401, **{"x-should-retry": "true", "retry-after": "2"})
    ok(mock)
    sleeps = Sleeps()
    with make(sleeps) as images:
        images.generate("a cat")
    assert len(mock.calls) == 3 and sleeps == [0.5, 2.0]


def test_x_should_retry_true_still_stops_after_max_retries(mock: responses.RequestsMock) -> None:
    for _ in range(2):
        error(mock, 401, **{"x-should-retry": "true"})
    sleeps = Sleeps()
    with make(sleeps, max_retries=1) as images, pytest.raises(AuthenticationError):
        images.generate("a cat")
    assert len(mock.calls) == 2 and sleeps == [0.5]


def test_max_retries_zero(mock: responses.RequestsMock) -> None:
    error(mock, 429, **{"retry-after": "1"})
    sleeps = Sleeps()
    with make(sleeps, max_retries=0) as images, pytest.raises(RateLimitError) as caught:
        images.generate("a cat")
    assert len(mock.calls) == 1 and sleeps == []
    assert caught.value.retry_after == 1.0


def test_more_retries_when_asked(mock: responses.RequestsMock) -> None:
    for _ in range(5):
        error(mock, 500)
    ok(mock)
    sleeps = Sleeps()
    with make(sleeps, max_retries=5) as images:
        images.generate("a cat")
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert retry_counts(mock) == ["0", "1", "2", "3", "4", "5"]


def test_connection_errors_are_retried_then_raised(mock: responses.RequestsMock) -> None:
    for _ in range(3):
        mock.add(responses.POST, URL, body=requests.ConnectionError("connection refused"))
    sleeps = Sleeps()
    with make(sleeps) as images, pytest.raises(APIConnectionError) as caught:
        images.generate("a cat")
    assert not isinstance(caught.value, APITimeoutError)
    assert len(mock.calls) == 3 and sleeps == [0.5, 1.0]


def test_a_connection_error_then_success(mock: responses.RequestsMock) -> None:
    mock.add(responses.POST, URL, body=requests.ConnectionError("reset by peer"))
    ok(mock)
    sleeps = Sleeps()
    with make(sleeps) as images:
        images.generate("a cat")
    assert len(mock.calls) == 2 and sleeps == [0.5]


def test_timeouts_are_retried_then_raised(mock: responses.RequestsMock) -> None:
    mock.add(responses.POST, URL, body=requests.exceptions.ConnectTimeout("connect"))
    mock.add(responses.POST, URL, body=requests.exceptions.ReadTimeout("read"))
    sleeps = Sleeps()
    with make(sleeps, random=1.0, max_retries=1) as images, pytest.raises(APITimeoutError):
        images.generate("a cat")
    assert len(mock.calls) == 2 and sleeps == [0.375]


def test_a_malformed_200_is_not_retried(mock: responses.RequestsMock) -> None:
    from client import APIResponseValidationError

    mock.add(responses.POST, URL, status=200, body='{"created": 17000', content_type="application/json")
    sleeps = Sleeps()
    with make(sleeps) as images, pytest.raises(APIResponseValidationError, match="not valid JSON") as caught:
        images.generate("a cat")
    assert caught.value.status == 200
    assert len(mock.calls) == 1 and sleeps == []


def test_edits_are_retried_with_the_same_upload(mock: responses.RequestsMock) -> None:
    edits = f"{FAKE_BASE}/images/variations"
    mock.add(responses.POST, edits, status=502, body="bad gateway")
    mock.add(responses.POST, edits, status=200, json=OK)
    sleeps = Sleeps()
    with make(sleeps) as images:
        images.create_variation(b"\x89PNG fake bytes")
    first, second = (call.request.body for call in mock.calls)
    assert isinstance(first, bytes) and isinstance(second, bytes)
    assert b"\x89PNG fake bytes" in first and b"\x89PNG fake bytes" in second


def test_downloads_retry_5xx_but_not_403(mock: responses.RequestsMock) -> None:
    image = "http://fake.test/private/img.png"
    mock.add(responses.GET, image, status=503, body="busy")
    mock.add(responses.GET, image, status=403, body="<Error><Code>AuthorizationFailure</Code></Error>")
    sleeps = Sleeps()
    with make(sleeps) as images, pytest.raises(ImageDownloadError, match="HTTP 403 AuthorizationFailure"):
        images.download(image)
    assert len(mock.calls) == 2 and sleeps == [0.5]


def test_download_connection_error(mock: responses.RequestsMock) -> None:
    image = "http://fake.test/private/img.png?sig=secret"
    # requests quotes the path and query in its connection errors; the signature must not leak.
    mock.add(responses.GET, image, body=requests.ConnectionError(
        "Max retries exceeded with url: /private/img.png?sig=secret (Name or service not known)"))
    sleeps = Sleeps()
    with make(sleeps, max_retries=0) as images, pytest.raises(ImageDownloadError) as caught:
        images.download(image)
    assert caught.value.status is None and "secret" not in str(caught.value)
    assert "Name or service not known" in str(caught.value)


def test_bad_request_class_is_not_retried_even_with_retry_after(mock: responses.RequestsMock) -> None:
    error(mock, 400, **{"retry-after": "1"})
    sleeps = Sleeps()
    with make(sleeps) as images, pytest.raises(BadRequestError):
        images.generate("a cat")
    assert sleeps == []
