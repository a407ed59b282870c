"""Streamed answers (``stream: true``) as data: which events a stream sends, in what order,
with which fields, and how they are framed.

Sources: [spec] ``ImageGenStreamEvent`` (``ImageGenPartialImageEvent``,
``ImageGenCompletedEvent``) and ``ImageEditStreamEvent``; [sdk-py] ``types/image_gen_*_event.py``
and ``image_edit_*_event.py``; [guide] partial images.

- The answer is ``200 text/event-stream``; each event is an ``event:`` line naming its type and
  one ``data:`` line of JSON whose ``type`` repeats it, then a blank line [spec example].
- Per image: ``partial_images`` partial events (``partial_image_index`` 0 ... partial_images-1),
  then one completed event carrying ``usage`` [spec]. ``partial_images: 0`` sends only the
  completed event [spec PartialImages].
- ASSUMPTION (no source shows ``n`` > 1 streamed): the images are streamed one after another,
  image 0's events first; ``partial_image_index`` restarts at 0 for each image; with ``n`` > 1
  every event also carries ``output_index`` (the image's 0-based index, named as the Responses
  API's image-generation events name it); a stream of one image carries exactly the spec's fields.
- ASSUMPTION: every completed event carries the whole request's ``usage`` (partial images
  included, see :mod:`contracts.usage`); the size, quality and background are the resolved
  values the non-streamed answer reports.
- [sdk-py image_gen_completed_event.py, image_edit_completed_event.py] a completed event carries
  ``safety_identifier`` ("the non-empty safety_identifier from the request, or the deprecated user
  value"), as the unstreamed answer does: only when there is one (ASSUMPTION: absent, not null,
  otherwise, as in the answer).
- ASSUMPTION: the stream ends after the last completed event, with no ``data: [DONE]`` line and
  no ``sequence_number`` (neither is in the spec's events).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from contracts.models import EDITS, GENERATIONS

MEDIA_TYPE = "text/event-stream"  # [spec] the 200 answer of stream=true


@dataclass(frozen=True)
class StreamEvents:
    """The two event types of one endpoint's stream."""

    partial: str
    completed: str


EVENTS: Mapping[str, StreamEvents] = MappingProxyType(
    {
        GENERATIONS: StreamEvents("image_generation.partial_image", "image_generation.completed"),  # [spec]
        EDITS: StreamEvents("image_edit.partial_image", "image_edit.completed"),  # [spec]
    }
)

# [spec] the required fields, in the spec's order.
COMMON_FIELDS = ("type", "b64_json", "created_at", "size", "quality", "background", "output_format")
PARTIAL_FIELDS = (*COMMON_FIELDS, "partial_image_index")
COMPLETED_FIELDS = (*COMMON_FIELDS, "usage")
IMAGE_INDEX_FIELD = "output_index"  # ASSUMPTION (see above): only when n > 1
SAFETY_IDENTIFIER_FIELD = "safety_identifier"  # [sdk-py] completed events, when the request has one


def event(
    kind: str, *, b64_json: str, created_at: int, size: str, quality: str, background: str,
    output_format: str, partial_image_index: int | None = None, usage: Mapping[str, Any] | None = None,
    output_index: int | None = None, safety_identifier: str | None = None,
) -> dict[str, Any]:
    """One event's data: a partial event when ``partial_image_index`` is given, else a completed one
    (with the request's effective ``safety_identifier``, when it has one)."""
    body: dict[str, Any] = {
        "type": kind, "b64_json": b64_json, "created_at": created_at, "size": size, "quality": quality,
        "background": background, "output_format": output_format,
    }
    if partial_image_index is not None:
        body["partial_image_index"] = partial_image_index
    else:
        body["usage"] = dict(usage or {})
        if safety_identifier is not None:
            body[SAFETY_IDENTIFIER_FIELD] = safety_identifier
    if output_index is not None:
        body[IMAGE_INDEX_FIELD] = output_index
    return body


def frame(data: Mapping[str, Any]) -> bytes:
    """One event as it travels: ``event: <type>``, ``data: <json>``, a blank line [spec example]."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {data['type']}\ndata: {text}\n\n".encode()


def events_per_image(partial_images: int) -> int:
    return partial_images + 1


def parse(body: bytes) -> list[dict[str, Any]]:
    """The events of a whole stream, for tests and ``verify``: each ``data:`` line decoded, checked
    against its ``event:`` line. Raises ValueError on a malformed frame."""
    found: list[dict[str, Any]] = []
    for block in body.decode().split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.split("\n") if line)
        data = json.loads(fields["data"])
        if fields.get("event") != data.get("type"):
            raise ValueError(f"event {fields.get('event')!r} carries data of type {data.get('type')!r}")
        found.append(data)
    return found
