"""The stream events as data: every event a fake streams has exactly the spec's required fields
(plus output_index when n > 1), parses with the official SDK's event models, and is framed as
``event:``/``data:`` lines."""

from __future__ import annotations

import pytest
from openai.types import ImageEditStreamEvent, ImageGenStreamEvent
from pydantic import TypeAdapter

from contracts.streaming import COMPLETED_FIELDS, EVENTS, IMAGE_INDEX_FIELD, PARTIAL_FIELDS, event, frame, parse
from mockserver import create_app
from tests.conftest import AUTH


def test_a_frame_names_its_event_and_parses_back() -> None:
    data = event("image_generation.partial_image", b64_json="AAAA", created_at=1, size="1024x1024", quality="low",
                 background="opaque", output_format="png", partial_image_index=0)
    assert frame(data) == (b'event: image_generation.partial_image\ndata: {"type":"image_generation.partial_image",'
                           b'"b64_json":"AAAA","created_at":1,"size":"1024x1024","quality":"low","background":'
                           b'"opaque","output_format":"png","partial_image_index":0}\n\n')
    assert parse(frame(data) * 2) == [data, data]
    with pytest.raises(ValueError):
        parse(frame(data).replace(b"event: image_generation.partial_image", b"event: other"))


@pytest.mark.parametrize("n", [1, 2])
def test_a_streamed_generation_has_the_spec_fields_and_the_sdk_reads_it(n: int) -> None:
    client = create_app().test_client()
    response = client.post("/v1/images/generations", headers=AUTH, json={
        "model": "gpt-image-2", "prompt": "a cat", "size": "1024x640", "quality": "low", "n": n, "stream": True,
        "partial_images": 1})
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    events = parse(response.get_data())
    kinds = EVENTS["generations"]
    assert [e["type"] for e in events] == [kinds.partial, kinds.completed] * n
    extra = (IMAGE_INDEX_FIELD,) if n > 1 else ()
    for index, data in enumerate(events):
        fields = PARTIAL_FIELDS if data["type"] == kinds.partial else COMPLETED_FIELDS
        assert tuple(data) == fields + extra
        assert data["size"] == "1024x640"  # [sdk-py] size is any WIDTHxHEIGHT
        if n > 1:
            assert data[IMAGE_INDEX_FIELD] == index // 2
        parsed = TypeAdapter(ImageGenStreamEvent).validate_python(data)
        assert parsed.type == data["type"]


def test_the_sdk_reads_edit_events() -> None:
    data = event(EVENTS["edits"].completed, b64_json="AAAA", created_at=1, size="1024x1024", quality="high",
                 background="opaque", output_format="webp", usage={
                     "input_tokens": 1, "output_tokens": 2, "total_tokens": 3,
                     "input_tokens_details": {"text_tokens": 1, "image_tokens": 0}})
    assert TypeAdapter(ImageEditStreamEvent).validate_python(data).type == "image_edit.completed"
