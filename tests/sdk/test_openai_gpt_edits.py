"""GPT image models' edits through the official ``openai`` Python SDK (current line), with only
the base URL changed: several ``image[]`` parts, JSON edits (the SDK has no JSON-edit helper, so
they go through ``client.post``, as a user would send them), and the refusals as the SDK raises
them. Token counts are literals worked out by hand from the documented rule."""

from __future__ import annotations

import base64
import io
import pathlib
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai.types import ImagesResponse
from PIL import Image

from mockserver.http.server import LiveServer
from tests.conftest import API_KEY
from tests.support.pngs import mask, pattern, png_bytes


def encode(image: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt)
    return buf.getvalue()


PNG = png_bytes(pattern((1024, 1024)))  # 765 image tokens
JPEG = encode(pattern((600, 400)), "JPEG")  # 425
WEBP = encode(pattern((300, 200)), "WEBP")  # 255


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=live_server.base_url, api_key=API_KEY, max_retries=0) as sdk:
        yield sdk


@pytest.fixture
def files(tmp_path: pathlib.Path) -> Iterator[dict[str, Any]]:
    """Open files, as a user passes them: the SDK names them and guesses their type."""
    opened = {}
    for name, data in (("a.png", PNG), ("b.jpg", JPEG), ("c.webp", WEBP)):
        (tmp_path / name).write_bytes(data)
        opened[name] = (tmp_path / name).open("rb")
    yield opened
    for handle in opened.values():
        handle.close()


def decoded(result: ImagesResponse) -> list[Image.Image]:
    assert result.data
    out = []
    for item in result.data:
        assert item.url is None and item.b64_json
        image = Image.open(io.BytesIO(base64.b64decode(item.b64_json, validate=True)))
        image.load()
        out.append(image)
    return out


def data_url(data: bytes, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def json_edit(client: openai.OpenAI, body: dict[str, Any]) -> ImagesResponse:
    return client.post("/images/edits", body=body, cast_to=ImagesResponse)


def test_a_two_image_edit(client: openai.OpenAI, files: dict[str, Any]) -> None:
    result = client.images.edit(model="gpt-image-1.5", image=[files["a.png"], files["b.jpg"]], prompt="a cat")
    [image] = decoded(result)
    assert (image.format, image.size) == ("PNG", (1024, 1024))
    assert (result.size, result.output_format, result.background) == ("1024x1024", "png", "opaque")
    usage = result.usage
    assert usage is not None
    assert usage.input_tokens_details.image_tokens == 765 + 425
    assert usage.input_tokens_details.text_tokens == 2
    assert usage.input_tokens == 1192 and usage.output_tokens == 4160 and usage.total_tokens == 5352


def test_a_webp_first_image_and_n_2(client: openai.OpenAI, files: dict[str, Any]) -> None:
    result = client.images.edit(model="gpt-image-2", image=[files["c.webp"], files["a.png"]], prompt="cat", n=2)
    assert [i.size for i in decoded(result)] == [(1536, 1024)] * 2  # auto: the first image is landscape
    assert result.usage is not None and result.usage.input_tokens_details.image_tokens == 255 + 765


def test_a_json_edit_with_a_data_url(client: openai.OpenAI) -> None:
    result = json_edit(client, {"model": "gpt-image-1.5", "prompt": "cat",
                                "images": [{"image_url": data_url(JPEG, "image/jpeg")}]})
    assert [i.size for i in decoded(result)] == [(1536, 1024)]
    assert result.usage is not None and result.usage.input_tokens_details.image_tokens == 425


def test_a_json_edit_of_an_image_url_the_fake_handed_out(client: openai.OpenAI) -> None:
    generated = client.images.generate(prompt="a dog", size="256x256")
    assert generated.data and generated.data[0].url
    result = json_edit(client, {"model": "gpt-image-2", "prompt": "cat",
                                "images": [{"image_url": generated.data[0].url}]})
    assert [i.size for i in decoded(result)] == [(1024, 1024)]
    assert result.usage is not None and result.usage.input_tokens_details.image_tokens == 255


@pytest.mark.parametrize(("ref", "message", "param", "code"), [
    ({"image_url": "https://example.com/cat.png"}, "Error while downloading https://example.com/cat.png.",
     None, "invalid_image_url"),
    ({"file_id": "file-abc123"}, "No such File object: file-abc123", "images[0].file_id", None),
])
def test_foreign_urls_and_file_ids_are_refused(
    client: openai.OpenAI, ref: dict[str, str], message: str, param: str | None, code: str | None
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        json_edit(client, {"model": "gpt-image-1.5", "prompt": "cat", "images": [ref]})
    assert caught.value.body == {"message": message, "type": "invalid_request_error", "param": param, "code": code}


def test_a_mask_without_alpha(client: openai.OpenAI, files: dict[str, Any]) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.edit(model="gpt-image-1.5", image=[files["a.png"]], prompt="cat",
                           mask=("mask.png", PNG, "image/png"))
    assert caught.value.code == "invalid_mask_image_format"
    assert caught.value.type == "image_generation_user_error"
    assert caught.value.message == "Error code: 400 - Invalid mask image format - mask image missing alpha channel"


def test_a_mask_of_the_first_images_size_is_taken(client: openai.OpenAI, files: dict[str, Any]) -> None:
    edit_mask = png_bytes(mask(1024))
    result = client.images.edit(model="gpt-image-1.5", image=[files["a.png"], files["b.jpg"]], prompt="cat",
                                mask=("mask.png", edit_mask, "image/png"))
    assert len(decoded(result)) == 1


def test_raw_bytes_are_sent_as_octet_stream_and_refused(client: openai.OpenAI) -> None:
    # The SDK sends bytes as 'application/octet-stream'; GPT models read the declared type [obs].
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.edit(model="gpt-image-1.5", image=PNG, prompt="cat")
    assert caught.value.body == {
        "message": "Invalid file 'image': unsupported mimetype ('application/octet-stream'). Supported file "
                   "formats are 'image/jpeg', 'image/png', and 'image/webp'.",
        "type": "invalid_request_error", "param": "image", "code": "unsupported_file_mimetype",
    }


def test_a_corrupt_image_names_the_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.edit(model="gpt-image-1.5", image=[("a.png", PNG[:5000], "image/png")], prompt="cat")
    assert caught.value.code == "invalid_image_file"
    assert caught.value.request_id is not None
    assert caught.value.body["message"] == (  # type: ignore[index]
        "Invalid image file or mode for image 1, please check your image file. If you believe this is an "
        f"error, contact us at help.openai.com and include the request ID {caught.value.request_id}.")
