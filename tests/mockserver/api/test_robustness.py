"""Nothing breaks the fake: every answer is the JSON envelope (or a PNG), never a 5xx,
HTML, a traceback or a hang; uploads are bounded before they are buffered; refused
requests change no state.  Transport-level cases go over a real socket."""

from __future__ import annotations

import http.client
import io
import json
import re
import socket
from collections.abc import Iterator

import pytest
import requests
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given
from hypothesis import strategies as st

from mockserver import create_app
from mockserver.http.server import LiveServer
from tests.conftest import AUTH
from tests.support.pngs import claiming, pattern, png_bytes
from tests.support.profiles import budget


@pytest.fixture(scope="module")
def small_server() -> Iterator[LiveServer]:
    """A fake whose request limit is 1 MB, to test the limit cheaply."""
    with LiveServer(create_app(max_request_bytes=1024 * 1024)) as server:
        yield server


def test_decompression_bomb_is_refused_before_decoding(client: FlaskClient) -> None:
    data = {"image": (io.BytesIO(claiming(100_000, 100_000)), "bomb.png")}
    response = client.post("/v1/images/variations", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == (
        "Invalid input image - expected at most 16777216 pixels, got 100000x100000 instead.")


def test_refused_requests_change_no_state(app: object, client: FlaskClient) -> None:
    backend = client.application.extensions["mockserver"]
    client.post("/v1/images/generations", json={"prompt": "x", "n": 11})
    client.post("/v1/images/generations", json={"prompt": "x", "size": "1x1"})
    client.post("/v1/images/variations", data={"image": (io.BytesIO(b"nope"), "a.png")},
                content_type="multipart/form-data")
    assert len(backend.store) == 0
    client.post("/v1/images/generations", json={"prompt": "x", "n": 2, "size": "256x256"})
    assert len(backend.store) == 2


def test_chunked_upload_is_read_in_full(live_server: LiveServer) -> None:
    """The legacy Node SDK streams a file with Transfer-Encoding: chunked."""
    boundary = "b0undary"
    image = png_bytes(pattern(64))
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\n2\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"size\"\r\n\r\n256x256\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"image.png\"\r\n"
        f"Content-Type: image/png\r\n\r\n"
    ).encode() + image + f"\r\n--{boundary}--\r\n".encode()

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 1000):
            yield body[i:i + 1000]

    response = requests.post(
        f"{live_server.base_url}/images/variations", data=chunks(), timeout=10,
        headers={**AUTH, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]) == 2


def content_length(reply: bytes) -> int:
    match = re.search(rb"(?i)content-length: *(\d+)", reply)
    return int(match.group(1)) if match else 1


def test_oversized_content_length_is_refused_before_the_body_is_sent(small_server: LiveServer) -> None:
    with socket.create_connection((small_server.host, small_server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /v1/images/variations HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer sk-x\r\nContent-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 1073741824\r\n\r\n"
        )
        reply = b""  # answered without our sending a byte of the body
        while b"\r\n\r\n" not in reply or len(reply.partition(b"\r\n\r\n")[2]) < content_length(reply):
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    head, _, body = reply.decode().partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 413")
    assert json.loads(body)["error"]["message"].startswith("Request body too large: the maximum is 1048576")


def test_oversized_chunked_body_is_cut_off_at_the_limit(small_server: LiveServer) -> None:
    sent = 0

    def endless() -> Iterator[bytes]:
        nonlocal sent
        while sent < 50 * 1024 * 1024:  # bounded; the server must stop us long before
            sent += 65536
            yield b"\0" * 65536

    try:
        response = requests.post(
            f"{small_server.base_url}/images/variations", data=endless(), timeout=10,
            headers={**AUTH, "Content-Type": "multipart/form-data; boundary=x"},
        )
    except requests.ConnectionError:
        pass  # the server may close the socket while we are still sending; that is allowed
    else:
        assert response.status_code == 413
        assert response.json()["error"]["type"] == "invalid_request_error"
    assert sent < 50 * 1024 * 1024


def test_slow_client_does_not_hold_the_server(live_server: LiveServer) -> None:
    with socket.create_connection((live_server.host, live_server.port), timeout=5):
        # a connection that sends nothing; others must still be served
        response = requests.post(f"{live_server.base_url}/images/generations", json={"prompt": "x"},
                                 headers=AUTH, timeout=5)
        assert response.status_code == 200


def test_keep_alive_survives_a_refused_request(live_server: LiveServer) -> None:
    conn = http.client.HTTPConnection(live_server.host, live_server.port, timeout=5)
    for body in (b"{bad", b'{"prompt": "cat", "size": "256x256"}', b'{"n": 99}'):
        conn.request("POST", "/v1/images/generations", body=body, headers=AUTH)
        response = conn.getresponse()
        assert response.getheader("Content-Type") == "application/json"
        json.loads(response.read())
    conn.close()


FIELDS = ["prompt", "n", "size", "response_format", "user", "model", "image", "mask", "quality", ""]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


@budget(1.5, suppress_health_check=[HealthCheck.function_scoped_fixture])  # the client is stateless
@given(body=st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=6))
def test_any_json_body_gets_a_json_answer(client: FlaskClient, body: dict[str, object]) -> None:
    response = client.post("/v1/images/generations", json=body)
    assert response.status_code in (200, 400)
    payload = response.get_json()
    assert ("data" in payload) if response.status_code == 200 else set(payload) == {"error"}


@budget(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fields=st.lists(st.tuples(st.sampled_from(FIELDS) | st.text(max_size=8), st.text(max_size=20)), max_size=5),
    files=st.lists(st.tuples(st.sampled_from(["image", "mask", "image[]", "other"]), st.binary(max_size=300)),
                   max_size=3),
    endpoint=st.sampled_from(["edits", "variations"]),
)
@example(fields=[("\\", "")], files=[], endpoint="edits")  # a name Werkzeug reads as None: was a 500
def test_any_multipart_body_gets_a_json_answer(
    client: FlaskClient, fields: list[tuple[str, str]], files: list[tuple[str, bytes]], endpoint: str
) -> None:
    data: dict[str, object] = {}
    for name, value in fields:
        data.setdefault(name, value)
    for name, blob in files:
        data.setdefault(name, (io.BytesIO(blob), "f.png"))
    response = client.post(f"/v1/images/{endpoint}", data=data, content_type="multipart/form-data")
    assert response.status_code in (200, 400)
    assert set(response.get_json()) in ({"error"}, {"created", "data"})


@budget(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=400), content_type=st.sampled_from(
    ["application/json", "multipart/form-data; boundary=x", "text/plain", "", "multipart/form-data"]))
def test_any_bytes_get_a_json_answer(client: FlaskClient, raw: bytes, content_type: str) -> None:
    for path in ("/v1/images/generations", "/v1/images/edits", "/v1/images/variations"):
        response = client.post(path, data=raw, content_type=content_type)
        assert 400 <= response.status_code < 500
        assert set(response.get_json()) == {"error"}
