"""A shared state that another fake (newer, older) or a person wrote (issue 22, finding 7): what
this fake cannot use is repaired and said once, what it does not know is left alone, a reset
always works, and no answer is a 500 or a 503 blaming Redis's availability while Redis is up.

Each test writes the wrong thing with a real Redis client into a real redis-server, then talks to
fakes through their whole stack (Flask's test client: the hooks, the pipeline, the control routes),
and the last one to real ``python -m mockserver --workers 2`` processes over HTTP.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from mockserver import create_app
from tests.support.processes import FakeProcess
from tests.support.redisserver import RedisServer

redis = pytest.importorskip("redis")

AUTH = {"Authorization": "Bearer sk-test-tolerance-0123456789abcdefghij"}
GENERATE = "/v1/images/generations"
P = "mockserver:"

# Every key the Redis backend owns, with its type (mockserver/state/redis/*.py); the families
# (a fault's hash, a quota key's grants and count) by the key their first member gets.
KEYS = {
    # lifecycle, clock, counters
    P + "state": "hash",
    # configuration
    P + "config": "string", P + "config:initial": "string", P + "secret": "string",
    # faults
    P + "faults": "list",
    # journal
    P + "journal": "list", P + "journal:entries": "hash",
    # store
    P + "img": "hash", P + "img:cost": "hash", P + "img:exp": "zset", P + "img:age": "zset",
    P + "png": "hash", P + "png:lru": "zset", P + "serial": "string",
    # gallery
    P + "gal": "hash", P + "gal:order": "zset", P + "gal:cost": "hash", P + "gal:serial:order": "string",
    # quotas
    P + "quota:keys": "zset", P + "quota:serial": "string", P + "quota:horizon": "string",
}


def _wrong(client: Any, key: str, expected: str) -> None:
    """Replace ``key`` with a value of another type than ``expected``."""
    client.delete(key)
    if expected == "string":
        client.rpush(key, "a", "b")
    elif expected == "list":
        client.hset(key, "a", "b")
    else:  # hash, zset
        client.set(key, "not a " + expected)


def _ask(client: FlaskClient) -> Any:
    return client.post(GENERATE, json={"prompt": "a cat", "size": "256x256"}, headers=AUTH)


def _round(client: FlaskClient) -> list[tuple[str, int, str]]:
    """What a user does in a minute: a generation, its image URL, the journal, a fault queued and
    listed and removed, a setting changed, the clock read. Each answer: (what, status, message)."""
    out = []

    def note(what: str, answer: Any) -> Any:
        body = answer.get_json(silent=True)
        # (an image URL answers as blob storage does: its message is in XML)
        message = (body["error"]["message"] if isinstance(body, dict) and "error" in body
                   else answer.get_data().decode("utf-8", "replace") if answer.status_code >= 400 else "")
        out.append((what, answer.status_code, message))
        return answer

    made = note("generation", _ask(client))
    if made.status_code == 200:
        url = urlsplit(made.get_json()["data"][0]["url"])
        note("image URL", client.get(f"{url.path}?{url.query}"))
    note("journal", client.get("/_mock/requests"))
    fault = note("queue a fault", client.post("/_mock/faults", json={"kind": "status", "status": 503, "after": 1000}))
    note("list faults", client.get("/_mock/faults"))
    if fault.status_code == 201:
        note("remove a fault", client.delete("/_mock/faults/" + fault.get_json()["id"]))
    note("patch config", client.patch("/_mock/config", json={"latency_jitter_ms": 0}))
    note("config", client.get("/_mock/config"))
    note("clock", client.get("/_mock/clock"))
    return out


@pytest.fixture
def raw(redis_server: RedisServer) -> Iterator[Any]:
    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()


def _fake(apps: list[Flask], url: str, **settings: Any) -> FlaskClient:
    app = create_app(state=url, **settings)
    apps.append(app)
    return app.test_client()


def _fine(answers: list[tuple[str, int, str]]) -> bool:
    return all(200 <= status < 300 for _, status, _ in answers)


@pytest.mark.parametrize("key", list(KEYS))
def test_a_key_of_another_type_is_repaired_said_once_and_never_a_500(
        key: str, apps: list[Flask], raw: Any, redis_server: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    fake = _fake(apps, redis_server.url)
    assert _fine(_round(fake))  # every key exists now
    _wrong(raw, key, KEYS[key])
    if raw.type(P + "state") == b"hash":
        raw.hincrby(P + "state", "cv", 1)  # as another fake's change would: every fake reads the configuration
    with caplog.at_level(logging.WARNING, logger="mockserver"):
        first = _round(fake)
        later = [_round(fake) for _ in range(3)]
    assert not [a for a in first if a[1] >= 500 and a[1] != 503], first  # never a 500
    for what, status, message in first:  # a 503 says what is wrong: this key, its type
        if status == 503:
            assert f"at key {key} holds" in message and "overloaded" not in message, (what, message)
    assert all(_fine(answers) for answers in later), later  # repaired: answered as usual
    reports = [r.getMessage() for r in caplog.records if r.getMessage().startswith("shared state repaired")]
    assert sum(f"at key {key} " in text for text in reports) <= 1, reports  # said once, not per request
    assert fake.post("/_mock/reset").status_code == 200
    assert raw.type(key).decode() in (KEYS[key], "none")  # (a key nothing read until the reset: by then)


@pytest.mark.parametrize("key", list(KEYS))
def test_reset_always_works_whatever_type_it_finds(key: str, apps: list[Flask], raw: Any,
                                                    redis_server: RedisServer) -> None:
    fake = _fake(apps, redis_server.url)
    assert _fine(_round(fake))
    _wrong(raw, key, KEYS[key])
    assert fake.post("/_mock/reset").status_code == 200
    _wrong(raw, key, KEYS[key])
    assert fake.post("/_mock/reset", json={"config": True}).status_code == 200
    assert _fine(_round(fake))


@pytest.mark.parametrize("key", list(KEYS))
def test_a_fake_starts_on_a_state_with_a_key_of_another_type(key: str, apps: list[Flask], raw: Any,
                                                              redis_server: RedisServer) -> None:
    assert _fine(_round(_fake(apps, redis_server.url)))
    _wrong(raw, key, KEYS[key])
    newcomer = _fake(apps, redis_server.url)  # neither refused nor broken by it
    assert _fine(_round(newcomer))


@pytest.mark.parametrize("family", ["fault", "grants", "count"])
def test_a_family_key_of_another_type_is_repaired(family: str, apps: list[Flask], raw: Any,
                                                   redis_server: RedisServer) -> None:
    fake = _fake(apps, redis_server.url)
    assert fake.post("/_mock/faults", json={"kind": "status", "status": 503, "after": 1000}).status_code == 201
    assert _fine(_round(fake))
    pattern = {"fault": P + "fault:*", "grants": P + "q:*", "count": P + "q:*:total"}[family]
    keys = [k.decode() for k in raw.scan_iter(match=pattern) if family != "grants" or not k.endswith(b":total")]
    assert keys, pattern
    for key in keys:
        _wrong(raw, key, {"fault": "hash", "grants": "zset", "count": "string"}[family])
    first = _round(fake)
    assert not [a for a in first if a[1] >= 500 and a[1] != 503], first
    assert all(f"at key {P}" in message for _, status, message in first if status == 503), first
    assert _fine(_round(fake))
    assert fake.post("/_mock/reset").status_code == 200


# --- the configuration: unknown fields, malformed values --------------------------------------------


def _shared_config(raw: Any) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(raw.get(P + "config"))
    return found


def _write_config(raw: Any, values: Any) -> None:
    """Write the shared configuration as another fake would (and move its version so every fake reads it)."""
    raw.set(P + "config", values if isinstance(values, (str, bytes)) else json.dumps(values))
    raw.hincrby(P + "state", "cv", 1)


def test_an_unknown_field_in_the_shared_configuration_changes_nothing(
        apps: list[Flask], raw: Any, redis_server: RedisServer) -> None:
    fake, other = _fake(apps, redis_server.url), _fake(apps, redis_server.url)
    assert _fine(_round(fake))
    before = fake.get("/_mock/config").get_json()
    _write_config(raw, {**_shared_config(raw), "a_setting_of_a_newer_fake": {"on": True}})
    for client in (fake, other):
        assert _fine(_round(client))
        assert client.post("/_mock/reset").status_code == 200
        assert client.get("/_mock/config").get_json() == before
    # Kept for the newer fake that wrote it, through this one's PATCH and reset.
    assert fake.patch("/_mock/config", json={"latency_ms": 5}).status_code == 200
    assert _shared_config(raw)["a_setting_of_a_newer_fake"] == {"on": True}
    assert other.get("/_mock/config").get_json()["latency_ms"] == 5


@pytest.mark.parametrize("written", [
    "not json at all", "[1, 2]", "null", b"\xff\xfe",
    {"latency_ms": "slow"}, {"rate_limits": 12}, {"latency_ms": -1, "journal_size": "many"},
], ids=["text", "array", "null", "bytes", "string-for-int", "int-for-string", "two-bad"])
def test_a_malformed_shared_configuration_is_repaired_from_the_running_one(
        written: Any, apps: list[Flask], raw: Any, redis_server: RedisServer,
        caplog: pytest.LogCaptureFixture) -> None:
    fake = _fake(apps, redis_server.url, latency_ms=0, rate_limits="500/1m")
    assert fake.patch("/_mock/config", json={"latency_jitter_ms": 7}).status_code == 200
    running = fake.get("/_mock/config").get_json()
    _write_config(raw, {**_shared_config(raw), **written} if isinstance(written, dict) else written)
    with caplog.at_level(logging.WARNING, logger="mockserver"):
        answers = [_round(fake) for _ in range(3)]
    assert all(_fine(a) for a in answers), answers
    assert fake.get("/_mock/config").get_json() == {**running, "latency_jitter_ms": 0}  # (the round's PATCH)
    assert _shared_config(raw)["rate_limits"] == running["rate_limits"]  # rewritten, usable again
    reports = [r.getMessage() for r in caplog.records if "shared state repaired" in r.getMessage()]
    assert len(reports) == 1 and f"{P}config" in reports[0], reports


# --- the state hash's fields ----------------------------------------------------------------------


@pytest.mark.parametrize("field", ["cv", "off", "frz", "nf", "jc", "sb", "gb"])
def test_a_malformed_field_of_the_state_hash_is_repaired(
        field: str, apps: list[Flask], raw: Any, redis_server: RedisServer) -> None:
    fake = _fake(apps, redis_server.url)
    assert _fine(_round(fake))
    raw.hset(P + "state", field, "twelve")
    first = _round(fake)
    assert not [a for a in first if a[1] >= 500 and a[1] != 503], first
    assert all(f"field {field}" in message for _, status, message in first if status == 503), first
    assert _fine(_round(fake)) and _fine(_round(fake))
    assert fake.post("/_mock/reset").status_code == 200


# --- values of the right type that hold what cannot be used ---------------------------------------


@pytest.mark.parametrize("key", [P + "serial", P + "gal:serial:order", P + "quota:serial", P + "quota:horizon",
                                 P + "q:*:total"])
def test_a_count_that_is_no_number_is_repaired(key: str, apps: list[Flask], raw: Any,
                                               redis_server: RedisServer) -> None:
    fake = _fake(apps, redis_server.url)
    assert _fine(_round(fake))
    keys = [k.decode() for k in raw.scan_iter(match=key)] if "*" in key else [key]
    assert keys and all(raw.exists(k) for k in keys), keys
    for name in keys:
        raw.set(name, "twelve")
    first = _round(fake)
    assert not [a for a in first if a[1] >= 500 and a[1] != 503], first
    assert all(f"at key {P}" in message and "'twelve'" in message for _, status, message in first
               if status == 503), first
    assert _fine(_round(fake)) and _fine(_round(fake))


@pytest.mark.parametrize("field, value", [
    ("after", "soon"), ("count", "x"), ("probability", "likely"),
    ("spec", "not json"), ("spec", "[1]"), ("spec", json.dumps({"id": "f", "kind": "status", "delay_ms": "slow"})),
    ("spec", json.dumps({"id": "f", "kind": "explode"})),
])
def test_a_malformed_fault_is_ignored_then_removed(field: str, value: str, apps: list[Flask], raw: Any,
                                                   redis_server: RedisServer) -> None:
    fake = _fake(apps, redis_server.url)
    queued = fake.post("/_mock/faults", json={"kind": "status", "status": 503, "count": None})
    assert queued.status_code == 201
    key = P + "fault:" + queued.get_json()["id"]
    raw.hset(key, field, value)
    first = _round(fake)
    assert not [a for a in first if a[1] >= 500 and a[1] != 503], first
    assert all(f"at key {key} holds" in message for _, status, message in first if status == 503), first
    assert fake.get("/_mock/faults").get_json()["faults"] == []  # neither listed nor fired: ignored, or removed
    assert fake.post("/_mock/reset").status_code == 200  # checked first: the fault is gone
    assert _fine(_round(fake))
    assert fake.get("/_mock/faults").get_json()["faults"] == []


def test_a_kept_image_another_fake_cannot_read_is_an_image_not_there(
        apps: list[Flask], raw: Any, redis_server: RedisServer) -> None:
    fake = _fake(apps, redis_server.url)
    urls = []
    for _ in range(2):
        made = _ask(fake)
        assert made.status_code == 200
        urls.append(urlsplit(made.get_json()["data"][0]["url"]))
    ids = sorted(k.decode() for k in raw.hkeys(P + "img"))
    assert len(ids) == 2
    # One recipe no fake can read; one a newer fake wrote, with a field this one does not know.
    broken, newer = ids
    raw.hset(P + "img", broken, "not a recipe")
    raw.hdel(P + "png", broken, newer)  # (rendered again from the recipe)
    recipe = json.loads(raw.hget(P + "img", newer))
    raw.hset(P + "img", newer, json.dumps({**recipe, "a_field_of_a_newer_fake": 1}))
    answers = {u.path: fake.get(f"{u.path}?{u.query}") for u in urls}
    statuses = sorted(a.status_code for a in answers.values())
    assert statuses == [200, 404], statuses  # the unreadable one is not there; never a 500
    assert _fine(_round(fake))


def test_a_redis_refusing_writes_is_a_503_that_says_so_not_overloaded(
        apps: list[Flask], raw: Any, redis_server: RedisServer) -> None:
    fake = _fake(apps, redis_server.url)
    assert _fine(_round(fake))
    policy = raw.config_get("maxmemory-policy")["maxmemory-policy"]
    raw.config_set("maxmemory-policy", "noeviction")
    raw.config_set("maxmemory", "1")  # every write is refused: Redis is up, and says why
    try:
        answers = [_ask(fake) for _ in range(5)]
    finally:
        raw.config_set("maxmemory", "0")
        raw.config_set("maxmemory-policy", policy)
    assert {a.status_code for a in answers} == {503}
    messages = {a.get_json()["error"]["message"] for a in answers}
    assert all("Redis refused a command" in m and "OOM" in m for m in messages), messages
    assert _fine(_round(fake))


# --- over HTTP, real processes: --workers 2 on one Redis ------------------------------------------


def _http_round(fake: FakeProcess) -> list[tuple[str, int, str]]:
    out = []
    for what, answer in (
        ("generation", requests.post(fake.base_url + "/images/generations", json={"prompt": "a cat", "size": "256x256"},
                                     headers=AUTH, timeout=30)),
        ("journal", requests.get(fake.url + "/_mock/requests", timeout=30)),
        ("faults", requests.get(fake.url + "/_mock/faults", timeout=30)),
        ("config", requests.get(fake.url + "/_mock/config", timeout=30)),
    ):
        body = answer.json() if answer.headers.get("Content-Type", "").startswith("application/json") else {}
        message = body.get("error", {}).get("message", "") if isinstance(body, dict) else ""
        out.append((what, answer.status_code, message))
    return out


def test_over_http_an_unknown_field_changes_nothing_and_a_wrong_type_is_no_lasting_503(
        raw: Any, redis_server: RedisServer, fake_process: Callable[..., FakeProcess]) -> None:
    fake = fake_process("--state", redis_server.url, "--workers", "2", "--rate-limit", "1000/1m", "--quiet")
    assert _fine(_http_round(fake))
    before = requests.get(fake.url + "/_mock/config", timeout=30).json()
    _write_config(raw, {**_shared_config(raw), "a_setting_of_a_newer_fake": [1, 2, 3]})
    for _ in range(4):  # (the two workers each answer some)
        assert _fine(_http_round(fake))
    assert requests.post(fake.url + "/_mock/reset", timeout=30).status_code == 200
    assert requests.get(fake.url + "/_mock/config", timeout=30).json() == before
    for key in (P + "quota:keys", P + "state"):
        _wrong(raw, key, KEYS[key])
        rounds = [_http_round(fake) for _ in range(4)]
        answers = [a for r in rounds for a in r]
        assert all(status < 500 or status == 503 for _, status, _ in answers), answers  # never a 500
        assert all(f"at key {key} holds" in message for _, status, message in answers if status == 503), answers
        assert _fine(rounds[-1]), rounds  # repaired: no lasting 503
    assert fake.stop() == 0
    for key in (P + "quota:keys", P + "state"):  # said once per worker at the most, not per request
        said = [line for line in fake.err if "shared state repaired" in line and f"at key {key} " in line]
        assert 1 <= len(said) <= 2, fake.err
