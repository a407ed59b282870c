"""The control API and the Python handle: the same operations in-process and over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from flask import Flask

from mockserver import create_app
from mockserver.http.server import LiveServer
from mockserver.testing.handle import ControlError, FakeHandle
from tests.conftest import AUTH


@pytest.fixture(params=["in_process", "over_http"])
def fake(request: pytest.FixtureRequest) -> Iterator[tuple[FakeHandle, Flask]]:
    app = create_app()
    if request.param == "in_process":
        yield FakeHandle.in_process(app), app
    else:
        with LiveServer(app) as server, FakeHandle.over_http(server.base_url) as handle:
            yield handle, app


def generate(app: Flask, **body: object) -> object:
    return app.test_client().post("/v1/images/generations", json={"prompt": "cat", "size": "256x256", **body},
                                  headers=AUTH)


def test_reset_forgets_everything_but_the_config(fake: tuple[FakeHandle, Flask]) -> None:
    handle, app = fake
    handle.configure(url_ttl=120)
    handle.inject_fault(endpoint="edits", status=500)
    handle.advance(100)
    generate(app, n=2)
    backend = app.extensions["mockserver"]
    assert len(backend.store) == 2 and handle.requests() and handle.faults()
    handle.reset()
    assert len(backend.store) == 0
    assert handle.requests() == [] and handle.faults() == []
    assert backend.quotas.states("sk", backend.config.rate_limits, backend.clock.now())[0].used == 0
    assert handle.config()["url_ttl"] == 120
    assert not backend.clock.frozen


def test_clock_moves_and_freezes(fake: tuple[FakeHandle, Flask]) -> None:
    handle, _ = fake
    frozen_at = handle.freeze()
    assert handle.now() == frozen_at
    assert handle.advance(90) == frozen_at + 90
    assert handle.set_time(2_000_000_000) == 2_000_000_000
    thawed = handle.freeze(False)
    assert 2_000_000_000 <= thawed < 2_000_000_010
    body = generate(fake[1]).get_json()  # type: ignore[attr-defined]
    assert body["created"] >= 2_000_000_000


@pytest.mark.parametrize(("changes", "param", "fragment"), [
    ({"url_ttl": 0}, "url_ttl", "must be an integer from 1 to 315360000, not 0"),
    ({"url_ttl": "60"}, "url_ttl", "must be an integer"),
    ({"rate_limits": "20 per minute"}, "rate_limits", "is not LIMIT/WINDOW"),
    ({"quota_mode": "broke"}, "quota_mode", "must be one of ['normal', 'insufficient_quota', "),
    ({"blocked_terms": "nude"}, "blocked_terms", "must be a list, not 'nude'"),
    ({"blocked_image_sha256": ["abc"]}, "blocked_image_sha256", "a SHA-256 digest (64 hex characters)"),
    ({"api_keys": [""]}, "api_keys", "item 0: must not be empty"),
    ({"admin_token": "x"}, "admin_token", "is not a setting that can be given"),
    ({"colour": "blue"}, "colour", "is not a setting that can be given"),
    ({"url_ttl": 60, "latency_ms": -1}, "latency_ms", "must be an integer from 0 to 120000, not -1"),
])
def test_bad_config_is_refused_and_changes_nothing(
    fake: tuple[FakeHandle, Flask], changes: dict[str, object], param: str, fragment: str
) -> None:
    handle, _ = fake
    before = handle.config()
    with pytest.raises(ControlError) as caught:
        handle.configure(**changes)
    assert caught.value.status == 400
    error = caught.value.body["error"]
    assert error["param"] == param and error["code"] == "invalid_config"
    assert fragment in error["message"]
    assert handle.config() == before


def test_config_shows_and_changes_every_patchable_setting(fake: tuple[FakeHandle, Flask]) -> None:
    handle, app = fake
    shown = handle.config()
    assert shown["rate_limits"] == ["50/1m"]
    assert shown["admin_token"] is None and "secret" in shown
    changed = handle.configure(rate_limits="beta-2022", blocked_terms=["kraken"], url_ttl=60, latency_ms=0,
                               quota_mode="normal", api_keys=["sk-only"], error_era="legacy")
    assert changed["rate_limits"] == ["20/1m", "50/5m"]
    assert app.extensions["mockserver"].config.api_keys == ("sk-only",)
    assert generate(app).status_code == 401  # type: ignore[attr-defined]


def test_journal_records_what_was_asked_and_answered(fake: tuple[FakeHandle, Flask]) -> None:
    handle, app = fake
    generate(app, n=2)
    generate(app, size="9x9")
    client = app.test_client()
    client.post("/v1/images/variations", headers=AUTH,
                data={"image": (__import__("io").BytesIO(b"\x89PNG\r\n\x1a\nnot really"), "x.png")},
                content_type="multipart/form-data")
    entries = handle.requests()
    assert [e["status"] for e in entries] == [200, 400, 400]
    first, second, third = entries
    assert first["params"] == {"prompt": "cat", "size": "256x256", "n": 2}
    assert first["endpoint"] == "generations" and first["method"] == "POST"
    assert first["api_key"].startswith("sk-test-") and "*" in first["api_key"]
    assert first["id"].startswith("req_") and first["error_code"] is None
    assert second["error_code"] == "invalid_value"
    upload = third["params"]["files"][0]
    assert upload["bytes"] == 18 and len(upload["sha256"]) == 64 and upload["filename"] == "x.png"
    assert "data" not in str(third["params"])  # never the bytes themselves
    assert [e["status"] for e in handle.requests(status=400)] == [400, 400]
    assert [e["endpoint"] for e in handle.requests(endpoint="variations")] == ["variations"]
    handle.clear_requests()
    assert handle.requests() == []


def test_journal_is_bounded() -> None:
    app = create_app(journal_size=5)
    for _ in range(12):
        generate(app, n=1, size="bad")
    assert len(FakeHandle.in_process(app).requests()) == 5


def test_journal_cuts_long_values() -> None:
    app = create_app()
    generate(app, user="u" * 50_000)
    [entry] = FakeHandle.in_process(app).requests()
    assert len(entry["params"]["user"]) < 2100


def test_an_entry_says_whether_its_parameters_were_cut() -> None:
    app = create_app(journal_entry_bytes=4096)
    generate(app)
    generate(app, extra=[[[[[[[[[["deep"]]]]]]]]]])
    generate(app, extra=["x" * 1000] * 10)  # 10,000 characters: past 4096
    plain, deep, heavy = FakeHandle.in_process(app).requests()
    assert plain["params_cut"] is False and plain["params"] == {"prompt": "cat", "size": "256x256"}
    assert deep["params_cut"] is True and "… (list of 1 item)" in json.dumps(deep["params"], ensure_ascii=False)
    assert heavy["params_cut"] is True and heavy["params"]["prompt"] == "cat"
    assert heavy["params"]["extra"][-1].endswith("more)") and len(json.dumps(heavy["params"])) < 4096 + 2100


def test_the_journal_is_read_in_pages() -> None:
    app = create_app()
    for i in range(7):
        generate(app, user=f"u{i}")
    client = app.test_client()
    users = lambda answer: [e["params"]["user"] for e in answer["requests"]]  # noqa: E731
    whole = client.get("/_mock/requests").get_json()
    assert users(whole) == [f"u{i}" for i in range(7)] and whole["complete"] and whole["next"] is None
    first = client.get("/_mock/requests?limit=3").get_json()
    assert users(first) == ["u0", "u1", "u2"] and first["complete"] and first["next"] == first["cursor"]
    second = client.get(f"/_mock/requests?limit=3&after={first['next']}").get_json()
    assert users(second) == ["u3", "u4", "u5"] and not second["complete"] and second["next"]
    third = client.get(f"/_mock/requests?limit=3&after={second['next']}").get_json()
    assert users(third) == ["u6"] and third["next"] is None and third["cursor"] == whole["cursor"]
    newest = client.get("/_mock/requests?newest=true&limit=2").get_json()
    assert users(newest) == ["u5", "u6"] and newest["next"] is None and newest["cursor"] == whole["cursor"]
    filtered = client.get("/_mock/requests?limit=3&status=200").get_json()
    assert users(filtered) == ["u0", "u1", "u2"] and filtered["next"] == first["next"]  # filters apply to a page


@pytest.mark.parametrize("query", ["limit=0", "limit=-1", "limit=abc", "limit=²", "limit=100001", "newest=yes",
                                   "status=²", "status=9" * 5000])
def test_bad_journal_queries_are_refused(query: str) -> None:
    answer = create_app().test_client().get(f"/_mock/requests?{query}")
    assert answer.status_code == 400 and answer.get_json()["error"]["param"] == query.split("=")[0]


def test_a_page_is_bounded_in_bytes_and_the_handle_reads_them_all(fake: tuple[FakeHandle, Flask]) -> None:
    handle, app = fake
    handle.configure(journal_page_bytes=8192)
    for i in range(10):
        generate(app, user=f"{i}" + "u" * 1999)  # entries of about 2,300 bytes
    answer = app.test_client().get("/_mock/requests")
    page = answer.get_json()
    assert 1 <= len(page["requests"]) <= 4 and page["next"] and len(answer.data) < 8192 + 2500
    assert [e["params"]["user"][0] for e in handle.requests()] == [str(i) for i in range(10)]
    assert len(handle.requests(status=200)) == 10


def test_the_journal_keeps_its_bytes(fake: tuple[FakeHandle, Flask]) -> None:
    handle, app = fake
    handle.configure(journal_bytes=20_000)
    for i in range(10):
        generate(app, user=f"{i}" + "u" * 1999)
    kept = [e["params"]["user"][0] for e in handle.requests()]
    assert 5 <= len(kept) <= 8 and kept == [str(i) for i in range(10 - len(kept), 10)]  # the newest


def test_control_plane_is_loopback_only_without_a_token() -> None:
    client = create_app().test_client()
    remote = client.post("/_mock/reset", environ_overrides={"REMOTE_ADDR": "203.0.113.9"})
    assert remote.status_code == 403
    assert remote.get_json()["error"]["code"] == "control_plane_forbidden"
    assert client.post("/_mock/reset", environ_overrides={"REMOTE_ADDR": "::1"}).status_code == 200
    assert client.post("/_mock/reset").status_code == 200


def test_admin_token_is_required_when_set() -> None:
    client = create_app(admin_token="s3cret", api_keys=("sk-user",)).test_client()
    for header in (None, "Bearer sk-user", "Bearer wrong", "s3cret"):
        headers = {"Authorization": header} if header else {}
        response = client.get("/_mock/config", headers=headers)
        assert response.status_code == 401, header
        assert response.get_json()["error"]["code"] == "invalid_admin_token"
    ok = client.get("/_mock/config", headers={"Authorization": "Bearer s3cret"},
                    environ_overrides={"REMOTE_ADDR": "203.0.113.9"})
    assert ok.status_code == 200
    assert ok.get_json()["admin_token"] == "********"


def test_handle_over_http_with_admin_token() -> None:
    with LiveServer(create_app(admin_token="tok")) as server:
        with FakeHandle.over_http(server.url, admin_token="tok") as admin:
            assert admin.config()["admin_token"] == "********"
        with FakeHandle.over_http(server.url) as stranger, pytest.raises(ControlError):
            stranger.config()


@pytest.mark.parametrize(("body", "fragment"), [
    ({}, "give one of"), ({"advance": "10"}, "must be a number"), ({"freeze": 1}, "must be true or false"),
    ({"set": -5}, "must be a finite number in [0, 32503680000]"),
    ({"rewind": 3}, "these can: real_time, freeze, set, advance"),
])
def test_bad_clock_requests(body: dict[str, object], fragment: str) -> None:
    response = create_app().test_client().post("/_mock/clock", json=body)
    assert response.status_code == 400
    assert fragment in response.get_json()["error"]["message"]


def test_unknown_control_path_is_json() -> None:
    answer = create_app().test_client().get("/_mock/nothing")
    assert answer.status_code == 404 and answer.get_json()["error"]["message"] == "Invalid URL (GET /_mock/nothing)"


def test_journal_can_be_turned_off() -> None:
    app = create_app(journal_size=0)
    generate(app)
    assert FakeHandle.in_process(app).requests() == []


def test_images_view_counts_what_the_store_holds(fake: tuple[FakeHandle, Flask]) -> None:
    handle, app = fake
    assert handle.images() == {"count": 0, "bytes": 0}
    generate(app, n=3)
    generate(app, n=2, response_format="b64_json")  # nothing stored for b64
    held = handle.images()
    assert held["count"] == 3 and held["bytes"] > 0
    handle.reset()
    assert handle.images() == {"count": 0, "bytes": 0}
