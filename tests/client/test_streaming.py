"""``generate``/``edit`` with ``stream=True``: typed events read as they arrive, retried only while
the stream opens. Against the routed in-process fake and, for cuts, the live fake over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import responses
from flask import Flask

from client import (
    APIConnectionError,
    APIResponseValidationError,
    BadRequestError,
    CompletedEvent,
    ImagesClient,
    ImageStream,
    InternalServerError,
    PartialImageEvent,
    Usage,
)
from client.__main__ import main
from client._stream import sse_messages
from mockserver.http.server import LiveServer
from tests.client.conftest import FAKE_BASE, Sleeps
from tests.conftest import API_KEY, backend_of
from tests.support.pngs import pattern, png_bytes

PROMPT = "a lighthouse at dusk"
FAST = {"model": "gpt-image-1.5", "quality": "low", "size": "1024x1024"}


def test_a_generation_streams_typed_events_that_decode(images: ImagesClient, app: Flask) -> None:
    stream = images.generate(PROMPT, stream=True, partial_images=2, output_format="jpeg", **FAST)
    assert isinstance(stream, ImageStream)
    with stream:
        events = list(stream)
    assert [type(e) for e in events] == [PartialImageEvent, PartialImageEvent, CompletedEvent]
    assert [e.type for e in events] == ["image_generation.partial_image"] * 2 + ["image_generation.completed"]
    assert [e.partial_image_index for e in events if isinstance(e, PartialImageEvent)] == [0, 1]
    pictures = [e.decode() for e in events]
    assert {(p.format.name, p.size) for p in pictures} == {("jpeg", "1024x1024")}
    assert len({p.data for p in pictures}) == 3  # partial images are not copies of the final one
    final = events[-1]
    assert isinstance(final, CompletedEvent) and isinstance(final.usage, Usage)
    assert final.usage.total_tokens == final.usage.input_tokens + final.usage.output_tokens > 0
    assert {(e.size, e.quality, e.output_format) for e in events} == {("1024x1024", "low", "jpeg")}
    assert all(e.created_at > 0 and e.background for e in events)
    (entry,) = backend_of(app).journal.entries()
    assert (entry["stream"], entry["events"]) == (True, 3)


def test_partial_images_0_sends_only_the_completed_event(images: ImagesClient) -> None:
    events = list(images.generate(PROMPT, stream=True, partial_images=0, **FAST))
    assert [type(e) for e in events] == [CompletedEvent]
    assert events[0].decode().size == "1024x1024"


def test_n_2_streams_each_image_identified(images: ImagesClient) -> None:
    events = list(images.generate(PROMPT, stream=True, partial_images=1, n=2, **FAST))
    assert [(type(e).__name__, e.output_index) for e in events] == [
        ("PartialImageEvent", 0), ("CompletedEvent", 0), ("PartialImageEvent", 1), ("CompletedEvent", 1)]
    assert all("output_index" in e.raw for e in events)  # a field the client does not name, kept raw
    for event in events:
        event.decode()


def test_an_edit_streams(images: ImagesClient) -> None:
    source = png_bytes(pattern(64))
    events = list(images.edit(source, prompt=PROMPT, stream=True, partial_images=1, **FAST))
    assert [e.type for e in events] == ["image_edit.partial_image", "image_edit.completed"]
    for event in events:
        assert event.decode().size == "1024x1024"
    assert isinstance(events[-1], CompletedEvent) and events[-1].usage is not None


def test_an_error_before_any_event_is_the_typed_error(images: ImagesClient, app: Flask) -> None:
    with pytest.raises(BadRequestError) as caught:
        images.generate(PROMPT, model="dall-e-2", stream=True)
    assert caught.value.status == 400
    assert len(backend_of(app).journal.entries()) == 1  # a 400 is not retried


def test_a_retryable_error_while_opening_is_retried(routed: responses.RequestsMock, app: Flask) -> None:
    backend_of(app).faults.add({"endpoint": "generations", "kind": "status", "status": 503, "count": 1})
    sleeps = Sleeps()
    with ImagesClient(base_url=FAKE_BASE, api_key=API_KEY, sleep=sleeps) as images:
        events = list(images.generate(PROMPT, stream=True, partial_images=1, **FAST))
    assert [type(e) for e in events] == [PartialImageEvent, CompletedEvent]
    assert [e["status"] for e in backend_of(app).journal.entries()] == [503, 200]
    assert len(sleeps) == 1


def test_retries_run_out_while_opening(routed: responses.RequestsMock, app: Flask) -> None:
    backend_of(app).faults.add({"endpoint": "generations", "kind": "status", "status": 503, "count": None})
    images = ImagesClient(base_url=FAKE_BASE, api_key=API_KEY, sleep=lambda _: None, max_retries=1)
    with images, pytest.raises(InternalServerError):
        images.generate(PROMPT, stream=True, **FAST)
    assert len(backend_of(app).journal.entries()) == 2


def test_a_stream_cut_after_the_first_event_is_not_retried(live_server: LiveServer) -> None:
    fake = backend_of(live_server.app)
    fake.faults.add({"endpoint": "generations", "kind": "reset", "after_events": 1})
    received = []
    images = ImagesClient(base_url=live_server.base_url, api_key=API_KEY, sleep=lambda _: None)
    with images, pytest.raises(APIConnectionError):
        for event in images.generate(PROMPT, stream=True, partial_images=2, **FAST):
            received.append(event)
    assert [type(e) for e in received] == [PartialImageEvent]
    received[0].decode()
    (entry,) = fake.journal.entries()  # one request: no retry
    assert (entry["fault"], entry["stream"], entry["events"]) == ("reset", True, 1)


def test_an_abandoned_stream_closes_its_connection(live_server: LiveServer) -> None:
    with ImagesClient(base_url=live_server.base_url, api_key=API_KEY) as images:
        stream = images.generate(PROMPT, stream=True, partial_images=3, **FAST)
        with stream:
            first = next(iter(stream))
        assert isinstance(first, PartialImageEvent)
        assert stream.response.raw.closed
        with pytest.raises(StopIteration):
            next(stream)


def test_cli_streams_and_prints_each_path(routed: responses.RequestsMock, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", FAKE_BASE)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    code = main(["generate", PROMPT, "--model", "gpt-image-1.5", "--quality", "low", "--size", "1024x1024",
                 "--stream", "--partial-images", "2", "--out", str(tmp_path), "--prefix", "cat"])
    assert code == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(tmp_path / name) for name in ("cat-1-partial-0.png", "cat-1-partial-1.png", "cat-1.png")]
    assert all(Path(path).stat().st_size > 0 for path in printed)


# --- the other transport: the images_client fixture (no socket) streams too ------------------


def test_images_client_fixture_streams(images_client: ImagesClient, images_fake: Any) -> None:
    events = list(images_client.generate(PROMPT, stream=True, partial_images=2, **FAST))
    assert [type(e) for e in events] == [PartialImageEvent, PartialImageEvent, CompletedEvent]
    for event in events:
        event.decode()
    assert images_fake.requests()[0]["events"] == 3


def test_images_client_fixture_cut_after_the_first_event(images_client: ImagesClient, images_fake: Any) -> None:
    images_fake.inject_fault(endpoint="edits", kind="reset", after_events=1)
    received = []
    with pytest.raises(APIConnectionError):
        for event in images_client.edit(png_bytes(pattern(64)), prompt=PROMPT, stream=True, partial_images=2,
                                        **FAST):
            received.append(event)
    assert [type(e) for e in received] == [PartialImageEvent]
    (entry,) = images_fake.requests()  # one request: no retry
    assert entry["events"] == 1


# --- the parser and a wrong answer ---------------------------------------------------------------


def test_sse_messages_join_multi_line_data_and_skip_comments() -> None:
    lines = [": keep-alive", "event: a", "data: {\"x\":", "data: 1}", "", "", "data:{}", "id: 7"]
    assert list(sse_messages(iter(lines))) == [("a", '{"x":\n1}'), (None, "{}")]


@responses.activate
def test_a_200_that_is_not_an_event_stream_is_a_validation_error() -> None:
    responses.add(responses.POST, f"{FAKE_BASE}/images/generations", json={"created": 1, "data": []})
    with ImagesClient(base_url=FAKE_BASE, api_key=API_KEY) as images, pytest.raises(APIResponseValidationError):
        images.generate(PROMPT, stream=True)
