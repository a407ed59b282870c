"""The official ``openai`` Python SDK (current line) against the fake, as a user sees it.

Every endpoint in both response formats, with each kind of upload the SDK takes
(open file, ``pathlib.Path``, raw ``bytes``, ``(filename, bytes, content type)``);
the images are decoded and measured; errors arrive as the SDK's exception classes
with the API's fields; 4xx answers are not retried; and the SDK also runs with no
socket at all, through httpx's WSGI transport.
"""

from __future__ import annotations

import base64
import functools
import io
import pathlib
import re
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any, Literal

import httpx
import openai
import pytest
from openai.types import ImagesResponse

from mockserver import create_app
from mockserver.http.server import LiveServer
from tests.conftest import API_KEY
from tests.sdk.recording import Canned, RequestLog
from tests.support import pngs

REQUEST_ID = re.compile(r"req_[0-9a-f]{32}")
CLOCK_TOLERANCE_S = 60
UPLOAD_KINDS = ("file", "path", "bytes", "tuple")
# What the SDK is given, for one PNG: (kind, bytes, file name) -> the `image=` argument.
MakeUpload = Callable[[str, bytes, str], Any]
CheckImages = Callable[..., list[bytes]]
ResponseFormat = Literal["url", "b64_json"]

BAD_SIZE_BODY = {
    "message": "Invalid value: '300x300'. Supported values are: '256x256', '512x512', and '1024x1024'.",
    "type": "invalid_request_error",
    "param": "size",
    "code": "invalid_value",
}
NOT_SQUARE_MESSAGE = (
    "Invalid input image - expected an image with equal width and height, got 256x128 instead."
)
RGB_WITHOUT_MASK_MESSAGE = "Invalid input image - format must be in ['RGBA', 'LA', 'L'], got RGB."


# --- helpers --------------------------------------------------------------------------




def fetch(url: str, http: httpx.Client) -> bytes:
    """Download an image URL as a user would."""
    response = http.get(url)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    assert response.headers["content-type"] == "image/png"
    return response.content


def check_images(
    result: object,
    *,
    n: int,
    response_format: str,
    size: str,
    http: httpx.Client,
) -> list[bytes]:
    """Check an ``ImagesResponse`` as a user reads it; return its images' PNG bytes."""
    assert isinstance(result, ImagesResponse)
    assert type(result.created) is int
    assert abs(result.created - time.time()) <= CLOCK_TOLERANCE_S, result.created
    assert result._request_id is not None and REQUEST_ID.fullmatch(result._request_id), result._request_id
    # A DALL·E answer carries nothing but `created` and `data`.
    assert set(result.to_dict()) == {"created", "data"}
    assert result.data is not None and len(result.data) == n
    width, height = (int(side) for side in size.split("x"))
    images = []
    for item in result.data:
        if response_format == "url":
            assert item.b64_json is None and item.url, item
            data = fetch(item.url, http)
        else:
            assert item.url is None and item.b64_json, item
            data = base64.b64decode(item.b64_json, validate=True)
        assert item.revised_prompt is None
        assert pngs.png_size(data) == (width, height)
        images.append(data)
    return images


def create_variation(client: openai.OpenAI, **params: Any) -> ImagesResponse:
    """``client.images.create_variation``, which this SDK marks deprecated (the endpoint is retired
    upstream); the warning is the SDK's, not the fake's."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "deprecated", DeprecationWarning)
        return client.images.create_variation(**params)


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """What downloads the image URLs."""
    with httpx.Client() as downloader:
        yield downloader


@pytest.fixture
def check(http: httpx.Client) -> CheckImages:
    """``check_images`` with the downloader bound."""
    return functools.partial(check_images, http=http)


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=live_server.base_url, api_key=API_KEY) as sdk:
        yield sdk


@pytest.fixture
def make_upload(tmp_path: pathlib.Path) -> Iterator[MakeUpload]:
    """Turn PNG bytes into the `image=`/`mask=` argument of the given kind."""
    opened: list[io.BufferedReader] = []

    def make(kind: str, data: bytes, name: str) -> Any:
        if kind == "bytes":
            return data
        if kind == "tuple":
            return (name, data, "image/png")
        path = tmp_path / name
        path.write_bytes(data)
        if kind == "path":
            return path
        assert kind == "file", kind
        handle = path.open("rb")
        opened.append(handle)
        return handle

    yield make
    for handle in opened:
        handle.close()


@pytest.fixture(scope="module")
def recorded_server() -> Iterator[tuple[LiveServer, RequestLog]]:
    """A fake of our own whose requests are recorded (and can be answered by canned responses)."""
    app = create_app()
    log = RequestLog.install(app)
    with LiveServer(app) as server:
        yield server, log


@pytest.fixture
def recorded(recorded_server: tuple[LiveServer, RequestLog]) -> tuple[LiveServer, RequestLog]:
    server, log = recorded_server
    log.clear()
    return server, log


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[tuple[LiveServer, RequestLog]]:
    """A fake that accepts only the key ``sk-good``."""
    app = create_app(api_keys=("sk-good",))
    log = RequestLog.install(app)
    with LiveServer(app) as server:
        yield server, log


# --- the three endpoints ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response_format", "n", "size"), [("url", 2, "256x256"), ("b64_json", 3, "512x512")]
)
def test_generate(
    client: openai.OpenAI, check: CheckImages, response_format: ResponseFormat, n: int, size: str
) -> None:
    result = client.images.generate(
        prompt="a white siamese cat", n=n, size=size, response_format=response_format
    )
    images = check(result, n=n, response_format=response_format, size=size)
    assert len(set(images)) == n, "the n images of one answer should differ"


def test_generate_defaults_to_one_1024_url(client: openai.OpenAI, check: CheckImages) -> None:
    result = client.images.generate(prompt="a white siamese cat")
    check(result, n=1, response_format="url", size="1024x1024")


@pytest.mark.parametrize("kind", UPLOAD_KINDS)
@pytest.mark.parametrize("response_format", ["url", "b64_json"])
def test_edit(
    client: openai.OpenAI,
    check: CheckImages,
    make_upload: MakeUpload,
    response_format: ResponseFormat,
    kind: str,
) -> None:
    # A 128px input and a 256px answer: the size asked for, not the input's.
    image = make_upload(kind, pngs.png_bytes(pngs.pattern(128)), "sunlit_lounge.png")
    mask = make_upload(kind, pngs.png_bytes(pngs.mask(128)), "mask.png")
    result = client.images.edit(
        image=image,
        mask=mask,
        prompt="a flamingo in the pool",
        n=2,
        size="256x256",
        response_format=response_format,
    )
    check(result, n=2, response_format=response_format, size="256x256")


def test_edit_without_mask_uses_the_image_transparency(client: openai.OpenAI, check: CheckImages) -> None:
    image = pngs.png_bytes(pngs.rgba_with_hole(128))
    result = client.images.edit(image=image, prompt="a flamingo", size="256x256", response_format="b64_json")
    check(result, n=1, response_format="b64_json", size="256x256")


@pytest.mark.parametrize("kind", UPLOAD_KINDS)
@pytest.mark.parametrize("response_format", ["url", "b64_json"])
def test_create_variation(
    client: openai.OpenAI,
    check: CheckImages,
    make_upload: MakeUpload,
    response_format: ResponseFormat,
    kind: str,
) -> None:
    image = make_upload(kind, pngs.png_bytes(pngs.pattern(128)), "corgi_and_cat_paw.png")
    result = create_variation(client, image=image, n=2, size="512x512", response_format=response_format)
    check(result, n=2, response_format=response_format, size="512x512")


def test_every_upload_kind_sends_the_whole_image(
    client: openai.OpenAI, check: CheckImages, make_upload: MakeUpload
) -> None:
    """Images are rendered from the uploaded bytes: four kinds of the same PNG, one answer."""
    data = pngs.png_bytes(pngs.pattern(128))
    answers = {
        kind: create_variation(
            client, image=make_upload(kind, data, "same.png"), size="256x256", response_format="b64_json"
        )
        for kind in UPLOAD_KINDS
    }
    images = {
        kind: check(r, n=1, response_format="b64_json", size="256x256")[0] for kind, r in answers.items()
    }
    assert len(set(images.values())) == 1, "the same upload gave different images"
    other = create_variation(
        client, image=pngs.png_bytes(pngs.pattern(128, "RGBA")), size="256x256", response_format="b64_json"
    )
    assert check(other, n=1, response_format="b64_json", size="256x256")[0] != images["bytes"]


def test_upload_kinds_reach_the_fake_as_the_sdk_encodes_them(
    recorded: tuple[LiveServer, RequestLog], make_upload: MakeUpload
) -> None:
    """The fake accepts each encoding, `application/octet-stream` named `upload` included."""
    server, log = recorded
    data = pngs.png_bytes(pngs.pattern(64))
    with openai.OpenAI(base_url=server.base_url, api_key=API_KEY) as sdk:
        for kind in UPLOAD_KINDS:
            create_variation(sdk, image=make_upload(kind, data, "corgi.png"), size="256x256")
    seen = [
        (r.status, r.part("image").filename, r.part("image").content_type, r.part("image").data)
        for r in log.api_requests()
    ]
    assert seen == [
        (200, "corgi.png", "image/png", data),  # open file
        (200, "corgi.png", "image/png", data),  # pathlib.Path
        (200, "upload", "application/octet-stream", data),  # bytes
        (200, "corgi.png", "image/png", data),  # tuple
    ]


# --- determinism ----------------------------------------------------------------------------


def test_same_generation_twice_gives_identical_images(client: openai.OpenAI, check: CheckImages) -> None:
    params: dict[str, Any] = {"prompt": "a white siamese cat", "n": 2, "size": "256x256"}
    first = check(
        client.images.generate(**params, response_format="b64_json"),
        n=2,
        response_format="b64_json",
        size="256x256",
    )
    second = check(
        client.images.generate(**params, response_format="b64_json"),
        n=2,
        response_format="b64_json",
        size="256x256",
    )
    as_urls = check(
        client.images.generate(**params, response_format="url"), n=2, response_format="url", size="256x256"
    )
    assert first == second
    assert as_urls == first
    other = client.images.generate(**{**params, "prompt": "a black cat"}, response_format="b64_json")
    assert check(other, n=2, response_format="b64_json", size="256x256") != first


def test_edit_and_variation_urls_hold_the_b64_images(client: openai.OpenAI, check: CheckImages) -> None:
    image = pngs.png_bytes(pngs.pattern(128))
    mask = pngs.png_bytes(pngs.mask(128))
    edits = [
        check(
            client.images.edit(
                image=image, mask=mask, prompt="a flamingo", size="256x256", response_format=fmt
            ),
            n=1,
            response_format=fmt,
            size="256x256",
        )[0]
        for fmt in ("url", "b64_json", "b64_json")
    ]
    variations = [
        check(
            create_variation(client, image=image, size="256x256", response_format=fmt),
            n=1,
            response_format=fmt,
            size="256x256",
        )[0]
        for fmt in ("url", "b64_json", "b64_json")
    ]
    assert edits[0] == edits[1] == edits[2]
    assert variations[0] == variations[1] == variations[2]
    assert edits[0] != variations[0]


# --- errors -----------------------------------------------------------------------------------


def test_bad_size_is_a_bad_request_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(prompt="a white siamese cat", size="300x300")
    err = caught.value
    assert err.status_code == 400
    assert err.body == BAD_SIZE_BODY
    assert err.code == "invalid_value"
    assert err.param == "size"
    assert err.type == "invalid_request_error"
    assert err.message == f"Error code: 400 - {BAD_SIZE_BODY['message']}"
    assert err.request_id is not None and REQUEST_ID.fullmatch(err.request_id)


@pytest.mark.parametrize("endpoint", ["edits", "variations"])
def test_non_square_upload_is_a_bad_request_error(client: openai.OpenAI, endpoint: str) -> None:
    image = pngs.png_bytes(pngs.pattern((256, 128), "RGBA"))
    with pytest.raises(openai.BadRequestError) as caught:
        if endpoint == "edits":
            client.images.edit(image=("wide.png", image, "image/png"), prompt="a flamingo")
        else:
            create_variation(client, image=("wide.png", image, "image/png"))
    err = caught.value
    assert err.status_code == 400
    assert err.body == {
        "message": NOT_SQUARE_MESSAGE,
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert err.code is None
    assert err.param is None
    assert err.message == f"Error code: 400 - {NOT_SQUARE_MESSAGE}"


def test_edit_of_rgb_without_mask_is_a_bad_request_error(client: openai.OpenAI) -> None:
    image = pngs.png_bytes(pngs.pattern(128, "RGB"))
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.edit(image=image, prompt="a flamingo")
    err = caught.value
    assert err.status_code == 400
    assert err.body == {
        "message": RGB_WITHOUT_MASK_MESSAGE,
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert (err.code, err.param) == (None, None)
    assert err.message == f"Error code: 400 - {RGB_WITHOUT_MASK_MESSAGE}"


def test_wrong_api_key_is_an_authentication_error(
    keyed_server: tuple[LiveServer, RequestLog], check: CheckImages
) -> None:
    server, log = keyed_server
    log.clear()
    with openai.OpenAI(base_url=server.base_url, api_key="sk-good") as good:
        good_answer = good.images.generate(prompt="a cat", size="256x256", response_format="b64_json")
    check(good_answer, n=1, response_format="b64_json", size="256x256")

    with (
        openai.OpenAI(base_url=server.base_url, api_key="sk-bad-0123456789abcdef") as bad,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        bad.images.generate(prompt="a cat", size="256x256")
    err = caught.value
    message = (
        "Incorrect API key provided: sk-bad-0***********cdef. "
        "You can find your API key at https://platform.openai.com/account/api-keys."
    )
    assert err.status_code == 401
    assert err.body == {
        "message": message,
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }
    assert err.code == "invalid_api_key"
    # One request for the good key, one for the bad: a 401 is not retried.
    assert [(r.headers["authorization"], r.status) for r in log.api_requests()] == [
        ("Bearer sk-good", 200),
        ("Bearer sk-bad-0123456789abcdef", 401),
    ]


def test_bad_requests_are_not_retried(recorded: tuple[LiveServer, RequestLog]) -> None:
    server, log = recorded
    with openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=2) as sdk:
        with pytest.raises(openai.BadRequestError):
            sdk.images.generate(prompt="a cat", size="300x300")
        with pytest.raises(openai.BadRequestError):
            create_variation(sdk, image=pngs.png_bytes(pngs.pattern((256, 128))))
    requests = log.api_requests()
    assert [(r.path, r.status, r.headers.get("x-stainless-retry-count")) for r in requests] == [
        ("/v1/images/generations", 400, "0"),
        ("/v1/images/variations", 400, "0"),
    ]


def test_the_request_counter_sees_retries(
    recorded: tuple[LiveServer, RequestLog], check: CheckImages
) -> None:
    """Control for the test above: a 500 is retried, and the recorder counts each attempt."""
    server, log = recorded
    failure = Canned(
        500,
        b'{"error": {"message": "The server had an error while processing your request. Sorry about that!",'
        b' "type": "server_error", "param": null, "code": null}}',
        (("Content-Type", "application/json"), ("retry-after-ms", "1")),
    )
    log.canned.extend([failure, failure])
    with openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=2) as sdk:
        result = sdk.images.generate(prompt="a cat", size="256x256", response_format="b64_json")
    check(result, n=1, response_format="b64_json", size="256x256")
    assert [(r.status, r.headers.get("x-stainless-retry-count")) for r in log.api_requests()] == [
        (500, "0"),
        (500, "1"),
        (200, "2"),
    ]


# --- no socket: httpx's WSGI transport --------------------------------------------------------


@pytest.fixture
def wsgi_client() -> Iterator[tuple[openai.OpenAI, httpx.Client]]:
    http = httpx.Client(transport=httpx.WSGITransport(app=create_app()))
    # The SDK is typed for httpx2 clients but documents and accepts httpx ones.
    sdk = openai.OpenAI(base_url="http://fake/v1", api_key="sk-x", http_client=http)  # type: ignore[arg-type]
    with http, sdk:
        yield sdk, http


def test_generation_through_the_wsgi_transport(wsgi_client: tuple[openai.OpenAI, httpx.Client]) -> None:
    sdk, http = wsgi_client
    result = sdk.images.generate(prompt="a white siamese cat", n=2, size="256x256")
    assert result.data is not None
    assert all(item.url and item.url.startswith("http://fake/private/") for item in result.data)
    from_urls = check_images(result, n=2, response_format="url", size="256x256", http=http)
    as_b64 = sdk.images.generate(
        prompt="a white siamese cat", n=2, size="256x256", response_format="b64_json"
    )
    assert check_images(as_b64, n=2, response_format="b64_json", size="256x256", http=http) == from_urls


def test_edit_through_the_wsgi_transport(wsgi_client: tuple[openai.OpenAI, httpx.Client]) -> None:
    sdk, http = wsgi_client
    result = sdk.images.edit(
        image=("sunlit_lounge.png", pngs.png_bytes(pngs.pattern(128)), "image/png"),
        mask=("mask.png", pngs.png_bytes(pngs.mask(128)), "image/png"),
        prompt="A sunlit indoor lounge area with a pool containing a flamingo",
        size="256x256",
        response_format="b64_json",
    )
    check_images(result, n=1, response_format="b64_json", size="256x256", http=http)
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.images.edit(image=pngs.png_bytes(pngs.pattern(128, "RGB")), prompt="a flamingo")
    assert caught.value.body == {
        "message": RGB_WITHOUT_MASK_MESSAGE,
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
