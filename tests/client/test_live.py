"""End to end over real HTTP: the client against a fake served on a socket."""

from __future__ import annotations

from pathlib import Path

import pytest

from client import BadRequestError, ImagesClient, ImageURLExpiredError
from mockserver import create_app
from mockserver.http.server import LiveServer
from mockserver.state.memory import MemoryClock
from tests.conftest import API_KEY
from tests.support.pngs import decode, rgba_with_hole


def test_generate_and_download_over_http(live_server: LiveServer, tmp_path: Path) -> None:
    with ImagesClient(base_url=live_server.base_url, api_key=API_KEY) as images:
        result = images.generate("a white siamese cat", n=2, size="256x256")
        assert all(item.url and item.url.startswith(live_server.url + "/private/") for item in result.data)
        paths = result.save_all(tmp_path, "cat")
    assert [decode(path.read_bytes()).size for path in paths] == [(256, 256)] * 2


def test_edit_and_errors_over_http(live_server: LiveServer) -> None:
    with ImagesClient(base_url=live_server.base_url, api_key=API_KEY) as images:
        result = images.edit(rgba_with_hole(256), prompt="a hat", size="512x512", response_format="b64_json")
        assert decode(result.data[0].png_bytes()).size == (512, 512)
        with pytest.raises(BadRequestError) as caught:
            images.generate("a cat", n=11)
    assert caught.value.code == "integer_above_max_value" and caught.value.param == "n"
    assert caught.value.message == (
        "Invalid 'n': integer above maximum value. Expected a value <= 10, but got 11 instead."
    )


def test_an_hour_old_url_has_expired() -> None:
    clock = MemoryClock()
    clock.freeze()
    with LiveServer(create_app(clock=clock)) as server, ImagesClient(
        base_url=server.base_url, api_key=API_KEY
    ) as images:
        result = images.generate("a cat", size="256x256")
        item = result.data[0]
        clock.advance(3599)
        assert decode(item.png_bytes()).size == (256, 256)  # still inside its hour
        clock.advance(2)
        with pytest.raises(ImageURLExpiredError) as caught:
            item.png_bytes()
    exc = caught.value
    assert exc.status == 403 and exc.url == item.url
    assert str(exc).startswith("image URL expired (it expired at ")
    assert "valid for one hour" in str(exc) and "response_format='b64_json'" in str(exc)
    assert "sig=" not in str(exc)
    assert exc.body is not None and "<Code>AuthenticationFailed</Code>" in exc.body
