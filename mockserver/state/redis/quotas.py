"""The quota ledger of a shared state: checked and spent in one Lua script per request.

Each ledger key (api key, quota family) has a sorted set of its grants (score: the time,
member: ``<serial, zero-padded>:<images>:<images granted to the key so far>``), trimmed to
the history the interface keeps (:data:`mockserver.state.quotas.MIN_HISTORY`, or the longest
window configured since the last reset: ``quota:horizon``). ``quota:keys`` orders the keys by
when they were last seen (for the live view, and to forget the least recently seen beyond
``max_keys``). The script computes what :class:`mockserver.state.memory.quotas.MemoryQuotaLedger`
does: refusal, retry-after and each window's state.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from contracts.auth import CACHED_KEY_LENGTH
from contracts.ratelimits import Window
from mockserver.state.quotas import MIN_HISTORY, QuotaKey, Refusal, WindowState
from mockserver.state.redis.connection import PREFIX, Link

KEYS = PREFIX + "quota:keys"
SERIAL = PREFIX + "quota:serial"
HORIZON = PREFIX + "quota:horizon"
GRANTS = PREFIX + "q:"  # + sha1 of the member

# KEYS: grants, keys, serial, horizon. ARGV: member, n, now, horizon, max_keys, mode
# (spend|peek|look), then limit, seconds per window. Returns {refused window (1-based, 0:
# granted), current, wait, then used, reset per window}; times as exact strings.
_SCRIPT = f"local GRANTS = '{GRANTS}'" + """
local grants, keys, serial = KEYS[1], KEYS[2], KEYS[3]
local n, now, horizon = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local mode = ARGV[6]
local function exact(x) return string.format('%.17g', x) end
local function cum(m) local k, c = string.match(m, ':(%d+):(%d+)$'); return tonumber(k), tonumber(c) end
local seen = mode == 'spend' or (mode == 'peek' and redis.call('ZSCORE', keys, ARGV[1]))
-- the history kept grows with the longest window seen since the last reset
local kept = tonumber(redis.call('GET', KEYS[4]) or 0)
if horizon < kept then horizon = kept elseif seen and horizon > kept then redis.call('SET', KEYS[4], exact(horizon)) end
if mode ~= 'look' then
  redis.call('ZREMRANGEBYSCORE', grants, '-inf', exact(now - horizon))
end
-- Each grant's member carries the images granted to the key so far, so a window's use is a
-- difference of two of them: O(log n), however many grants the window holds.
local counted = grants .. ':total'
local total = tonumber(redis.call('GET', counted) or 0)
local base, newest = total, nil
local last = redis.call('ZRANGE', grants, -1, -1, 'WITHSCORES')
if #last > 0 then
  newest = tonumber(last[2])
  local k1, c1 = cum(redis.call('ZRANGE', grants, 0, 0)[1]); base = c1 - k1
end
local windows = {}
for i = 7, #ARGV, 2 do
  local limit, seconds = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local start = now - seconds
  local below = base
  local before = redis.call('ZREVRANGEBYSCORE', grants, exact(start), '-inf', 'LIMIT', 0, 1)
  if #before > 0 then local _, c = cum(before[1]); below = c end
  local inside = (newest ~= nil and newest > start) and newest or nil
  windows[#windows + 1] = {limit = limit, seconds = seconds, start = start, used = total - below, newest = inside}
end
local refused, current, wait, at = 0, 0, 0, now
if mode == 'spend' then
  for i, w in ipairs(windows) do
    if w.used + n > w.limit then
      -- the oldest grants leave first: the request fits once the grants up to the first whose
      -- running total reaches total + n - limit have left
      local target, until_fits, offset = total + n - w.limit, nil, 0
      while until_fits == nil do
        local page = redis.call('ZRANGEBYSCORE', grants, '(' .. exact(w.start), '+inf', 'WITHSCORES',
                                'LIMIT', offset, 100)
        if #page == 0 then break end
        for j = 1, #page, 2 do
          local _, c = cum(page[j])
          if c >= target then until_fits = tonumber(page[j + 1]) + w.seconds - now; break end
        end
        offset = offset + 100
      end
      if until_fits == nil then until_fits = w.newest and (w.newest + w.seconds - now) or 0 end
      if refused == 0 or until_fits > wait then refused, current, wait = i, w.used + n, until_fits end
    end
  end
  if refused == 0 and #windows > 0 then
    -- Racing workers: a grant is never recorded before the key's newest one when that is less
    -- than a second ahead, so the running totals stay in time order (a clock moved back further
    -- records at its own time).
    at = now
    if newest ~= nil and newest > now and newest - now < 1 then at = newest end
    -- The serial is zero-padded: grants at the same time sort in the order they were made.
    redis.call('ZADD', grants, exact(at), string.format('%020d', redis.call('INCR', serial)) .. ':' .. n .. ':' ..
               (total + n))
    redis.call('SET', counted, total + n)
    for _, w in ipairs(windows) do
      w.used = w.used + n
      w.newest = at
    end
  end
end
if seen then
  redis.call('EXPIRE', grants, math.ceil(horizon) + 60)
  redis.call('EXPIRE', counted, math.ceil(horizon) + 60)
  redis.call('ZADD', keys, redis.call('INCR', serial), ARGV[1])
  local extra = redis.call('ZCARD', keys) - tonumber(ARGV[5])
  if extra > 0 then
    local old = redis.call('ZPOPMIN', keys, extra)
    for j = 1, #old, 2 do
      local gone = GRANTS .. redis.sha1hex(old[j])
      redis.call('DEL', gone, gone .. ':total')
    end
  end
end
local out = {refused, current, exact(wait)}
for _, w in ipairs(windows) do
  out[#out + 1] = w.used
  out[#out + 1] = w.newest and exact(w.newest + w.seconds - now) or '0'
end
return out
"""


# KEYS: keys, horizon.
_CLEAR = f"local GRANTS = '{GRANTS}'" + """
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local gone = GRANTS .. redis.sha1hex(m)
  redis.call('DEL', gone, gone .. ':total')
end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
"""


def member(key: QuotaKey) -> bytes:
    """The ledger key ``(api_key, family)`` as the bytes Redis keeps."""
    return _cached_member(key) if len(key[0]) <= CACHED_KEY_LENGTH else _member(key)


def _member(key: QuotaKey) -> bytes:
    api_key, family = key
    return family.encode() + b"\0" + api_key.encode("utf-8", "surrogateescape")


_cached_member = functools.lru_cache(maxsize=4096)(_member)


def _key(raw: bytes) -> QuotaKey:
    family, _, api_key = raw.partition(b"\0")
    return api_key.decode("utf-8", "surrogateescape"), family.decode()


def grants_key(raw: bytes) -> str:
    """The Redis key of one ledger key's grants."""
    return _cached_grants_key(raw) if len(raw) <= CACHED_KEY_LENGTH else _grants_key(raw)


def _grants_key(raw: bytes) -> str:
    return GRANTS + hashlib.sha1(raw).hexdigest()


_cached_grants_key = functools.lru_cache(maxsize=4096)(_grants_key)


@functools.lru_cache(maxsize=256)
def _shape(windows: tuple[Window, ...]) -> tuple[str, tuple[int | float, ...]]:
    """The history kept for these windows, and their limits and lengths as the script reads them."""
    horizon = max(MIN_HISTORY, *(w.seconds for w in windows))
    return repr(float(horizon)), tuple(x for w in windows for x in (w.limit, w.seconds))


class RedisQuotaLedger:
    """The :class:`mockserver.state.quotas.QuotaLedger` of a shared state."""

    def __init__(self, link: Link, max_keys: int = 10_000) -> None:
        self._link = link
        self._client = link.client
        self._script, self._clear = link.script(_SCRIPT), link.script(_CLEAR)
        self.max_keys = max_keys

    def _run(self, raw: bytes, n: int, windows: tuple[Window, ...], now: float, mode: str,
             client: Any = None) -> Any:
        horizon, shape = _shape(windows)
        args: list[Any] = [raw, n, repr(float(now)), horizon, self.max_keys, mode, *shape]
        keys = [grants_key(raw), KEYS, SERIAL, HORIZON]
        if client is None:
            return self._link.fast.scripts([(self._script, keys, args)])[0]
        return self._script(keys=keys, args=args, client=client)

    @staticmethod
    def _states(windows: tuple[Window, ...], out: list[Any]) -> list[WindowState]:
        return [WindowState(w, int(out[3 + 2 * i]), float(out[4 + 2 * i])) for i, w in enumerate(windows)]

    def spend(self, key: QuotaKey, n: int, windows: tuple[Window, ...], now: float
              ) -> tuple[Refusal | None, list[WindowState]]:
        if not windows:
            return None, []
        out = self._run(member(key), n, windows, now, "spend")
        refused = int(out[0])
        refusal = Refusal(windows[refused - 1], int(out[1]), float(out[2])) if refused else None
        return refusal, self._states(windows, out)

    def states(self, key: QuotaKey, windows: tuple[Window, ...], now: float) -> list[WindowState]:
        if not windows:
            return []
        return self._states(windows, self._run(member(key), 0, windows, now, "peek"))

    def snapshot(self, windows_of: Callable[[QuotaKey], tuple[Window, ...]], now: float, limit: int = 100
                 ) -> list[tuple[QuotaKey, list[WindowState]]]:
        raws = self._client.zrevrange(KEYS, 0, limit - 1)
        keys = [_key(raw) for raw in raws]
        shapes = [windows_of(key) for key in keys]
        with self._client.pipeline(transaction=False) as pipe:
            for raw, windows in zip(raws, shapes, strict=True):
                self._run(raw, 0, windows, now, "look", client=pipe)
            outs = pipe.execute()
        return [(key, self._states(windows, out)) for key, windows, out in zip(keys, shapes, outs, strict=True)]

    def clear(self) -> None:
        self._link.write(self._clear, [KEYS, HORIZON], [])
