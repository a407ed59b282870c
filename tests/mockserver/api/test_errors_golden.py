"""Golden tests: each rule broken once, and the exact error the real API writes.

The expected bodies are literals written from the captured texts (docs/errors.md says,
situation by situation, where each comes from), never computed by the code under test.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from mockserver import create_app
from tests.support.pngs import mask, pattern, png_bytes, rgba_with_hole

IRE = "invalid_request_error"


def err(message: str, param: str | None = None, code: str | None = None, type: str = IRE) -> dict[str, Any]:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


SIZES_CURRENT = "Supported values are: '256x256', '512x512', and '1024x1024'."

GENERATION_CASES: list[tuple[str, Any, dict[str, Any]]] = [
    ("size not allowed", {"prompt": "cat", "size": "300x300"},
     err(f"Invalid value: '300x300'. {SIZES_CURRENT}", "size", "invalid_value")),
    ("size with a multiplication sign", {"prompt": "cat", "size": "256×256"},
     err(f"Invalid value: '256×256'. {SIZES_CURRENT}", "size", "invalid_value")),
    ("size of a dall-e-3 shape", {"prompt": "cat", "size": "1792x1024"},
     err(f"Invalid value: '1792x1024'. {SIZES_CURRENT}", "size", "invalid_value")),
    ("size as a number", {"prompt": "cat", "size": 256},
     err("Invalid type for 'size': expected one of '256x256', '512x512', or '1024x1024', "
         "but got an integer instead.", "size", "invalid_type")),
    ("n above 10", {"prompt": "cat", "n": 11},
     err("Invalid 'n': integer above maximum value. Expected a value <= 10, but got 11 instead.",
         "n", "integer_above_max_value")),
    ("n of 0", {"prompt": "cat", "n": 0},
     err("Invalid 'n': integer below minimum value. Expected a value >= 1, but got 0 instead.",
         "n", "integer_below_min_value")),
    ("n negative", {"prompt": "cat", "n": -3},
     err("Invalid 'n': integer below minimum value. Expected a value >= 1, but got -3 instead.",
         "n", "integer_below_min_value")),
    ("n as a string", {"prompt": "cat", "n": "2"},
     err("Invalid type for 'n': expected an integer, but got a string instead.", "n", "invalid_type")),
    ("n as a float", {"prompt": "cat", "n": 2.0},
     err("Invalid type for 'n': expected an integer, but got a decimal number instead.", "n", "invalid_type")),
    ("n as a boolean", {"prompt": "cat", "n": True},
     err("Invalid type for 'n': expected an integer, but got a boolean instead.", "n", "invalid_type")),
    ("n as an array", {"prompt": "cat", "n": [1]},
     err("Invalid type for 'n': expected an integer, but got an array instead.", "n", "invalid_type")),
    ("prompt missing", {"n": 1},
     err("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter")),
    ("prompt empty", {"prompt": ""},
     err("Invalid 'prompt': empty string. Expected a string with minimum length 1, but got an empty "
         "string instead.", "prompt", "empty_string")),
    ("prompt too long", {"prompt": "a" * 1157},
     err("Invalid 'prompt': string too long. Expected a string with maximum length 1000, but got a "
         "string with length 1157 instead.", "prompt", "string_above_max_length")),
    ("prompt as an object", {"prompt": {"text": "cat"}},
     err("Invalid type for 'prompt': expected a string, but got an object instead.", "prompt", "invalid_type")),
    ("prompt null", {"prompt": None},
     err("Invalid type for 'prompt': expected a string, but got null instead.", "prompt", "invalid_type")),
    ("response_format not allowed", {"prompt": "cat", "response_format": "png"},
     err("Invalid value: 'png'. Supported values are: 'url' and 'b64_json'.", "response_format",
         "invalid_value")),
    ("user not a string", {"prompt": "cat", "user": 42},
     err("Invalid type for 'user': expected a string, but got an integer instead.", "user", "invalid_type")),
    ("unknown parameter", {"prompt": "cat", "colour": "blue"},
     err("Unknown parameter: 'colour'.", "colour", "unknown_parameter")),
    ("quality is not a dall-e-2 parameter", {"prompt": "cat", "quality": "hd"},
     err("Unknown parameter: 'quality'.", "quality", "unknown_parameter")),
    ("style is not a dall-e-2 parameter", {"prompt": "cat", "style": "vivid"},
     err("Unknown parameter: 'style'.", "style", "unknown_parameter")),
    ("unknown model", {"prompt": "cat", "model": "dall-e-9"},
     err("Invalid value: 'dall-e-9'. Supported values are: 'gpt-image-1.5', 'gpt-image-2', "
         "'gpt-image-2-2026-04-21', 'gpt-image-2.5-sunburst', 'gpt-image-2.5-sunburst-2026-09-08', "
         "'gpt-image-2.5-flare', 'gpt-image-2.5-flare-2026-09-08', 'gpt-image-2.6-sunburst', "
         "'gpt-image-2.6-flare', 'gpt-image-1', 'gpt-image-1-mini', 'chatgpt-image-latest', 'dall-e-2', "
         "and 'dall-e-3'.", "model", "invalid_value")),
    ("body not an object", ["prompt", "cat"],
     err("We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
         "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
         "valid JSON. If you have trouble figuring out how to fix this, please contact us through our "
         "help center at help.openai.com.)")),
]


@pytest.mark.parametrize(("case", "body", "expected"), GENERATION_CASES, ids=[c[0] for c in GENERATION_CASES])
def test_generation_refusals(client: FlaskClient, case: str, body: Any, expected: dict[str, Any]) -> None:
    response = client.post("/v1/images/generations", json=body)
    assert response.status_code == 400
    assert response.get_json() == expected


def test_null_optional_fields_take_their_defaults(client: FlaskClient) -> None:
    body = {"prompt": "cat", "n": None, "size": None, "response_format": None, "user": None, "model": None}
    response = client.post("/v1/images/generations", json=body)
    assert response.status_code == 200
    assert len(response.get_json()["data"]) == 1


LEGACY_CASES: list[tuple[Any, str]] = [
    ({"prompt": "cat", "size": "256×256"},
     "'256×256' is not one of ['256x256', '512x512', '1024x1024'] - 'size'"),
    ({"prompt": "cat", "n": 15}, "15 is greater than the maximum of 10 - 'n'"),
    ({"prompt": "cat", "n": 0}, "0 is less than the minimum of 1 - 'n'"),
    ({"prompt": "a" * 1157},
     "Prompt must be length 1000 or less. Your prompt length is 1157. Please reduce your prompt length."),
    ({"n": 1}, "'prompt' is a required property"),
]


@pytest.mark.parametrize(("body", "message"), LEGACY_CASES)
def test_legacy_era_wording(body: Any, message: str) -> None:
    client = create_app(error_era="legacy").test_client()
    response = client.post("/v1/images/generations", json=body, headers={"Authorization": "Bearer sk-x"})
    assert response.status_code == 400
    assert response.get_json() == err(message)


# --- uploads --------------------------------------------------------------------------

SQUARE = png_bytes(rgba_with_hole(64))


def post_form(client: FlaskClient, path: str, **parts: Any) -> Any:
    """POST a multipart body encoded in memory; bytes become file parts named like the legacy SDK's.

    (The test client would spool a large body to a temporary file it never closes.)
    """
    fields = MultiDict({k: FileStorage(io.BytesIO(v), k) if isinstance(v, bytes) else v
                        for k, v in parts.items()})
    boundary, body = encode_multipart(fields)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


NOT_PNG = err("Uploaded image must be a PNG and less than 4 MB.", None, "invalid_image_format")
UPLOAD_CASES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("image missing", "edits", {"prompt": "p"},
     err("Missing required parameter: 'image'.", "image", "missing_required_parameter")),
    ("image missing (variation)", "variations", {"n": "1"},
     err("Missing required parameter: 'image'.", "image", "missing_required_parameter")),
    ("prompt missing", "edits", {"image": SQUARE},
     err("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter")),
    ("a JPEG", "variations", {"image": b"\xff\xd8\xff\xe0" + b"\0" * 100}, NOT_PNG),
    ("an empty file", "variations", {"image": b""}, NOT_PNG),
    ("a truncated PNG", "variations", {"image": SQUARE[: len(SQUARE) // 2]}, NOT_PNG),
    ("a PNG with a corrupt chunk", "variations", {"image": SQUARE[:40] + b"\x00\x01" + SQUARE[42:]}, NOT_PNG),
    ("4 MB exactly", "variations", {"image": SQUARE + b"\0" * (4 * 1024 * 1024 - len(SQUARE))}, NOT_PNG),
    ("not square", "variations", {"image": png_bytes(pattern((256, 128)))},
     err("Invalid input image - expected an image with equal width and height, got 256x128 instead.")),
    ("edit of an RGB image without mask", "edits", {"prompt": "p", "image": png_bytes(pattern(64))},
     err("Invalid input image - format must be in ['RGBA', 'LA', 'L'], got RGB.")),
    ("edit of a palette image without mask", "edits", {"prompt": "p", "image": png_bytes(pattern(64, "P"))},
     err("Invalid input image - format must be in ['RGBA', 'LA', 'L'], got P.")),
    ("mask without alpha", "edits",
     {"prompt": "p", "image": png_bytes(pattern(64)), "mask": png_bytes(pattern(64))},
     err("Invalid input image - format must be in ['RGBA', 'LA', 'L'], got RGB.")),
    ("mask not a PNG", "edits", {"prompt": "p", "image": SQUARE, "mask": b"GIF89a" + b"\0" * 50}, NOT_PNG),
    ("mask of other dimensions", "edits", {"prompt": "p", "image": SQUARE, "mask": png_bytes(mask(32))},
     err("Invalid mask image - expected a mask with the same dimensions as the image (64x64), "
         "got 32x32 instead.")),
    ("mask sent to variations", "variations", {"image": SQUARE, "mask": png_bytes(mask(64))},
     err("Unknown parameter: 'mask'.", "mask", "unknown_parameter")),
    ("prompt sent to variations", "variations", {"image": SQUARE, "prompt": "p"},
     err("Unknown parameter: 'prompt'.", "prompt", "unknown_parameter")),
    ("n not a number", "variations", {"image": SQUARE, "n": "two"},
     err("Invalid type for 'n': expected an integer, but got a string instead.", "n", "invalid_type")),
    ("n fractional", "variations", {"image": SQUARE, "n": "1.5"},
     err("Invalid type for 'n': expected an integer, but got a decimal number instead.", "n", "invalid_type")),
    ("n above 10 in a form", "edits", {"prompt": "p", "image": SQUARE, "n": "12"},
     err("Invalid 'n': integer above maximum value. Expected a value <= 10, but got 12 instead.",
         "n", "integer_above_max_value")),
    ("size not allowed in a form", "variations", {"image": SQUARE, "size": "64x64"},
     err(f"Invalid value: '64x64'. {SIZES_CURRENT}", "size", "invalid_value")),
    ("empty prompt in a form", "edits", {"prompt": "", "image": SQUARE},
     err("Invalid 'prompt': empty string. Expected a string with minimum length 1, but got an empty "
         "string instead.", "prompt", "empty_string")),
    ("prompt too long in a form", "edits", {"prompt": "é" * 1001, "image": SQUARE},
     err("Invalid 'prompt': string too long. Expected a string with maximum length 1000, but got a "
         "string with length 1001 instead.", "prompt", "string_above_max_length")),
]


@pytest.mark.parametrize(("case", "endpoint", "parts", "expected"), UPLOAD_CASES,
                         ids=[c[0] for c in UPLOAD_CASES])
def test_upload_refusals(
    client: FlaskClient, case: str, endpoint: str, parts: dict[str, Any], expected: dict[str, Any]
) -> None:
    response = post_form(client, f"/v1/images/{endpoint}", **parts)
    assert response.status_code == 400
    assert response.get_json() == expected


def test_two_images_to_dall_e_2(client: FlaskClient) -> None:
    data = {"prompt": "p", "image[]": [(io.BytesIO(SQUARE), "a.png"), (io.BytesIO(SQUARE), "b.png")]}
    response = client.post("/v1/images/edits", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.get_json() == err(
        "Invalid 'image': array too long. Expected an array with maximum length 1, but got an array "
        "with length 2 instead.", "image", "array_above_max_length")


def test_a_single_image_array_is_one_image(client: FlaskClient) -> None:
    data = {"prompt": "p", "image[]": [(io.BytesIO(SQUARE), "a.png")]}
    response = client.post("/v1/images/edits", data=data, content_type="multipart/form-data")
    assert response.status_code == 200


# --- auth, routing, transport -----------------------------------------------------------

MISSING_KEY = err(
    "You didn't provide an API key. You need to provide your API key in an Authorization header using "
    "Bearer auth (i.e. Authorization: Bearer YOUR_KEY). "
)


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "sk-no-scheme"])
def test_missing_or_malformed_key(header: str | None) -> None:
    client = create_app().test_client()
    headers = {} if header is None else {"Authorization": header}
    response = client.post("/v1/images/generations", json={"prompt": "cat"}, headers=headers)
    assert response.status_code == 401
    assert response.get_json() == MISSING_KEY


def test_wrong_key_is_masked() -> None:
    client = create_app(api_keys=("sk-good",)).test_client()
    key = "sk-abc12" + "x" * 39 + "wxyz"
    response = client.post("/v1/images/generations", json={"prompt": "cat"},
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401
    assert response.get_json() == err(
        "Incorrect API key provided: sk-abc12***************************************wxyz. You can find "
        "your API key at https://platform.openai.com/account/api-keys.", None, "invalid_api_key")
    ok = client.post("/v1/images/generations", json={"prompt": "cat"}, headers={"Authorization": "Bearer sk-good"})
    assert ok.status_code == 200


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/v1/images/generations/images/generations"),
    ("POST", "/v1/images"),
    ("GET", "/v1/images/generations"),
    ("PUT", "/v1/images/edits"),
    ("DELETE", "/v1/images/variations"),
    ("POST", "/v1/chat/completions"),
])
def test_unknown_path_or_method(client: FlaskClient, method: str, path: str) -> None:
    response = client.open(path, method=method)
    assert response.status_code == 404
    assert response.get_json() == err(f"Invalid URL ({method} {path})")


@pytest.mark.parametrize("body", [b"{bad", b"", b"\xff\xfe", b"[" * 100_000, b'{"prompt": "a"' , b"NaN x"])
def test_unparseable_json(client: FlaskClient, body: bytes) -> None:
    response = client.post("/v1/images/generations", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith("We could not parse the JSON body")


def test_multipart_endpoint_given_json(client: FlaskClient) -> None:
    response = client.post("/v1/images/variations", json={"n": 1})
    assert response.status_code == 400
    assert response.get_json() == err(
        "Invalid Content-Type header (application/json), expected multipart/form-data. (HINT: If you're "
        "using curl, you can pass -H 'Content-Type: multipart/form-data')")


@pytest.mark.parametrize("body", [
    b"junk without any boundary",
    b"--xx\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\n1",  # never closed
    b"--xx\r\nno headers end here",
])
def test_broken_multipart(client: FlaskClient, body: bytes) -> None:
    response = client.post("/v1/images/variations", data=body,
                           content_type="multipart/form-data; boundary=xx")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith(
        "We could not parse the multipart/form-data body")


def test_an_empty_but_well_formed_form_is_missing_its_parameters(client: FlaskClient) -> None:
    response = client.post("/v1/images/variations", data=b"--xx--\r\n", content_type="multipart/form-data; boundary=xx")
    assert response.status_code == 400
    assert response.get_json() == err("Missing required parameter: 'image'.", "image", "missing_required_parameter")


def test_a_png_with_a_damaged_end_is_refused(client: FlaskClient) -> None:
    for damaged in (SQUARE[:-1], SQUARE[:-6] + b"\x00" + SQUARE[-5:], SQUARE[:-12]):
        response = post_form(client, "/v1/images/variations", image=damaged)
        assert response.get_json() == NOT_PNG


def test_multipart_without_boundary(client: FlaskClient) -> None:
    response = client.post("/v1/images/variations", data=b"x", content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith("We could not parse the multipart")
