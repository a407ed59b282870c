"""Wire facts the fake once decided in more than one place, now read from one owner in
``contracts/``: what a client observes where the places disagreed, or where a fact was written
but not kept (the JSON depth limit).

The expected values are literals, never computed by the code under test.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from mockserver import create_app
from tests.conftest import AUTH

IRE = "invalid_request_error"
HINT = (
    "(HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON "
    "payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please "
    "contact us through our help center at help.openai.com.)"
)
TOO_DEEP = {"error": {
    "message": "We could not parse the JSON body of your request: its arrays and objects nest deeper than 64 "
               f"levels. {HINT}",
    "type": IRE, "param": None, "code": None}}


def nested(depth: int) -> Any:
    """``depth`` arrays and objects, one inside the other, around a number."""
    value: Any = 7
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


def client_of(**settings: Any) -> FlaskClient:
    client = create_app(**settings).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = AUTH["Authorization"]
    return client


# --- the JSON depth limit (64 levels of arrays and objects) -----------------------------------


def generation(client: FlaskClient, body: Any) -> Any:
    return client.post("/v1/images/generations", data=json.dumps(body), content_type="application/json")


def test_a_body_at_the_depth_limit_is_read_as_before() -> None:
    client = client_of()
    at_limit = {"prompt": "cat", "user": nested(63)}  # the body object and 63 levels inside it
    response = generation(client, at_limit)
    assert response.status_code == 400  # read, then refused by the rules, as any non-string user
    assert response.get_json() == {"error": {
        "message": "Invalid type for 'user': expected a string, but got an object instead.",
        "type": IRE, "param": "user", "code": "invalid_type"}}
    (entry,) = client.get("/_mock/requests").get_json()["requests"]
    assert entry["params"]["prompt"] == "cat" and entry["error_code"] == "invalid_type"


@pytest.mark.parametrize("depth", [64, 900])
def test_a_body_deeper_than_the_limit_is_refused_as_unparseable(depth: int) -> None:
    client = client_of()
    response = generation(client, {"prompt": "cat", "user": nested(depth)})
    assert response.status_code == 400
    assert response.get_json() == TOO_DEEP
    not_json = client.post("/v1/images/generations", data=b"{bad", content_type="application/json")
    entries = client.get("/_mock/requests").get_json()["requests"]
    # Journaled as a JSON body that does not parse is: no params, the same status, type and code.
    same = ("method", "path", "endpoint", "api_key", "params", "status", "error_code", "error_type", "fault", "images")
    assert not_json.status_code == 400 and len(entries) == 2
    assert {k: entries[0][k] for k in same} == {k: entries[1][k] for k in same}
    assert entries[0]["params"] is None and entries[0]["error_type"] == IRE


def test_a_json_edit_deeper_than_the_limit_is_refused_as_unparseable() -> None:
    response = client_of().post("/v1/images/edits", data=json.dumps(
        {"model": "gpt-image-1.5", "prompt": "cat", "images": [{"image_url": nested(80)}]}),
        content_type="application/json")
    assert response.status_code == 400 and response.get_json() == TOO_DEEP


def test_the_control_api_keeps_the_same_depth_limit() -> None:
    client = client_of()
    deep = client.patch("/_mock/config", json={"latency_ms": nested(64)})
    assert deep.status_code == 400 and deep.get_json() == TOO_DEEP
    at_limit = client.patch("/_mock/config", json={"latency_ms": nested(63)})
    assert at_limit.status_code == 400 and at_limit.get_json()["error"]["code"] == "invalid_config"
