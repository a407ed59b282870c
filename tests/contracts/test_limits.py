"""contracts.limits: a JSON body nested deeper than MAX_JSON_DEPTH is refused as unparseable,
naming the depth; one at the limit is read as it always was. Bodies are nested by construction,
so the depth each test expects is known without measuring it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.errors import ApiError
from contracts.limits import MAX_JSON_DEPTH, nests_deeper_than, parse_json_body


def nested(depth: int, kinds: str = "l", leaf: object = "x") -> object:
    """``depth`` arrays and objects around ``leaf``, the i-th a list ('l') or a dict ('d') as
    ``kinds`` says (repeated)."""
    value = leaf
    for i in range(depth):
        value = [value] if kinds[i % len(kinds)] == "l" else {"k": value}
    return value


def json_depth(value: object) -> int:
    """The oracle: how deep ``value``'s arrays and objects nest (a scalar 0, ``[]`` 1, ``{"a": []}``
    2), walked on the parsed value level by level."""
    depth, level = 0, [value]
    while containers := [item for item in level if isinstance(item, (list, dict))]:
        depth += 1
        level = [child for item in containers for child in (item.values() if isinstance(item, dict) else item)]
    return depth


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


# Strings that look like nesting: brackets, quotes, backslashes, escapes, and characters whose
# UTF-16 code units hold a bracket's byte (U+005B is '[', U+5B00 and U+7B00 hold 0x5B and 0x7B).
TRICKY_TEXT = st.text(st.sampled_from(list('[]{}"\\/,:x\u5b00\u7b00\u005d\U0001f600\n')), max_size=12)
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), TRICKY_TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TRICKY_TEXT, inner, max_size=3)),
    max_leaves=30)


@given(value=JSON_VALUES, limit=st.integers(0, 12), ascii_only=st.booleans(),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "utf-32"]))
def test_nesting_read_from_the_text_is_the_parsed_values(value: object, limit: int, ascii_only: bool,
                                                        encoding: str) -> None:
    raw = json.dumps(value, ensure_ascii=ascii_only).encode(encoding)
    assert nests_deeper_than(raw, limit) == (json_depth(value) > limit)
