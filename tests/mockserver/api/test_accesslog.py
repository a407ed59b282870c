"""The access log: one line per request (time, method, path, status, ms, masked key, error code or
fault), text or JSON; silent unless asked (create_app, the plugin), on by default in the CLI."""

from __future__ import annotations

import io
import json
import re

import pytest
from flask import Flask

from mockserver import create_app
from mockserver.api.accesslog import AccessLog, install, masked
from tests.conftest import API_KEY, AUTH

TEXT_LINE = re.compile(
    r"(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}|-) "
    r"(?P<ms>\d+\.\d)ms (?P<key>\S+) (?P<outcome>\S+)"
)


def logged_app(fmt: str, **settings: object) -> tuple[Flask, io.StringIO]:
    """A fake logging to a buffer (the default log writes to standard output)."""
    out = io.StringIO()
    app = create_app(access_log=fmt, **settings)
    install(app, app.extensions["mockserver"], AccessLog(out))  # a second log, into the buffer
    return app, out


def test_silent_unless_asked(capsys: pytest.CaptureFixture[str]) -> None:
    client = create_app().test_client()
    client.post("/v1/images/generations", json={"prompt": "cat", "size": "256x256"}, headers=AUTH)
    client.get("/")
    assert capsys.readouterr().out == ""


def test_one_text_line_per_request(capsys: pytest.CaptureFixture[str]) -> None:
    client = create_app(access_log="text").test_client()
    client.post("/v1/images/generations", json={"prompt": "cat", "size": "256x256"}, headers=AUTH)
    client.post("/v1/images/generations", json={"prompt": "cat", "size": "7x7"}, headers=AUTH)
    client.post("/v1/images/generations", json={"prompt": "cat"})
    client.get("/_mock/clock")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4, lines
    found = [TEXT_LINE.fullmatch(line) for line in lines]
    assert all(found), lines
    rows = [(m["method"], m["path"], m["status"], m["key"], m["outcome"]) for m in found if m]
    key = API_KEY[:8] + "***" + API_KEY[-4:]
    assert rows == [
        ("POST", "/v1/images/generations", "200", key, "-"),
        ("POST", "/v1/images/generations", "400", key, "invalid_value"),
        ("POST", "/v1/images/generations", "401", "-", "invalid_request_error"),
        ("GET", "/_mock/clock", "200", "-", "-"),
    ]
    assert API_KEY not in "\n".join(lines)


def test_faults_are_named_and_dropped_connections_have_no_status() -> None:
    app, out = logged_app("text")
    backend = app.extensions["mockserver"]
    client = app.test_client()
    backend.faults.add({"endpoint": "generations", "status": 503, "count": 1})
    client.post("/v1/images/generations", json={"prompt": "cat", "size": "256x256"}, headers=AUTH)
    backend.faults.add({"endpoint": "generations", "kind": "reset", "count": 1})
    with pytest.raises(ConnectionResetError):  # the connection is dropped, as the fault asks
        client.post("/v1/images/generations", json={"prompt": "cat", "size": "256x256"}, headers=AUTH)
    rows = [TEXT_LINE.fullmatch(line) for line in out.getvalue().splitlines()]
    assert [(m["status"], m["outcome"]) for m in rows if m] == [("503", "fault=status"), ("-", "fault=reset")]


def test_json_lines_for_machines() -> None:
    app, out = logged_app("json")
    app.test_client().post("/v1/images/generations", json={"prompt": "cat", "size": "7x7"}, headers=AUTH)
    (line,) = out.getvalue().splitlines()
    entry = json.loads(line)
    assert set(entry) == {"time", "method", "path", "status", "ms", "api_key", "error_code", "error_type",
                          "fault", "request_id"}
    assert (entry["method"], entry["path"], entry["status"], entry["error_code"]) == (
        "POST", "/v1/images/generations", 400, "invalid_value")
    assert entry["api_key"] == API_KEY[:8] + "***" + API_KEY[-4:]
    assert isinstance(entry["ms"], float) and entry["ms"] >= 0 and entry["request_id"].startswith("req_")


def test_switched_on_and_off_at_run_time() -> None:
    app, out = logged_app("off")
    client = app.test_client()
    client.get("/")
    assert client.patch("/_mock/config", json={"access_log": "json"}).status_code == 200
    client.get("/")
    assert client.patch("/_mock/config", json={"access_log": "loud"}).status_code == 400
    # from the PATCH that switched it on: that PATCH, the GET, the refused PATCH
    seen = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(e["method"], e["path"], e["status"]) for e in seen] == [
        ("PATCH", "/_mock/config", 200), ("GET", "/", 200), ("PATCH", "/_mock/config", 400)]


@pytest.mark.parametrize(("header", "shown"), [
    ("Bearer sk-abcdefgh1234567890wxyz", "sk-abcde***wxyz"),
    ("Bearer sk-short", "sk-***"),
    ("bearer   sk-abcdefgh1234567890wxyz  ", "sk-abcde***wxyz"),
    ("Bearer ", None),
    (None, None),
])
def test_keys_are_masked(header: str | None, shown: str | None) -> None:
    assert masked(header) == shown
