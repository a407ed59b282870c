"""contracts.cassette: the cassette format (VCR.py v1, JSON), its atomic writing, redaction, and
matching a request as the API reads it (with the near-miss description)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from contracts import cassette
from contracts.cassette import (
    REDACTED,
    CassetteWriter,
    Interaction,
    Part,
    Playback,
    Redaction,
    Request,
    Response,
    build_form,
    differences,
    near_misses,
    read_cassette,
    read_directory,
    write_cassette,
)
from tests.support.pngs import pattern, png_bytes

KEY = "sk-test-0123456789abcdefSECRET"
ORG = "org-recordedSecretOrg123"
PROJECT = "proj_recordedSecret42"
BASE = "https://api.example.test/v1"
PNG = png_bytes(pattern(64))


def json_request(body: dict[str, object], path: str = "/images/generations") -> Request:
    return Request("POST", BASE + path, [("Content-Type", "application/json"), ("Authorization", f"Bearer {KEY}"),
                                         ("OpenAI-Organization", ORG), ("OpenAI-Project", PROJECT)],
                   json.dumps(body).encode())


def form_request(fields: list[Part], boundary: str) -> Request:
    return Request("POST", BASE + "/images/edits",
                   [("Content-Type", f"multipart/form-data; boundary={boundary}"),
                    ("Authorization", f"Bearer {KEY}")], build_form(fields, boundary))


def answer(status: int = 200, body: bytes = b'{"created":1,"data":[]}', *,
           headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, "OK" if status == 200 else "Too Many Requests",
                    [("Content-Type", "application/json"), ("openai-organization", ORG),
                     ("Set-Cookie", "__cf_bm=abc; path=/"), ("Content-Length", str(len(body))), *(headers or [])],
                    body)


EDIT_PARTS = [Part("prompt", b"add a hat"), Part("model", b"gpt-image-1"),
              Part("image[]", PNG, "cat.png", "image/png")]


def test_a_cassette_is_what_vcrpy_writes_and_reads_back_whole(tmp_path: Path) -> None:
    path = tmp_path / "session.json"
    gen = Interaction(json_request({"prompt": "a cat", "n": 1}), answer())
    edit = Interaction(form_request(EDIT_PARTS, "b0undary"), answer())
    write_cassette(path, [gen, edit])

    data = json.loads(path.read_text())
    assert data["version"] == 1
    first = data["interactions"][0]
    assert set(first["request"]) == {"method", "uri", "body", "headers"}  # exactly vcrpy's keys
    assert first["request"]["headers"]["Content-Type"] == ["application/json"]
    assert first["response"]["status"] == {"code": 200, "message": "OK"}
    assert first["response"]["body"] == {"string": '{"created":1,"data":[]}'}
    assert "Content-Length" not in first["response"]["headers"]  # the replaying server sets it
    # the upload is kept beside the cassette, once, and the cassette shows where
    kept = list((tmp_path / "files").iterdir())
    assert [p.read_bytes() for p in kept] == [PNG]
    shown = data["interactions"][1]["request"]["body"]
    assert "add a hat" in shown and f"in files/{kept[0].name}" in shown and "\x89PNG" not in shown
    assert data["interactions"][1]["mockserver"]["form"][2]["sha256"] == EDIT_PARTS[2].sha256

    assert path.read_text() == json.dumps(data, indent=2, ensure_ascii=False) + "\n"  # as json.dumps writes it
    back = read_cassette(path)
    assert [i.name() for i in back] == ["session.json#1 POST /v1/images/generations",
                                        "session.json#2 POST /v1/images/edits"]
    assert cassette.parse_form(back[1].request.body, back[1].request.header("Content-Type")) == EDIT_PARTS
    assert back[0].response.body == gen.response.body
    assert differences(back[1].request, edit.request) == []


def test_a_stream_keeps_its_events_and_their_timing(tmp_path: Path) -> None:
    events = b'event: image_generation.partial_image\ndata: {"type":"a"}\n\n' \
             b'event: image_generation.completed\ndata: {"type":"b"}\n\n'
    stream = Response(200, "OK", [("Content-Type", "text/event-stream; charset=utf-8")], events, [12.0, 40.5])
    write_cassette(tmp_path / "s.json", [Interaction(json_request({"prompt": "x", "stream": True}), stream)])
    back = read_cassette(tmp_path / "s.json")[0].response
    assert back.is_stream and back.events_ms == [12.0, 40.5]
    first = events.index(b"\n\n") + 2
    assert back.events() == [events[:first], events[first:]]
    assert b"".join(back.events()) == events


def test_nothing_secret_is_written_and_markers_say_so(tmp_path: Path) -> None:
    limited = answer(429, json.dumps({"error": {"message": f"Rate limit reached in organization {ORG} on images",
                                                "type": "requests", "code": "rate_limit_exceeded"}}).encode(),
                     headers=[("retry-after", "3"), ("x-custom-token", "tok-123456")])
    writer = CassetteWriter(tmp_path / "c.json", Redaction(headers=("X-Custom-Token",), fields=("user",)))
    writer.add(Interaction(json_request({"prompt": "a cat", "user": "alice@example.com"}), limited))
    writer.add(Interaction(form_request([*EDIT_PARTS, Part("user", b"alice@example.com")], "xyz"), answer()))

    raw = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    for secret in (KEY.encode(), b"Bearer", ORG.encode(), PROJECT.encode(), b"alice@example.com", b"tok-123456",
                   b"__cf_bm"):
        assert secret not in raw, secret
    data = json.loads((tmp_path / "c.json").read_text())
    first = data["interactions"][0]
    assert first["request"]["headers"]["Authorization"] == [REDACTED]
    assert first["request"]["headers"]["OpenAI-Organization"] == [REDACTED]
    assert first["response"]["headers"]["openai-organization"] == [REDACTED]
    assert first["response"]["headers"]["Set-Cookie"] == [REDACTED]
    assert first["response"]["headers"]["retry-after"] == ["3"]  # what is not secret stays
    assert json.loads(first["response"]["body"]["string"])["error"]["message"] == \
        f"Rate limit reached in organization {REDACTED} on images"
    assert json.loads(first["request"]["body"])["user"] == REDACTED
    assert "request header Authorization" in first["mockserver"]["redacted"]
    assert "request field user" in first["mockserver"]["redacted"]
    assert "response header x-custom-token" in first["mockserver"]["redacted"]


def test_field_paths_reach_into_lists_and_stream_events(tmp_path: Path) -> None:
    body = json.dumps({"created": 1, "data": [{"revised_prompt": "secret plan", "b64_json": "AAAA"}]}).encode()
    events = b'data: {"type":"x","revised_prompt":"secret plan"}\n\n'
    write_cassette(tmp_path / "c.json", [
        Interaction(json_request({"prompt": "p"}), answer(body=body)),
        Interaction(json_request({"prompt": "p", "stream": True}),
                    Response(200, "OK", [("Content-Type", "text/event-stream")], events, [1.0])),
    ], Redaction(fields=("data.*.revised_prompt", "revised_prompt")))
    text = (tmp_path / "c.json").read_text()
    assert "secret plan" not in text
    back = read_cassette(tmp_path / "c.json")
    assert json.loads(back[0].response.body)["data"][0] == {"revised_prompt": REDACTED, "b64_json": "AAAA"}
    assert back[1].response.events_ms == [1.0] and len(back[1].response.events()) == 1


def test_a_redacted_value_is_redacted_wherever_else_it_appears(tmp_path: Path) -> None:
    echoed = json.dumps({"data": [], "safety_identifier": "alice-7", "note": "token tok-99887 seen"}).encode()
    request = json_request({"prompt": "p", "user": "alice-7"})
    request.headers.append(("X-Team-Token", "tok-99887"))
    write_cassette(tmp_path / "c.json", [Interaction(request, answer(body=echoed))],
                   Redaction(headers=("x-team-token",), fields=("user",)))
    text = (tmp_path / "c.json").read_text()
    assert "alice-7" not in text and "tok-99887" not in text
    (back,) = read_cassette(tmp_path / "c.json")
    assert json.loads(back.response.body) == {"data": [], "safety_identifier": REDACTED,
                                              "note": f"token {REDACTED} seen"}


def test_writing_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.json"
    writer = CassetteWriter(path)
    writer.add(Interaction(json_request({"prompt": "one"}), answer()))
    before = path.read_bytes()

    def broken(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        writer.add(Interaction(json_request({"prompt": "two"}), answer()))
    assert path.read_bytes() == before  # the old cassette, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json"]  # no temporary file left


def test_json_bodies_match_whatever_their_key_order_and_spacing() -> None:
    recorded = json_request({"prompt": "a cat", "n": 1, "size": "1024x1024"})
    sent = Request("POST", "http://127.0.0.1:5000/v1/images/generations", [("Content-Type", "application/json")],
                   b'{ "size":"1024x1024",\n "n":1, "prompt":"a cat"}')
    assert differences(recorded, sent) == []
    other = json_request({"prompt": "a dog", "n": 1, "quality": "high"})
    assert differences(recorded, other) == [
        'body.prompt: recorded "a cat", sent "a dog"',
        'body.size: recorded "1024x1024", not sent',
        'body.quality: sent "high", not recorded',
    ]
    assert differences(recorded, json_request({"prompt": "a cat", "n": 1, "size": "1024x1024"},
                                              "/images/edits")) == [
        "path: recorded /v1/images/generations, sent /v1/images/edits"]


def test_forms_match_on_fields_values_and_file_digests_not_the_boundary() -> None:
    recorded = form_request(EDIT_PARTS, "aaaa")
    assert differences(recorded, form_request(EDIT_PARTS, "another-boundary-0123")) == []
    other_image = [*EDIT_PARTS[:2], Part("image[]", png_bytes(pattern(32)), "cat.png", "image/png")]
    (found,) = differences(recorded, form_request(other_image, "bbbb"))
    assert found.startswith(f"form field image[]: recorded a file of sha256 {EDIT_PARTS[2].sha256[:12]}")
    assert differences(recorded, form_request(EDIT_PARTS[:2], "c")) == ["form field image[]: recorded, not sent"]
    assert differences(recorded, json_request({"prompt": "add a hat"}, "/images/edits")) == [
        "body: recorded a multipart form, sent a JSON body"]


def test_a_redacted_recorded_value_matches_any_sent_value(tmp_path: Path) -> None:
    write_cassette(tmp_path / "c.json", [Interaction(json_request({"prompt": "p", "user": "alice"}), answer()),
                                         Interaction(form_request([Part("user", b"alice")], "b"), answer())],
                   Redaction(fields=("user",)))
    json_one, form_one = read_cassette(tmp_path / "c.json")
    assert differences(json_one.request, json_request({"prompt": "p", "user": "bob"})) == []
    assert differences(form_one.request, form_request([Part("user", b"bob")], "z")) == []


def test_near_misses_name_the_nearest_recordings_and_what_differs() -> None:
    recorded = [Interaction(json_request({"prompt": "a cat"}), answer(), source="s.json", index=1),
                Interaction(form_request(EDIT_PARTS, "q"), answer(), source="s.json", index=2),
                Interaction(json_request({"prompt": "a cat", "n": 2}), answer(), source="s.json", index=3)]
    misses = near_misses(json_request({"prompt": "a dog"}), recorded)
    assert [m.interaction.index for m in misses] == [1, 3, 2]  # the same path first, then fewest differences
    assert misses[0].describe() == 's.json#1 POST /v1/images/generations (body.prompt: recorded "a cat", sent "a dog")'
    assert misses[0].to_json() == {"recorded": "s.json#1 POST /v1/images/generations",
                                   "differences": ['body.prompt: recorded "a cat", sent "a dog"']}


def test_repeated_requests_get_their_answers_in_order_then_the_last_again() -> None:
    first, second = answer(body=b'{"n":1}'), answer(body=b'{"n":2}')
    playback = Playback([Interaction(json_request({"prompt": "p"}), first),
                         Interaction(json_request({"prompt": "other"}), answer()),
                         Interaction(json_request({"prompt": "p"}), second)])
    got = [playback.answer(json_request({"prompt": "p"})) for _ in range(4)]
    assert [g.response.body if g else None for g in got] == [b'{"n":1}', b'{"n":2}', b'{"n":2}', b'{"n":2}']
    assert playback.answer(json_request({"prompt": "unrecorded"})) is None
    playback.rewind()
    answered = playback.answer(json_request({"prompt": "p"}))
    assert answered is not None and answered.response.body == b'{"n":1}'


def test_a_directory_is_read_cassette_by_cassette(tmp_path: Path) -> None:
    write_cassette(tmp_path / "b.json", [Interaction(json_request({"prompt": "b"}), answer())])
    (tmp_path / "sub").mkdir()
    write_cassette(tmp_path / "sub" / "a.json", [Interaction(json_request({"prompt": "a"}), answer())])
    assert [i.name() for i in read_directory(tmp_path)] == ["b.json#1 POST /v1/images/generations",
                                                            "sub/a.json#1 POST /v1/images/generations"]
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(cassette.CassetteError, match=r"broken\.json"):
        read_directory(tmp_path)


def test_a_new_cassette_never_takes_an_existing_name(tmp_path: Path) -> None:
    first = cassette.new_cassette_path(tmp_path / "new")
    first.write_text("{}")
    second = cassette.new_cassette_path(tmp_path / "new")
    assert first != second and first.parent == second.parent == tmp_path / "new"
