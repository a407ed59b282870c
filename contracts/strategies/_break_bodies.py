"""Breakers of the body rules: the key, the JSON, the size of the body, the multipart form."""

from __future__ import annotations

import json
import string
from dataclasses import replace

from hypothesis import strategies as st

from contracts.limits import MAX_FORM_FIELD_BYTES, MAX_FORM_PARTS, MAX_REQUEST_BYTES
from contracts.models import EDITS, GENERATIONS, VARIATIONS
from contracts.spec import ENDPOINTS
from contracts.strategies._bounds import Limits
from contracts.strategies._breakers import base_params, breaks, json_values
from contracts.strategies._case import JSON_CONTENT_TYPE, Case, CaseStrategy, refusal
from contracts.strategies._valid import valid_case

_AUTHORIZATIONS = (None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "sk-no-scheme")


@breaks("missing_api_key", GENERATIONS, EDITS, VARIATIONS)
def _no_key(limits: Limits, endpoint: str) -> CaseStrategy:
    @st.composite
    def case(draw: st.DrawFn) -> Case:
        valid = draw(valid_case(limits, endpoint))
        header = draw(st.sampled_from(_AUTHORIZATIONS))
        label = "no Authorization header" if header is None else f"Authorization {header!r}"
        return replace(valid, expect=refusal("missing_api_key"), authorization=header, label=label)

    return case()


@breaks("invalid_json", GENERATIONS)
def _invalid_json(limits: Limits, endpoint: str) -> CaseStrategy:
    @st.composite
    def case(draw: st.DrawFn) -> Case:
        body, _ = draw(base_params(limits, endpoint))
        way = draw(st.sampled_from(["truncated", "not an object", "lone surrogate"]))
        if way == "truncated":
            text = json.dumps(body).encode()
            raw = text[: draw(st.integers(0, len(text) - 1))]  # an object's strict prefix is never JSON
            label = "truncated JSON"
        elif way == "lone surrogate":
            # "\ud800".."\udfff" alone: JSON's grammar admits the escape, but no Unicode text holds it.
            surrogate = chr(draw(st.integers(0xD800, 0xDFFF)))
            key = draw(st.sampled_from(sorted(body)))
            where = draw(st.sampled_from(["value", "key"])) if isinstance(body[key], str) else "key"
            extra = {key: body[key] + surrogate} if where == "value" else {"x" + surrogate: "1"}
            body = {**body, **extra}
            raw, label = json.dumps(body).encode(), f"a lone surrogate in a {where}"
        else:
            value = draw(json_values().filter(lambda v: not isinstance(v, dict)))
            raw, label = json.dumps(value).encode(), "JSON that is not an object"
        return Case(endpoint, refusal("invalid_json"), "raw", ENDPOINTS[endpoint].path, raw=raw,
                    content_type=JSON_CONTENT_TYPE, label=label)

    return case()


@breaks("body_too_large", GENERATIONS)
def _too_large(limits: Limits, endpoint: str) -> CaseStrategy:
    @st.composite
    def case(draw: st.DrawFn) -> Case:
        body, _ = draw(base_params(limits, endpoint))
        text = json.dumps(body).encode()
        length = draw(st.integers(MAX_REQUEST_BYTES + 1, MAX_REQUEST_BYTES + 4096))
        raw = text + b" " * (length - len(text))  # trailing whitespace: still a valid JSON object
        expect = refusal("body_too_large", max_bytes=MAX_REQUEST_BYTES, length=length)
        return Case(endpoint, expect, "raw", ENDPOINTS[endpoint].path, raw=raw,
                    content_type=JSON_CONTENT_TYPE, label="body over the request limit")

    return case()


@breaks("not_multipart", EDITS, VARIATIONS)
def _not_multipart(limits: Limits, endpoint: str) -> CaseStrategy:
    @st.composite
    def case(draw: st.DrawFn) -> Case:
        params, _ = draw(base_params(limits, endpoint))
        types = ["text/plain", "application/x-www-form-urlencoded", "application/octet-stream"]
        if endpoint != EDITS:  # [spec] a JSON body to edits is a JSON edit (EditImageBodyJsonParam), judged as one
            types.insert(0, JSON_CONTENT_TYPE)
        content_type = draw(st.sampled_from(types))
        raw = json.dumps(params).encode()
        return Case(endpoint, refusal("not_multipart", content_type=content_type), "raw",
                    ENDPOINTS[endpoint].path, raw=raw, content_type=content_type,
                    label=f"a {content_type} body")

    return case()


_BOUNDARY = st.text(string.ascii_letters + string.digits, min_size=1, max_size=24)


def _text_parts(boundary: str, parts: list[tuple[str, bytes]]) -> bytes:
    out = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
        for name, value in parts
    )
    return out + f"--{boundary}--\r\n".encode()


@breaks("too_many_parts", EDITS, VARIATIONS)
def _too_many_parts(limits: Limits, endpoint: str) -> CaseStrategy:
    @st.composite
    def case(draw: st.DrawFn) -> Case:
        boundary = draw(_BOUNDARY)
        count = draw(st.integers(MAX_FORM_PARTS + 1, MAX_FORM_PARTS + 40))
        raw = _text_parts(boundary, [("prompt", b"a cat")] + [(f"x{i}", b"1") for i in range(count - 1)])
        return Case(endpoint, refusal("too_many_parts", max_parts=MAX_FORM_PARTS), "raw", ENDPOINTS[endpoint].path,
                    raw=raw, content_type=f"multipart/form-data; boundary={boundary}",
                    label=f"multipart: {count} parts")

    return case()


@breaks("form_field_too_large", EDITS, VARIATIONS)
def _form_field_too_large(limits: Limits, endpoint: str) -> CaseStrategy:
    @st.composite
    def case(draw: st.DrawFn) -> Case:
        boundary = draw(_BOUNDARY)
        size = draw(st.integers(MAX_FORM_FIELD_BYTES + 1, MAX_FORM_FIELD_BYTES + 4096))
        name = draw(st.sampled_from(["prompt", "size", "user"]))
        raw = _text_parts(boundary, [(name, b"a" * size)])
        return Case(endpoint, refusal("form_field_too_large", max_bytes=MAX_FORM_FIELD_BYTES), "raw",
                    ENDPOINTS[endpoint].path, raw=raw, content_type=f"multipart/form-data; boundary={boundary}",
                    label=f"multipart: a {size}-byte text field")

    return case()


@breaks("invalid_multipart", EDITS, VARIATIONS)
def _broken_multipart(limits: Limits, endpoint: str) -> CaseStrategy:
    @st.composite
    def case(draw: st.DrawFn) -> Case:
        boundary = draw(_BOUNDARY)
        kind = draw(st.sampled_from(["junk", "never closed", "headers never end", "no boundary"]))
        if kind == "junk":
            raw = draw(st.binary(min_size=1, max_size=200).filter(lambda b: b"--" not in b))
        elif kind == "never closed":
            raw = f'--{boundary}\r\nContent-Disposition: form-data; name="n"\r\n\r\n1'.encode()
        else:
            raw = f"--{boundary}\r\nno headers end here".encode()
        content_type = "multipart/form-data" if kind == "no boundary" else f"multipart/form-data; boundary={boundary}"
        return Case(endpoint, refusal("invalid_multipart"), "raw", ENDPOINTS[endpoint].path, raw=raw,
                    content_type=content_type, label=f"multipart: {kind}")

    return case()


