"""The order in which the fake decides a request, as a client sees it (mockserver/core/pipeline.py):

    authenticate -> an injected fault -> route -> parse and rules -> access -> policy -> quota -> answer

Each test gives a request two reasons to be refused (or a fault and a reason) and checks which
one the client gets: the earlier step's. Every answer, refused or not, carries the API's headers
and leaves one journal entry.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from mockserver import create_app
from tests.conftest import AUTH

GENERATIONS = "/v1/images/generations"
GOOD = {"prompt": "a white siamese cat", "size": "256x256"}


def _post(app: Flask, body: Any = None, *, path: str = GENERATIONS, auth: bool = True, raw: bytes | None = None) -> Any:
    headers = dict(AUTH) if auth else {}
    if raw is not None:
        return app.test_client().post(path, data=raw, headers={**headers, "Content-Type": "application/json"})
    return app.test_client().post(path, json=body, headers=headers)


def _code(answer: Any) -> str:
    return str(answer.get_json()["error"]["code"])


def test_authentication_comes_before_routing_and_faults() -> None:
    app = create_app()
    fake = app.extensions["mockserver"]
    fake.faults.add({"endpoint": "generations", "status": 503, "count": 1})
    assert _post(app, GOOD, path="/v1/images/nowhere", auth=False).status_code == 401
    assert _post(app, GOOD, auth=False).status_code == 401
    assert len(fake.faults.list()) == 1  # an unauthenticated request does not meet the fault
    assert _post(app, GOOD, path="/v1/images/nowhere").status_code == 404


def test_a_fault_comes_before_the_body_is_read() -> None:
    app = create_app()
    app.extensions["mockserver"].faults.add({"endpoint": "generations", "status": 503, "count": 1})
    answer = _post(app, raw=b"{not json")
    assert answer.status_code == 503 and answer.get_json()["error"]["type"] == "server_error"
    assert _post(app, raw=b"{not json").status_code == 400  # the fault fired once; now the body counts


def test_a_removed_endpoint_is_routed_after_its_fault() -> None:
    app = create_app(as_of="2023-01-01")  # before JSON edits and GPT models; variations still served
    app.extensions["mockserver"].faults.add({"endpoint": "generations", "status": 500, "count": 1})
    assert _post(app, GOOD).status_code == 500
    assert _post(app, GOOD).status_code == 200


def test_the_rules_come_before_access_policy_and_quota() -> None:
    app = create_app(verification_required_models=["gpt-image-1.5"], quota_mode="insufficient_quota")
    answer = _post(app, {"model": "gpt-image-1.5", "prompt": "nude cat", "size": "300x300"})
    assert answer.status_code == 400 and answer.get_json()["error"]["param"] == "size"


def test_access_comes_before_policy_and_quota() -> None:
    app = create_app(verification_required_models=["gpt-image-1.5"], quota_mode="insufficient_quota")
    answer = _post(app, {"model": "gpt-image-1.5", "prompt": "nude cat"})
    assert answer.status_code == 403 and _code(answer) == "organization_must_be_verified"


def test_policy_comes_before_the_quota() -> None:
    app = create_app(quota_mode="insufficient_quota")
    answer = _post(app, {**GOOD, "prompt": "a nude cat"})
    assert answer.status_code == 400 and _code(answer) == "content_policy_violation"
    assert _post(app, GOOD).status_code == 429


def test_a_refused_request_spends_no_quota_and_makes_no_image() -> None:
    app = create_app(rate_limits="1/1m")
    fake = app.extensions["mockserver"]
    assert _post(app, {**GOOD, "prompt": "a nude cat"}).status_code == 400
    assert len(fake.store) == 0 and len(fake.gallery) == 0
    assert _post(app, {**GOOD, "response_format": "url"}).status_code == 200  # the one image of the window
    assert _post(app, GOOD).status_code == 429


def test_every_answer_has_the_api_headers_and_one_journal_entry() -> None:
    app = create_app()
    fake = app.extensions["mockserver"]
    answers = [_post(app, GOOD, auth=False), _post(app, raw=b"[1"), _post(app, GOOD)]
    for answer in answers:
        for name in ("x-request-id", "openai-processing-ms", "openai-version", "openai-organization"):
            assert answer.headers.get(name), (answer.status_code, name)
    entries = fake.journal.entries()
    assert [e["status"] for e in entries] == [401, 400, 200]
    assert [e["id"] for e in entries] == [a.headers["x-request-id"] for a in answers]
    assert [e["error_type"] for e in entries] == [a.get_json()["error"]["type"] for a in answers[:2]] + [None]


def test_a_fault_for_streams_waits_for_a_stream_that_is_answered() -> None:
    """A stream refused by the rules does not use up a fault for streams: the next stream gets it."""
    app = create_app()
    fake = app.extensions["mockserver"]
    fake.faults.add({"endpoint": "generations", "kind": "reset", "after_events": 0, "count": 1})
    stream = {"model": "gpt-image-1.5", "prompt": "cat", "stream": True, "partial_images": 0}
    assert _post(app, {**stream, "size": "300x300"}).status_code == 400
    assert len(fake.faults.list()) == 1
    with pytest.raises(ConnectionResetError):  # in-process, a cut stream raises as the socket would
        app.test_client().post(GENERATIONS, json=stream, headers=AUTH)
    assert fake.faults.list() == []
    assert [e["status"] for e in fake.journal.entries()] == [400, 200]
