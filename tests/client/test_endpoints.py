"""The three endpoints against the in-process fake: formats, image kinds, results, saving."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
import responses

from client import ImageData, ImagesClient, ImagesResult, InvalidImageError
from tests.client.conftest import FAKE_BASE
from tests.conftest import API_KEY
from tests.support.pngs import decode, mask, pattern, png_bytes, rgba_with_hole


def sent(routed: responses.RequestsMock, index: int = -1) -> responses.Call:
    return routed.calls[index]


@pytest.mark.parametrize("response_format", ["url", "b64_json"])
def test_generate_both_formats(images: ImagesClient, response_format: str) -> None:
    result = images.generate("a white siamese cat", n=2, size="256x256", response_format=response_format)
    assert isinstance(result, ImagesResult)
    assert len(result.data) == 2
    assert result.request_id is not None and result.request_id.startswith("req_")
    for item in result.data:
        assert (item.url is None) == (response_format == "b64_json")
        assert (item.b64_json is None) == (response_format == "url")
        assert decode(item.png_bytes()).size == (256, 256)


def test_generate_sends_only_the_given_arguments(images: ImagesClient, routed: responses.RequestsMock) -> None:
    result = images.generate("a cat")
    request = sent(routed).request
    assert json.loads(request.body or b"") == {"prompt": "a cat"}
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["x-stainless-retry-count"] == "0"
    # The server's defaults applied: one URL, 1024x1024, which png_bytes() expects by default.
    assert len(result.data) == 1 and result.data[0].url is not None
    assert result.size == "1024x1024"
    assert decode(result.data[0].png_bytes()).size == (1024, 1024)


def test_generate_passes_model_and_user(images: ImagesClient, routed: responses.RequestsMock) -> None:
    images.generate("a cat", model="dall-e-2", n=1, size="256x256", response_format="b64_json", user="u-1")
    assert json.loads(sent(routed).request.body or b"") == {
        "prompt": "a cat", "model": "dall-e-2", "n": 1, "size": "256x256", "response_format": "b64_json", "user": "u-1"
    }


def _image_kinds(tmp_path: Path) -> dict[str, object]:
    picture = rgba_with_hole(256)
    data = png_bytes(picture)
    path = tmp_path / "photo.png"
    path.write_bytes(data)
    return {
        "str path": str(path),
        "Path": path,
        "bytes": data,
        "bytearray": bytearray(data),
        "file": io.BytesIO(data),
        "PIL image": picture,
    }


@pytest.mark.parametrize("kind", ["str path", "Path", "bytes", "bytearray", "file", "PIL image"])
def test_variation_takes_every_image_kind(
    images: ImagesClient, routed: responses.RequestsMock, tmp_path: Path, kind: str
) -> None:
    image = _image_kinds(tmp_path)[kind]
    result = images.create_variation(image, n=2, size="256x256", response_format="b64_json")  # type: ignore[arg-type]
    assert [decode(item.png_bytes()).size for item in result.data] == [(256, 256)] * 2
    body = sent(routed).request.body
    assert isinstance(body, bytes)
    assert b'name="image"; filename="' in body and b".png\"\r\nContent-Type: image/png" in body
    assert b'name="n"\r\n\r\n2\r\n' in body and b'name="size"\r\n\r\n256x256\r\n' in body
    assert b'name="prompt"' not in body and b'name="user"' not in body


@pytest.mark.parametrize("kind", ["str path", "bytes", "file", "PIL image"])
def test_edit_with_and_without_mask(images: ImagesClient, routed: responses.RequestsMock, tmp_path: Path,
                                    kind: str) -> None:
    image = _image_kinds(tmp_path)[kind]
    result = images.edit(image, prompt="a hat", size="512x512")  # type: ignore[arg-type]
    assert decode(result.data[0].png_bytes()).size == (512, 512)

    opaque = pattern(256, "RGB")
    result = images.edit(opaque, prompt="a hat", mask=mask(256), n=3, response_format="b64_json")
    assert len(result.data) == 3
    body = sent(routed).request.body
    assert isinstance(body, bytes)
    assert b'name="mask"; filename="image.png"\r\nContent-Type: image/png' in body
    assert b'name="prompt"\r\n\r\na hat\r\n' in body


def test_filenames_end_in_png(images: ImagesClient, routed: responses.RequestsMock, tmp_path: Path) -> None:
    path = tmp_path / "picture.data"
    path.write_bytes(png_bytes(pattern(256)))
    images.create_variation(path, size="256x256")
    body = sent(routed).request.body
    assert isinstance(body, bytes) and b'filename="picture.png"' in body


def test_png_bytes_downloads_through_the_clients_session(images: ImagesClient, routed: responses.RequestsMock) -> None:
    result = images.generate("a cat", size="512x512")
    calls = len(routed.calls)
    data = result.data[0].png_bytes()
    download = sent(routed).request
    assert len(routed.calls) == calls + 1 and download.method == "GET"
    assert download.url == result.data[0].url
    assert "Authorization" not in download.headers  # the key never goes to blob storage
    assert decode(data).size == (512, 512)


def test_png_bytes_with_an_explicit_session(images: ImagesClient) -> None:
    import requests

    item = images.generate("a cat", size="256x256").data[0]
    with requests.Session() as session:
        assert decode(item.png_bytes(session)).size == (256, 256)
    assert decode(item.png_bytes(images)).size == (256, 256)


def test_png_bytes_checks_the_size(images: ImagesClient) -> None:
    item = images.generate("a cat", size="256x256", response_format="b64_json").data[0]
    with pytest.raises(InvalidImageError, match="expected a 512x512 image, got a 256x256 PNG"):
        item.png_bytes(expected_size="512x512")
    stranger = ImageData(b64_json=item.b64_json, size="1024x1024")  # remembers a size it was not given
    with pytest.raises(InvalidImageError, match="expected a 1024x1024 image"):
        stranger.png_bytes()


def test_png_bytes_refuses_what_is_not_a_png() -> None:
    with pytest.raises(InvalidImageError, match="not a valid PNG"):
        ImageData(b64_json=base64.b64encode(b"GIF89a....").decode()).png_bytes()
    with pytest.raises(InvalidImageError, match="not valid base64"):
        ImageData(b64_json="@@@not base64@@@").png_bytes()
    with pytest.raises(InvalidImageError, match="neither"):
        ImageData().png_bytes()
    truncated = png_bytes(pattern(64))[:-30]
    with pytest.raises(InvalidImageError):
        ImageData(b64_json=base64.b64encode(truncated).decode()).png_bytes()


@pytest.mark.parametrize("response_format", ["url", "b64_json"])
def test_save_all_writes_pngs_of_the_asked_size(images: ImagesClient, tmp_path: Path, response_format: str) -> None:
    result = images.generate("a cat", n=3, size="256x256", response_format=response_format)
    seen: list[tuple[int, int]] = []
    paths = result.save_all(tmp_path / "out", "cat", progress=lambda i, total: seen.append((i, total)))
    assert paths == [tmp_path / "out" / f"cat-{i}.png" for i in (1, 2, 3)]
    assert seen == [(1, 3), (2, 3), (3, 3)]
    for path in paths:
        assert decode(path.read_bytes()).size == (256, 256)


def test_save_one(images: ImagesClient, tmp_path: Path) -> None:
    item = images.generate("a cat", size="256x256").data[0]
    assert item.save(tmp_path / "a" / "b.png") == tmp_path / "a" / "b.png"
    assert decode((tmp_path / "a" / "b.png").read_bytes()).size == (256, 256)


def test_results_are_frozen_and_comparable(images: ImagesClient) -> None:
    result = images.generate("a cat", size="256x256", response_format="b64_json")
    with pytest.raises(AttributeError):
        result.created = 0  # type: ignore[misc]
    item = result.data[0]
    assert item == ImageData(b64_json=item.b64_json, size="256x256")
    assert "b64_json" in repr(item) and "_downloader" not in repr(item)


def test_from_env(monkeypatch: pytest.MonkeyPatch, routed: responses.RequestsMock) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", FAKE_BASE + "/")
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    with ImagesClient.from_env() as client:
        assert client.base_url == FAKE_BASE
        assert len(client.generate("a cat", size="256x256").data) == 1
    monkeypatch.delenv("OPENAI_BASE_URL")
    with ImagesClient.from_env() as client:
        assert client.base_url == "https://api.openai.com/v1"
    with ImagesClient.from_env(base_url=FAKE_BASE, api_key="sk-other") as client:
        assert client.base_url == FAKE_BASE
        assert "sk-" not in repr(client)
