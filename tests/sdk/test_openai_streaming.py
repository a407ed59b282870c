"""Streamed answers (``stream=True``) through the official ``openai`` Python SDK, base URL changed
only: generations and edits, sync and async, over HTTP and in-process (the ``openai_client``
fixture, ``intercept()``). Every event is read as the SDK's typed event, every partial and final
image decoded; the completed event carries the usage; refusals come before any event; a fault
cuts a stream into the SDK's connection error and the journal counts the events sent."""

from __future__ import annotations

import asyncio
import base64
import io
import threading
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from PIL import Image, ImageChops, ImageStat

import mockserver
from contracts.usage import PARTIAL_IMAGE_TOKENS, output_tokens, text_tokens
from mockserver.http.server import LiveServer
from tests.conftest import API_KEY, backend_of
from tests.support.pngs import pattern, png_bytes

PROMPT = "a lighthouse at dusk"
EDIT_INPUT = png_bytes(pattern((256, 256)))


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=live_server.base_url, api_key=API_KEY, max_retries=0) as sdk:
        yield sdk


def decode(event: Any) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(event.b64_json)))
    image.load()
    return image


def distance(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel (0 = the same picture)."""
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    return sum(ImageStat.Stat(diff).mean) / 3


def check_stream(events: list[Any], *, prefix: str, partial_images: int, n: int = 1, size: str = "1024x1024",
                 output_format: str = "png", quality: str = "low") -> list[Image.Image]:
    """The events of a stream of ``n`` images, each checked and decoded; returns the final images."""
    per_image = partial_images + 1
    assert len(events) == n * per_image
    finals = []
    for index in range(n):
        mine = events[index * per_image:(index + 1) * per_image]
        assert [e.type for e in mine] == [f"{prefix}.partial_image"] * partial_images + [f"{prefix}.completed"]
        assert [e.partial_image_index for e in mine[:-1]] == list(range(partial_images))
        pictures = [decode(e) for e in mine]
        for event, picture in zip(mine, pictures, strict=True):
            assert (event.size, event.quality, event.background, event.output_format) == (
                size, quality, "opaque", output_format)
            assert picture.format == {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[output_format]
            assert f"{picture.width}x{picture.height}" == size
            assert isinstance(event.created_at, int)
            if n > 1:
                assert event.model_extra == {"output_index": index}  # ASSUMPTION (contracts.streaming)
        final = pictures[-1]
        # Progressively more finished: each partial is closer to the final image than the one before.
        gaps = [distance(p, final) for p in pictures[:-1]]
        assert all(g > 0 for g in gaps)
        assert gaps == sorted(gaps, reverse=True) and len(set(gaps)) == len(gaps)
        finals.append(final)
    return finals


def expected_usage(partial_images: int, n: int = 1, image_tokens: int = 0) -> dict[str, Any]:
    text = text_tokens(PROMPT)
    output = n * (output_tokens("low", 1024, 1024) + partial_images * PARTIAL_IMAGE_TOKENS)
    return {"input_tokens": text + image_tokens, "output_tokens": output, "total_tokens": text + image_tokens + output,
            "input_tokens_details": {"text_tokens": text, "image_tokens": image_tokens}}


def test_generation_stream_sync(client: openai.OpenAI) -> None:
    stream = client.images.generate(model="gpt-image-1.5", prompt=PROMPT, stream=True, partial_images=2,
                                    quality="low", size="1024x1024")
    events = list(stream)
    check_stream(events, prefix="image_generation", partial_images=2)
    assert type(events[0]).__name__ == "ImageGenPartialImageEvent"
    assert type(events[-1]).__name__ == "ImageGenCompletedEvent"
    assert events[-1].usage.model_dump() == expected_usage(2)


def test_the_streamed_image_is_the_unstreamed_one(client: openai.OpenAI) -> None:
    params: dict[str, Any] = {"model": "gpt-image-1.5", "prompt": PROMPT, "quality": "low", "size": "1024x1024",
                              "output_format": "webp"}
    events = list(client.images.generate(**params, stream=True))  # partial_images 0: the final event only
    assert [e.type for e in events] == ["image_generation.completed"]
    check_stream(events, prefix="image_generation", partial_images=0, output_format="webp")
    whole = client.images.generate(**params)
    assert whole.data is not None
    assert events[0].b64_json == whole.data[0].b64_json


def test_generation_stream_async(live_server: LiveServer) -> None:
    async def run() -> list[Any]:
        async with openai.AsyncOpenAI(base_url=live_server.base_url, api_key=API_KEY, max_retries=0) as sdk:
            stream = await sdk.images.generate(model="gpt-image-1.5", prompt=PROMPT, stream=True,
                                               partial_images=1, quality="low", size="1024x1024",
                                               output_format="jpeg")
            return [event async for event in stream]

    events = asyncio.run(run())
    check_stream(events, prefix="image_generation", partial_images=1, output_format="jpeg")
    assert events[-1].usage.model_dump() == expected_usage(1)


def test_several_images_stream_one_after_another(client: openai.OpenAI) -> None:
    events = list(client.images.generate(model="gpt-image-1.5", prompt=PROMPT, stream=True, partial_images=1,
                                         n=2, quality="low", size="1024x1024"))
    first, second = check_stream(events, prefix="image_generation", partial_images=1, n=2)
    assert distance(first, second) > 0
    assert events[1].usage.model_dump() == events[3].usage.model_dump() == expected_usage(1, n=2)


def test_edit_stream_sync(client: openai.OpenAI) -> None:
    events = list(client.images.edit(model="gpt-image-1.5", image=("in.png", EDIT_INPUT, "image/png"), prompt=PROMPT,
                                     stream=True, partial_images=2, quality="low", size="1024x1024"))
    check_stream(events, prefix="image_edit", partial_images=2)
    assert type(events[-1]).__name__ == "ImageEditCompletedEvent"
    assert events[-1].usage.input_tokens_details.image_tokens > 0


def test_edit_stream_async(live_server: LiveServer) -> None:
    async def run() -> list[Any]:
        async with openai.AsyncOpenAI(base_url=live_server.base_url, api_key=API_KEY, max_retries=0) as sdk:
            stream = await sdk.images.edit(model="gpt-image-1.5", image=[("in.png", EDIT_INPUT, "image/png")],
                                           prompt=PROMPT, stream=True, partial_images=1, quality="low",
                                           size="1024x1024")
            return [event async for event in stream]

    events = asyncio.run(run())
    check_stream(events, prefix="image_edit", partial_images=1)
    assert events[-1].usage.input_tokens > events[-1].usage.input_tokens_details.text_tokens


@pytest.mark.parametrize(("params", "code", "param"), [
    ({"model": "dall-e-2", "stream": True}, "unknown_parameter", "stream"),
    ({"model": "dall-e-3", "stream": True}, "unknown_parameter", "stream"),
    ({"model": "gpt-image-1.5", "stream": True, "partial_images": 4}, "integer_above_max_value", "partial_images"),
    ({"model": "gpt-image-1.5", "stream": True, "partial_images": -1}, "integer_below_min_value", "partial_images"),
    ({"model": "gpt-image-2.5-flare", "stream": True, "output_format": "gif"}, "unsupported_value", "stream"),
    ({"model": "gpt-image-2.5-flare", "stream": True, "output_format": "svg"}, "unsupported_value", "stream"),
    ({"model": "gpt-image-1.5", "partial_images": 2}, "unsupported_parameter", "partial_images"),
])
def test_invalid_streams_are_refused_before_any_event(client: openai.OpenAI, live_server: LiveServer,
                                                      params: dict[str, Any], code: str, param: str) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        result = client.images.generate(prompt=PROMPT, **params)
        list(result) if params.get("stream") else None  # pragma: no cover - never reached
    assert raised.value.status_code == 400
    assert raised.value.response.headers["content-type"].startswith("application/json")
    assert (raised.value.code, raised.value.param) == (code, param)
    assert [e.get("events") for e in backend_of(live_server.app).journal.entries()] == [None]


def test_a_stream_spends_its_quota_once(client: openai.OpenAI, live_server: LiveServer) -> None:
    fake = backend_of(live_server.app)
    fake.configure({"rate_limits": "2/1m"})
    try:
        events = list(client.images.generate(model="gpt-image-1.5", prompt=PROMPT, stream=True, partial_images=3,
                                             n=2, quality="low", size="1024x1024"))
        assert len(events) == 8  # eight events, two images: the quota of two images is spent, not eight
        with pytest.raises(openai.RateLimitError):
            client.images.generate(model="gpt-image-1.5", prompt=PROMPT, stream=True, quality="low")
    finally:
        fake.reset(config=True)


@pytest.mark.parametrize("kind", ["reset", "hang"])
def test_a_fault_cuts_a_stream(client: openai.OpenAI, live_server: LiveServer, kind: str) -> None:
    fake = backend_of(live_server.app)
    fake.faults.add({"endpoint": "generations", "kind": kind, "after_events": 2, "delay_ms": 200})
    received = []
    with pytest.raises(openai.APIConnectionError):
        for event in client.images.generate(model="gpt-image-1.5", prompt=PROMPT, stream=True, partial_images=3,
                                            quality="low", size="1024x1024"):
            received.append(event.type)
    assert received == ["image_generation.partial_image"] * 2
    (entry,) = fake.journal.entries()
    assert (entry["status"], entry["fault"], entry["stream"], entry["events"]) == (200, kind, True, 2)


def test_events_are_flushed_as_they_are_produced(client: openai.OpenAI, live_server: LiveServer) -> None:
    """A hang after the first event: the client holds that event while the fake still holds the stream."""
    backend_of(live_server.app).faults.add({"endpoint": "generations", "kind": "hang", "after_events": 1,
                                            "delay_ms": 3000})
    start = time.monotonic()
    seen = []
    with pytest.raises(openai.APIConnectionError):
        for _event in client.images.generate(model="gpt-image-1.5", prompt=PROMPT, stream=True, partial_images=2,
                                             quality="low", size="1024x1024"):
            seen.append(time.monotonic() - start)
    cut = time.monotonic() - start
    assert len(seen) == 1 and cut - seen[0] >= 2.5  # the first event came long before the hang ended


def test_a_fault_for_streams_leaves_other_requests_alone(client: openai.OpenAI, live_server: LiveServer) -> None:
    fake = backend_of(live_server.app)
    fake.faults.add({"endpoint": "generations", "kind": "reset", "after_events": 0})
    assert client.images.generate(model="gpt-image-1.5", prompt=PROMPT, quality="low").data is not None
    with pytest.raises(openai.APIConnectionError):
        list(client.images.generate(model="gpt-image-1.5", prompt=PROMPT, quality="low", stream=True))
    assert [e.get("events") for e in fake.journal.entries()] == [None, 0]


# --- no socket: the openai_client fixture and intercept() -------------------------------------


def test_openai_client_fixture_streams(openai_client: Any, images_fake: Any) -> None:
    events = list(openai_client.images.generate(model="gpt-image-1.5", prompt=PROMPT, stream=True,
                                                partial_images=2, quality="low", size="1024x1024"))
    check_stream(events, prefix="image_generation", partial_images=2)
    assert images_fake.requests()[0]["events"] == 3


def test_openai_client_fixture_cut_stream(openai_client: Any, images_fake: Any) -> None:
    images_fake.inject_fault(endpoint="edits", kind="reset", after_events=1)
    received = []
    with pytest.raises(openai.APIConnectionError):
        for event in openai_client.with_options(max_retries=0).images.edit(
                model="gpt-image-1.5", image=("in.png", EDIT_INPUT, "image/png"), prompt=PROMPT, stream=True,
                partial_images=2, quality="low", size="1024x1024"):
            received.append(event.partial_image_index)
    assert received == [0]
    assert images_fake.requests()[0]["events"] == 1


def test_intercept_streams_sync_and_async() -> None:
    with mockserver.intercept() as fake:
        sync = openai.OpenAI(api_key=API_KEY)
        events = list(sync.images.generate(model="gpt-image-1.5", prompt=PROMPT, stream=True, partial_images=1,
                                           quality="low", size="1024x1024"))
        check_stream(events, prefix="image_generation", partial_images=1)

        async def run() -> list[Any]:
            async with openai.AsyncOpenAI(api_key=API_KEY, max_retries=0) as sdk:
                stream = await sdk.images.edit(model="gpt-image-1.5", image=("in.png", EDIT_INPUT, "image/png"),
                                               prompt=PROMPT, stream=True, partial_images=2, quality="low",
                                               size="1024x1024")
                return [event async for event in stream]

        check_stream(asyncio.run(run()), prefix="image_edit", partial_images=2)
        assert [e["events"] for e in fake.requests()] == [2, 3]


def test_latency_is_spread_over_the_events(monkeypatch: pytest.MonkeyPatch) -> None:
    """--latency-ms holds a whole answer back once, and a stream before each of its events."""
    slept: list[float] = []

    class Held(threading.Event):
        """What the latency's holds wait on (until reset or DELETE /_mock/faults end them): noted, not waited."""

        def wait(self, timeout: float | None = None) -> bool:
            slept.append(timeout or 0.0)
            return False

    app = mockserver.create_app(latency_ms=600)
    faults = app.extensions["mockserver"].faults
    monkeypatch.setattr(type(faults), "latency_release", property(lambda _self: Held()))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {API_KEY}"}
    body = {"model": "gpt-image-1.5", "prompt": PROMPT, "quality": "low", "size": "1024x1024"}
    assert client.post("/v1/images/generations", json=body, headers=headers).status_code == 200
    assert slept == [0.6]
    slept.clear()
    response = client.post("/v1/images/generations", json={**body, "stream": True, "partial_images": 2},
                           headers=headers)
    assert response.get_data().count(b"\n\n") == 3
    assert slept == pytest.approx([0.2, 0.2, 0.2])


@pytest.mark.parametrize(("spec", "field"), [
    ({"kind": "status", "after_events": 1}, "after_events"),
    ({"kind": "truncated", "after_events": 1}, "after_events"),
    ({"kind": "reset", "after_events": -1}, "after_events"),
    ({"kind": "hang", "after_events": True}, "after_events"),
])
def test_bad_stream_faults_are_refused(images_fake: Any, spec: dict[str, Any], field: str) -> None:
    from mockserver.testing.handle import ControlError

    with pytest.raises(ControlError) as raised:
        images_fake.inject_fault(**spec)
    assert raised.value.status == 400 and field in str(raised.value)
    assert images_fake.faults() == []
