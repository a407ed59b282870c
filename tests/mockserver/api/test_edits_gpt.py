"""GPT image models' edits: multipart image[] and JSON edits, and each refusal's exact body.

Expected bodies and token counts are literals (worked out by hand from the catalogue and the
documented token rule), never computed by the code under test.
"""

from __future__ import annotations

import base64
import hashlib
import io
import socket
from typing import Any

import pytest
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from mockserver import create_app
from tests.conftest import AUTH
from tests.support.pngs import mask, pattern, png_bytes

IRE = "invalid_request_error"
USER_ERROR = "image_generation_user_error"


def err(message: str, param: str | None = None, code: str | None = None, type: str = IRE) -> dict[str, Any]:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def encode(image: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt)
    return buf.getvalue()


PNG = png_bytes(pattern((1024, 1024)))  # 765 image tokens: 768x768 after scaling, 4 tiles
JPEG = encode(pattern((600, 400)), "JPEG")  # 425 image tokens: 600x400 as is, 2 tiles
WEBP = encode(pattern((300, 200)), "WEBP")  # 255 image tokens: 1 tile
SMALL_PNG = png_bytes(pattern((64, 48)))
MASK_64x48 = png_bytes(mask(64).resize((64, 48)))

Part = tuple[str, bytes, str | None]  # (file name, bytes, declared content type)


def post_edit(client: FlaskClient, fields: dict[str, str], files: list[tuple[str, Part]]) -> Any:
    """A multipart edit, encoded in memory: ``files`` are (field, (name, bytes, type)) in order."""
    parts: MultiDict[str, Any] = MultiDict(list(fields.items()))
    for field, (name, data, content_type) in files:
        parts.add(field, FileStorage(io.BytesIO(data), name, content_type=content_type))
    boundary, body = encode_multipart(parts)
    return client.post("/v1/images/edits", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def images(*parts: Part) -> list[tuple[str, Part]]:
    return [("image[]", part) for part in parts]


def data_url(data: bytes, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def decoded(body: dict[str, Any]) -> list[Image.Image]:
    out = []
    for item in body["data"]:
        assert set(item) == {"b64_json"}
        image = Image.open(io.BytesIO(base64.b64decode(item["b64_json"], validate=True)))
        image.load()
        out.append(image)
    return out


# --- what succeeds ---------------------------------------------------------------------------


def test_a_two_image_multipart_edit_counts_both_inputs(client: FlaskClient) -> None:
    response = post_edit(client, {"model": "gpt-image-1.5", "prompt": "a cat"},
                         images(("a.png", PNG, "image/png"), ("b.jpg", JPEG, "image/jpeg")))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert {k: v for k, v in body.items() if k not in ("created", "data")} == {
        "background": "opaque",
        "output_format": "png",
        "quality": "high",  # auto
        "size": "1024x1024",  # auto: the first image is square
        "usage": {
            "input_tokens": 1192,  # 765 + 425 image tokens, 2 text tokens ("a cat")
            "input_tokens_details": {"image_tokens": 1190, "text_tokens": 2},
            "output_tokens": 4160,  # [guide] high, 1024x1024
            "total_tokens": 5352,
            "output_tokens_details": {"image_tokens": 4160, "text_tokens": 0},
        },
    }
    [image] = decoded(body)
    assert (image.format, image.size) == ("PNG", (1024, 1024))


def test_a_single_image_part_and_a_webp_first_image(client: FlaskClient) -> None:
    response = post_edit(client, {"model": "gpt-image-2", "prompt": "cat", "n": "2"},
                         [("image", ("c.webp", WEBP, "image/webp"))])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["size"] == "1536x1024"  # auto: the first image is landscape
    assert body["usage"]["input_tokens_details"] == {"image_tokens": 255, "text_tokens": 1}
    assert body["usage"]["output_tokens"] == 2 * 6208  # [guide] high, 1536x1024
    assert [i.size for i in decoded(body)] == [(1536, 1024)] * 2


def test_auto_size_follows_a_portrait_first_image(client: FlaskClient) -> None:
    portrait = encode(pattern((400, 600)), "JPEG")
    response = post_edit(client, {"model": "gpt-image-1.5", "prompt": "cat", "output_format": "jpeg"},
                         [("image", ("p.jpg", portrait, "image/jpeg"))])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["size"], body["output_format"]) == ("1024x1536", "jpeg")
    [image] = decoded(body)
    assert (image.format, image.size) == ("JPEG", (1024, 1536))


def test_sixteen_images_are_taken(client: FlaskClient) -> None:
    response = post_edit(client, {"model": "gpt-image-1-mini", "prompt": "cat", "size": "1024x1536"},
                         images(*[(f"{i}.png", SMALL_PNG, "image/png") for i in range(16)]))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["usage"]["input_tokens_details"]["image_tokens"] == 16 * 255


def test_high_input_fidelity_keeps_more_tiles(client: FlaskClient) -> None:
    big = png_bytes(pattern((1100, 1100)))
    counts = {}
    for fidelity in ("low", "high"):
        response = post_edit(client, {"model": "gpt-image-1.5", "prompt": "cat", "input_fidelity": fidelity},
                             [("image", ("a.png", big, "image/png"))])
        assert response.status_code == 200, response.get_json()
        counts[fidelity] = response.get_json()["usage"]["input_tokens_details"]["image_tokens"]
    assert counts == {"low": 765, "high": 1615}  # 4 tiles at 768x768; 9 tiles at 1100x1100


def test_a_mask_with_alpha_of_the_first_images_size(client: FlaskClient) -> None:
    response = post_edit(client, {"model": "gpt-image-1.5", "prompt": "cat"},
                         [*images(("a.png", SMALL_PNG, "image/png"), ("b.jpg", JPEG, "image/jpeg")),
                          ("mask", ("m.png", MASK_64x48, "image/png"))])
    assert response.status_code == 200, response.get_json()


def test_a_json_edit_with_a_data_url_and_a_mask(client: FlaskClient) -> None:
    body = {"model": "gpt-image-1.5", "prompt": "cat",
            "images": [{"image_url": data_url(SMALL_PNG, "image/png")}, {"image_url": data_url(JPEG, "image/jpeg")}],
            "mask": {"image_url": data_url(MASK_64x48, "image/png")}}
    response = client.post("/v1/images/edits", json=body)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["usage"]["input_tokens_details"] == {"image_tokens": 255 + 425, "text_tokens": 1}
    assert answer["size"] == "1536x1024"


def test_a_json_edit_defaults_to_gpt_image_1_5(client: FlaskClient) -> None:
    # [spec] EditImageBodyJsonParam: model defaults to gpt-image-1.5; `input_fidelity` is its.
    body = {"prompt": "cat", "images": [{"image_url": data_url(WEBP, "image/webp")}], "input_fidelity": "high"}
    response = client.post("/v1/images/edits", json=body)
    assert response.status_code == 200, response.get_json()
    assert "usage" in response.get_json()


def test_a_json_edit_of_an_image_url_the_fake_handed_out(client: FlaskClient) -> None:
    generated = client.post("/v1/images/generations", json={"prompt": "a dog", "size": "256x256"}).get_json()
    url = generated["data"][0]["url"]
    elsewhere = url.replace("http://localhost", "https://images.example.net")  # whatever the host
    response = client.post("/v1/images/edits", json={"model": "gpt-image-2", "prompt": "cat",
                                                     "images": [{"image_url": elsewhere}]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["usage"]["input_tokens_details"]["image_tokens"] == 255  # 256x256: 1 tile


# --- multipart refusals ----------------------------------------------------------------------

MIMETYPE = ("Invalid file '{param}': unsupported mimetype ('{mimetype}'). Supported file formats are "
            "'image/jpeg', 'image/png', and 'image/webp'.")


def invalid_image_file(index: int, request_id: str) -> dict[str, Any]:
    return err(f"Invalid image file or mode for image {index}, please check your image file. If you believe "
               f"this is an error, contact us at help.openai.com and include the request ID {request_id}.",
               None, "invalid_image_file")


MULTIPART_CASES: list[tuple[str, dict[str, str], list[tuple[str, Part]], dict[str, Any]]] = [
    ("bytes sent as octet-stream", {"model": "gpt-image-1.5", "prompt": "p"},
     [("image", ("upload", PNG, "application/octet-stream"))],
     err(MIMETYPE.format(param="image", mimetype="application/octet-stream"), "image", "unsupported_file_mimetype")),
    ("the second of two parts as a gif type", {"model": "gpt-image-1.5", "prompt": "p"},
     images(("a.png", PNG, "image/png"), ("b.gif", PNG, "image/gif")),
     err(MIMETYPE.format(param="image[1]", mimetype="image/gif"), "image[1]", "unsupported_file_mimetype")),
    ("seventeen images", {"model": "gpt-image-1.5", "prompt": "p"},
     images(*[(f"{i}.png", SMALL_PNG, "image/png") for i in range(17)]),
     err("Invalid 'image': array too long. Expected an array with maximum length 16, but got an array with "
         "length 17 instead.", "image", "array_above_max_length")),
    ("a mask declared as octet-stream", {"model": "gpt-image-1.5", "prompt": "p"},
     [*images(("a.png", SMALL_PNG, "image/png")), ("mask", ("mask", MASK_64x48, "application/octet-stream"))],
     err(MIMETYPE.format(param="mask", mimetype="application/octet-stream"), "mask", "unsupported_file_mimetype")),
    ("a mask without alpha", {"model": "gpt-image-1.5", "prompt": "p"},
     [*images(("a.png", SMALL_PNG, "image/png")), ("mask", ("m.png", SMALL_PNG, "image/png"))],
     err("Invalid mask image format - mask image missing alpha channel", None, "invalid_mask_image_format",
         USER_ERROR)),
    ("a mask of another size than the first image", {"model": "gpt-image-1.5", "prompt": "p"},
     [*images(("a.png", SMALL_PNG, "image/png"), ("b.png", png_bytes(pattern((64, 64))), "image/png")),
      ("mask", ("m.png", png_bytes(mask(64)), "image/png"))],
     err("Invalid mask image format - mask size does not match image size", None, "invalid_mask_image_format",
         USER_ERROR)),
    ("a mask that is a webp", {"model": "gpt-image-1.5", "prompt": "p"},
     [*images(("a.png", SMALL_PNG, "image/png")),
      ("mask", ("m.webp", encode(mask(64).resize((64, 48)), "WEBP"), "image/webp"))],
     err("Invalid mask image format - mask image must be a valid PNG file", None, "invalid_mask_image_format",
         USER_ERROR)),
    ("input_fidelity to gpt-image-2", {"model": "gpt-image-2", "prompt": "p", "input_fidelity": "high"},
     images(("a.png", SMALL_PNG, "image/png")),
     err("Unknown parameter: 'input_fidelity'.", "input_fidelity", "unknown_parameter")),
    ("high input_fidelity to gpt-image-1-mini", {"model": "gpt-image-1-mini", "prompt": "p", "input_fidelity": "high"},
     images(("a.png", SMALL_PNG, "image/png")),
     err("Invalid value: 'high'. Supported values are: 'low'.", "input_fidelity", "invalid_value")),
    ("an input_fidelity not listed", {"model": "gpt-image-1.5", "prompt": "p", "input_fidelity": "medium"},
     images(("a.png", SMALL_PNG, "image/png")),
     err("Invalid value: 'medium'. Supported values are: 'high' and 'low'.", "input_fidelity", "invalid_value")),
    ("response_format to a GPT model", {"model": "gpt-image-1.5", "prompt": "p", "response_format": "url"},
     images(("a.png", SMALL_PNG, "image/png")),
     err("Unknown parameter: 'response_format'.", "response_format", "unknown_parameter")),
    ("a size dall-e-2 takes", {"model": "gpt-image-1.5", "prompt": "p", "size": "512x512"},
     images(("a.png", SMALL_PNG, "image/png")),
     err("Invalid value: '512x512'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'.",
         "size", "invalid_value")),
    ("a GPT prompt over 32000 characters", {"model": "gpt-image-1.5", "prompt": "a" * 32001},
     images(("a.png", SMALL_PNG, "image/png")),
     err("Invalid 'prompt': string too long. Expected a string with maximum length 32000, but got a string "
         "with length 32001 instead.", "prompt", "string_above_max_length")),
]


@pytest.mark.parametrize(("case", "fields", "files", "expected"), MULTIPART_CASES, ids=[c[0] for c in MULTIPART_CASES])
def test_multipart_refusals(
    client: FlaskClient, case: str, fields: dict[str, str], files: list[tuple[str, Part]], expected: dict[str, Any]
) -> None:
    response = post_edit(client, fields, files)
    assert response.status_code == 400
    assert response.get_json() == expected


def test_a_part_that_declares_no_content_type(client: FlaskClient) -> None:
    body = (b"--xx\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\ngpt-image-2\r\n"
            b"--xx\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\np\r\n"
            b"--xx\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\n"
            + SMALL_PNG + b"\r\n--xx--\r\n")
    response = client.post("/v1/images/edits", data=body, content_type="multipart/form-data; boundary=xx")
    assert response.get_json() == err(MIMETYPE.format(param="image", mimetype="application/octet-stream"),
                                      "image", "unsupported_file_mimetype")


@pytest.mark.parametrize(("what", "parts", "index"), [
    ("a truncated png", images(("a.png", PNG[: len(PNG) // 2], "image/png")), 1),
    ("a jpeg declared but text sent", images(("a.jpg", b"not a picture at all", "image/jpeg")), 1),
    ("a damaged second image", images(("a.png", PNG, "image/png"), ("b.jpg", JPEG[:700], "image/jpeg")), 2),
    ("a CMYK jpeg", images(("a.jpg", encode(pattern(32, "CMYK"), "JPEG"), "image/jpeg")), 1),
])
def test_an_undecodable_image_names_its_position_and_the_request(
    client: FlaskClient, what: str, parts: list[tuple[str, Part]], index: int
) -> None:
    response = post_edit(client, {"model": "gpt-image-1.5", "prompt": "p"}, parts)
    assert response.status_code == 400
    assert response.get_json() == invalid_image_file(index, response.headers["x-request-id"])
    assert response.headers["x-request-id"].startswith("req_")


def test_an_image_of_50_mb_is_too_large() -> None:
    client = create_app(max_request_bytes=64 * 1024 * 1024).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = AUTH["Authorization"]
    big = PNG + b"\0" * (50 * 1024 * 1024 - len(PNG))  # 50 MB exactly: not "less than 50MB"
    response = post_edit(client, {"model": "gpt-image-1.5", "prompt": "p"}, [("image", ("a.png", big, "image/png"))])
    assert response.status_code == 400
    assert response.get_json() == err(
        "Invalid file 'image': file too large (52428800 bytes). The maximum file size is 50 MB.",
        "image", "image_file_too_large")


def test_dall_e_2_keeps_its_rules(client: FlaskClient) -> None:
    # A JPEG to dall-e-2 (the default model of a multipart edit) is still the seed's refusal.
    response = post_edit(client, {"prompt": "p"}, [("image", ("a.jpg", JPEG, "image/jpeg"))])
    assert response.get_json() == err("Uploaded image must be a PNG and less than 4 MB.", None, "invalid_image_format")


# --- JSON refusals ---------------------------------------------------------------------------

GIF = b"GIF89a" + b"\0" * 40
JSON_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("a URL elsewhere", {"prompt": "p", "images": [{"image_url": "https://example.com/cat.png"}]},
     err("Error while downloading https://example.com/cat.png.", None, "invalid_image_url")),
    ("a file_id", {"prompt": "p", "images": [{"image_url": data_url(WEBP, "image/webp")}, {"file_id": "file-abc123"}]},
     err("No such File object: file-abc123", "images[1].file_id")),
    ("a mask by file_id", {"prompt": "p", "images": [{"image_url": data_url(WEBP, "image/webp")}],
                           "mask": {"file_id": "file-mask"}},
     err("No such File object: file-mask", "mask.file_id")),
    ("both image_url and file_id", {"prompt": "p", "images": [{"image_url": "https://x.test/a.png", "file_id": "f"}]},
     err("Invalid 'images[0]': expected exactly one of 'image_url' or 'file_id'.", "images[0]", "invalid_value")),
    ("neither", {"prompt": "p", "images": [{}]},
     err("Invalid 'images[0]': expected exactly one of 'image_url' or 'file_id'.", "images[0]", "invalid_value")),
    ("an unknown key in a reference",
     {"prompt": "p", "images": [{"image_url": "https://x.test/a.png", "detail": "high"}]},
     err("Unknown parameter: 'images[0].detail'.", "images[0].detail", "unknown_parameter")),
    ("an image_url that is not a string", {"prompt": "p", "images": [{"image_url": 7}]},
     err("Invalid type for 'images[0].image_url': expected a string, but got an integer instead.",
         "images[0].image_url", "invalid_type")),
    ("images not an array", {"prompt": "p", "images": {"image_url": "https://x.test/a.png"}},
     err("Invalid type for 'images': expected an array, but got an object instead.", "images", "invalid_type")),
    ("no images", {"prompt": "p", "images": []},
     err("Invalid 'images': empty array. Expected an array with minimum length 1, but got an empty array instead.",
         "images", "empty_array")),
    ("seventeen images", {"prompt": "p", "images": [{"file_id": f"file-{i}"} for i in range(17)]},
     err("Invalid 'images': array too long. Expected an array with maximum length 16, but got an array with "
         "length 17 instead.", "images", "array_above_max_length")),
    ("images missing", {"prompt": "p"},
     err("Missing required parameter: 'images'.", "images", "missing_required_parameter")),
    ("the multipart field name", {"prompt": "p", "image": data_url(WEBP, "image/webp")},
     err("Unknown parameter: 'image'.", "image", "unknown_parameter")),
    ("a data URL of a gif", {"prompt": "p", "images": [{"image_url": data_url(GIF, "image/gif")}]},
     err(MIMETYPE.format(param="images[0].image_url", mimetype="image/gif"), "images[0].image_url",
         "unsupported_file_mimetype")),
    ("a data URL that is not base64", {"prompt": "p", "images": [{"image_url": "data:image/png,hello"}]},
     err("Invalid image_url for 'images[0].image_url': expected a base64-encoded data URL of an image "
         "(data:image/png;base64,...).", "images[0].image_url", "invalid_image_url")),
    ("a data URL with broken base64", {"prompt": "p", "images": [{"image_url": "data:image/png;base64,i*V"}]},
     err("Invalid image_url for 'images[0].image_url': expected a base64-encoded data URL of an image "
         "(data:image/png;base64,...).", "images[0].image_url", "invalid_image_url")),
    ("a data URL mask without alpha", {"prompt": "p", "images": [{"image_url": data_url(SMALL_PNG, "image/png")}],
                                       "mask": {"image_url": data_url(SMALL_PNG, "image/png")}},
     err("Invalid mask image format - mask image missing alpha channel", None, "invalid_mask_image_format",
         USER_ERROR)),
    ("a dall-e-2 JSON edit",
     {"model": "dall-e-2", "prompt": "p", "images": [{"image_url": data_url(PNG, "image/png")}]},
     err("Invalid value: 'dall-e-2'. Supported values are: 'gpt-image-1.5', 'gpt-image-2', 'gpt-image-2-2026-04-21', "
         "'gpt-image-2.5-sunburst', 'gpt-image-2.5-sunburst-2026-09-08', 'gpt-image-2.5-flare', "
         "'gpt-image-2.5-flare-2026-09-08', 'gpt-image-2.6-sunburst', 'gpt-image-2.6-flare', 'gpt-image-1', "
         "'gpt-image-1-mini', and 'chatgpt-image-latest'.", "model", "invalid_value")),
]


@pytest.mark.parametrize(("case", "body", "expected"), JSON_CASES, ids=[c[0] for c in JSON_CASES])
def test_json_refusals(client: FlaskClient, case: str, body: dict[str, Any], expected: dict[str, Any]) -> None:
    response = client.post("/v1/images/edits", json=body)
    assert response.status_code == 400
    assert response.get_json() == expected


def test_no_url_is_ever_fetched_from_the_network(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fake tried to reach the network")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    for url in ("https://example.com/cat.png", "http://127.0.0.1:9/x.png", "ftp://example.com/a.png",
                "http://localhost/private/org-x/user-y/img-abc.png?sig=x"):
        response = client.post("/v1/images/edits", json={"prompt": "p", "images": [{"image_url": url}]})
        assert response.get_json() == err(f"Error while downloading {url}.", None, "invalid_image_url")


def test_the_fakes_own_url_is_checked_as_a_fetch_would_be(client: FlaskClient, app: Any) -> None:
    generated = client.post("/v1/images/generations", json={"prompt": "a dog", "size": "256x256"})
    url = generated.get_json()["data"][0]["url"]

    def edit(image_url: str) -> Any:
        return client.post("/v1/images/edits", json={"prompt": "p", "images": [{"image_url": image_url}]})

    assert edit(url).status_code == 200
    tampered = url.replace("sp=r", "sp=w")
    assert edit(tampered).get_json() == err(f"Error while downloading {tampered}.", None, "invalid_image_url")
    app.extensions["mockserver"].clock.advance(3601)  # the URL has expired
    assert edit(url).get_json() == err(f"Error while downloading {url}.", None, "invalid_image_url")


def test_a_json_edit_changes_nothing_when_refused(client: FlaskClient, app: Any) -> None:
    backend = app.extensions["mockserver"]
    before = len(backend.store)
    response = client.post("/v1/images/edits", json={"prompt": "p", "images": [{"file_id": "file-1"}]})
    assert response.status_code == 400
    assert len(backend.store) == before


@pytest.mark.parametrize("json_body", [False, True])
def test_a_blocked_second_image_is_moderation_blocked(json_body: bool) -> None:
    blocked = hashlib.sha256(JPEG).hexdigest()
    client = create_app(blocked_image_sha256=(blocked,)).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = AUTH["Authorization"]
    if json_body:
        response = client.post("/v1/images/edits", json={"prompt": "p", "images": [
            {"image_url": data_url(SMALL_PNG, "image/png")}, {"image_url": data_url(JPEG, "image/jpeg")}]})
    else:
        response = post_edit(client, {"model": "gpt-image-1.5", "prompt": "p"},
                             images(("a.png", SMALL_PNG, "image/png"), ("b.jpg", JPEG, "image/jpeg")))
    request_id = response.headers["x-request-id"]
    assert response.status_code == 400
    assert response.get_json() == {"error": {
        "message": "Your request was rejected by the safety system. If you believe this is an error, contact us at "
                   f"help.openai.com and include the request ID {request_id}. safety_violations=[other].",
        "type": USER_ERROR, "param": None, "code": "moderation_blocked",
        "moderation_details": {"moderation_stage": "input", "categories": ["other"]},
    }}
