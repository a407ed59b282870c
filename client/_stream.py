"""Streamed answers (``stream=True``): server-sent events read as they arrive, as typed events.

The fields are named as the official SDK names them ([sdk-py] ``types/image_gen_partial_image_event.py``,
``image_gen_completed_event.py`` and the ``image_edit_*`` twins). Each event's ``b64_json`` decodes
through :class:`ImageData` (``event.image.decode()``); fields this client does not name (e.g.
``output_index`` when ``n`` > 1) stay in ``raw``.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import requests
import urllib3.exceptions

from client._errors import APIConnectionError, APIResponseValidationError, APITimeoutError
from client._results import DecodedImage, ImageData, Usage, _usage
from contracts.headers import REQUEST_ID
from contracts.shapes import readable_usage_problems

PARTIAL_TYPES = frozenset({"image_generation.partial_image", "image_edit.partial_image"})
COMPLETED_TYPES = frozenset({"image_generation.completed", "image_edit.completed"})
_COMMON = ("b64_json", "created_at", "size", "quality", "background", "output_format")


@dataclass(frozen=True)
class _Event:
    type: str
    b64_json: str
    created_at: int
    size: str
    quality: str
    background: str
    output_format: str
    raw: Mapping[str, Any] = field(default_factory=dict, kw_only=True, repr=False, compare=False)

    @property
    def output_index(self) -> int:
        """Which image of the request this event belongs to (0 unless ``n`` > 1)."""
        value = self.raw.get("output_index", 0)
        return value if isinstance(value, int) else 0

    @property
    def image(self) -> ImageData:
        """The event's image, as the client's image type (``size`` "auto" is not checked)."""
        return ImageData(b64_json=self.b64_json, size=self.size, output_format=self.output_format)

    def decode(self) -> DecodedImage:
        """The event's image, decoded and checked to be whole, in its format and size."""
        return self.image.decode()


@dataclass(frozen=True)
class PartialImageEvent(_Event):
    """``image_generation.partial_image`` / ``image_edit.partial_image``: a coarser render of the
    image to come; ``partial_image_index`` counts from 0."""

    partial_image_index: int = field(default=0, kw_only=True)


@dataclass(frozen=True)
class CompletedEvent(_Event):
    """``image_generation.completed`` / ``image_edit.completed``: the final image and the token usage."""

    usage: Usage | None = field(default=None, kw_only=True)


ImageEvent = PartialImageEvent | CompletedEvent


def parse_event(data: Mapping[str, Any]) -> ImageEvent:
    """One event's JSON as its typed event; raises ValueError when it is not one."""
    kind = data.get("type")
    if kind not in PARTIAL_TYPES and kind not in COMPLETED_TYPES:
        raise ValueError(f"unknown event type {kind!r}")
    missing = [name for name in _COMMON if name not in data]
    if missing:
        raise ValueError(f"{kind} event lacks {', '.join(missing)}")
    common = {name: data[name] for name in _COMMON}
    if kind in PARTIAL_TYPES:
        index = data.get("partial_image_index")
        if not isinstance(index, int) or isinstance(index, bool):
            raise ValueError(f"{kind} event has partial_image_index {index!r}")
        return PartialImageEvent(str(kind), **common, partial_image_index=index, raw=dict(data))
    usage = data.get("usage")
    if usage is not None and readable_usage_problems(usage):
        raise ValueError(f"{kind} event has bad usage: {'; '.join(readable_usage_problems(usage))}")
    return CompletedEvent(str(kind), **common, usage=_usage(usage) if usage is not None else None, raw=dict(data))


def sse_messages(lines: Iterator[str]) -> Iterator[tuple[str | None, str]]:
    """(event name, data) per server-sent event: ``data:`` lines joined by newlines, comments
    skipped, dispatched at each blank line (the WHATWG rules, less ``id``/``retry``)."""
    name: str | None = None
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield name, "\n".join(data)
            name, data = None, []
            continue
        if line.startswith(":"):
            continue
        key, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if key == "event":
            name = value
        elif key == "data":
            data.append(value)
    if data:
        yield name, "\n".join(data)


class ImageStream:
    """The events of a streamed answer, read as they arrive: iterate it once. Closing it (or
    leaving a ``with`` block, or abandoning the iteration) closes the connection.

    A connection cut after the answer began raises :class:`APIConnectionError` (not retried:
    the retries only apply to opening the stream)."""

    def __init__(self, response: requests.Response, *, url: str) -> None:
        self.response = response
        self.url = url
        self.request_id = response.headers.get(REQUEST_ID)
        self._events = self._read()

    def __iter__(self) -> Iterator[ImageEvent]:
        return self._events

    def __next__(self) -> ImageEvent:
        return next(self._events)

    def _read(self) -> Generator[ImageEvent, None, None]:
        try:
            lines = self.response.iter_lines(chunk_size=None, decode_unicode=False)
            for name, text in sse_messages(line.decode("utf-8") for line in lines):
                try:
                    data = json.loads(text)
                    if not isinstance(data, dict):
                        raise ValueError("the data is not a JSON object")
                    if name is not None and data.get("type") != name:
                        raise ValueError(f"event {name!r} carries data of type {data.get('type')!r}")
                    event = parse_event(data)
                except ValueError as exc:
                    raise APIResponseValidationError(
                        f"a streamed event is not an image event ({exc}): {text[:200]!r}",
                        status=self.response.status_code, body=text, headers=self.response.headers,
                    ) from exc
                yield event
        except (requests.Timeout, urllib3.exceptions.ReadTimeoutError) as exc:
            raise APITimeoutError(f"Stream timed out: POST {self.url}", url=self.url) from exc
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise APIConnectionError(f"Connection error: the stream of POST {self.url} was cut: {exc}",
                                     url=self.url) from exc
        finally:
            self.response.close()

    def close(self) -> None:
        """Stop reading and close the connection."""
        self._events.close()
        self.response.close()

    def __enter__(self) -> ImageStream:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ImageStream(POST {self.url}, request_id={self.request_id!r})"
