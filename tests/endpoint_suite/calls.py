"""Cases through the reference client: which cases it can express, and what it must raise.

The client sends only what its signature allows (strings, an integer ``n``, one image and
one mask), so a case with an unknown field, a wrong type, a repeated part or a raw body is
sent raw instead. A JSON null is the same request as an absent field (the API applies the
default to both), so it is left out.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

from client import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ImagesClient,
    ImagesResult,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    Picture,
    RateLimitError,
)
from contracts.models import EDITS, GENERATIONS, VARIATIONS
from contracts.strategies import DEFAULT_AUTHORIZATION, Case, Part, Refusal

ClientCall = Callable[[ImagesClient], ImagesResult]
PictureForm = Callable[[Part], Picture]
_TEXT_PARAMETERS = ("model", "size", "response_format", "user", "quality", "style", "background", "output_format",
                    "moderation", "input_fidelity", "safety_identifier")
_INTEGER_PARAMETERS = ("n", "output_compression", "frame_count", "frame_duration_ms")
# The keyword arguments each of the client's methods takes.
_KEYWORDS = {
    endpoint: set(inspect.signature(method).parameters)
    for endpoint, method in ((GENERATIONS, ImagesClient.generate), (EDITS, ImagesClient.edit),
                             (VARIATIONS, ImagesClient.create_variation))
}
_CANONICAL_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")
# The class the client raises for an error status, as its exception tree documents.
_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def error_class(status: int) -> type[APIStatusError]:
    if status >= 500:
        return InternalServerError
    return _CLASSES.get(status, APIStatusError)


def _as_bytes(part: Part) -> Picture:
    return part.data


def client_call(case: Case, picture: PictureForm = _as_bytes) -> ClientCall | None:
    """The client call that sends ``case``, or None when the client cannot express it."""
    if case.authorization != DEFAULT_AUTHORIZATION or case.method != "POST" or case.endpoint is None:
        return None
    params: dict[str, Any]
    if case.kind == "json" and case.json is not None:
        if isinstance(case.expect, Refusal) and case.expect.param and case.json.get(case.expect.param, 0) is None:
            return None  # a null the error is about: the client never sends one
        params = {k: v for k, v in case.json.items()
                  if not (v is None and k in (*_INTEGER_PARAMETERS, *_TEXT_PARAMETERS))}
    elif case.kind == "multipart":
        names = [name for name, _ in case.fields]
        if len(set(names)) != len(names):
            return None
        params = dict(case.fields)
        for name in _INTEGER_PARAMETERS:
            if name in params:
                if not _CANONICAL_INTEGER.fullmatch(params[name]):
                    return None
                params[name] = int(params[name])
    else:
        return None
    prompt = params.pop("prompt", None)
    if (case.endpoint == VARIATIONS) != (prompt is None) or (prompt is not None and not isinstance(prompt, str)):
        return None
    if set(params) - {*_INTEGER_PARAMETERS, *_TEXT_PARAMETERS} or set(params) - _KEYWORDS[case.endpoint]:
        return None
    if any(not isinstance(params.get(name, ""), str) for name in _TEXT_PARAMETERS):
        return None
    if any(isinstance(params.get(name, 0), bool) or not isinstance(params.get(name, 0), int)
           for name in _INTEGER_PARAMETERS):
        return None
    if case.endpoint == GENERATIONS:
        assert prompt is not None
        return lambda images: images.generate(prompt, **params)
    arrays = [part for part in case.files if part.field == "image[]"]
    if arrays and case.endpoint == EDITS and prompt is not None and len(arrays) + sum(
            part.field == "mask" for part in case.files) == len(case.files) <= len(arrays) + 1:
        many = [picture(part) for part in arrays]  # several images: the client sends them as image[]
        masks = [part for part in case.files if part.field == "mask"]
        mask_of = picture(masks[0]) if masks else None
        text = prompt
        return lambda images: images.edit(many, prompt=text, mask=mask_of, **params)
    uploads = {part.field: part for part in case.files}
    if len(uploads) != len(case.files) or set(uploads) - {"image", "mask"} or "image" not in uploads:
        return None
    image = uploads["image"]
    mask = uploads.get("mask")
    if case.endpoint == EDITS:
        assert prompt is not None
        return lambda images: images.edit(picture(image), prompt=prompt,
                                          mask=picture(mask) if mask is not None else None, **params)
    if mask is not None:
        return None
    return lambda images: images.create_variation(picture(image), **params)


def assert_raised_as(exc: APIStatusError, expect: Refusal, era_body: dict[str, Any]) -> None:
    """The client's exception carries the refusal: its class for the status, and every field."""
    error = era_body["error"]
    assert type(exc) is error_class(expect.status), f"{type(exc).__name__} for a {expect.status}"
    assert (exc.status, exc.type, exc.code, exc.param, exc.message) == (
        expect.status, error["type"], error["code"], error["param"], error["message"]
    )
