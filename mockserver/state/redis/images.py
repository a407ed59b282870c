"""The image store and the live view's gallery in Redis, and the codec of their recipes.

A recipe is kept as JSON (bytes as ``{"$b64": ...}``, tuples as lists), never pickled: what a
Redis holds cannot run code in a fake that reads it.

Store: ``img`` (hash: id -> recipe), ``img:cost`` (hash: id -> bytes accounted), ``img:exp``
(sorted set: id by expiry), ``img:age`` (sorted set: id by when it was added), rendered images
in ``png`` (hash) ordered by last use in ``png:lru``; the bytes in use are ``sb`` of the state
hash. One script adds an answer's images and evicts as :class:`mockserver.state.store.ImageStore`
does (expired first, then the oldest renders, then the oldest images)
to stay within ``store_max_images`` and ``store_max_bytes``.

Gallery: ``gal`` (hash: id -> recipe of a ``b64_json`` image; a URL image's is the store's),
``gal:order``, ``gal:cost``, ``gb`` in the state hash.

An answer's writes are deferred to the end of its request, and sent with its journal entry in
one round trip (:meth:`mockserver.state.redis.state.SharedState.defer`).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import secrets
from typing import TYPE_CHECKING, Any

from contracts.media import media_type
from mockserver.render import Recipe, render
from mockserver.state.gallery import ENTRY_OVERHEAD as GALLERY_OVERHEAD
from mockserver.state.gallery import MAX_BYTES, MAX_IMAGES, Gallery, output_format
from mockserver.state.redis.connection import PREFIX
from mockserver.state.store import ENTRY_OVERHEAD, ImageStore, StoredImage

if TYPE_CHECKING:
    from mockserver.state.redis.state import SharedState

IMAGES, COSTS, EXPIRY = PREFIX + "img", PREFIX + "img:cost", PREFIX + "img:exp"
AGE = PREFIX + "img:age"
PNGS, PNG_ORDER, SERIAL = PREFIX + "png", PREFIX + "png:lru", PREFIX + "serial"
GALLERY, GALLERY_ORDER, GALLERY_COSTS = PREFIX + "gal", PREFIX + "gal:order", PREFIX + "gal:cost"
GALLERY_SERIAL = PREFIX + "gal:serial"

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


def decode_recipe(text: bytes | str) -> Recipe:
    values: dict[str, Any] = {}
    for name, value in json.loads(text).items():
        values[name] = tuple(_back(value)) if name in _TUPLES else _back(value)
    return Recipe(**values)


# Evict in the store (KEYS: img, cost, exp, png, png:lru, state, serial, age), as ImageStore._evict does.
_EVICT = """
local function drop(id)
  local cost = tonumber(redis.call('HGET', KEYS[2], id) or 0)
  local png = redis.call('HSTRLEN', KEYS[4], id)
  redis.call('HDEL', KEYS[1], id); redis.call('HDEL', KEYS[2], id); redis.call('ZREM', KEYS[3], id)
  redis.call('ZREM', KEYS[8], id)
  redis.call('HDEL', KEYS[4], id); redis.call('ZREM', KEYS[5], id)
  redis.call('HINCRBY', KEYS[6], 'sb', -(cost + png))
end
local function evict(now, max_images, max_bytes)
  if now then
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. now)) do drop(id) end
  end
  local used = tonumber(redis.call('HGET', KEYS[6], 'sb') or 0)
  while used > max_bytes do
    local oldest = redis.call('ZPOPMIN', KEYS[5])
    if #oldest == 0 then break end
    local size = redis.call('HSTRLEN', KEYS[4], oldest[1])
    redis.call('HDEL', KEYS[4], oldest[1])
    used = redis.call('HINCRBY', KEYS[6], 'sb', -size)
  end
  while redis.call('HLEN', KEYS[1]) > max_images or used > max_bytes do
    local oldest = redis.call('ZRANGE', KEYS[8], 0, 0)
    if #oldest == 0 then break end
    drop(oldest[1])
    used = tonumber(redis.call('HGET', KEYS[6], 'sb'))
  end
end
"""

# ARGV: now, max_images, max_bytes, then id, expires_at, cost, recipe per image.
_ADD = _EVICT + """
for i = 4, #ARGV, 4 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 3])
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
  redis.call('ZADD', KEYS[3], ARGV[i + 1], ARGV[i])
  redis.call('ZADD', KEYS[8], redis.call('INCR', KEYS[7]), ARGV[i])
  redis.call('HINCRBY', KEYS[6], 'sb', ARGV[i + 2])
end
evict(ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
return 1
"""

# ARGV: id. Returns {png or false, recipe or false, expires_at}; a hit moves the render to the newest.
_GET = """
local png = redis.call('HGET', KEYS[4], ARGV[1])
if png then redis.call('ZADD', KEYS[5], redis.call('INCR', KEYS[7]), ARGV[1]) return {png, false, false} end
return {false, redis.call('HGET', KEYS[1], ARGV[1]), redis.call('ZSCORE', KEYS[3], ARGV[1])}
"""

# ARGV: id, png, max_images, max_bytes.
_PUT = _EVICT + """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 and redis.call('HEXISTS', KEYS[4], ARGV[1]) == 0 then
  redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
  redis.call('ZADD', KEYS[5], redis.call('INCR', KEYS[7]), ARGV[1])
  redis.call('HINCRBY', KEYS[6], 'sb', string.len(ARGV[2]))
  evict(false, tonumber(ARGV[3]), tonumber(ARGV[4]))
end
return 1
"""


class SharedImageStore(ImageStore):
    """The :class:`mockserver.state.store.ImageStore` interface, on Redis."""

    def __init__(self, state: SharedState, *, max_images: int, max_bytes: int) -> None:
        from mockserver.state.redis.state import STATE

        super().__init__(max_images=max_images, max_bytes=max_bytes)
        self._state = state
        self._client = client = state.client
        self._keys = [IMAGES, COSTS, EXPIRY, PNGS, PNG_ORDER, STATE, SERIAL, AGE]
        self._add = client.register_script(_ADD)
        self._get = client.register_script(_GET)
        self._put = client.register_script(_PUT)

    def add(self, image_id: str, recipe: Recipe, *, expires_at: float, now: float) -> None:
        self.add_many([(image_id, recipe, expires_at)], now=now)

    def add_many(self, images: list[tuple[str, Recipe, float]], *, now: float) -> None:
        """Store an answer's images, with the request's other writes (:meth:`SharedState.defer`)."""
        args: list[Any] = [repr(float(now)), self.max_images, self.max_bytes]
        for image_id, recipe, expires_at in images:
            inputs = len(recipe.image or b"") + len(recipe.mask or b"")
            args += [image_id, repr(float(expires_at)), -(-inputs // recipe.n) + ENTRY_OVERHEAD,
                     encode_recipe(recipe)]
        self._state.defer(self._add, self._keys, args)

    def get(self, image_id: str) -> StoredImage | None:
        recipe, expires_at, cost = self._client.pipeline(transaction=False).hget(IMAGES, image_id).zscore(
            EXPIRY, image_id).hget(COSTS, image_id).execute()
        if recipe is None:
            return None
        return StoredImage(decode_recipe(recipe), float(expires_at or 0), int(cost or 0))

    def png(self, image_id: str) -> bytes | None:
        # On the request path's own connection (FastPath): through the client's Script call,
        # a URL fetch cost 1.76x the in-memory fetch's CPU (bench/bench_shared.py).
        cached, recipe, _ = self._state.fast.scripts([(self._get, self._keys, [image_id])])[0]
        if cached:
            return bytes(cached)
        if not recipe:
            return None
        data = render(decode_recipe(recipe))
        self._put(keys=self._keys, args=[image_id, data, self.max_images, self.max_bytes])
        return data

    def recipe(self, image_id: str) -> Recipe | None:
        text = self._client.hget(IMAGES, image_id)
        return decode_recipe(text) if text is not None else None

    def clear(self) -> None:
        raise NotImplementedError("a shared store is cleared by SharedState.reset")

    def __len__(self) -> int:
        return int(self._client.hlen(IMAGES))

    @property
    def bytes_used(self) -> int:
        from mockserver.state.redis.state import STATE

        return int(self._client.hget(STATE, "sb") or 0)


# KEYS: gal, gal:order, gal:cost, state, gal:serial. ARGV: max_images, max_bytes, then per image:
# id, cost, recipe.
_GALLERY_ADD = """
for i = 3, #ARGV, 3 do
  local id = ARGV[i]
  local old = tonumber(redis.call('HGET', KEYS[3], id) or 0)
  redis.call('HSET', KEYS[1], id, ARGV[i + 2])
  redis.call('HSET', KEYS[3], id, ARGV[i + 1])
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[5] .. ':order'), id)
  redis.call('HINCRBY', KEYS[4], 'gb', ARGV[i + 1] - old)
end
local max_images, max_bytes = tonumber(ARGV[1]), tonumber(ARGV[2])
while redis.call('ZCARD', KEYS[2]) > max_images or tonumber(redis.call('HGET', KEYS[4], 'gb')) > max_bytes do
  local oldest = redis.call('ZPOPMIN', KEYS[2])
  if #oldest == 0 then break end
  redis.call('HINCRBY', KEYS[4], 'gb', -tonumber(redis.call('HGET', KEYS[3], oldest[1]) or 0))
  redis.call('HDEL', KEYS[1], oldest[1]); redis.call('HDEL', KEYS[3], oldest[1])
end
return 1
"""


class SharedGallery(Gallery):
    """The :class:`mockserver.state.gallery.Gallery` interface, on Redis. A URL image is not copied:
    the live view shows the store's recipe. ASSUMPTION: once the store has forgotten it (expired
    and evicted, or past the store's bounds), the live view says it is no longer kept. A
    ``b64_json`` image's id is ``b64-`` and 16 random hex digits (not a serial: no round trip
    to number it), never reused either."""

    def __init__(self, state: SharedState, *, max_images: int = MAX_IMAGES, max_bytes: int = MAX_BYTES) -> None:
        from mockserver.state.redis.state import STATE

        super().__init__(max_images=max_images, max_bytes=max_bytes)
        self._state = state
        self._client = client = state.client
        self._keys = [GALLERY, GALLERY_ORDER, GALLERY_COSTS, STATE, GALLERY_SERIAL]
        self._add = client.register_script(_GALLERY_ADD)

    def add(self, recipe: Recipe, *, image_id: str | None = None, expires_at: float | None = None) -> dict[str, Any]:
        return self.add_many([(recipe, image_id, expires_at)])[0]

    def add_many(self, images: list[tuple[Recipe, str | None, float | None]]) -> list[dict[str, Any]]:
        """Keep an answer's ``b64_json`` images, with the request's other writes
        (:meth:`SharedState.defer`); the references of all its images, in order."""
        args: list[Any] = [self.max_images, self.max_bytes]
        refs = []
        for recipe, image_id, expires_at in images:
            if image_id is None:
                image_id = "b64-" + secrets.token_hex(8)
                inputs = len(recipe.image or b"") + len(recipe.mask or b"") + len(recipe.prompt or "")
                inputs += sum(len(extra) for extra in recipe.extra_images)
                args += [image_id, -(-inputs // recipe.n) + GALLERY_OVERHEAD, encode_recipe(recipe)]
            refs.append({"id": image_id, "response_format": "b64_json" if expires_at is None else "url",
                         "format": output_format(recipe), "model": recipe.model, "width": recipe.width,
                         "height": recipe.height, "expires_at": expires_at})
        if len(args) > 2:
            self._state.defer(self._add, self._keys, args)
        return refs

    def image(self, image_id: str) -> tuple[bytes, str] | None:
        text = self._client.hget(GALLERY, image_id)
        if text is None:  # a URL image: the store's recipe
            text = self._client.hget(IMAGES, image_id)
        if text is None:
            return None
        recipe = decode_recipe(text)
        return render(recipe), media_type(output_format(recipe))

    def clear(self) -> None:
        raise NotImplementedError("a shared gallery is cleared by SharedState.reset")

    def __len__(self) -> int:
        return int(self._client.hlen(GALLERY))

    @property
    def bytes_used(self) -> int:
        from mockserver.state.redis.state import STATE

        return int(self._client.hget(STATE, "gb") or 0)
