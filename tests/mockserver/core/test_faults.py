"""Injected faults: status answers, dropped connections, damaged bodies, delays; reproducible."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask

from mockserver import create_app
from mockserver.http.server import LiveServer
from mockserver.testing.handle import ControlError, FakeHandle
from tests.conftest import AUTH


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer(create_app()) as live:
        yield live


@pytest.fixture
def handle(server: LiveServer) -> Iterator[FakeHandle]:
    with FakeHandle.over_http(server.url) as fake:
        fake.reset()
        yield fake


def post(server: LiveServer, endpoint: str = "generations", timeout: float = 10) -> requests.Response:
    return requests.post(f"{server.base_url}/images/{endpoint}", json={"prompt": "cat", "size": "256x256"},
                         headers=AUTH, timeout=timeout)


def statuses(app: Flask, n: int) -> list[int]:
    client = app.test_client()
    return [client.post("/v1/images/generations", json={"prompt": "cat", "size": "256x256"},
                        headers=AUTH).status_code for _ in range(n)]


@pytest.mark.parametrize(("status", "body"), [
    (500, {"message": "The server had an error while processing your request. Sorry about that!",
           "type": "server_error", "param": None, "code": None}),
    (503, {"message": "The engine is currently overloaded, please try again later.",
           "type": "server_error", "param": None, "code": None}),
    (502, {"message": "Bad gateway.", "type": "server_error", "param": None, "code": None}),
    (418, {"message": "The server had an error while processing your request. Sorry about that!",
           "type": "server_error", "param": None, "code": None}),
])
def test_status_faults_answer_the_real_bodies(status: int, body: dict[str, Any]) -> None:
    app = create_app()
    FakeHandle.in_process(app).inject_fault(status=status)
    response = app.test_client().post("/v1/images/generations", json={"prompt": "cat"}, headers=AUTH)
    assert response.status_code == status
    assert response.get_json() == {"error": body}
    assert response.headers["x-request-id"].startswith("req_")


def test_429_fault_with_retry_after() -> None:
    app = create_app()
    FakeHandle.in_process(app).inject_fault(status=429, retry_after=7)
    FakeHandle.in_process(app).inject_fault(status=503, retry_after=0.01)
    response = app.test_client().post("/v1/images/generations", json={"prompt": "cat"}, headers=AUTH)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7" and response.headers["retry-after-ms"] == "7000"
    assert response.get_json()["error"]["code"] == "rate_limit_exceeded"
    response = app.test_client().post("/v1/images/generations", json={"prompt": "cat"}, headers=AUTH)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1" and response.headers["retry-after-ms"] == "10"


def test_count_after_and_endpoint() -> None:
    app = create_app()
    fake = FakeHandle.in_process(app)
    fake.inject_fault(endpoint="generations", status=500, count=2, after=1)
    fake.inject_fault(endpoint="edits", status=503)
    assert statuses(app, 5) == [200, 500, 500, 200, 200]
    assert [f["endpoint"] for f in fake.faults()] == ["edits"]
    fake.clear_faults()
    assert fake.faults() == []


def test_unlimited_count() -> None:
    app = create_app()
    FakeHandle.in_process(app).inject_fault(status=503, count=None)
    assert statuses(app, 4) == [503] * 4


def test_probabilistic_faults_repeat_from_their_seed() -> None:
    runs = []
    for _ in range(2):
        app = create_app()
        FakeHandle.in_process(app).inject_fault(status=500, count=None, probability=0.5, seed=42)
        runs.append(statuses(app, 30))
    assert runs[0] == runs[1]
    assert 5 < runs[0].count(500) < 25


def test_faulted_requests_spend_no_quota() -> None:
    app = create_app(rate_limits="2/1m")
    FakeHandle.in_process(app).inject_fault(status=500, count=3)
    assert statuses(app, 5) == [500, 500, 500, 200, 200]


@pytest.mark.parametrize(("fault", "field", "fragment"), [
    ({"kind": "explode"}, "kind", "must be one of"),
    ({"endpoint": "chat"}, "endpoint", "must be one of"),
    ({"status": 99}, "status", "to 599, not 99"),
    ({"probability": 0}, "probability", "(0, 1]"),
    ({"delay_ms": 10**9}, "delay_ms", "from 0 to 300000"),
    ({"colour": 1}, "colour", "is not a fault field"),
    ({"count": 0}, "count", "from 1 to"),
])
def test_bad_faults_are_refused(fault: dict[str, Any], field: str, fragment: str) -> None:
    fake = FakeHandle.in_process(create_app())
    with pytest.raises(ControlError) as caught:
        fake.inject_fault(**fault)
    assert caught.value.body["error"]["param"] == field
    assert fragment in caught.value.body["error"]["message"]
    assert fake.faults() == []


def test_reset_drops_the_connection(server: LiveServer, handle: FakeHandle) -> None:
    handle.inject_fault(kind="reset")
    with pytest.raises(requests.ConnectionError):
        post(server)
    assert post(server).status_code == 200
    assert [(e["status"], e["fault"]) for e in handle.requests()] == [(None, "reset"), (200, None)]
    assert server.app.extensions["mockserver"].store.__len__() == 1  # the dropped request made nothing


def test_reset_in_process_raises() -> None:
    app = create_app()
    FakeHandle.in_process(app).inject_fault(kind="reset")
    with pytest.raises(ConnectionResetError):
        app.test_client().post("/v1/images/generations", json={"prompt": "cat"}, headers=AUTH)


def test_hang_holds_then_drops(server: LiveServer, handle: FakeHandle) -> None:
    handle.inject_fault(kind="hang", delay_ms=3000)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        post(server, timeout=0.5)
    assert time.monotonic() - started < 2


def test_malformed_json(server: LiveServer, handle: FakeHandle) -> None:
    handle.inject_fault(kind="malformed_json")
    response = post(server)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_truncated(server: LiveServer, handle: FakeHandle) -> None:
    handle.inject_fault(kind="truncated")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        post(server)
    assert post(server).status_code == 200


def test_delay(server: LiveServer, handle: FakeHandle) -> None:
    handle.inject_fault(status=503, delay_ms=300)
    started = time.monotonic()
    assert post(server).status_code == 503
    assert time.monotonic() - started >= 0.3


def test_latency_with_seeded_jitter() -> None:
    def draws(seed: int) -> list[float]:
        backend = create_app(latency_ms=20, latency_jitter_ms=40, latency_seed=seed).extensions["mockserver"]
        return [backend.latency() for _ in range(5)]
    assert draws(7) == draws(7)
    assert draws(7) != draws(8)
    held = [seconds * 1000 for seconds in draws(7)]  # what seed 7 holds five answers back, in ms
    assert all(20 <= ms <= 60 for ms in held)
    assert max(held) - min(held) >= 3  # the jitter is there

    app = create_app(latency_ms=20, latency_jitter_ms=40, latency_seed=7)
    client = app.test_client()
    timings = [int(client.post("/v1/images/generations", json={"prompt": ""}, headers=AUTH)
                   .headers["openai-processing-ms"]) for _ in held]
    # Each answer is held back its own draw, no less. How long the rest of a request takes is the
    # machine's, not the fake's (the bound was 75 ms in all, which a loaded shared machine broke):
    # ASSUMPTION: a tiny request's own work takes under 250 ms even there.
    assert all(int(ms) <= took <= ms + 250 for took, ms in zip(timings, held, strict=True)), (timings, held)
