"""The pytest plugin's fixtures, used as a user's test file would use them."""

from __future__ import annotations

import base64
import io

import openai
import requests
from PIL import Image

from client import ImagesClient, RateLimitError
from mockserver.testing.pytest_plugin import FakeURL, InProcessFake


def test_images_fake_is_fresh_and_steerable(images_fake: InProcessFake) -> None:
    assert images_fake.requests() == []
    images_fake.set_rate_limits("1/1m")
    session = images_fake.requests_session()
    answer = session.post(f"{images_fake.base_url}/images/generations", json={"prompt": "cat", "size": "256x256"},
                          headers={"Authorization": "Bearer sk-x"})
    assert answer.status_code == 200
    url = answer.json()["data"][0]["url"]
    assert Image.open(io.BytesIO(session.get(url).content)).size == (256, 256)
    assert [e["status"] for e in images_fake.requests()] == [200]


def test_images_fake_is_not_shared_between_tests(images_fake: InProcessFake) -> None:
    assert images_fake.requests() == [] and images_fake.config()["rate_limits"] == ["50/1m"]


def test_openai_client_reaches_this_tests_fake(openai_client: openai.OpenAI, images_fake: InProcessFake) -> None:
    result = openai_client.images.generate(prompt="a white siamese cat", size="256x256", response_format="b64_json")
    image = Image.open(io.BytesIO(base64.b64decode(result.data[0].b64_json or "")))
    assert image.size == (256, 256)
    assert images_fake.requests()[0]["endpoint"] == "generations"
    images_fake.inject_fault(status=400, count=1)
    images_fake.set_quota_mode("insufficient_quota")
    try:
        openai_client.with_options(max_retries=0).images.generate(prompt="cat")
    except openai.BadRequestError as exc:
        assert exc.code == "billing_hard_limit_reached"
    else:
        raise AssertionError("the fault did not fire")


def test_images_client_reaches_this_tests_fake(images_client: ImagesClient, images_fake: InProcessFake) -> None:
    images_fake.set_rate_limits("2/1h")  # a retry-after over 60 s: the client backs off briefly instead
    result = images_client.generate("cat", n=2, size="256x256")
    assert [Image.open(io.BytesIO(d.png_bytes())).size for d in result.data] == [(256, 256)] * 2
    try:
        images_client.generate("cat", size="256x256")
    except RateLimitError as exc:
        assert exc.code == "rate_limit_exceeded" and exc.retry_after is not None and 3590 < exc.retry_after <= 3600
    else:
        raise AssertionError("no 429")
    assert [e["status"] for e in images_fake.requests(endpoint="generations")] == [200, 429, 429, 429]


def test_images_fake_url_is_live(images_fake_url: FakeURL) -> None:
    assert images_fake_url.startswith("http://127.0.0.1:") and images_fake_url.endswith("/v1")
    images_fake_url.fake.configure(url_ttl=5)
    client = openai.OpenAI(base_url=images_fake_url, api_key="sk-x")
    url = client.images.generate(prompt="cat", size="256x256").data[0].url or ""
    assert requests.get(url, timeout=10).status_code == 200
    images_fake_url.fake.advance(6)
    assert requests.get(url, timeout=10).status_code == 403
    client.close()


def test_images_fake_url_is_reset_with_its_config(images_fake_url: FakeURL) -> None:
    assert images_fake_url.fake.requests() == []
    assert images_fake_url.fake.config()["url_ttl"] == 3600
