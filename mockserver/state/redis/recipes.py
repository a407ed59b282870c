"""The recipes of stored and kept images, as the JSON text a shared state holds.

A recipe is kept as JSON (bytes as ``{"$b64": ...}``, tuples as lists), never pickled: what a
Redis holds cannot run code in a fake that reads it.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

from mockserver.render import Recipe
from mockserver.state.redis.connection import Link

_TUPLES = {f.name for f in dataclasses.fields(Recipe) if isinstance(f.default, tuple)}
_NAMES = tuple(f.name for f in dataclasses.fields(Recipe))
_JSON = json.JSONEncoder(separators=(",", ":"))  # ensure_ascii: lone surrogates travel escaped


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _back(value: Any) -> Any:
    if isinstance(value, dict):
        return base64.b64decode(value["$b64"])
    if isinstance(value, list):
        return [_back(v) for v in value]
    return value


def encode_recipe(recipe: Recipe) -> str:
    """A recipe as JSON text (lone surrogates travel escaped)."""
    fields = {}
    for name in _NAMES:
        value = getattr(recipe, name)
        fields[name] = _plain(value) if isinstance(value, (bytes, tuple)) else value
    return _JSON.encode(fields)


_KNOWN = frozenset(_NAMES)


def decode_recipe(text: bytes | str) -> Recipe:
    """The recipe in ``text``. Fields this fake does not know (a newer fake's) are ignored;
    ValueError when the text is no recipe (malformed, or a field missing or of the wrong kind)."""
    try:
        found = json.loads(text)
        if not isinstance(found, dict):
            raise ValueError(f"JSON {type(found).__name__}, not an object")
        values: dict[str, Any] = {}
        for name, value in found.items():
            if name in _KNOWN:
                values[name] = tuple(_back(value)) if name in _TUPLES else _back(value)
        return Recipe(**values)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # (binascii.Error is a ValueError)
        raise ValueError(f"not a recipe: {exc}") from None


def read_recipe(link: Link, text: bytes | str, key: str, image_id: str) -> Recipe | None:
    """The recipe kept at ``key`` for ``image_id``; None (the image is not there, reported once)
    when it is no recipe this fake can read."""
    try:
        return decode_recipe(text)
    except ValueError as exc:
        link.report(f"the image {image_id!r} at key {key} holds {exc} (answered as an image that is not there)")
        return None
