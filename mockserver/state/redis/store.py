"""The image store of a shared state.

Keys: ``img`` (hash: id -> recipe), ``img:cost`` (hash: id -> bytes accounted), ``img:exp``
(sorted set: id by expiry), ``img:age`` (sorted set: id by when it was added), rendered images
in ``png`` (hash) ordered by last use in ``png:lru``; the bytes in use are ``sb`` of the state
hash. One script adds an answer's images and evicts as the interface says (expired first,
then the least recently used renders, then the oldest images) to stay within the bounds.
An answer's images are written with the request's other writes, as it ends.
"""

from __future__ import annotations

from typing import Any

from mockserver.render import Recipe, render
from mockserver.state.redis.connection import PREFIX, STATE, Link
from mockserver.state.redis.recipes import encode_recipe, read_recipe
from mockserver.state.store import StoredImage, entry_cost

IMAGES, COSTS, EXPIRY = PREFIX + "img", PREFIX + "img:cost", PREFIX + "img:exp"
AGE = PREFIX + "img:age"
PNGS, PNG_ORDER, SERIAL = PREFIX + "png", PREFIX + "png:lru", PREFIX + "serial"
_KEYS = [IMAGES, COSTS, EXPIRY, PNGS, PNG_ORDER, STATE, SERIAL, AGE]

# Evict (KEYS: img, cost, exp, png, png:lru, state, serial, age).
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
    -- the expired, oldest first, up to the oldest still valid (valid in its last second)
    while true do
      local oldest = redis.call('ZRANGE', KEYS[8], 0, 0)
      if #oldest == 0 then break end
      local expires = tonumber(redis.call('ZSCORE', KEYS[3], oldest[1]))
      if expires == nil or expires >= now then break end
      drop(oldest[1])
    end
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
evict(tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
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

_CLEAR = """
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[8])
redis.call('HSET', KEYS[6], 'sb', 0)
return 1
"""


class RedisImageStore:
    """The :class:`mockserver.state.store.ImageStore` of a shared state."""

    def __init__(self, link: Link, *, max_images: int, max_bytes: int) -> None:
        self.max_images = max_images
        self.max_bytes = max_bytes
        self._link = link
        self._client = link.client
        self._add, self._get = link.script(_ADD), link.script(_GET)
        self._put, self._clear = link.script(_PUT), link.script(_CLEAR)

    def add_many(self, images: list[tuple[str, Recipe, float]], *, now: float) -> None:
        args: list[Any] = [repr(float(now)), self.max_images, self.max_bytes]
        for image_id, recipe, expires_at in images:
            args += [image_id, repr(float(expires_at)), entry_cost(recipe), encode_recipe(recipe)]
        self._link.defer(self._add, _KEYS, args)

    def get(self, image_id: str) -> StoredImage | None:
        recipe, expires_at, cost = self._client.pipeline(transaction=False).hget(IMAGES, image_id).zscore(
            EXPIRY, image_id).hget(COSTS, image_id).execute()
        if recipe is None:
            return None
        found = read_recipe(self._link, recipe, IMAGES, image_id)
        if found is None:
            return None
        return StoredImage(found, float(expires_at or 0), int(cost) if cost and cost.isdigit() else 0)

    def png(self, image_id: str) -> bytes | None:
        # On the request path's own connection (FastPath): through the client's Script call,
        # a URL fetch cost 1.76x the in-memory fetch's CPU (bench/bench_shared.py).
        cached, recipe, _ = self._link.fast.scripts([(self._get, _KEYS, [image_id])])[0]
        if cached:
            return bytes(cached)
        if not recipe:
            return None
        found = read_recipe(self._link, recipe, IMAGES, image_id)
        if found is None:
            return None
        data = render(found)
        self._put(keys=_KEYS, args=[image_id, data, self.max_images, self.max_bytes])
        return data

    def clear(self) -> None:
        self._link.write(self._clear, _KEYS, [])

    def __len__(self) -> int:
        return int(self._client.hlen(IMAGES))

    @property
    def bytes_used(self) -> int:
        return int(self._client.hget(STATE, "sb") or 0)
