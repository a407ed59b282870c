"""Successful answers: their shape, their images and their determinism."""

from __future__ import annotations

import base64
import io
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from PIL import ImageChops, ImageStat

from tests.support.pngs import decode, mask, pattern, png_bytes, rgba_with_hole


def generate(client: FlaskClient, **body: Any) -> Any:
    response = client.post("/v1/images/generations", json={"prompt": "a white siamese cat", **body})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def upload(client: FlaskClient, endpoint: str, **parts: Any) -> Any:
    data = {k: (io.BytesIO(v), f"{k}.png") if isinstance(v, bytes) else v for k, v in parts.items()}
    response = client.post(f"/v1/images/{endpoint}", data=data, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def b64_images(body: Any) -> list[bytes]:
    return [base64.b64decode(item["b64_json"]) for item in body["data"]]


def fetch(client: FlaskClient, url: str) -> bytes:
    parts = urlsplit(url)
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    return response.data


@pytest.mark.parametrize("size", ["256x256", "512x512", "1024x1024"])
@pytest.mark.parametrize("fmt", ["url", "b64_json"])
def test_generation_answer_shape(client: FlaskClient, size: str, fmt: str) -> None:
    before = int(time.time())
    body = generate(client, n=2, size=size, response_format=fmt)
    assert set(body) == {"created", "data"}
    assert before <= body["created"] <= int(time.time())
    assert len(body["data"]) == 2
    for item in body["data"]:
        assert list(item) == [fmt]
    pngs = b64_images(body) if fmt == "b64_json" else [fetch(client, i["url"]) for i in body["data"]]
    width = int(size.split("x")[0])
    for data in pngs:
        image = decode(data)
        assert image.format == "PNG"
        assert image.size == (width, width)


def test_defaults_are_one_url_of_1024(client: FlaskClient) -> None:
    body = client.post("/v1/images/generations", json={"prompt": "cat"}).get_json()
    assert len(body["data"]) == 1
    assert decode(fetch(client, body["data"][0]["url"])).size == (1024, 1024)


def test_the_same_request_gives_the_same_bytes(client: FlaskClient) -> None:
    first = b64_images(generate(client, n=3, size="256x256", response_format="b64_json"))
    second = b64_images(generate(client, n=3, size="256x256", response_format="b64_json"))
    assert first == second
    assert len(set(first)) == 3  # each index is its own picture


def test_url_and_b64_carry_the_same_image(client: FlaskClient) -> None:
    b64 = b64_images(generate(client, n=2, size="256x256", response_format="b64_json"))
    urls = [i["url"] for i in generate(client, n=2, size="256x256")["data"]]
    assert [fetch(client, u) for u in urls] == b64


@pytest.mark.parametrize("change", [{"prompt": "a black cat"}, {"size": "512x512"}, {"n": 2}])
def test_a_different_request_gives_a_different_image(client: FlaskClient, change: dict[str, Any]) -> None:
    base = {"prompt": "a white siamese cat", "size": "256x256", "n": 1, "response_format": "b64_json"}
    first = b64_images(generate(client, **base))[0]
    other = b64_images(generate(client, **{**base, **change}))[0]
    assert first != other


def test_edit_keeps_unmasked_pixels_and_fills_the_hole(client: FlaskClient) -> None:
    source = pattern(256)
    body = upload(client, "edits", image=png_bytes(source), mask=png_bytes(mask(256)),
                  prompt="a flamingo in a pool", size="256x256", response_format="b64_json")
    out = decode(b64_images(body)[0]).convert("RGB")
    kept_box, hole_box = (0, 0, 128, 256), (128, 0, 256, 256)
    assert ImageChops.difference(out.crop(kept_box), source.crop(kept_box)).getbbox() is None
    changed = ImageStat.Stat(ImageChops.difference(out.crop(hole_box), source.crop(hole_box))).mean
    assert sum(changed) / 3 > 20


def test_edit_without_mask_uses_the_image_alpha(client: FlaskClient) -> None:
    source = rgba_with_hole(256)
    body = upload(client, "edits", image=png_bytes(source), prompt="p", size="256x256",
                  response_format="b64_json")
    out = decode(b64_images(body)[0]).convert("RGB")
    kept = source.convert("RGB").crop((0, 0, 128, 256))
    assert ImageChops.difference(out.crop((0, 0, 128, 256)), kept).getbbox() is None


def test_edit_is_deterministic_for_the_same_inputs(client: FlaskClient) -> None:
    parts = {"image": png_bytes(rgba_with_hole(64)), "prompt": "p", "size": "256x256",
             "response_format": "b64_json", "n": "2"}
    assert b64_images(upload(client, "edits", **parts)) == b64_images(upload(client, "edits", **parts))
    other = {**parts, "image": png_bytes(rgba_with_hole(64, hole=(0, 0, 32, 32)))}
    assert b64_images(upload(client, "edits", **other)) != b64_images(upload(client, "edits", **parts))


def test_variations_derive_from_the_input_and_differ_per_index(client: FlaskClient) -> None:
    source = pattern(256)
    body = upload(client, "variations", image=png_bytes(source), n="3", size="256x256",
                  response_format="b64_json")
    images = [decode(data).convert("RGB") for data in b64_images(body)]
    assert len({img.tobytes() for img in images}) == 3
    unrelated = pattern(256).rotate(90)
    for img in images:
        thumb = img.resize((16, 16))
        near = min(
            sum(ImageStat.Stat(ImageChops.difference(thumb, ref.resize((16, 16)))).mean)
            for ref in (source, source.transpose(0))  # the variation may be mirrored
        )
        far = sum(ImageStat.Stat(ImageChops.difference(thumb, unrelated.resize((16, 16)))).mean)
        assert near < far


def test_legacy_style_upload_is_recognised_by_its_bytes(client: FlaskClient) -> None:
    """openai 0.28 sends the image as a part named 'image', octet-stream, no .png name."""
    data = {"image": (io.BytesIO(png_bytes(pattern(64))), "image", "application/octet-stream"), "n": "1",
            "size": "256x256"}
    response = client.post("/v1/images/variations", data=data, content_type="multipart/form-data")
    assert response.status_code == 200


def test_n_as_a_multipart_string(client: FlaskClient) -> None:
    body = upload(client, "variations", image=png_bytes(pattern(64)), n="4", size="256x256")
    assert len(body["data"]) == 4


def test_headers_on_success_and_error(client: FlaskClient) -> None:
    for response in (
        client.post("/v1/images/generations", json={"prompt": "cat", "size": "256x256"}),
        client.post("/v1/images/generations", json={"prompt": ""}),
        client.post("/v1/nowhere"),
        create_unauthenticated(client),
    ):
        headers = response.headers
        assert headers["Content-Type"] == "application/json"
        assert headers["x-request-id"].startswith("req_") and len(headers["x-request-id"]) == 36
        int(headers["x-request-id"][4:], 16)
        assert int(headers["openai-processing-ms"]) >= 1
        assert headers["openai-version"] == "2020-10-01"
        assert headers["openai-organization"]


def create_unauthenticated(client: FlaskClient) -> Any:
    return client.post("/v1/images/generations", json={"prompt": "cat"}, headers={"Authorization": ""})


def test_request_ids_are_unique(client: FlaskClient) -> None:
    ids = {client.post("/v1/images/generations", json={"prompt": ""}).headers["x-request-id"] for _ in range(20)}
    assert len(ids) == 20
