"""The journal of a shared state: ``journal`` lists entry numbers in order, ``journal:entries``
maps each to its JSON. The state hash counts the entries ever recorded (``jc``, so the newest
entry's number), the bytes of the kept entries' JSON (``jb``) and names the journal's epoch
(``je``, new at each clear), so a reader's cursor (``<epoch>:<number>``) works on any fake.
Recording is one script: append, then trim to ``journal_size`` entries and ``journal_bytes``
bytes; an answer's entry is written with the request's other writes, as it ends. A page is one
script too, reading the entries in small batches until its limit or its bytes are reached.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from mockserver.state.journal import Page, matching, parse_cursor
from mockserver.state.redis.connection import PREFIX, STATE, Link

ORDER = PREFIX + "journal"
ENTRIES = PREFIX + "journal:entries"
_KEYS = [ORDER, ENTRIES, STATE]
UNBOUNDED = 1 << 53  # (Lua's numbers are doubles)

# KEYS: order, entries, state. ARGV: entry JSON, size, bytes. Returns the entry's number.
# ASSUMPTION: entries a fake of an earlier version recorded were not added to ``jb``; their
# bytes are taken off as they go, so ``jb`` is kept from going below 0 (the bound is then loose,
# never wrong the other way).
_RECORD = """
local number = redis.call('HINCRBY', KEYS[3], 'jc', 1)
redis.call('RPUSH', KEYS[1], number)
redis.call('HSET', KEYS[2], number, ARGV[1])
local total = redis.call('HINCRBY', KEYS[3], 'jb', #ARGV[1])
local size, most = tonumber(ARGV[2]), tonumber(ARGV[3])
local length = redis.call('LLEN', KEYS[1])
if length > size or total > most then
  while length > size or (total > most and length > 1) do
    local old = redis.call('LPOP', KEYS[1])
    total = total - redis.call('HSTRLEN', KEYS[2], old)
    redis.call('HDEL', KEYS[2], old)
    length = length - 1
  end
  redis.call('HSET', KEYS[3], 'jb', math.max(total, 0))
end
return number
"""

# ARGV: cursor epoch, cursor number (-1: none), size, limit, bytes, newest (1 or 0).
# Returns {epoch, cursor number, complete, more, entries...}.
_PAGE = """
local epoch, count = unpack(redis.call('HMGET', KEYS[3], 'je', 'jc'))
count = tonumber(count) or 0
local seen, size = tonumber(ARGV[2]), tonumber(ARGV[3])
local limit, most, newest = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == '1'
local kept = math.min(redis.call('LLEN', KEYS[1]), size)  -- (trimmed to a smaller size at the next record)
local fresh = not (ARGV[1] == epoch and seen >= 0 and seen <= count)
local after = kept  -- how many of the newest kept entries come after the cursor
if not fresh then after = math.min(kept, count - seen) end
local take = math.min(after, limit)
local first = -after
if newest then
  first = -take
  if take < after then fresh = true end
end
local numbers = {}
if take > 0 then numbers = redis.call('LRANGE', KEYS[1], first, first + take - 1) end
local found, total, last = {}, 0, count
local from, to, step = 1, #numbers, 1
if newest then from, to, step = #numbers, 1, -1 end
local full = false
for batch = from, to, step * 100 do
  local chunk = {}
  for i = batch, (step > 0) and math.min(batch + 99, to) or math.max(batch - 99, to), step do
    chunk[#chunk + 1] = numbers[i]
  end
  local texts = redis.call('HMGET', KEYS[2], unpack(chunk))
  for i, text in ipairs(texts) do
    if text then
      total = total + #text
      if total > most and #found > 0 then full = true break end
      found[#found + 1] = text
    end
    if not newest then last = tonumber(chunk[i]) end
  end
  if full then break end
end
if newest then
  if full then fresh = true end
  local reversed = {}
  for i = #found, 1, -1 do reversed[#reversed + 1] = found[i] end
  found = reversed
elseif #numbers == 0 then
  last = count
end
local out = {epoch, last, fresh and 1 or 0, last < count and 1 or 0}
for _, text in ipairs(found) do out[#out + 1] = text end
return out
"""

# KEYS: entries, state.
_UPDATE = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  local old = redis.call('HSTRLEN', KEYS[1], ARGV[1])
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('HINCRBY', KEYS[2], 'jb', #ARGV[2] - old)
end
return 1
"""

_CLEAR = """
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[3], 'je', ARGV[1], 'jb', 0)
return 1
"""


_dumps = json.JSONEncoder(separators=(",", ":")).encode  # ensure_ascii: a lone surrogate travels escaped


class RedisJournal:
    """The :class:`mockserver.state.journal.Journal` of a shared state."""

    def __init__(self, link: Link, size: int, max_bytes: int = UNBOUNDED) -> None:
        self._link = link
        self._client = link.client
        self._size, self._max_bytes = size, max_bytes
        self._record, self._page = link.script(_RECORD), link.script(_PAGE)
        self._update, self._clear = link.script(_UPDATE), link.script(_CLEAR)

    def record(self, entry: dict[str, Any], weight: int | None = None) -> None:
        # (The weight is the bytes of the JSON kept: ``weight`` is not needed.)
        self._link.defer(self._record, _KEYS, [_dumps(entry), self._size, self._max_bytes])

    def record_stream(self, entry: dict[str, Any], weight: int | None = None) -> int:
        return int(self._record(keys=_KEYS, args=[_dumps(entry), self._size, self._max_bytes]))

    def update(self, number: int, entry: dict[str, Any]) -> None:
        self._update(keys=[ENTRIES, STATE], args=[number, _dumps(entry)])

    def page(self, cursor: str | None, *, limit: int, max_bytes: int, newest: bool = False) -> Page:
        epoch, seen = parse_cursor(cursor)
        out = self._page(keys=_KEYS, args=[epoch, seen, max(self._size, 0), max(limit, 1),
                                           min(max_bytes, UNBOUNDED), int(newest)])
        entries = [json.loads(e) for e in out[4:]]
        return Page(entries, f"{out[0].decode()}:{int(out[1])}", bool(out[2]), bool(out[3]))

    def since(self, cursor: str | None) -> tuple[list[dict[str, Any]], str, bool]:
        page = self.page(cursor, limit=UNBOUNDED, max_bytes=UNBOUNDED)
        return page.entries, page.cursor, page.complete

    def entries(self, *, endpoint: str | None = None, status: int | None = None) -> list[dict[str, Any]]:
        return matching(self.since(None)[0], endpoint, status)

    def resize(self, size: int, max_bytes: int | None = None) -> None:
        self._size = size  # the list is trimmed to them at the next record
        if max_bytes is not None:
            self._max_bytes = max_bytes

    def clear(self) -> None:
        self._link.write(self._clear, _KEYS, [secrets.token_hex(4)])

    def __len__(self) -> int:
        return min(int(self._client.llen(ORDER)), self._size)
