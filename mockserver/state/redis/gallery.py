"""The live view's gallery of a shared state.

Keys: ``gal`` (hash: id -> recipe), ``gal:order`` (sorted set: id by when it was kept),
``gal:cost`` (hash: id -> bytes accounted), ``gb`` in the state hash; ``gal:serial:order``
numbers the order. A URL image's recipe is kept here too (a copy of the store's), so it
outlives its URL as it does in memory. An answer's images are written with the request's
other writes, as it ends.
"""

from __future__ import annotations

import secrets
from typing import Any

from contracts.media import media_type
from mockserver.render import Recipe, render
from mockserver.state.gallery import B64_PREFIX, MAX_BYTES, MAX_IMAGES, kept_cost, output_format, reference
from mockserver.state.redis.connection import PREFIX, STATE, Link
from mockserver.state.redis.recipes import encode_recipe, read_recipe

GALLERY, GALLERY_ORDER, GALLERY_COSTS = PREFIX + "gal", PREFIX + "gal:order", PREFIX + "gal:cost"
GALLERY_SERIAL = PREFIX + "gal:serial"
_KEYS = [GALLERY, GALLERY_ORDER, GALLERY_COSTS, STATE, GALLERY_SERIAL]

# KEYS: gal, gal:order, gal:cost, state, gal:serial. ARGV: max_images, max_bytes, then per image:
# id, cost, recipe.
_ADD = """
local gb = 0
for i = 3, #ARGV, 3 do
  local id = ARGV[i]
  local old = tonumber(redis.call('HGET', KEYS[3], id) or 0)
  redis.call('HSET', KEYS[1], id, ARGV[i + 2])
  redis.call('HSET', KEYS[3], id, ARGV[i + 1])
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[5] .. ':order'), id)
  gb = redis.call('HINCRBY', KEYS[4], 'gb', ARGV[i + 1] - old)
end
local count, max_images, max_bytes = redis.call('ZCARD', KEYS[2]), tonumber(ARGV[1]), tonumber(ARGV[2])
while count > max_images or gb > max_bytes do
  local oldest = redis.call('ZPOPMIN', KEYS[2])
  if #oldest == 0 then break end
  count = count - 1
  gb = redis.call('HINCRBY', KEYS[4], 'gb', -tonumber(redis.call('HGET', KEYS[3], oldest[1]) or 0))
  redis.call('HDEL', KEYS[1], oldest[1]); redis.call('HDEL', KEYS[3], oldest[1])
end
return 1
"""

_CLEAR = """
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('HSET', KEYS[4], 'gb', 0)
return 1
"""


class RedisGallery:
    """The :class:`mockserver.state.gallery.Gallery` of a shared state. A ``b64_json`` image's
    id is ``b64-`` and 16 random hex digits (not a serial: no round trip to number it), never
    reused either."""

    def __init__(self, link: Link, *, max_images: int = MAX_IMAGES, max_bytes: int = MAX_BYTES) -> None:
        self.max_images = max_images
        self.max_bytes = max_bytes
        self._link = link
        self._client = link.client
        self._add, self._clear = link.script(_ADD), link.script(_CLEAR)

    def add(self, recipe: Recipe, *, image_id: str | None = None, expires_at: float | None = None
            ) -> dict[str, Any]:
        return self.add_many([(recipe, image_id, expires_at)])[0]

    def add_many(self, images: list[tuple[Recipe, str | None, float | None]]) -> list[dict[str, Any]]:
        args: list[Any] = [self.max_images, self.max_bytes]
        refs = []
        for recipe, image_id, expires_at in images:
            if image_id is None:
                image_id = B64_PREFIX + secrets.token_hex(8)
            args += [image_id, kept_cost(recipe), encode_recipe(recipe)]
            refs.append(reference(recipe, image_id, expires_at))
        if images:
            self._link.defer(self._add, _KEYS, args)
        return refs

    def image(self, image_id: str) -> tuple[bytes, str] | None:
        text = self._client.hget(GALLERY, image_id)
        if text is None:
            return None
        recipe = read_recipe(self._link, text, GALLERY, image_id)
        if recipe is None:
            return None
        return render(recipe), media_type(output_format(recipe))

    def clear(self) -> None:
        self._link.write(self._clear, _KEYS, [])

    def __len__(self) -> int:
        return int(self._client.hlen(GALLERY))

    @property
    def bytes_used(self) -> int:
        return int(self._client.hget(STATE, "gb") or 0)
