"""The timeline (``as_of``) through the official ``openai`` Python SDK: with ``2026-11-29`` the
retired models and the removed variations endpoint are refused, an edit naming no model is
gpt-image-1.5's; without a date nothing changes (the seed tests cover that byte for byte)."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from PIL import Image

from contracts.timeline import CURRENT_ERA_FROM
from mockserver.http.server import LiveServer
from tests.conftest import API_KEY, backend_of
from tests.support.pngs import pattern, png_bytes

PNG = png_bytes(pattern((256, 256)))
TODAY = "2026-11-29"


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[openai.OpenAI]:
    backend = backend_of(live_server.app)
    backend.configure({"as_of": TODAY})
    with openai.OpenAI(base_url=live_server.base_url, api_key=API_KEY, max_retries=0) as sdk:
        yield sdk
    backend.reset(config=True)


@pytest.mark.parametrize("model", ["dall-e-2", "dall-e-3", "gpt-image-1"])
def test_retired_models_are_refused(client: openai.OpenAI, model: str) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        client.images.generate(model=model, prompt="a cat")
    assert raised.value.code == "model_not_found"
    assert raised.value.body == {  # type: ignore[comparison-overlap]
        "message": f"The model `{model}` has been deprecated, learn more here: "
        "https://platform.openai.com/docs/deprecations",
        "type": "invalid_request_error", "param": None, "code": "model_not_found"}


def test_dall_e_2_edits_are_refused_as_retired(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        client.images.edit(model="dall-e-2", image=("a.png", PNG, "image/png"), prompt="a hat")
    assert raised.value.code == "model_not_found"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK marks create_variation deprecated
def test_variations_are_gone(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        client.images.create_variation(image=("a.png", PNG, "image/png"))
    assert raised.value.message.endswith("Invalid URL (POST /v1/images/variations)")


def test_an_edit_naming_no_model_is_gpt_image_1_5s(client: openai.OpenAI, live_server: LiveServer) -> None:
    result = client.images.edit(image=("a.png", PNG, "image/png"), prompt="a hat", quality="low")
    assert result.data is not None and result.data[0].url is None
    image = Image.open(io.BytesIO(base64.b64decode(result.data[0].b64_json or "")))
    assert (image.format, result.output_format, result.usage is not None) == ("PNG", "png", True)
    assert backend_of(live_server.app).journal.entries()[0]["status"] == 200


def test_todays_models_still_answer(client: openai.OpenAI) -> None:
    result = client.images.generate(model="gpt-image-2", prompt="a cat", quality="low", size="1024x1024")
    assert result.data is not None and result.data[0].b64_json


def test_models_not_yet_released_are_unknown(live_server: LiveServer) -> None:
    backend = backend_of(live_server.app)
    backend.configure({"as_of": "2025-06-01"})
    try:
        with openai.OpenAI(base_url=live_server.base_url, api_key=API_KEY, max_retries=0) as sdk:
            with pytest.raises(openai.BadRequestError) as raised:
                sdk.images.generate(model="gpt-image-1.5", prompt="a cat")
            assert (raised.value.code, raised.value.param) == ("invalid_value", "model")
            assert raised.value.message.endswith(
                "Invalid value: 'gpt-image-1.5'. Supported values are: 'gpt-image-1', 'dall-e-2', and 'dall-e-3'.")
            result = sdk.images.generate(model="dall-e-2", prompt="a cat", size="256x256")  # not yet retired
            assert result.data is not None and result.data[0].url
            # an edit naming no model is still dall-e-2's (gpt-image-1.5 is not out yet)
            with pytest.raises(openai.BadRequestError) as edit:
                sdk.images.edit(image=("a.png", PNG, "image/png"), prompt="a hat")
            assert "format must be in" in edit.value.message
    finally:
        backend.reset(config=True)


def test_the_error_era_follows_the_date(live_server: LiveServer) -> None:
    backend = backend_of(live_server.app)
    backend.configure({"as_of": "2022-12-01"})
    try:
        with openai.OpenAI(base_url=live_server.base_url, api_key=API_KEY, max_retries=0) as sdk, \
                pytest.raises(openai.BadRequestError) as raised:
            sdk.images.generate(prompt="a cat", size="1x1")
        assert raised.value.message.endswith("'1x1' is not one of ['256x256', '512x512', '1024x1024'] - 'size'")
        assert raised.value.code is None
        backend.configure({"as_of": CURRENT_ERA_FROM})
        with openai.OpenAI(base_url=live_server.base_url, api_key=API_KEY, max_retries=0) as sdk, \
                pytest.raises(openai.BadRequestError) as raised:
            sdk.images.generate(prompt="a cat", size="1x1")
        assert raised.value.code == "invalid_value"
    finally:
        backend.reset(config=True)


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "Today", "today ", 20261129])
def test_a_bad_date_is_refused(live_server: LiveServer, bad: Any) -> None:
    from mockserver.settings.config import ConfigError

    with pytest.raises(ConfigError):
        backend_of(live_server.app).configure({"as_of": bad})


def test_a_patch_takes_today_as_the_date_it_is_read(live_server: LiveServer) -> None:
    import datetime

    import requests

    before = datetime.datetime.now(datetime.UTC).date().isoformat()
    try:
        patched = requests.patch(live_server.url + "/_mock/config", json={"as_of": "today"}, timeout=10)
        assert patched.status_code == 200, patched.text
        as_of = requests.get(live_server.url + "/_mock/config", timeout=10).json()["as_of"]
        assert as_of >= before and datetime.date.fromisoformat(as_of)  # a date, never the word
        with openai.OpenAI(base_url=live_server.base_url, api_key=API_KEY, max_retries=0) as sdk, \
                pytest.raises(openai.NotFoundError):
            sdk.images.generate(model="dall-e-2", prompt="a cat")
    finally:
        backend_of(live_server.app).reset(config=True)


def test_the_fixture_settings_take_a_date(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(textwrap.dedent("""
        import openai
        import pytest

        @pytest.fixture
        def images_fake_settings():
            return {"as_of": "2026-11-29"}

        def test_dall_e_2_is_retired(openai_client):
            with pytest.raises(openai.NotFoundError):
                openai_client.images.generate(model="dall-e-2", prompt="a cat")
    """))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                             "test_user.py"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout
