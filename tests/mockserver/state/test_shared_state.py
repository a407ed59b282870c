"""Shared state on Redis: two fakes in one process on one real redis-server act as one fake.

Threads stand in for the workers of a farm (the cross-process tests start real processes);
every figure asserted here is what one in-memory fake would have answered.
"""

from __future__ import annotations

import base64
import threading
import time
from collections import Counter
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mockserver import create_app
from mockserver.state import StateUnavailable
from mockserver.state.memory import MemoryClock
from mockserver.testing.handle import ControlError, FakeHandle
from tests.conftest import AUTH
from tests.support.ports import free_port
from tests.support.redisserver import RedisServer

T0 = 1_800_000_000.0
GENERATE = "/v1/images/generations"


def _client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = AUTH["Authorization"]
    return client


def pair(apps: list[Flask], url: str, **settings: Any) -> tuple[FlaskClient, FlaskClient]:
    """Two fakes sharing the state at ``url`` (the first one's settings set it)."""
    a, b = create_app(state=url, **settings), create_app(state=url)
    apps += [a, b]
    return _client(a), _client(b)


def ask(client: FlaskClient, n: int = 1, key: str | None = None, **extra: Any) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else None
    return client.post(GENERATE, json={"prompt": "a cat", "size": "256x256", "n": n, **extra}, headers=headers)


def control(client: FlaskClient) -> FakeHandle:
    """The control API of the fake ``client`` talks to."""
    return FakeHandle.in_process(client.application)


def freeze(client: FlaskClient, at: float = T0) -> None:
    control(client).freeze()
    control(client).set_time(at)


# --- quotas -------------------------------------------------------------------------------


@pytest.mark.parametrize("frozen", [False, True], ids=["running clock", "frozen clock"])
def test_concurrent_requests_over_two_fakes_get_exactly_the_quota(apps: list[Flask], redis_server: RedisServer,
                                                                  frozen: bool) -> None:
    a, _ = pair(apps, redis_server.url, rate_limits="20/1m")
    if frozen:  # every grant at the same instant
        freeze(a)
    results: list[Any] = []
    lock = threading.Lock()
    start = threading.Barrier(10)

    def worker(i: int) -> None:
        client = _client(apps[i % 2])
        start.wait()
        for _ in range(10):
            response = ask(client)
            with lock:
                results.append(response)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(r.status_code for r in results) == {200: 20, 429: 80}
    refused = next(r for r in results if r.status_code == 429)
    assert "Limit: 20/1min. Current: 21/1min." in refused.get_json()["error"]["message"]
    assert refused.headers["x-ratelimit-remaining-images"] == "0"
    assert 0 < int(refused.headers["retry-after"]) <= 60
    remaining = sorted(int(r.headers["x-ratelimit-remaining-images"]) for r in results if r.status_code == 200)
    assert remaining == list(range(20))  # each grant saw the one before it


def _quota_story(a: FlaskClient, b: FlaskClient, advance: Any) -> list[tuple[Any, ...]]:
    """Requests on alternating fakes with clock moves between: every answer's status, headers, body."""
    seen = []
    steps = [(2, "sk-a", 0), (3, "sk-a", 10.5), (2, "sk-a", 4), (2, "sk-b", 0), (1, "sk-a", 45.4),
             (2, "sk-a", 0.1), (4, "sk-a", 30), (5, "sk-a", 0), (1, "sk-a", 60)]
    for i, (n, key, move) in enumerate(steps):
        if move:
            advance(move)
        r = ask(a if i % 2 else b, n, key)
        headers = {k: v for k, v in r.headers.items() if k.startswith(("x-ratelimit", "retry-after"))}
        seen.append((r.status_code, headers, r.get_json().get("error")))
    return seen


def test_quota_answers_are_those_of_one_fake_in_memory(apps: list[Flask], redis_server: RedisServer) -> None:
    a, b = pair(apps, redis_server.url, rate_limits="5/1m,8/5m")
    freeze(a)
    shared = _quota_story(a, b, control(a).advance)
    clock = MemoryClock(lambda: T0)
    clock.freeze()
    alone = _client(create_app(clock=clock, rate_limits="5/1m,8/5m"))
    assert shared == _quota_story(alone, alone, clock.advance)
    assert [s for s, _, _ in shared].count(429) >= 3


def test_the_live_view_lists_the_keys_seen_by_either_fake(apps: list[Flask], redis_server: RedisServer) -> None:
    a, b = pair(apps, redis_server.url, rate_limits="10/1m")
    ask(a, 3, "sk-first")
    ask(b, 2, "sk-second")
    ask(b, 1, "sk-first", model="dall-e-3", size="1024x1024")
    keys = a.get("/_mock/quotas").get_json()["keys"]
    assert [(k["key"], k["family"], k["windows"][0]["used"]) for k in keys] == [
        ("sk-first", "dall-e-3", 1), ("sk-second", "dall-e-2", 2), ("sk-first", "dall-e-2", 3)]


# --- configuration, clock, reset -----------------------------------------------------------


def test_a_config_change_reaches_the_other_fake_at_once(apps: list[Flask], redis_server: RedisServer) -> None:
    a, b = pair(apps, redis_server.url)
    control(a).configure(rate_limits="2/1m", blocked_terms=["flamingo"])
    assert control(b).config()["rate_limits"] == ["2/1m"]
    assert ask(b, 1, prompt="a flamingo").get_json()["error"]["code"] == "content_policy_violation"
    assert [ask(b).status_code for _ in range(3)] == [200, 200, 429]
    with pytest.raises(ControlError) as refused:
        control(a).set_rate_limits("nonsense")
    assert refused.value.status == 400
    assert control(b).config()["rate_limits"] == ["2/1m"]  # a bad change changes nothing


def test_the_clock_moves_for_both(apps: list[Flask], redis_server: RedisServer) -> None:
    a, b = pair(apps, redis_server.url)
    freeze(a)
    assert b.get("/_mock/clock").get_json() == {"now": T0, "frozen": True}  # (the handle reads only now)
    assert control(a).advance(90) == T0 + 90
    assert ask(b).get_json()["created"] == int(T0 + 90)
    with pytest.raises(ControlError) as refused:
        control(b).advance(-2e12)  # out of range: no move
    assert refused.value.status == 400
    assert control(a).now() == T0 + 90
    b.post("/_mock/clock", json={"real_time": True})  # (the handle has no real_time)
    now = a.get("/_mock/clock").get_json()
    assert now["frozen"] is False and abs(now["now"] - time.time()) < 5


def test_reset_clears_everything_for_both(apps: list[Flask], redis_server: RedisServer) -> None:
    a, b = pair(apps, redis_server.url, rate_limits="3/1m")
    url = ask(a, 2, response_format="url").get_json()["data"][0]["url"]
    first, second = control(a), control(b)
    first.freeze()
    first.inject_fault(status=500, count=5, endpoint="edits")
    first.set_rate_limits("4/1m")
    assert ask(b, 3).status_code == 429
    second.reset()
    assert (first.requests(), first.faults(), first.images()) == ([], [], {"count": 0, "bytes": 0})
    assert a.get(url.split("localhost", 1)[1]).status_code == 404
    assert a.get("/_mock/clock").get_json()["frozen"] is False  # (the handle reads only now)
    assert first.config()["rate_limits"] == ["4/1m"]  # kept
    assert ask(a, 3).status_code == 200
    second.reset(config=True)
    assert first.config()["rate_limits"] == ["3/1m"]  # the first fake's start-up one
    assert ask(a, 3).status_code == 200


def test_the_first_fake_on_an_empty_state_sets_its_configuration(apps: list[Flask], redis_server: RedisServer
                                                                ) -> None:
    first = create_app(state=redis_server.url, url_ttl=60)
    later = create_app(state=redis_server.url, url_ttl=120)
    apps += [first, later]
    assert FakeHandle.in_process(later).config()["url_ttl"] == 60


# --- faults -------------------------------------------------------------------------------


def test_a_fault_fires_exactly_count_times_across_fakes(apps: list[Flask], redis_server: RedisServer) -> None:
    a, b = pair(apps, redis_server.url, rate_limits="off")
    control(a).inject_fault(status=503, count=3)
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        client = _client(apps[i % 2])
        for _ in range(5):
            status = ask(client).status_code
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(statuses) == {503: 3, 200: 27}
    assert control(b).faults() == []


def test_after_endpoint_listing_and_removal_work_from_either_fake(apps: list[Flask], redis_server: RedisServer
                                                                  ) -> None:
    a, b = pair(apps, redis_server.url, rate_limits="off")
    first = control(a).inject_fault(status=500, after=2, count=2, endpoint="generations")
    other = control(b).inject_fault(status=502, endpoint="edits")
    assert [ask(c).status_code for c in (a, b, a, b, a)] == [200, 200, 500, 500, 200]
    assert control(a).faults() == [{**other, "seen": 0, "fired": 0}]
    # (the handle removes all faults, not one: DELETE /_mock/faults/<id> as raw HTTP)
    assert b.delete(f"/_mock/faults/{other['id']}").get_json() == {"faults": []}
    assert a.delete(f"/_mock/faults/{first['id']}").status_code == 404


def test_seeded_probability_repeats_across_fakes(apps: list[Flask], redis_server: RedisServer) -> None:
    a, b = pair(apps, redis_server.url, rate_limits="off")

    def run() -> list[int]:
        control(a).reset()
        control(a).inject_fault(status=503, count=None, probability=0.5, seed=7)
        return [ask(c).status_code for c in (a, b) * 20]

    first = run()
    assert first == run()
    assert 5 < first.count(503) < 35  # a fair coin, not all or nothing


def test_deleting_faults_ends_a_hang_in_progress_on_the_other_fake(apps: list[Flask], redis_server: RedisServer
                                                                    ) -> None:
    a, b = pair(apps, redis_server.url)
    control(a).inject_fault(kind="hang", delay_ms=60_000)
    outcome: list[BaseException] = []

    def hang() -> None:
        try:
            ask(a)
        except ConnectionResetError as exc:  # in-process, a dropped connection raises
            outcome.append(exc)

    started = time.monotonic()
    thread = threading.Thread(target=hang)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive()
    control(b).clear_faults()
    thread.join(10)
    assert not thread.is_alive() and len(outcome) == 1
    assert time.monotonic() - started < 10


# --- image URLs and the gallery ---------------------------------------------------------------


def test_a_url_minted_on_one_fake_is_served_by_the_other_until_it_expires(apps: list[Flask],
                                                                          redis_server: RedisServer) -> None:
    a, b = pair(apps, redis_server.url)
    urls = [d["url"] for d in ask(a, 2, response_format="url").get_json()["data"]]
    b64 = ask(b, 2, response_format="b64_json").get_json()["data"]
    paths = [u.split("localhost", 1)[1] for u in urls]
    for path, item in zip(paths, b64, strict=True):
        first = b.get(path)  # rendered by b
        assert first.status_code == 200 and first.mimetype == "image/png"
        assert first.data == base64.b64decode(item["b64_json"])
        assert a.get(path).data == first.data  # a serves b's cached render
    control(a).advance(3601)
    for client in (a, b):
        expired = client.get(paths[0])
        assert expired.status_code == 403 and b"Signature not valid in the specified time frame" in expired.data


def test_the_store_stays_within_its_bounds(apps: list[Flask], redis_server: RedisServer) -> None:
    a, b = pair(apps, redis_server.url, store_max_images=3, rate_limits="off")
    paths = [ask(c, response_format="url").get_json()["data"][0]["url"].split("localhost", 1)[1]
             for c in (a, b, a, b)]
    assert control(a).images()["count"] == 3
    assert b.get(paths[0]).status_code == 404  # the oldest went first
    assert [a.get(p).status_code for p in paths[1:]] == [200, 200, 200]
    control(a).configure(store_max_bytes=1500)  # room for two recipes (640 bytes each), no render
    ask(b, response_format="url")
    assert control(b).images() == {"count": 2, "bytes": 1280}


def test_the_live_view_shows_images_made_by_the_other_fake(apps: list[Flask], redis_server: RedisServer) -> None:
    a, b = pair(apps, redis_server.url)
    answer = ask(a, 1, response_format="b64_json").get_json()
    ask(a, 1, response_format="url")
    refs = [e["images"][0] for e in control(b).requests()]
    assert refs[0]["id"].startswith("b64-") and refs[1]["response_format"] == "url"
    shown = b.get(f"/_mock/images/{refs[0]['id']}")
    assert shown.status_code == 200 and shown.data == base64.b64decode(answer["data"][0]["b64_json"])
    assert b.get(f"/_mock/images/{refs[1]['id']}").status_code == 200
    control(a).reset()
    assert b.get(f"/_mock/images/{refs[0]['id']}").status_code == 404  # (no image reads on the handle)
    ask(b, 1)
    again = control(a).requests()[0]["images"][0]["id"]
    assert again not in (refs[0]["id"], refs[1]["id"])  # an id is never reused


# --- the journal ----------------------------------------------------------------------------


def test_the_journal_lists_the_requests_of_both_in_order(apps: list[Flask], redis_server: RedisServer) -> None:
    a, b = pair(apps, redis_server.url, journal_size=5)
    ids = [ask(c, prompt=f"cat {i}").headers["x-request-id"] for i, c in enumerate((a, b, a))]
    first = b.get("/_mock/requests").get_json()
    assert [e["id"] for e in first["requests"]] == ids and first["complete"] is True
    assert [e["params"]["prompt"] for e in first["requests"]] == ["cat 0", "cat 1", "cat 2"]
    more = [ask(c).headers["x-request-id"] for c in (b, a, b, a)]
    since = a.get("/_mock/requests", query_string={"after": first["cursor"]}).get_json()
    assert [e["id"] for e in since["requests"]] == more and since["complete"] is False
    assert [e["id"] for e in control(a).requests()] == (ids + more)[-5:]  # bounded by journal_size
    assert a.get("/_mock/requests", query_string={"status": 200, "after": since["cursor"]}).get_json()[
        "requests"] == []
    control(b).clear_requests()
    cleared = a.get("/_mock/requests", query_string={"after": since["cursor"]}).get_json()
    assert cleared["requests"] == [] and cleared["complete"] is True


def test_a_streams_progress_reaches_the_shared_journal(apps: list[Flask], redis_server: RedisServer) -> None:
    a, b = pair(apps, redis_server.url)
    response = a.post(GENERATE, json={"prompt": "a cat", "model": "gpt-image-1", "stream": True,
                                      "partial_images": 2, "size": "1024x1024", "quality": "low"})
    assert response.status_code == 200
    response.get_data()
    entry = control(b).requests()[-1]
    assert entry["stream"] is True and entry["events"] == 3


# --- Redis away --------------------------------------------------------------------------------


def test_unreachable_at_start_is_one_clear_line() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(StateUnavailable) as caught:
        create_app(state=url)
    message = str(caught.value)
    assert url in message and "\n" not in message and "refused" in message.lower()


@pytest.mark.parametrize("url", ["http://localhost:6379", "localhost:6379", "memcached://x"])
def test_a_state_that_is_not_a_redis_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="redis://HOST:PORT/DB"):
        create_app(state=url)


def test_the_password_of_a_url_is_never_shown() -> None:
    with pytest.raises(StateUnavailable) as caught:
        create_app(state=f"redis://:hunter2@127.0.0.1:{free_port()}/0")
    assert "hunter2" not in str(caught.value) and "****" in str(caught.value)


def test_losing_redis_answers_json_503_then_recovers(apps: list[Flask], redis_server: RedisServer) -> None:
    a, b = pair(apps, redis_server.url)
    path = ask(a, response_format="url").get_json()["data"][0]["url"].split("localhost", 1)[1]
    redis_server.stop()
    try:
        started = time.monotonic()
        lost = ask(a)
        assert lost.status_code == 503
        assert lost.get_json() == {"error": {"message": "The engine is currently overloaded, please try again later.",
                                             "type": "server_error", "param": None, "code": None}}
        assert lost.headers["x-request-id"].startswith("req_")
        refused = b.get("/_mock/faults")  # the control route's own answer, as raw HTTP
        assert refused.status_code == 503 and refused.is_json
        blob = b.get(path)
        assert blob.status_code == 503 and b"<Code>ServerBusy</Code>" in blob.data
        assert time.monotonic() - started < 10  # never a hang
    finally:
        redis_server.start()
    assert ask(a).status_code == 200
    assert ask(b).status_code == 200
    assert control(b).faults() == []


def test_a_redis_back_empty_is_set_up_again_from_what_the_fakes_were_running(
        apps: list[Flask], redis_server: RedisServer) -> None:
    a, b = pair(apps, redis_server.url, rate_limits="7/1m")
    first, second = control(a), control(b)
    first.configure(url_ttl=600)
    second.now()  # b has seen the change (at its request's start)
    redis_server.stop()
    redis_server.start()  # no persistence: every key is gone
    assert second.config()["url_ttl"] == 600  # set up again by the first to notice
    first.configure(url_ttl=900)
    assert second.config()["url_ttl"] == 900
    path = ask(a, response_format="url").get_json()["data"][0]["url"].split("localhost", 1)[1]
    assert b.get(path).status_code == 200  # both still sign with the same key
    second.reset(config=True)
    assert first.config()["rate_limits"] == ["7/1m"]


# --- what travels through Redis -------------------------------------------------------------------


def test_a_json_edit_reads_a_url_minted_by_the_other_fake(apps: list[Flask], redis_server: RedisServer) -> None:
    a, b = pair(apps, redis_server.url)
    url = ask(a, response_format="url").get_json()["data"][0]["url"]
    body = {"model": "gpt-image-2", "prompt": "cat", "images": [{"image_url": url}]}
    response = b.post("/v1/images/edits", json=body)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["usage"]["input_tokens_details"]["image_tokens"] == 255  # 256x256: 1 tile
    control(a).reset()  # the image is forgotten: b cannot read it any more
    assert b.post("/v1/images/edits", json=body).status_code == 400


def test_a_recipe_travels_as_json_and_comes_back_equal() -> None:
    from mockserver.render import Recipe
    from mockserver.state.redis.recipes import decode_recipe, encode_recipe

    recipe = Recipe(endpoint="edits", model="gpt-image-1", prompt="a \udc80 cat", width=64, height=48, index=1,
                    n=2, image=b"\x89PNG\x00\xff", mask=b"\x00", extra_images=(b"one", b"\x00two"),
                    output_format="webp", background="transparent", compression=50, quality="low")
    text = encode_recipe(recipe)
    assert text.isascii() and "pickle" not in text
    assert decode_recipe(text) == recipe
    assert decode_recipe(encode_recipe(Recipe("variations", "dall-e-2", None, 256, 256, 0, 1))).prompt is None


def test_the_in_memory_fake_never_imports_redis() -> None:
    import subprocess
    import sys

    code = ("import sys, mockserver; app = mockserver.create_app(); "
            "app.test_client().post('/v1/images/generations', json={'prompt': 'a cat'}, "
            "headers={'Authorization': 'Bearer sk-x'}); "
            "print(sorted(m for m in sys.modules if m == 'redis' or m.startswith('mockserver.state.redis')))")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert found.stdout.strip() == "[]"


def test_losing_redis_as_the_answer_leaves_answers_503(apps: list[Flask], redis_server: RedisServer,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import redis

    a, _ = pair(apps, redis_server.url)
    state = apps[0].extensions["mockserver"].state

    def lost() -> None:
        state.discard()
        raise redis.ConnectionError("Connection reset by peer")

    monkeypatch.setattr(state, "end_request", lost)
    response = ask(a)
    assert response.status_code == 503 and response.get_json()["error"]["type"] == "server_error"
    assert response.headers["x-request-id"].startswith("req_")
    monkeypatch.undo()
    assert ask(a).status_code == 200
