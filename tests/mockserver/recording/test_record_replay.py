"""``--record`` then ``--replay``, as a user runs them: a session recorded through the proxy from an
upstream that is another fake process (a GPT generation, a refusal, a multipart edit, a stream, a
429 made with the upstream's control API), then, with the upstream stopped, replayed to the
official ``openai`` SDK: the same statuses, messages, image bytes and stream events; an edit
matched although the SDK drew a new boundary; an unrecorded request answered with the near miss.
No byte of the cassettes holds the key, ``Bearer`` or the organization; vcrpy replays them too."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from contracts.cassette import REDACTED, Interaction, Request, Response, read_directory, write_cassette
from mockserver import LiveServer, create_app
from tests.support import ROOT
from tests.support.pngs import pattern, png_bytes
from tests.support.ports import free_port, refused
from tests.support.processes import FakeProcess

KEY = "sk-record-0123456789abcdefghijklmnopqrstuvwxyzSECRET"
ORG = "org-recordingSecretOrg0123456789"
PROJECT = "proj_recordingSecretProject42"
PNG = png_bytes(pattern(256))
GENERATE: dict[str, Any] = {"model": "gpt-image-1", "prompt": "a red bicycle", "size": "1024x1024", "quality": "low"}
REFUSED: dict[str, Any] = {**GENERATE, "prompt": "a nude statue"}
STREAM: dict[str, Any] = {**GENERATE, "prompt": "a lighthouse", "stream": True, "partial_images": 1}
LIMITED: dict[str, Any] = {**GENERATE, "prompt": "one more"}
EDIT: dict[str, Any] = {"model": "gpt-image-1", "prompt": "add a hat", "size": "1024x1024", "quality": "low"}


def sdk(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=KEY, organization=ORG, project=PROJECT, max_retries=0)


@dataclass
class Session:
    """What the SDK got while recording, and where the cassettes are."""

    directory: Path
    upstream_url: str
    generated: list[str] = field(default_factory=list)
    refusal: dict[str, Any] = field(default_factory=dict)
    edited: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    limited: dict[str, Any] = field(default_factory=dict)


def failure(exc: openai.APIStatusError) -> dict[str, Any]:
    headers = {k: v for k, v in exc.response.headers.items() if k.startswith(("retry-after", "x-ratelimit"))}
    return {"status": exc.status_code, "message": exc.message, "code": exc.code, "type": exc.type,
            "headers": headers}


def play(client: openai.OpenAI, session: Session) -> None:
    """The session, as the SDK runs it (through the recorder, and again against the replay)."""
    session.generated = [d.b64_json or "" for d in client.images.generate(**GENERATE).data or []]
    with pytest.raises(openai.BadRequestError) as refused:
        client.images.generate(**REFUSED)
    session.refusal = failure(refused.value)
    session.edited = [d.b64_json or "" for d in client.images.edit(image=("cat.png", PNG, "image/png"),
                                                                   **EDIT).data or []]
    session.events = [event.model_dump() for event in client.images.generate(**STREAM)]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    directory = tmp_path_factory.mktemp("cassettes")
    with FakeProcess("--organization", ORG, "--api-key", KEY) as upstream, \
            FakeProcess("--record", str(directory), "--upstream", upstream.base_url) as recorder:
        session = Session(directory, upstream.base_url)
        assert any(f"recording: /v1/ is forwarded to {upstream.base_url} with each client's own credentials" in line
                   for line in recorder.lines)
        with sdk(recorder.base_url) as client:
            play(client, session)
            with upstream.handle() as control:
                control.set_rate_limits("1/1m")  # the images spent above are over it: the next is a 429
            with pytest.raises(openai.RateLimitError) as limited:
                client.images.generate(**LIMITED)
            session.limited = failure(limited.value)
        journal = recorder.handle().requests()
        assert [e["status"] for e in journal] == [200, 400, 200, 200, 429]
        assert all(e["recorded"].startswith("session-") for e in journal)
    yield session


def test_the_recorder_passes_the_answers_through_unchanged(recorded: Session) -> None:
    assert recorded.generated and all(base64.b64decode(b)[:8] == b"\x89PNG\r\n\x1a\n" for b in recorded.generated)
    assert recorded.refusal["status"] == 400 and recorded.refusal["code"] == "moderation_blocked"
    assert recorded.edited and recorded.edited != recorded.generated
    assert [e["type"] for e in recorded.events] == ["image_generation.partial_image", "image_generation.completed"]
    assert recorded.limited["status"] == 429 and ORG in recorded.limited["message"]  # the upstream's own words
    assert recorded.limited["headers"]["retry-after"]


def test_the_cassette_holds_the_session_and_no_secret(recorded: Session) -> None:
    (cassette,) = recorded.directory.glob("*.json")
    interactions = json.loads(cassette.read_text())["interactions"]
    assert [(i["request"]["method"], i["response"]["status"]["code"]) for i in interactions] == [
        ("POST", 200), ("POST", 400), ("POST", 200), ("POST", 200), ("POST", 429)]
    assert interactions[0]["request"]["uri"] == recorded.upstream_url + "/images/generations"
    assert interactions[0]["request"]["headers"]["Authorization"] == [REDACTED]
    assert interactions[0]["response"]["headers"]["openai-organization"] == [REDACTED]
    assert len(interactions[3]["mockserver"]["events_ms"]) == 2
    assert [p.read_bytes() for p in (recorded.directory / "files").iterdir()] == [PNG]  # the upload, beside
    every_byte = b"".join(p.read_bytes() for p in recorded.directory.rglob("*") if p.is_file())
    for secret in (KEY, "Bearer", ORG, PROJECT):
        assert secret.encode() not in every_byte, secret
    assert len(read_directory(recorded.directory)) == 5


@pytest.fixture(scope="module")
def replay(recorded: Session) -> Iterator[FakeProcess]:
    with FakeProcess("--replay", str(recorded.directory)) as fake:
        yield fake


def test_the_replay_gives_the_sdk_what_the_upstream_gave(recorded: Session, replay: FakeProcess) -> None:
    assert refused(int(recorded.upstream_url.removesuffix("/v1").rsplit(":", 1)[1]))  # the upstream is gone
    again = Session(recorded.directory, recorded.upstream_url)
    with sdk(replay.base_url) as client:
        play(client, again)  # the SDK draws a new multipart boundary for the edit: it still matches
        with pytest.raises(openai.RateLimitError) as limited:
            client.images.generate(**LIMITED)
    assert again.generated == recorded.generated
    assert again.refusal == recorded.refusal
    assert again.edited == recorded.edited
    assert again.events == recorded.events
    assert failure(limited.value) == {**recorded.limited,
                                      "message": recorded.limited["message"].replace(ORG, REDACTED)}
    assert any(f"replaying: /v1/ is answered from the cassettes in {recorded.directory}" in line
               for line in replay.lines)
    assert not any("serving the guide's contract" in line for line in replay.lines)  # the fake's era answers nothing
    journal = replay.handle().requests()
    assert [e["replayed"].split("#")[1] for e in journal[-5:]] == [
        "1 POST /v1/images/generations", "2 POST /v1/images/generations", "3 POST /v1/images/edits",
        "4 POST /v1/images/generations", "5 POST /v1/images/generations"]
    assert journal[-2]["stream"] is True and journal[-2]["events"] == 2


def test_after_its_last_recorded_answer_a_request_gets_it_again(recorded: Session, replay: FakeProcess) -> None:
    with sdk(replay.base_url) as client:
        first = [d.b64_json for d in client.images.generate(**GENERATE).data or []]
        second = [d.b64_json for d in client.images.generate(**GENERATE).data or []]
    assert first == second == recorded.generated


def test_an_unrecorded_request_gets_the_near_miss(replay: FakeProcess) -> None:
    with sdk(replay.base_url) as client, pytest.raises(openai.NotFoundError) as missed:
        client.images.generate(**{**GENERATE, "prompt": "a blue bicycle"})
    assert missed.value.code == "no_recorded_match" and missed.value.type == "invalid_request_error"
    body = missed.value.body  # the SDK's error: the envelope's "error" object
    assert isinstance(body, dict)
    assert body["message"].startswith("No recorded exchange matches POST /v1/images/generations. Nearest recorded: ")
    assert 'body.prompt: recorded "a red bicycle", sent "a blue bicycle"' in body["message"]
    assert body["near_misses"][0] == {"recorded": body["near_misses"][0]["recorded"],
                                      "differences": ['body.prompt: recorded "a red bicycle", sent "a blue bicycle"']}
    assert body["near_misses"][0]["recorded"].endswith(".json#1 POST /v1/images/generations")
    entry = replay.handle().requests(status=404)[-1]
    assert entry["error_code"] == "no_recorded_match" and entry["params"]["prompt"] == "a blue bicycle"
    assert entry["params_cut"] is False  # the journal's entry shape, as the fake's own entries


def test_the_fallback_sends_an_unrecorded_request_to_the_fake(recorded: Session) -> None:
    with FakeProcess("--replay", str(recorded.directory), "--replay-fallback", "fake") as fake, \
            sdk(fake.base_url) as client:
        made = client.images.generate(**{**GENERATE, "prompt": "a blue bicycle"})
        assert made.data and made.data[0].b64_json not in recorded.generated
        assert [d.b64_json for d in client.images.generate(**GENERATE).data or []] == recorded.generated
        edited = client.images.edit(image=("other.png", png_bytes(pattern(128)), "image/png"), **EDIT)
        assert edited.data and edited.data[0].b64_json not in recorded.edited  # the fake read the new form


def test_vcrpy_replays_our_cassette_to_the_sdk(recorded: Session) -> None:
    vcr = pytest.importorskip("vcr")
    (cassette,) = recorded.directory.glob("*.json")
    player = vcr.VCR(serializer="json", record_mode="none", match_on=["method", "path", "body"])
    with player.use_cassette(str(cassette)), sdk("http://vcr.invalid/v1") as client:
        assert [d.b64_json for d in client.images.generate(**GENERATE).data or []] == recorded.generated
        assert [e.model_dump() for e in client.images.generate(**STREAM)] == recorded.events
        with pytest.raises(openai.BadRequestError) as refused:
            client.images.generate(**REFUSED)
    assert failure(refused.value) == recorded.refusal


def test_an_unreachable_upstream_gets_the_api_error_and_nothing_is_written(tmp_path: Path) -> None:
    port = free_port()
    with FakeProcess("--record", str(tmp_path), "--upstream", f"http://127.0.0.1:{port}/v1") as recorder, \
            sdk(recorder.base_url) as client, pytest.raises(openai.InternalServerError) as failed:
        client.images.generate(**GENERATE)
    assert failed.value.status_code == 502 and failed.value.code == "upstream_unreachable"
    assert isinstance(failed.value.body, dict)
    assert failed.value.body["message"].startswith(f"The upstream http://127.0.0.1:{port}/v1 could not be reached: ")
    assert list(tmp_path.iterdir()) == []


def test_a_slow_upstream_gets_the_timeout_and_nothing_is_written(tmp_path: Path) -> None:
    with FakeProcess("--latency-ms", "3000") as upstream, \
            FakeProcess("--record", str(tmp_path), "--upstream", upstream.base_url,
                        "--upstream-timeout-ms", "300") as recorder, \
            sdk(recorder.base_url) as client, pytest.raises(openai.APIStatusError) as failed:
        client.images.generate(**GENERATE)
    assert failed.value.status_code == 504 and failed.value.code == "upstream_timeout"
    assert list(tmp_path.iterdir()) == []


def test_a_stream_is_relayed_event_by_event_as_it_arrives(tmp_path: Path) -> None:
    """The upstream spreads 1.5 s over three events: the client reads the first long before the last."""
    with FakeProcess("--latency-ms", "1500") as upstream, \
            FakeProcess("--record", str(tmp_path), "--upstream", upstream.base_url) as recorder:
        arrived = []
        with httpx.stream("POST", recorder.base_url + "/images/generations", timeout=30,
                          headers={"Authorization": f"Bearer {KEY}"}, json={**STREAM, "partial_images": 2}) as answer:
            assert answer.status_code == 200
            for line in answer.iter_lines():
                if line.startswith("data:"):
                    arrived.append(time.perf_counter())
    assert len(arrived) == 3 and arrived[-1] - arrived[0] > 0.6
    (cassette,) = tmp_path.glob("*.json")
    (interaction,) = json.loads(cassette.read_text())["interactions"]
    events_ms = interaction["mockserver"]["events_ms"]
    assert len(events_ms) == 3 and events_ms[-1] - events_ms[0] > 600


def test_settings_from_the_environment_more_redactions_and_a_reset_replay(tmp_path: Path) -> None:
    """MOCKSERVER_RECORD, _UPSTREAM, _REDACT_HEADER, _REDACT_FIELD; a redacted field matches any value
    on replay; identical requests get their answers in turn, the last again, and from the first after
    POST /_mock/reset."""
    extra = {"X-Team-Token": "team-secret-0042"}
    with FakeProcess() as upstream, FakeProcess(env={
            "MOCKSERVER_RECORD": str(tmp_path), "MOCKSERVER_UPSTREAM": upstream.base_url,
            "MOCKSERVER_REDACT_HEADER": "X-Team-Token", "MOCKSERVER_REDACT_FIELD": "user"}) as recorder, \
            sdk(recorder.base_url) as client:
        ids = [client.images.with_raw_response.generate(**GENERATE, user="alice-secret-7", extra_headers=extra)
               .headers["x-request-id"] for _ in range(2)]
    assert ids[0] != ids[1]
    every_byte = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert b"team-secret-0042" not in every_byte and b"alice-secret-7" not in every_byte
    with FakeProcess("--replay", str(tmp_path)) as replay, sdk(replay.base_url) as client:
        def replayed() -> str:
            return client.images.with_raw_response.generate(**GENERATE, user="bob").headers["x-request-id"]

        assert [replayed() for _ in range(3)] == [ids[0], ids[1], ids[1]]
        with replay.handle() as control:
            assert [e["replayed"].rsplit("#")[1] for e in control.requests()] == [
                "1 POST /v1/images/generations", "2 POST /v1/images/generations", "2 POST /v1/images/generations"]
            control.reset()
            assert control.requests() == []
        assert replayed() == ids[0]
        page = httpx.get(replay.url + "/_mock/ui", timeout=10)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")


def test_a_cassette_vcrpy_recorded_is_replayed_by_the_fake(tmp_path: Path) -> None:
    vcr = pytest.importorskip("vcr")
    recorder = vcr.VCR(serializer="json", record_mode="once")
    with FakeProcess() as upstream, recorder.use_cassette(str(tmp_path / "by-vcrpy.json")), \
            sdk(upstream.base_url) as client:
        made = [d.b64_json for d in client.images.generate(**GENERATE).data or []]
        with pytest.raises(openai.BadRequestError) as refused:
            client.images.generate(**REFUSED)
    with FakeProcess("--replay", str(tmp_path)) as replay, sdk(replay.base_url) as client:
        assert [d.b64_json for d in client.images.generate(**GENERATE).data or []] == made
        with pytest.raises(openai.BadRequestError) as again:
            client.images.generate(**REFUSED)
    assert failure(again.value) == failure(refused.value)


def test_a_gzip_header_on_a_plain_recorded_body_is_left_out(tmp_path: Path) -> None:
    """vcrpy's httpx recorder keeps the decoded body beside the Content-Encoding it came with."""
    body = json.dumps({"created": 1, "data": [{"b64_json": "AAAA"}]})
    (tmp_path / "c.json").write_text(json.dumps({"version": 1, "interactions": [{
        "request": {"method": "POST", "uri": "https://api.example.test/v1/images/generations",
                    "body": json.dumps(GENERATE), "headers": {"Content-Type": ["application/json"]}},
        "response": {"status": {"code": 200, "message": "OK"},
                     "headers": {"Content-Type": ["application/json"], "Content-Encoding": ["gzip"]},
                     "body": {"string": body}}}]}))
    with FakeProcess("--replay", str(tmp_path)) as replay, sdk(replay.base_url) as client:
        made = client.images.generate(**GENERATE)
    assert made.data and made.data[0].b64_json == "AAAA"


def test_create_app_records_and_replays_in_process(tmp_path: Path, live_server: LiveServer) -> None:
    """create_app(record=..., upstream=...) and create_app(replay=...): what a pytest plugin builds on;
    closing the fake closes its connections to the upstream."""
    headers = {"Authorization": f"Bearer {KEY}"}
    recording = create_app(record=str(tmp_path), upstream=live_server.base_url)
    try:
        recorded = recording.test_client().post("/v1/images/generations", json=GENERATE, headers=headers)
    finally:
        recording.extensions["mockserver"].close()
    assert recorded.status_code == 200 and recorded.json and recorded.json["data"][0]["b64_json"]
    replaying = create_app(replay=str(tmp_path))
    try:
        client = replaying.test_client()
        replayed = client.post("/v1/images/generations", json=dict(reversed(GENERATE.items())), headers=headers)
        missed = client.post("/v1/images/generations", json={**GENERATE, "n": 2}, headers=headers)
    finally:
        replaying.extensions["mockserver"].close()
    assert replayed.status_code == 200 and replayed.get_data() == recorded.get_data()
    assert replayed.headers["x-request-id"] == recorded.headers["x-request-id"]
    assert missed.status_code == 404 and missed.json and missed.json["error"]["near_misses"][0]["differences"] == [
        "body.n: sent 2, not recorded"]


ODD = [
    ("POST", "/v1/images/generations", "application/json", b"not json"),
    ("POST", "/v1/images/generations", "application/json", b"[" * 5000 + b"]" * 5000),
    ("POST", "/v1/images/generations", "application/json", b'{"prompt": "\xff\xfe"}'),
    ("POST", "/v1/images/edits", "multipart/form-data; boundary=zz", b"--zz\r\nContent-Disposition: form-da"),
    ("POST", "/v1/images/edits", "multipart/form-data", b"no boundary"),
    ("GET", "/v1/images/generations", None, b""),
    ("DELETE", "/v1/models/x", None, b""),
    ("POST", "/v1/unknown?a=1&a=2", "text/plain", b"\x00\x01"),
]


@pytest.mark.parametrize("fallback", ["error", "fake"])
def test_any_request_gets_a_json_answer_never_a_500(tmp_path: Path, fallback: str) -> None:
    recorded = Request("POST", "https://api.example.test/v1/images/generations",
                       [("Content-Type", "application/json")], json.dumps(GENERATE).encode())
    write_cassette(tmp_path / "c.json", [Interaction(recorded, Response(200, "OK", [
        ("Content-Type", "application/json")], b'{"created":1,"data":[]}'))])
    app = create_app(replay=str(tmp_path), replay_fallback=fallback)
    try:
        client = app.test_client()
        for method, path, content_type, body in ODD:
            got = client.open(path, method=method, data=body, content_type=content_type,
                              headers={"Authorization": f"Bearer {KEY}"})
            assert got.status_code < 500 and got.is_json and got.json, (method, path, body[:20], got.status_code)
            if fallback == "error":
                assert (got.status_code, got.json["error"]["code"]) == (404, "no_recorded_match")
    finally:
        app.extensions["mockserver"].close()


@pytest.mark.parametrize(("args", "says"), [
    (["--replay", "{empty}"], "--replay {empty}: no cassette (*.json) in it"),
    (["--replay", "{empty}/missing"], "--replay {empty}/missing: no such directory"),
    (["--replay", "{broken}"], "--replay: {broken}/c.json: cannot be read as a cassette"),
    (["--record", "{empty}", "--replay", "{empty}"], "--record and --replay cannot be used together"),
])
def test_a_wrong_directory_is_told_at_start(tmp_path: Path, args: list[str], says: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "c.json").write_text('{"version": 1, "interactions": [{"request": {}}]}')
    where = {"empty": str(tmp_path / "empty"), "broken": str(tmp_path / "broken")}
    done = subprocess.run([sys.executable, "-m", "mockserver", "--port", "0", *(a.format(**where) for a in args)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)
    assert done.returncode == 2 and says.format(**where) in done.stderr, done.stderr
