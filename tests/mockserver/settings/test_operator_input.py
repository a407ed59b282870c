"""Issue 10's input findings: whatever a client or an operator sends, the fake answers the
API's JSON (or the control API's 400), keeps its journal readable and its URLs valid, and a
refused setting changes nothing. One test per finding; the control plane is also fuzzed."""

from __future__ import annotations

import http.client
import io
import json
import math
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from mockserver import create_app
from mockserver.http.server import LiveServer
from mockserver.testing.handle import FakeHandle
from tests.conftest import AUTH
from tests.support.pngs import mask, pattern, png_bytes
from tests.support.profiles import budget

GENERATION = {"prompt": "a white siamese cat", "size": "256x256"}


def post_raw(app: Flask, path: str, raw: bytes, content_type: str = "application/json") -> Any:
    return app.test_client().post(path, data=raw, headers=AUTH, content_type=content_type)


def journal(app: Flask) -> list[dict[str, Any]]:
    response = app.test_client().get("/_mock/requests")
    assert response.status_code == 200, response.data[:300]
    json.loads(response.data.decode("utf-8"))  # strict UTF-8 JSON
    return list(response.get_json()["requests"])


def assert_still_works(app: Flask) -> None:
    """A valid generation, its URL and the journal all still work."""
    client = app.test_client()
    response = client.post("/v1/images/generations", json=GENERATION, headers=AUTH)
    assert response.status_code == 200, response.data[:300]
    url = response.get_json()["data"][0]["url"]
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and parts.netloc
    image = client.get(parts.path + "?" + parts.query)
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    journal(app)


# --- finding 2: lone surrogates ---------------------------------------------------------------


@pytest.mark.parametrize("body", [
    '{"prompt": "cat", "size": "\\ud800"}',
    '{"prompt": "cat", "model": "dall-e-\\udfff"}',
    '{"prompt": "cat", "response_format": "\\udc00url"}',
    '{"prompt": "cat", "\\ud83d": 1}',
    '{"prompt": "a cat \\ud800 on a mat", "size": "256x256", "response_format": "b64_json"}',
    '{"prompt": ["\\ud800"]}',
])
def test_lone_surrogate_anywhere_is_the_apis_400_and_the_journal_stays_readable(body: str) -> None:
    app = create_app()
    response = post_raw(app, "/v1/images/generations", body.encode())
    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith("We could not parse the JSON body")
    [entry] = journal(app)
    assert entry["status"] == 400 and "\\u" in json.dumps(entry["params"], ensure_ascii=False)
    assert_still_works(app)


def test_lone_surrogate_encoded_as_utf8_bytes_too() -> None:
    app = create_app()
    raw = '{"prompt": "cat\ud800"}'.encode("utf-8", "surrogatepass")
    assert post_raw(app, "/v1/images/generations", raw).status_code == 400
    journal(app)


def test_a_surrogate_pair_is_an_ordinary_character() -> None:
    app = create_app()
    response = post_raw(app, "/v1/images/generations", b'{"prompt": "cat \\ud83d\\ude00", "size": "256x256"}')
    assert response.status_code == 200
    assert journal(app)[0]["params"]["prompt"] == "cat \U0001f600"


# --- finding 3: every setting bounded and shaped ------------------------------------------------


@pytest.mark.parametrize(("name", "value"), [
    ("url_ttl", 10**15), ("url_ttl", 1.5), ("latency_jitter_ms", 10**30), ("latency_ms", 10**9),
    ("latency_ms", True), ("latency_seed", -1), ("journal_size", 10**12), ("store_max_images", 0),
    ("organization", "org-abc\r\nX-Evil: 1"), ("organization", "org-é"), ("organization", ""),
    ("organization", "org-a/b"), ("organization", "org-\ud800"), ("organization", "acme"),
    ("blocked_terms", ["nude", "\ud800"]), ("blocked_terms", [""]), ("blocked_terms", ["a\x00b"]),
    ("api_keys", ["sk-\udc00"]), ("api_keys", ["sk-a\nb"]), ("api_keys", ["sk with space"]),
    ("blocked_image_sha256", ["g" * 64]), ("public_base_url", "javascript:alert(1)"),
    ("public_base_url", "http://h/\r\n"), ("rate_limits", "10000000/1m"), ("rate_limits", "1/100000h"),
    ("rate_limits", ",".join(["1/1s"] * 11)), ("quota_mode", None),
])
def test_bad_setting_is_a_400_naming_it_that_changes_nothing(name: str, value: object) -> None:
    app = create_app()
    fake = FakeHandle.in_process(app)
    before = fake.config()
    # the refusal itself as raw HTTP: its status and body are what this test is about
    response = app.test_client().patch("/_mock/config", data=json.dumps({name: value}),
                                       content_type="application/json")
    assert response.status_code == 400, response.data[:300]
    error = response.get_json()["error"]
    assert error["param"] == name and error["code"] == "invalid_config" and error["message"].startswith(name)
    assert fake.config() == before
    assert_still_works(app)


def test_settings_accept_their_bounds() -> None:
    app = create_app()
    shown = FakeHandle.in_process(app).configure(
        url_ttl=315_360_000, latency_ms=0, organization="org-Acme_Labs-1",
        public_base_url="https://cdn.example.test:8443", blocked_image_sha256=["AB" * 32],
    )
    assert shown["blocked_image_sha256"] == ["ab" * 32]  # shown as stored: lower case
    assert_still_works(app)


def test_create_app_uses_the_same_descriptions() -> None:
    with pytest.raises(ValueError, match="url_ttl: must be an integer from 1 to"):
        create_app(url_ttl=10**15)
    with pytest.raises(ValueError, match="organization"):
        create_app(organization="org-a\nb")


# --- finding 4: the clock only moves to finite times in its range ----------------------------------


@pytest.mark.parametrize("raw", [
    b'{"advance": Infinity}', b'{"advance": NaN}', b'{"advance": -Infinity}', b'{"advance": 1e400}',
    b'{"advance": 1e308}', b'{"advance": -1e12}', b'{"set": 1e20}', b'{"set": 0, "advance": -1}',
    b'{"advance": 100000000000000000000000000}',
])
def test_clock_refuses_moves_outside_its_range(raw: bytes) -> None:
    app = create_app()
    client = app.test_client()
    FakeHandle.in_process(app).freeze()
    before = client.get("/_mock/clock").get_json()  # now and frozen (the handle reads only now)
    response = client.post("/_mock/clock", data=raw, content_type="application/json")
    assert response.status_code == 400, response.data[:300]
    json.loads(response.data)  # strict JSON, no Infinity
    assert response.get_json()["error"]["param"] in ("advance", "set")
    assert client.get("/_mock/clock").get_json() == before
    assert_still_works(app)


def test_clock_moves_to_the_edges_of_its_range() -> None:
    client = create_app().test_client()
    assert client.post("/_mock/clock", json={"set": 32503679999}).status_code == 200
    assert client.post("/_mock/clock", json={"advance": 1}).status_code == 400
    assert abs(client.post("/_mock/clock", json={"set": 0}).get_json()["now"]) < 60


# --- finding 8: the journal cuts every string at 2,000 characters -------------------------------------


def test_journal_cuts_upload_file_names_and_field_names() -> None:
    app = create_app()
    long_name = "n" * 450_000 + ".png"
    image = png_bytes(pattern(256))
    response = app.test_client().post(
        "/v1/images/edits", headers=AUTH,
        data={"prompt": "a cat", "image": (io.BytesIO(image), long_name),
              "mask": (io.BytesIO(png_bytes(mask(256))), "m.png")},
    )
    assert response.status_code == 200
    [entry] = journal(app)
    filename = entry["params"]["files"][0]["filename"]
    assert filename.startswith("n" * 2000) and len(filename) < 2100 and "450004 characters" in filename
    field_name = "f" * 10_000
    body = (b"--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"i.png\"\r\n"
            b"Content-Type: image/png\r\n\r\n" + image + b"\r\n--b\r\nContent-Disposition: form-data; name=\"" +
            field_name.encode() + b"\"; filename=\"x.png\"\r\n\r\nxx\r\n--b--\r\n")
    post_raw(app, "/v1/images/variations", body, "multipart/form-data; boundary=b")
    assert all(len(f["field"]) < 2100 for e in journal(app) for f in e["params"]["files"])
    assert len(app.test_client().get("/_mock/requests").data) < 20_000


# --- finding 9: the 413 names the limit actually hit ----------------------------------------------------


def test_too_many_parts_names_the_part_limit() -> None:
    app = create_app()
    response = app.test_client().post("/v1/images/edits", headers=AUTH, content_type="multipart/form-data",
                                      data={f"x{i}": "1" for i in range(65)})
    assert response.status_code == 413
    assert response.get_json()["error"]["message"] == (
        "Request has too many parts: the maximum is 64 parts in a multipart/form-data body.")


def test_large_text_field_names_the_field_limit() -> None:
    app = create_app()
    response = app.test_client().post("/v1/images/edits", headers=AUTH, content_type="multipart/form-data",
                                      data={"prompt": "x" * 500_001})
    assert response.status_code == 413
    message = response.get_json()["error"]["message"]
    assert "500000 bytes for a text field" in message and "16777216" not in message


def test_a_large_body_still_names_the_body_limit() -> None:
    app = create_app(max_request_bytes=100_000)
    response = app.test_client().post("/v1/images/edits", headers=AUTH, content_type="multipart/form-data",
                                      data={"prompt": "x" * 200_000})
    assert response.status_code == 413 and "the maximum is 100000 bytes" in response.get_json()["error"]["message"]


# --- finding 10: image URLs are valid whatever the Host header says ------------------------------------------


@pytest.mark.parametrize("host", ["h:99999999", "", "h:", "a b", "h/x", "[::1", "h:0"])
def test_bad_host_header_still_gives_a_valid_image_url(live_server: LiveServer, host: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=10)
    try:
        connection.putrequest("POST", "/v1/images/generations", skip_host=True)
        body = json.dumps(GENERATION).encode()
        connection.putheader("Host", host)
        for name, value in {**AUTH, "Content-Type": "application/json", "Content-Length": str(len(body))}.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        payload = json.loads(response.read())
    finally:
        connection.close()
    if response.status != 200:  # the server layer may refuse a Host it cannot parse: as the API's JSON
        assert response.status == 400 and "error" in payload
        return
    url = payload["data"][0]["url"]
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.hostname and parts.port and parts.path.startswith("/private/org-")
    image = requests.get(url, timeout=10)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


# --- Bearer: the API keys as the real API, the admin token as HTTP says ---------------------------------------


def test_api_key_needs_the_bearer_scheme_written_as_the_real_api_does() -> None:
    client = create_app().test_client()
    cases = (("Bearer sk-a", 200), ("  Bearer   sk-a  ", 200), ("bearer sk-a", 401), ("BEARER sk-a", 401))
    for header, status in cases:
        response = client.post("/v1/images/generations", json=GENERATION, headers={"Authorization": header})
        assert response.status_code == status, header
        if status == 401:
            assert response.get_json()["error"]["message"].startswith("You didn't provide an API key.")


def test_admin_token_takes_the_scheme_in_any_case() -> None:
    client = create_app(admin_token="t0ken").test_client()
    for header, status in (("Bearer t0ken", 200), ("bearer t0ken", 200), ("BEARER   t0ken ", 200),
                           ("Bearer T0KEN", 401), ("t0ken", 401), ("Bearer", 401)):
        assert client.get("/_mock/config", headers={"Authorization": header}).status_code == status, header


# --- the control plane, fuzzed ------------------------------------------------------------------------------------

_EXTREME_NUMBERS = st.sampled_from([0, -1, 1, 2**31, 2**63, 2**64, -(2**63) - 1, 10**30, 1e308, -1e308, 1e-320,
                                    math.inf, -math.inf, math.nan, 0.5, -0.0, 3600, 1_000_000])
_TEXT = st.text(st.characters(codec=None), max_size=30) | st.sampled_from(["\ud800", "org-\r\n", "", "org-a/b"])
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | _EXTREME_NUMBERS | st.floats() | _TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_TEXT, children, max_size=4),
    max_leaves=8,
)
_CONFIG_KEYS = st.sampled_from(["url_ttl", "rate_limits", "quota_mode", "blocked_terms", "blocked_image_sha256",
                                "latency_ms", "latency_jitter_ms", "latency_seed", "journal_size", "public_base_url",
                                "organization", "error_era", "store_max_images", "store_max_bytes", "api_keys",
                                "admin_token", "max_request_bytes", "secret"]) | _TEXT
_FAULT_KEYS = st.sampled_from(["endpoint", "status", "count", "after", "delay_ms", "kind", "retry_after",
                               "probability", "seed"]) | _TEXT
_CLOCK_KEYS = st.sampled_from(["advance", "set", "freeze"]) | _TEXT


def _raw(value: Any) -> bytes:
    """JSON text as a client could send it: NaN/Infinity written as Python does, surrogates escaped."""
    return json.dumps(value).encode()


_CALLS = st.one_of(
    st.tuples(st.just("PATCH"), st.just("/_mock/config"), st.dictionaries(_CONFIG_KEYS, _JSON, max_size=3)),
    st.tuples(st.just("POST"), st.just("/_mock/faults"), st.dictionaries(_FAULT_KEYS, _JSON, max_size=4)),
    st.tuples(st.just("POST"), st.just("/_mock/clock"), st.dictionaries(_CLOCK_KEYS, _JSON, max_size=3)),
    st.tuples(st.sampled_from(["PATCH", "POST"]), st.sampled_from(["/_mock/config", "/_mock/faults", "/_mock/clock"]),
              _JSON),
)


@budget(1.5)
@given(calls=st.lists(_CALLS, min_size=1, max_size=4))
def test_control_plane_fuzz_never_breaks_the_fake(calls: list[tuple[str, str, Any]]) -> None:
    app = create_app()
    client = app.test_client()
    for method, path, body in calls:
        response = client.open(path, method=method, data=_raw(body), content_type="application/json")
        assert response.status_code in (200, 201) or 400 <= response.status_code < 500, response.data[:300]
        assert response.content_type == "application/json"
        json.loads(response.data.decode("utf-8"))  # strict: no NaN, no Infinity, no lone surrogate
        if response.status_code >= 400:
            assert set(response.get_json()["error"]) == {"message", "type", "param", "code"}
    fake = FakeHandle.in_process(app)
    fake.clear_faults()  # a fuzzed fault may legitimately refuse the next request
    fake.configure(quota_mode="normal", rate_limits="off", api_keys=[], latency_ms=0, latency_jitter_ms=0,
                   blocked_terms=[])
    fake.freeze(False)
    assert_still_works(app)


# --- one owner per rule: the retry headers of a fault and of a quota are written alike -----------------------


@pytest.mark.parametrize(("seconds", "after", "after_ms"), [(0.57, "1", "570"), (0, "1", "1"), (2.0001, "3", "2001")])
def test_fault_retry_headers_follow_the_quota_rule(seconds: float, after: str, after_ms: str) -> None:
    app = create_app()
    client = app.test_client()
    FakeHandle.in_process(app).inject_fault(status=503, retry_after=seconds)
    response = client.post("/v1/images/generations", json=GENERATION, headers=AUTH)
    assert response.status_code == 503
    assert (response.headers["retry-after"], response.headers["retry-after-ms"]) == (after, after_ms)
