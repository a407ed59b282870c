"""Every exception class, from the fake's real answers where it gives them, else from mocked ones."""

from __future__ import annotations

import base64
import re

import pytest
import requests
import responses
from flask import Flask

from client import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ImageDownloadError,
    ImagesClient,
    ImagesError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from mockserver import create_app
from tests.client.conftest import FAKE_BASE, FAKE_HOST, route_into
from tests.conftest import API_KEY

GENERATIONS = f"{FAKE_BASE}/images/generations"
REQUEST_ID = re.compile(r"req_[0-9a-f]{32}")


def client(**options: object) -> ImagesClient:
    options.setdefault("base_url", FAKE_BASE)
    options.setdefault("api_key", API_KEY)
    options.setdefault("max_retries", 0)
    return ImagesClient(**options)  # type: ignore[arg-type]


# --- from the fake --------------------------------------------------------------------


def test_bad_size_is_a_bad_request(images: ImagesClient) -> None:
    with pytest.raises(BadRequestError) as caught:
        images.generate("a cat", size="300x300")
    exc = caught.value
    assert exc.status == 400
    assert exc.type == "invalid_request_error"
    assert exc.code == "invalid_value"
    assert exc.param == "size"
    assert exc.message == "Invalid value: '300x300'. Supported values are: '256x256', '512x512', and '1024x1024'."
    assert exc.request_id is not None and REQUEST_ID.fullmatch(exc.request_id)
    assert exc.request_id == exc.headers["X-Request-ID"]  # headers look up case-insensitively
    assert exc.body == {"error": {"message": exc.message, "type": "invalid_request_error", "param": "size",
                                  "code": "invalid_value"}}
    assert str(exc) == (
        "400 invalid_value (param size): Invalid value: '300x300'. Supported values are: '256x256', "
        f"'512x512', and '1024x1024'. [request {exc.request_id}]"
    )
    assert isinstance(exc, APIStatusError) and isinstance(exc, APIError) and isinstance(exc, ImagesError)


def test_upload_that_is_not_a_png_is_a_bad_request(images: ImagesClient) -> None:
    with pytest.raises(BadRequestError) as caught:
        images.create_variation(b"\xff\xd8\xff\xe0 a jpeg, say")
    assert caught.value.code == "invalid_image_format"
    assert caught.value.message == "Uploaded image must be a PNG and less than 4 MB."


def test_wrong_key_is_an_authentication_error() -> None:
    with (
        route_into(create_app(api_keys=("sk-good",))),
        client(api_key="sk-wrong-0123456789abcdef") as images,
        pytest.raises(AuthenticationError) as caught,
    ):
        images.generate("a cat")
    exc = caught.value
    assert (exc.status, exc.type, exc.code, exc.param) == (401, "invalid_request_error", "invalid_api_key", None)
    assert exc.message == (
        "Incorrect API key provided: sk-wrong*************cdef. "
        "You can find your API key at https://platform.openai.com/account/api-keys."
    )
    assert str(exc).startswith("401 invalid_api_key: Incorrect API key provided")


def test_unknown_path_is_not_found() -> None:
    # The base URL forgot its /v1.
    with route_into(create_app()), client(base_url=FAKE_HOST) as images, pytest.raises(NotFoundError) as caught:
        images.generate("a cat")
    exc = caught.value
    assert (exc.status, exc.code, exc.param) == (404, None, None)
    assert exc.message == "Invalid URL (POST /images/generations)"
    assert str(exc) == f"404 invalid_request_error: Invalid URL (POST /images/generations) [request {exc.request_id}]"


def test_image_url_of_a_forgotten_image_is_a_download_error(app: Flask, images: ImagesClient) -> None:
    item = images.generate("a cat", size="256x256").data[0]
    app.extensions["mockserver"].reset()
    with pytest.raises(ImageDownloadError, match="HTTP 404 BlobNotFound") as caught:
        item.png_bytes()
    assert caught.value.status == 404 and caught.value.url == item.url
    assert "sig=" not in str(caught.value)  # the signature stays out of messages


def test_tampered_image_url_is_a_download_error_not_an_expiry(images: ImagesClient) -> None:
    from client import ImageData, ImageURLExpiredError

    item = images.generate("a cat", size="256x256").data[0]
    assert item.url is not None
    forged = ImageData(url=item.url.replace("sp=r", "sp=rw"))
    with pytest.raises(ImageDownloadError, match="HTTP 403 AuthenticationFailed") as caught:
        forged.png_bytes(images)
    assert not isinstance(caught.value, ImageURLExpiredError)


# --- mocked answers -------------------------------------------------------------------


def error_body(message: str, type_: str, code: str | None = None) -> dict[str, object]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


@responses.activate
def test_403_is_permission_denied() -> None:
    message = "Your organization must be verified to use the model `gpt-image-1`."
    responses.add(responses.POST, GENERATIONS, status=403,
                  json=error_body(message, "invalid_request_error", "organization_must_be_verified"),
                  headers={"x-request-id": "req_403"})
    with client() as images, pytest.raises(PermissionDeniedError) as caught:
        images.generate("a cat")
    assert caught.value.code == "organization_must_be_verified"
    assert caught.value.message == message and caught.value.request_id == "req_403"


@responses.activate
def test_429_is_a_rate_limit_error_with_retry_after() -> None:
    responses.add(responses.POST, GENERATIONS, status=429,
                  json=error_body("Rate limit exceeded for images per minute.", "requests", "rate_limit_exceeded"),
                  headers={"retry-after": "7"})
    with client() as images, pytest.raises(RateLimitError) as caught:
        images.generate("a cat")
    assert caught.value.retry_after == 7.0
    assert caught.value.type == "requests" and caught.value.code == "rate_limit_exceeded"


@responses.activate
def test_429_without_retry_after() -> None:
    responses.add(responses.POST, GENERATIONS, status=429,
                  json=error_body("You exceeded your current quota.", "insufficient_quota", "insufficient_quota"))
    with client() as images, pytest.raises(RateLimitError) as caught:
        images.generate("a cat")
    assert caught.value.retry_after is None


@pytest.mark.parametrize("status", [500, 503, 504])
@responses.activate
def test_5xx_is_an_internal_server_error(status: int) -> None:
    responses.add(responses.POST, GENERATIONS, status=status,
                  json=error_body("The server had an error while processing your request. Sorry about that!",
                                  "server_error"))
    with client() as images, pytest.raises(InternalServerError) as caught:
        images.generate("a cat")
    assert caught.value.status == status and caught.value.type == "server_error"


@responses.activate
def test_non_json_error_body_is_kept_as_text() -> None:
    html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    responses.add(responses.POST, GENERATIONS, status=502, body=html, content_type="text/html")
    with client() as images, pytest.raises(InternalServerError) as caught:
        images.generate("a cat")
    exc = caught.value
    assert exc.body == html and exc.message == html
    assert (exc.type, exc.code, exc.param, exc.request_id) == (None, None, None, None)
    assert str(exc) == f"502: {html}"


@responses.activate
def test_empty_error_body_and_odd_envelopes() -> None:
    responses.add(responses.POST, GENERATIONS, status=418, body="")
    responses.add(responses.POST, GENERATIONS, status=400, json={"error": "just a string"})
    responses.add(responses.POST, GENERATIONS, status=400, json={"error": {"message": "m", "type": "t", "code": 5}})
    with client() as images:
        with pytest.raises(APIStatusError) as caught:
            images.generate("a cat")
        assert type(caught.value) is APIStatusError  # no class of its own: the base
        assert caught.value.status == 418 and caught.value.message.startswith("HTTP 418")
        with pytest.raises(BadRequestError) as bad:
            images.generate("a cat")
        assert bad.value.body == {"error": "just a string"} and bad.value.code is None
        with pytest.raises(BadRequestError) as odd:
            images.generate("a cat")
        assert odd.value.code == "5" and odd.value.message == "m"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("{not json", "not valid JSON"),
        ('{"created": 1700000000, "data": [{"url": "http://fake.test/x', "not valid JSON"),  # truncated
        ('{"created": 1700000000}', "data is NoneType, not an array"),
        ('{"created": 1700000000, "data": []}', "data has 0 items, expected 1"),
        ('{"created": 1700000000, "data": [{"b64_json": "AAAA"}]}',
         "data[0] has ['b64_json'], expected one of ['url']"),
        ('{"created": 1700000000, "data": [{"url": "u"}], "usage": {"input_tokens": 1}}',
         "usage.output_tokens is None"),
        ("[]", "body is list, not an object"),
    ],
)
@responses.activate
def test_a_200_that_is_not_an_images_response(body: str, problem: str) -> None:
    responses.add(responses.POST, GENERATIONS, status=200, body=body, content_type="application/json",
                  headers={"x-request-id": "req_ok"})
    with client() as images, pytest.raises(APIResponseValidationError, match=re.escape(problem)) as caught:
        images.generate("a cat")
    assert caught.value.status == 200 and caught.value.request_id == "req_ok"
    assert len(responses.calls) == 1  # a bad 200 is not retried


@responses.activate
def test_connection_error_and_timeout() -> None:
    responses.add(responses.POST, GENERATIONS, body=requests.ConnectionError("refused"))
    responses.add(responses.POST, GENERATIONS, body=requests.exceptions.ReadTimeout("slow"))
    responses.add(responses.POST, GENERATIONS, body=requests.exceptions.ConnectTimeout("slower"))
    with client() as images:
        with pytest.raises(APIConnectionError) as refused:
            images.generate("a cat")
        assert not isinstance(refused.value, APITimeoutError)
        assert refused.value.url == GENERATIONS and "refused" in str(refused.value)
        with pytest.raises(APITimeoutError):
            images.generate("a cat")
        with pytest.raises(APITimeoutError) as connect:
            images.generate("a cat")
        assert isinstance(connect.value, APIConnectionError)


def test_bad_constructor_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImagesError, match="api_key"):
        ImagesClient(api_key="")
    with pytest.raises(ValueError, match="max_retries"):
        ImagesClient(api_key="sk-x", max_retries=-1)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ImagesError, match="OPENAI_API_KEY"):
        ImagesClient.from_env()
    with client() as images, pytest.raises(TypeError, match="cannot use a int as an image"):
        images.create_variation(42)  # type: ignore[arg-type]


def test_b64_helpers_need_no_network() -> None:
    from client import ImageData, InvalidImageError

    with pytest.raises(InvalidImageError):
        ImageData(b64_json=base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()).png_bytes()
