"""``--cors``: off by default (an OPTIONS is just another request); with an origin allowed, its
preflight gets 204 and the allow headers without an API key, and its answers can be read by a page."""

from __future__ import annotations

import pytest

from mockserver import create_app
from mockserver.testing.handle import FakeHandle
from tests.conftest import AUTH

PAGE = "http://localhost:3000"
PREFLIGHT = {"Origin": PAGE, "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization, content-type"}
GENERATE = {"prompt": "cat", "size": "256x256"}


def test_off_by_default() -> None:
    client = create_app().test_client()
    answer = client.options("/v1/images/generations", headers=PREFLIGHT)
    assert answer.status_code == 401
    assert "Access-Control-Allow-Origin" not in answer.headers
    answer = client.post("/v1/images/generations", json=GENERATE, headers={**AUTH, "Origin": PAGE})
    assert answer.status_code == 200 and "Access-Control-Allow-Origin" not in answer.headers
    assert answer.headers["Access-Control-Expose-Headers"] == "X-Request-ID"  # as the real API


def test_a_preflight_from_an_allowed_origin() -> None:
    app = create_app(cors_origins=[PAGE], latency_ms=5000)  # no latency or fault delays a preflight
    app.extensions["mockserver"].faults.add({"endpoint": "generations", "status": 503, "count": 1})
    client = app.test_client()
    answer = client.options("/v1/images/generations", headers=PREFLIGHT)  # no Authorization
    assert answer.status_code == 204 and answer.data == b""
    assert answer.headers["Access-Control-Allow-Origin"] == PAGE
    assert "POST" in answer.headers["Access-Control-Allow-Methods"].split(", ")
    assert answer.headers["Access-Control-Allow-Headers"] == "authorization, content-type"
    assert int(answer.headers["Access-Control-Max-Age"]) > 0
    assert "Origin" in answer.headers["Vary"]
    assert app.extensions["mockserver"].journal.entries() == []  # not an API request
    assert len(app.extensions["mockserver"].faults.list()) == 1  # the fault still waits for a POST


def test_answers_to_an_allowed_origin_are_readable() -> None:
    client = create_app(cors_origins=[PAGE]).test_client()
    answer = client.post("/v1/images/generations", json=GENERATE, headers={**AUTH, "Origin": PAGE})
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == PAGE
    exposed = answer.headers["Access-Control-Expose-Headers"].split(", ")
    assert {"x-request-id", "x-ratelimit-remaining-images", "retry-after"} <= set(exposed)
    image = client.get(answer.get_json()["data"][0]["url"].split("localhost", 1)[1], headers={"Origin": PAGE})
    assert image.status_code == 200 and image.headers["Access-Control-Allow-Origin"] == PAGE
    refused = client.post("/v1/images/generations", json=GENERATE, headers={"Origin": PAGE})
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == PAGE


def test_other_origins_get_nothing() -> None:
    client = create_app(cors_origins=[PAGE]).test_client()
    other = {**PREFLIGHT, "Origin": "http://evil.test"}
    assert client.options("/v1/images/generations", headers=other).status_code == 401
    answer = client.post("/v1/images/generations", json=GENERATE, headers={**AUTH, "Origin": "http://evil.test"})
    assert "Access-Control-Allow-Origin" not in answer.headers


@pytest.mark.parametrize("origin", ["http://a.test", "https://b.test:8443"])
def test_star_allows_any_origin(origin: str) -> None:
    client = create_app(cors_origins=["*"]).test_client()
    answer = client.options("/v1/images/edits", headers={**PREFLIGHT, "Origin": origin})
    assert answer.status_code == 204 and answer.headers["Access-Control-Allow-Origin"] == "*"


def test_switched_on_at_run_time() -> None:
    app = create_app()
    FakeHandle.in_process(app).configure(cors_origins=[PAGE])
    client = app.test_client()
    assert client.options("/v1/images/generations", headers=PREFLIGHT).status_code == 204
