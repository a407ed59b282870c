"""Image URLs: shape, signature, expiry after an hour, and what a stranger can't do."""

from __future__ import annotations

import gc
import tracemalloc
from datetime import UTC
from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mockserver import create_app
from mockserver.core.urls import user_segment
from mockserver.state.memory import MemoryClock
from mockserver.state.redis.quotas import grants_key, member
from tests.conftest import AUTH


def make(**settings: object) -> tuple[FlaskClient, MemoryClock]:
    clock = MemoryClock()
    clock.freeze()
    client = create_app(clock=clock, **settings).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = AUTH["Authorization"]
    return client, clock


def one_url(client: FlaskClient, **headers: str) -> str:
    body = client.post("/v1/images/generations", json={"prompt": "cat", "size": "256x256"}, headers=headers)
    return str(body.get_json()["data"][0]["url"])


def get(client: FlaskClient, url: str) -> TestResponse:
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def test_url_has_the_real_shape() -> None:
    client, clock = make()
    created = int(clock.now())
    url = one_url(client)
    parts = urlsplit(url)
    segments = parts.path.split("/")
    assert segments[1] == "private"
    assert segments[2].startswith("org-") and len(segments[2]) == 28
    assert segments[3].startswith("user-") and len(segments[3]) == 29
    assert segments[4].startswith("img-") and segments[4].endswith(".png") and len(segments[4]) == 32
    query = parse_qs(parts.query)
    assert [k.split("=")[0] for k in parts.query.split("&")] == [
        "st", "se", "sp", "sv", "sr", "rscd", "rsct", "skoid", "sktid", "skt", "ske", "sks", "skv", "sig"]
    assert query["sp"] == ["r"] and query["sr"] == ["b"] and query["rsct"] == ["image/png"]
    from datetime import datetime

    def ts(text: str) -> int:
        return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())

    assert ts(query["se"][0]) == created + 3600
    assert ts(query["st"][0]) == created - 3600


def test_url_uses_the_host_the_client_called() -> None:
    client, _ = make()
    assert one_url(client, Host="images.example.test:8080").startswith("http://images.example.test:8080/private/")
    client2, _ = make(public_base_url="https://cdn.example.test/")
    assert one_url(client2).startswith("https://cdn.example.test/private/")


def test_valid_then_expired_after_an_hour() -> None:
    client, clock = make()
    url = one_url(client)
    assert get(client, url).status_code == 200
    clock.advance(3599)
    assert get(client, url).status_code == 200
    clock.advance(2)
    expired = get(client, url)
    assert expired.status_code == 403
    assert expired.headers["Content-Type"] == "application/xml"
    body = expired.data.decode()
    assert body.startswith('<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code>')
    assert "Signature not valid in the specified time frame: Start [" in body


def test_url_ttl_is_configurable() -> None:
    client, clock = make(url_ttl=60)
    url = one_url(client)
    clock.advance(61)
    assert get(client, url).status_code == 403


def test_tampered_urls_are_refused() -> None:
    client, _ = make()
    url = one_url(client)
    parts = urlsplit(url)
    tampered = [
        url.replace("se=", "se=2099"),  # a longer life
        url.replace(parts.path[-10:], "AAAAAA.png"),  # another image
        url.split("&sig=")[0],  # no signature
        url[:-6] + "AAAA%3D",  # another signature
        url.replace("sp=r", "sp=rw"),
    ]
    for bad in tampered:
        response = get(client, bad)
        assert response.status_code in (403, 404), bad
        assert b"<Code>" in response.data


def test_unknown_image_with_a_valid_signature_is_404_after_reset() -> None:
    app = create_app()
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = AUTH["Authorization"]
    url = one_url(client)
    app.extensions["mockserver"].reset()
    response = get(client, url)
    assert response.status_code == 404
    assert b"<Code>BlobNotFound</Code>" in response.data


def test_urls_of_another_fake_do_not_verify() -> None:
    client, _ = make()
    other, _ = make()
    url = one_url(client)
    assert get(other, url).status_code == 403


def test_urls_are_unguessable_and_distinct() -> None:
    client, _ = make()
    names = {urlsplit(one_url(client)).path for _ in range(50)}
    assert len(names) == 50


def test_fetching_needs_no_api_key() -> None:
    client, _ = make()
    url = one_url(client)
    parts = urlsplit(url)
    assert client.get(f"{parts.path}?{parts.query}", headers={"Authorization": ""}).status_code == 200


def test_long_keys_are_not_remembered() -> None:
    """Keys as long as a header may carry (here 24 KB, 300 of them, 7 MB in all) leave nothing behind
    in what is remembered per key; the URL's user segment is the same for the same key each time."""
    keys = [f"sk-{n:06d}-" + "k" * 24_000 for n in range(300)]
    assert user_segment(keys[0]) == user_segment(keys[0][:-1] + "k") != user_segment(keys[1])
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for key in keys:
            user_segment(key)
            grants_key(member((key, "gpt")))
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 1_000_000, kept
