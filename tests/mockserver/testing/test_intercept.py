"""intercept(): the Images API traffic of code we do not control goes to an in-process fake."""

from __future__ import annotations

import asyncio
import base64

import httpx
import openai
import pytest
import requests
import responses

import mockserver
from mockserver import FakeHandle, LiveServer, create_app

REAL = "https://api.openai.com/v1"


def test_requests_calls_go_to_the_fake() -> None:
    with mockserver.intercept() as fake:
        answer = requests.post(f"{REAL}/images/generations", json={"prompt": "cat", "size": "256x256"},
                               headers={"Authorization": "Bearer sk-real-looking"}, timeout=5)
        assert answer.status_code == 200
        url = answer.json()["data"][0]["url"]
        assert url.startswith("https://api.openai.com/private/")
        assert requests.get(url, timeout=5).content.startswith(b"\x89PNG")
        assert fake.requests()[0]["endpoint"] == "generations"


def test_the_official_sdk_sync_and_async() -> None:
    with mockserver.intercept() as fake:
        fake.inject_fault(status=503, count=1, retry_after=0.01)
        client = openai.OpenAI(api_key="sk-whatever")
        result = client.images.generate(prompt="cat", size="256x256", response_format="b64_json")
        assert base64.b64decode(result.data[0].b64_json or "").startswith(b"\x89PNG")
        assert [e["status"] for e in fake.requests()] == [503, 200]  # the SDK retried

        async def run() -> str:
            async_client = openai.AsyncOpenAI(api_key="sk-whatever")
            answer = await async_client.images.generate(prompt="cat", size="256x256")
            await async_client.close()
            return answer.data[0].url or ""

        assert asyncio.run(run()).startswith("https://api.openai.com/private/")
        client.close()


def test_errors_and_dropped_connections_reach_the_caller() -> None:
    with mockserver.intercept() as fake:
        client = openai.OpenAI(api_key="sk-x", max_retries=0)
        with pytest.raises(openai.BadRequestError) as caught:
            client.images.generate(prompt="cat", size="300x300")
        assert caught.value.code == "invalid_value"
        fake.inject_fault(kind="reset")
        with pytest.raises(openai.APIConnectionError):
            client.images.generate(prompt="cat")
        fake.inject_fault(kind="reset")
        with pytest.raises(requests.ConnectionError):
            requests.post(f"{REAL}/images/generations", json={"prompt": "cat"},
                          headers={"Authorization": "Bearer sk-x"}, timeout=5)
        client.close()


@responses.activate
def test_other_traffic_is_left_alone() -> None:
    responses.add(responses.POST, f"{REAL}/chat/completions", json={"left": "alone"})
    responses.add(responses.GET, "https://example.test/images/generations", json={"also": "alone"})
    with mockserver.intercept():
        assert requests.post(f"{REAL}/chat/completions", json={}, timeout=5).json() == {"left": "alone"}
        assert requests.get("https://example.test/images/generations", timeout=5).json() == {"also": "alone"}


def test_a_live_server_is_still_reached_over_its_socket() -> None:
    with LiveServer(create_app()) as server, mockserver.intercept() as fake:
        answer = httpx.post(f"{server.base_url}/images/generations", json={"prompt": ""},
                            headers={"Authorization": "Bearer sk-x"})
        assert answer.status_code == 400
        assert fake.requests() == []  # the in-process fake saw nothing
        with FakeHandle.over_http(server.url) as live:
            assert len(live.requests()) == 1


def test_patches_are_removed_afterwards() -> None:
    before = (requests.Session.get_adapter, httpx.HTTPTransport.handle_request)
    with mockserver.intercept(), mockserver.intercept() as inner:
        requests.post(f"{REAL}/images/generations", json={"prompt": "x"}, headers={"Authorization": "Bearer k"},
                      timeout=5)
        assert len(inner.requests()) == 1  # the innermost block answers
    assert (requests.Session.get_adapter, httpx.HTTPTransport.handle_request) == before


@mockserver.intercept(rate_limits="1/1m")
def test_as_a_decorator_with_settings() -> None:
    client = openai.OpenAI(api_key="sk-x", max_retries=0)
    client.images.generate(prompt="cat", size="256x256")
    with pytest.raises(openai.RateLimitError):
        client.images.generate(prompt="cat", size="256x256")
    client.close()


def test_another_base_url() -> None:
    with mockserver.intercept("https://images.internal.test/v1"):
        answer = requests.post("https://images.internal.test/v1/images/generations", json={"prompt": "cat"},
                               headers={"Authorization": "Bearer k"}, timeout=5)
        assert answer.status_code == 200
