"""Image quotas: sliding windows per key, exact figures, exact under concurrency."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from contracts.ratelimits import Window, go_duration, parse_windows
from mockserver import create_app
from mockserver.http.server import LiveServer
from mockserver.state.memory import MemoryClock
from mockserver.testing.handle import FakeHandle


def fake(**settings: Any) -> tuple[FlaskClient, MemoryClock]:
    clock = MemoryClock()
    clock.freeze()
    client = create_app(clock=clock, **settings).test_client()
    return client, clock


def ask(client: FlaskClient, n: int = 1, key: str = "sk-a", **extra: Any) -> Any:
    return client.post("/v1/images/generations", json={"prompt": "cat", "size": "256x256", "n": n, **extra},
                       headers={"Authorization": f"Bearer {key}"})


def test_default_is_fifty_images_a_minute() -> None:
    client, clock = fake()
    for _ in range(5):
        assert ask(client, 10).status_code == 200
    refused = ask(client, 1)
    assert refused.status_code == 429
    assert refused.get_json() == {"error": {
        "message": "Rate limit exceeded for images per minute in organization org-mockserver00000000000000. "
                   "Limit: 50/1min. Current: 51/1min. Please visit https://platform.openai.com/docs/guides/"
                   "rate-limits to learn how to increase your rate limit.",
        "type": "requests", "param": None, "code": "rate_limit_exceeded"}}
    assert refused.headers["retry-after"] == "60"
    assert refused.headers["retry-after-ms"] == "60000"
    clock.advance(60)
    assert ask(client, 10).status_code == 200


def test_retry_after_is_exactly_when_the_request_fits() -> None:
    client, clock = fake(rate_limits="5/1m")
    ask(client, 2)  # t=0
    clock.advance(10.5)
    ask(client, 3)  # t=10.5, window full
    clock.advance(4)
    refused = ask(client, 2)  # needs the first grant (t=0) to leave: at t=60, 45.5 s from now
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "46"
    assert refused.headers["retry-after-ms"] == "45500"
    assert "Current: 7/1min" in refused.get_json()["error"]["message"]
    clock.advance(45.4)
    assert ask(client, 2).status_code == 429
    clock.advance(0.2)
    assert ask(client, 2).status_code == 200


def test_two_windows_the_beta_preset() -> None:
    client, clock = fake(rate_limits="beta-2022")
    granted = 0
    for _minute in range(4):
        while ask(client, 5).status_code == 200:
            granted += 5
        clock.advance(60)
    # 20 a minute, but never more than 50 in 5 minutes
    assert granted == 50
    refused = ask(client, 5)
    assert refused.status_code == 429
    assert "Limit: 50/5min. Current: 55/5min" in refused.get_json()["error"]["message"]


def test_headers_on_every_answer() -> None:
    client, clock = fake(rate_limits="10/1m")
    ok = ask(client, 3)
    assert (ok.headers["x-ratelimit-limit-images"], ok.headers["x-ratelimit-remaining-images"],
            ok.headers["x-ratelimit-reset-images"]) == ("10", "7", "1m0s")
    clock.advance(48)
    bad = ask(client, 99)
    assert bad.status_code == 400
    assert (bad.headers["x-ratelimit-remaining-images"], bad.headers["x-ratelimit-reset-images"]) == ("7", "12s")


def test_refused_and_invalid_requests_spend_nothing() -> None:
    client, _ = fake(rate_limits="4/1m")
    assert ask(client, 3).status_code == 200
    assert ask(client, 2).status_code == 429
    assert ask(client, 1, size="1x1").status_code == 400
    assert ask(client, 1, prompt="a nude").status_code == 400
    assert ask(client, 1).headers["x-ratelimit-remaining-images"] == "0"


def test_changing_the_limits_does_not_forgive_past_use() -> None:
    client, clock = fake(rate_limits="10/1m")
    for _ in range(3):
        assert ask(client, 2).status_code == 200  # three identical grants at the same frozen instant
    FakeHandle.in_process(client.application).set_rate_limits("8/1m,20/5m")
    assert ask(client, 2).status_code == 200
    refused = ask(client, 1)
    assert refused.status_code == 429
    assert "Limit: 8/1min. Current: 9/1min" in refused.get_json()["error"]["message"]
    clock.advance(60)
    assert ask(client, 8).status_code == 200
    assert ask(client, 5).status_code == 429  # 8 + 8 in five minutes, 20 allowed
    assert "Limit: 20/5min. Current: 21/5min" in ask(client, 5).get_json()["error"]["message"]


def test_quotas_are_per_key() -> None:
    client, _ = fake(rate_limits="2/1m")
    assert ask(client, 2, key="sk-a").status_code == 200
    assert ask(client, 2, key="sk-b").status_code == 200
    assert ask(client, 1, key="sk-a").status_code == 429


def test_a_request_larger_than_the_limit_never_fits() -> None:
    client, _ = fake(rate_limits="3/1m")
    refused = ask(client, 4)
    assert refused.status_code == 429
    assert "Limit: 3/1min. Current: 4/1min" in refused.get_json()["error"]["message"]


def test_rate_limits_can_be_off() -> None:
    client, _ = fake(rate_limits="off")
    for _ in range(8):
        response = ask(client, 10)
        assert response.status_code == 200
        assert "x-ratelimit-limit-images" not in response.headers


def test_insufficient_quota_and_billing_modes() -> None:
    client, _ = fake(quota_mode="insufficient_quota")
    response = ask(client)
    assert response.status_code == 429 and "retry-after" not in response.headers
    assert response.get_json() == {"error": {
        "message": "You exceeded your current quota, please check your plan and billing details. For more "
                   "information on this error, read the docs: https://platform.openai.com/docs/guides/"
                   "error-codes/api-errors.",
        "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}}
    client, _ = fake(quota_mode="billing_hard_limit_reached")
    response = ask(client)
    assert response.status_code == 400
    assert response.get_json() == {"error": {"message": "Billing hard limit has been reached",
                                             "type": "invalid_request_error", "param": None,
                                             "code": "billing_hard_limit_reached"}}


def test_exact_under_concurrency() -> None:
    """64 threads over real sockets ask for 1-3 images each against a limit of 50: exactly 50 are granted."""
    clock = MemoryClock()
    clock.freeze()
    with LiveServer(create_app(clock=clock, rate_limits="50/1m"), threads=32) as server:
        results: list[tuple[int, int]] = []
        lock = threading.Lock()
        barrier = threading.Barrier(64)

        def worker(i: int) -> None:
            n = 1 + i % 3
            with requests.Session() as session:
                barrier.wait()
                for _ in range(3):
                    status = session.post(
                        f"{server.base_url}/images/generations",
                        json={"prompt": "cat", "size": "256x256", "n": n},
                        headers={"Authorization": "Bearer sk-race"}, timeout=30,
                    ).status_code
                    with lock:
                        results.append((status, n))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(64)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    granted = sum(n for status, n in results if status == 200)
    assert Counter(status for status, _ in results).keys() <= {200, 429}
    assert granted == 50


@pytest.mark.parametrize(("text", "windows"), [
    ("20/1m,50/5m", (Window(20, 60), Window(50, 300))),
    ("7/30s", (Window(7, 30),)),
    (" 100 / 1h ", (Window(100, 3600),)),
    ("5/2m", (Window(5, 120),)),
    ("off", ()),
])
def test_parse_windows(text: str, windows: tuple[Window, ...]) -> None:
    assert parse_windows(text) == windows


@pytest.mark.parametrize(("seconds", "text"), [(0.012, "12ms"), (1, "1s"), (59.2, "1m0s"), (360, "6m0s"),
                                               (432, "7m12s"), (0, "0s"), (3725, "1h2m5s")])
def test_go_durations(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text
