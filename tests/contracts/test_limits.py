"""contracts.limits: a JSON body nested deeper than MAX_JSON_DEPTH is refused as unparseable,
naming the depth; one at the limit is read as it always was. Bodies are nested by construction,
so the depth each test expects is known without measuring it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.errors import ApiError
from contracts.limits import MAX_JSON_DEPTH, json_depth, parse_json_body


def nested(depth: int, kinds: str = "l", leaf: object = "x") -> object:
    """``depth`` arrays and objects around ``leaf``, the i-th a list ('l') or a dict ('d') as
    ``kinds`` says (repeated)."""
    value = leaf
    for i in range(depth):
        value = [value] if kinds[i % len(kinds)] == "l" else {"k": value}
    return value


def refusal(raw: bytes) -> ApiError:
    with pytest.raises(ApiError) as caught:
        parse_json_body(raw)
    return caught.value


@pytest.mark.parametrize(("value", "depth"), [
    (1, 0), ("[[[", 0), ([], 1), ({}, 1), ({"a": []}, 2), ([1, [2, [3]], {}], 3), (nested(900), 900),
])
def test_json_depth(value: object, depth: int) -> None:
    assert json_depth(value) == depth


def test_the_limit_is_read_and_one_deeper_is_refused_naming_the_depth() -> None:
    at = {"prompt": "cat", "user": nested(MAX_JSON_DEPTH - 1, "ld")}
    assert parse_json_body(json.dumps(at).encode()) == at
    deeper = {"prompt": "cat", "user": nested(MAX_JSON_DEPTH, "ld")}
    refused = refusal(json.dumps(deeper).encode())
    assert refused.spec.key == "json_too_deep" and refused.status == 400
    body = refused.body()["error"]
    assert body["message"].startswith("We could not parse the JSON body of your request: ")
    assert f"deeper than {MAX_JSON_DEPTH} levels" in body["message"]
    # Refused as unparseable JSON: everything but the message is invalid_json's.
    plain = refusal(b"{bad").body()["error"]
    assert (body["type"], body["param"], body["code"]) == (plain["type"], plain["param"], plain["code"])


@pytest.mark.parametrize("raw", [
    json.dumps(nested(900)).encode(),  # Python's parser reads it: the depth is measured
    b"[" * 100_000,  # too deep for Python's parser (and unclosed): refused for its depth
    json.dumps(nested(200, "d")).encode("utf-16"),  # another encoding of the same rule
])
def test_far_deeper_bodies_are_refused_for_their_depth(raw: bytes) -> None:
    assert refusal(raw).spec.key == "json_too_deep"


def test_brackets_inside_strings_are_not_nesting() -> None:
    body = {"prompt": "[{" * 5000, "user": nested(MAX_JSON_DEPTH - 1)}
    assert parse_json_body(json.dumps(body).encode()) == body


def test_what_does_not_parse_is_still_invalid_json() -> None:
    for raw in (b"{bad", b"", b"\xff\xfe", b'{"prompt": "a"', b"[" * 10):
        assert refusal(raw).spec.key == "invalid_json"


@given(depth=st.integers(0, 2 * MAX_JSON_DEPTH), kinds=st.text("ld", min_size=1, max_size=5),
       leaf=st.one_of(st.integers(), st.text(max_size=20), st.none()))
def test_refused_exactly_when_deeper_than_the_limit(depth: int, kinds: str, leaf: object) -> None:
    raw = json.dumps(nested(depth, kinds, leaf)).encode()
    if depth > MAX_JSON_DEPTH:
        assert refusal(raw).spec.key == "json_too_deep"
    else:
        assert parse_json_body(raw) == json.loads(raw)
