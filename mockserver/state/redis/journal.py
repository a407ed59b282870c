"""The journal of a shared state: ``journal`` lists entry numbers in order, ``journal:entries``
maps each to its JSON. The state hash counts the entries ever recorded (``jc``, so the newest
entry's number) and names the journal's epoch (``je``, new at each clear), so a reader's cursor
(``<epoch>:<count>``) works on any fake. Recording is one script: append, then trim to
``journal_size``; an answer's entry is written with the request's other writes, as it ends.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from mockserver.state.journal import matching
from mockserver.state.redis.connection import PREFIX, STATE, Link

ORDER = PREFIX + "journal"
ENTRIES = PREFIX + "journal:entries"
_KEYS = [ORDER, ENTRIES, STATE]

# KEYS: order, entries, state. ARGV: entry JSON, size. Returns the entry's number.
_RECORD = """
local number = redis.call('HINCRBY', KEYS[3], 'jc', 1)
redis.call('RPUSH', KEYS[1], number)
redis.call('HSET', KEYS[2], number, ARGV[1])
local size = tonumber(ARGV[2])
while redis.call('LLEN', KEYS[1]) > size do redis.call('HDEL', KEYS[2], redis.call('LPOP', KEYS[1])) end
return number
"""

# ARGV: cursor epoch, cursor count (-1: none), size. Returns {epoch, count, complete, entries...}.
_SINCE = """
local epoch, count = unpack(redis.call('HMGET', KEYS[3], 'je', 'jc'))
count = tonumber(count) or 0
local seen = tonumber(ARGV[2])
local size = tonumber(ARGV[3])
local complete, first = 1, -size
if ARGV[1] == epoch and seen >= 0 and seen <= count then
  complete = 0
  first = math.max(-size, seen - count)
end
local numbers = {}
if first < 0 then numbers = redis.call('LRANGE', KEYS[1], first, -1) end
local out = {epoch, count, complete}
if #numbers > 0 then
  for _, entry in ipairs(redis.call('HMGET', KEYS[2], unpack(numbers))) do
    if entry then out[#out + 1] = entry end
  end
end
return out
"""

_UPDATE = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1
"""

_CLEAR = """
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[3], 'je', ARGV[1])
return 1
"""


_dumps = json.JSONEncoder(separators=(",", ":")).encode  # ensure_ascii: a lone surrogate travels escaped


class RedisJournal:
    """The :class:`mockserver.state.journal.Journal` of a shared state."""

    def __init__(self, link: Link, size: int) -> None:
        self._link = link
        self._client = link.client
        self._size = size
        self._record, self._since = link.script(_RECORD), link.script(_SINCE)
        self._update, self._clear = link.script(_UPDATE), link.script(_CLEAR)

    def record(self, entry: dict[str, Any]) -> None:
        self._link.defer(self._record, _KEYS, [_dumps(entry), self._size])

    def record_stream(self, entry: dict[str, Any]) -> int:
        return int(self._record(keys=_KEYS, args=[_dumps(entry), self._size]))

    def update(self, number: int, entry: dict[str, Any]) -> None:
        self._update(keys=[ENTRIES], args=[number, _dumps(entry)])

    def since(self, cursor: str | None) -> tuple[list[dict[str, Any]], str, bool]:
        epoch, _, count_text = (cursor or "").partition(":")
        seen = int(count_text) if count_text.isdigit() else -1
        out = self._since(keys=_KEYS, args=[epoch, seen, max(self._size, 1)])
        entries = [json.loads(e) for e in out[3:]] if self._size else []
        return entries, f"{out[0].decode()}:{int(out[1])}", bool(out[2])

    def entries(self, *, endpoint: str | None = None, status: int | None = None) -> list[dict[str, Any]]:
        return matching(self.since(None)[0], endpoint, status)

    def resize(self, size: int) -> None:
        self._size = size  # the list is trimmed to it at the next record

    def clear(self) -> None:
        self._link.write(self._clear, _KEYS, [secrets.token_hex(4)])

    def __len__(self) -> int:
        return min(int(self._client.llen(ORDER)), self._size)
