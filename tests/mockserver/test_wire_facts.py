"""Wire facts the fake once decided in more than one place, now read from one owner in
``contracts/``: what a client observes where the places disagreed, or where a fact was written
but not kept (the JSON depth limit).

The expected values are literals, never computed by the code under test.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import re
import socket
from contextlib import closing
from typing import Any

import pytest
from flask.testing import FlaskClient

from client._formats import sniff as client_sniff
from contracts.models import GPT_ANSWER, MODELS
from contracts.shapes import images_response_problems, readable_response_problems
from mockserver import create_app
from mockserver.api.accesslog import AccessLog, install
from mockserver.http.server import LiveServer
from mockserver.testing.handle import FakeHandle
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


# --- keys: one Bearer parser, one masking rule -------------------------------------------------

LONG_KEY = "sk-abc12" + "x" * 39 + "wxyz"


def logged(client: FlaskClient, out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_wrong_key_is_masked_by_one_rule_in_the_401_the_journal_and_the_log() -> None:
    out = io.StringIO()
    app = create_app(api_keys=("sk-good",), access_log="json")
    install(app, app.extensions["mockserver"], AccessLog(out))
    client = app.test_client()
    response = client.post("/v1/images/generations", json={"prompt": "cat"},
                           headers={"Authorization": f"Bearer {LONG_KEY}"})
    api_masked = "sk-abc12" + "*" * 39 + "wxyz"  # [obs] every hidden character an '*'
    assert response.status_code == 401
    assert f"Incorrect API key provided: {api_masked}." in response.get_json()["error"]["message"]
    (entry,) = client.get("/_mock/requests").get_json()["requests"]
    assert entry["api_key"] is None  # refused before it was anyone's key
    log = [line for line in logged(client, out) if line["path"] == "/v1/images/generations"]
    assert [line["api_key"] for line in log] == ["sk-abc12***wxyz"]  # the same characters, the length hidden


def test_an_accepted_key_is_masked_alike_in_the_journal_and_the_log() -> None:
    out = io.StringIO()
    app = create_app(access_log="json")
    install(app, app.extensions["mockserver"], AccessLog(out))
    client = app.test_client()
    assert client.post("/v1/images/generations", json={"prompt": "cat", "size": "256x256"},
                       headers={"Authorization": f"Bearer {LONG_KEY}"}).status_code == 200
    (entry,) = client.get("/_mock/requests").get_json()["requests"]
    assert entry["api_key"] == "sk-abc12" + "*" * 39 + "wxyz"
    assert logged(client, out)[0]["api_key"] == "sk-abc12***wxyz"


def test_the_api_takes_the_scheme_as_written_and_the_log_shows_what_was_sent() -> None:
    out = io.StringIO()
    app = create_app(access_log="json")
    install(app, app.extensions["mockserver"], AccessLog(out))
    client = app.test_client()
    lower = client.post("/v1/images/generations", json={"prompt": "cat", "size": "256x256"},
                        headers={"Authorization": f"bearer {LONG_KEY}"})
    assert lower.status_code == 401  # [obs] `bearer <key>` is refused as no key at all
    assert lower.get_json()["error"]["message"].startswith("You didn't provide an API key.")
    exact = client.post("/v1/images/generations", json={"prompt": "cat", "size": "256x256"},
                        headers={"Authorization": f"Bearer {LONG_KEY}"})
    assert exact.status_code == 200
    assert [line["api_key"] for line in logged(client, out)] == ["sk-abc12***wxyz", "sk-abc12***wxyz"]


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_control_api_takes_its_admin_token_in_any_case_of_the_scheme(scheme: str) -> None:
    client = create_app(admin_token="admin-secret").test_client()
    assert client.get("/_mock/config", headers={"Authorization": f"{scheme} admin-secret"}).status_code == 200
    assert client.get("/_mock/config", headers={"Authorization": f"{scheme} admin-wrong"}).status_code == 401


# --- one envelope, one request id, wherever the answer comes from ---------------------------

REQUEST_ID = re.compile(r"req_[0-9a-f]{32}")


def raw_exchange(port: int, data: bytes) -> tuple[int, dict[str, str], bytes]:
    with closing(socket.create_connection(("127.0.0.1", port), timeout=5)) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def test_the_http_layer_and_the_api_write_the_same_envelope_and_request_id() -> None:
    with LiveServer(create_app()) as server:
        edge = raw_exchange(server.port, b"GARBAGE\r\n\r\n")  # the HTTP server's own answer
        api = raw_exchange(server.port, b"POST /v1/images/generations HTTP/1.1\r\nHost: fake\r\n"
                           b"Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
        unknown = raw_exchange(server.port, b"GET /nothing HTTP/1.1\r\nHost: fake\r\nConnection: close\r\n\r\n")
    for _, headers, body in (edge, api, unknown):
        assert headers["content-type"] == "application/json"
        assert REQUEST_ID.fullmatch(headers["x-request-id"]), headers
        # Compact UTF-8 JSON and a newline, whoever answered.
        assert body == json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
    assert edge[0] == 400 and json.loads(edge[2])["error"]["message"].startswith("Malformed HTTP request")
    assert api[0] == 401 and unknown[0] == 404


def test_a_cors_preflight_gets_a_request_id_of_the_same_form() -> None:
    client = create_app(cors_origins=["https://app.example"]).test_client()
    answer = client.options("/v1/images/generations", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    assert answer.status_code == 204
    assert REQUEST_ID.fullmatch(answer.headers["x-request-id"])
    assert answer.headers["Access-Control-Allow-Headers"] == (
        "Authorization, Content-Type, OpenAI-Organization, OpenAI-Project")


# --- media types: the fake's answers and the client name a format alike ------------------------


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_the_live_view_serves_an_image_with_the_type_the_client_reads_from_its_bytes(fmt: str) -> None:
    client = client_of()
    answer = client.post("/v1/images/generations", json={
        "model": "gpt-image-1", "prompt": "cat", "size": "1024x1024", "quality": "low", "output_format": fmt})
    assert answer.status_code == 200
    data = base64.b64decode(answer.get_json()["data"][0]["b64_json"])
    (entry,) = client.get("/_mock/requests").get_json()["requests"]
    served = client.get(f"/_mock/images/{entry['images'][0]['id']}")
    found = client_sniff(data)
    assert served.data == data and found is not None
    assert served.headers["Content-Type"] == found.media_type == {
        "png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}[fmt]


def test_an_image_url_is_served_as_the_png_its_signature_names() -> None:
    client = client_of()
    url = client.post("/v1/images/generations", json={"prompt": "cat", "size": "256x256"}).get_json()["data"][0]["url"]
    assert "rsct=image/png" in url  # the blob store is told the type it serves
    served = client.get(url.removeprefix("http://localhost"))
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"
    found = client_sniff(served.data)
    assert found is not None and found.media_type == "image/png"


# --- the response shape: the fake's answers read both ways -------------------------------------


@pytest.mark.parametrize(("model", "extra"), [
    ("dall-e-2", {"size": "256x256"}),
    ("dall-e-2", {"size": "256x256", "response_format": "b64_json", "n": 2}),
    ("dall-e-3", {"size": "1024x1024"}),
    ("gpt-image-1", {"quality": "low", "n": 2}),
    ("gpt-image-1.5", {"quality": "low", "output_format": "webp", "size": "auto"}),
])
def test_the_fakes_answers_keep_the_shape_exactly_and_readably(model: str, extra: dict[str, Any]) -> None:
    answer = client_of().post("/v1/images/generations", json={"model": model, "prompt": "cat", **extra})
    assert answer.status_code == 200
    body = answer.get_json()
    profile = MODELS[model]
    gpt = profile.answer == GPT_ANSWER
    n = extra.get("n", 1)
    response_format = "b64_json" if gpt else extra.get("response_format", "url")
    assert images_response_problems(body, n=n, response_format=response_format, gpt=gpt,
                                    revised_prompt=profile.revised_prompt) == []
    assert readable_response_problems(body, n=n, response_format=None if gpt else response_format) == []


# --- header names: what CORS exposes is what the API sends --------------------------------------


def test_cors_exposes_every_header_of_the_api_a_page_may_need() -> None:
    client = client_of(cors_origins=["https://app.example"], rate_limits="1/1m")
    origin = {"Origin": "https://app.example"}
    assert client.post("/v1/images/generations", json={"prompt": "cat", "size": "256x256"},
                       headers=origin).status_code == 200
    refused = client.post("/v1/images/generations", json={"prompt": "cat", "size": "256x256"}, headers=origin)
    assert refused.status_code == 429
    exposed = set(refused.headers["Access-Control-Expose-Headers"].split(", "))
    sent = {name.lower() for name, _ in refused.headers
            if name.lower().startswith(("x-", "openai-", "retry-after"))}
    assert sent == {"x-request-id", "openai-processing-ms", "openai-version", "openai-organization",
                    "x-ratelimit-limit-images", "x-ratelimit-remaining-images", "x-ratelimit-reset-images",
                    "retry-after", "retry-after-ms"}
    assert sent == exposed


# --- the control prefix ------------------------------------------------------------------------


def test_the_index_lists_the_control_routes_the_handle_calls() -> None:
    app = create_app()
    routes = [route["path"] for route in app.test_client().get("/").get_json()["control"]]
    assert routes and all(path.startswith("/_mock/") for path in routes)
    assert {"/_mock/reset", "/_mock/clock", "/_mock/config", "/_mock/requests"} <= set(routes)
    with FakeHandle.in_process(app) as fake:
        fake.reset()
        assert fake.requests() == []
