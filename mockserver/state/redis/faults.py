"""The fault queue of a shared state: a fault fires exactly ``count`` times across every fake.

``faults`` lists the queued ids in order; ``fault:<id>`` is a hash with what the take script
matches on (endpoint, stream, after, count, probability, seed), its counters (seen, fired) and
the fault's JSON (``spec``). One script takes the first matching fault atomically.

The probability draws are :func:`mockserver.state.faults.draw`'s, computed in the script:
the ``k``-th matching request past ``after`` draws ``int(sha1("<seed>:<k>")[:13], 16) / 2**52``
(a fault without a seed draws from its id).

``DELETE /_mock/faults`` (and reset) publish ``2`` on ``faults:release`` (every hold ends: hangs,
delays, the latency), a shutdown ``1`` (the hangs end): every fake that has had a hold listens
there (from its first one on), and ends its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from dataclasses import fields
from typing import Any

from mockserver.state.faults import MAX_QUEUED, Fault, FaultError, parse_fault
from mockserver.state.redis.connection import PREFIX, STATE, Link, errors

QUEUE = PREFIX + "faults"
FAULT = PREFIX + "fault:"
RELEASE = PREFIX + "faults:release"
PUBLISH_WAIT = 0.5  # seconds a shutdown waits for its release to reach the other fakes through Redis
RELEASED, CLEARED = b"1", b"2"  # what is published there: the hangs released; the faults cleared (every hold)

_ADD = """
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[3], 'endpoint', ARGV[3], 'stream', ARGV[4], 'after', ARGV[5], 'count', ARGV[6],
           'probability', ARGV[7], 'seed', ARGV[8], 'seen', 0, 'fired', 0, 'spec', ARGV[9])
redis.call('HSET', KEYS[2], 'nf', redis.call('LLEN', KEYS[1]))
return 1
"""

# KEYS: queue, state. ARGV: endpoint, stream ('1' or '0'). Returns {spec, seen, fired} or nil.
_TAKE = f"local FAULT = '{FAULT}'" + """
for _, id in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local key = FAULT .. id
  local f = redis.call('HMGET', key, 'endpoint', 'stream', 'after', 'count', 'probability', 'seed', 'spec')
  if f[1] and (f[1] == '*' or f[1] == ARGV[1]) and f[2] == ARGV[2] then
    local seen = redis.call('HINCRBY', key, 'seen', 1)
    if seen > tonumber(f[3]) then
      local p = tonumber(f[5])
      local fire = p >= 1 or
        tonumber(string.sub(redis.sha1hex(f[6] .. ':' .. (seen - tonumber(f[3]))), 1, 13), 16) / 4503599627370496 < p
      if fire then
        local fired = redis.call('HINCRBY', key, 'fired', 1)
        if f[4] ~= '' and fired >= tonumber(f[4]) then
          redis.call('LREM', KEYS[1], 0, id)
          redis.call('DEL', key)
          redis.call('HSET', KEYS[2], 'nf', redis.call('LLEN', KEYS[1]))
        end
        return {f[7], seen, fired}
      end
    end
  end
end
return false
"""

_LIST = f"local FAULT = '{FAULT}'" + """
local out = {}
for _, id in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local f = redis.call('HMGET', FAULT .. id, 'spec', 'seen', 'fired')
  if f[1] then out[#out + 1] = f end
end
return out
"""

_REMOVE = """
if redis.call('LREM', KEYS[1], 0, ARGV[1]) == 0 then return 0 end
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[2], 'nf', redis.call('LLEN', KEYS[1]))
return 1
"""

_CLEAR = f"local FAULT = '{FAULT}'" + """
for _, id in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do redis.call('DEL', FAULT .. id) end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[2], 'nf', 0)
return 1
"""

_INIT_FIELDS = {f.name for f in fields(Fault) if f.init}


_DESCRIBED = _INIT_FIELDS - {"id", "seen", "fired"}


def decode_fault(spec: bytes, seen: Any, fired: Any) -> Fault:
    """The fault kept as ``spec`` (its JSON) with its counters, each field read as a queued one
    is (fields this fake does not know are ignored). ValueError when it is no fault."""
    try:
        values = json.loads(spec)
        if not isinstance(values, dict):
            raise ValueError(f"JSON {type(values).__name__}, not an object")
        fault = parse_fault({k: v for k, v in values.items() if k in _DESCRIBED})
        fault.id, fault.seen, fault.fired = str(values["id"]), int(seen), int(fired)
    except (ValueError, TypeError, KeyError) as exc:  # (a FaultError is a ValueError)
        raise ValueError(f"not a fault: {' '.join(str(exc).split())[:200]}") from None
    return fault


def _wait(_exc: BaseException, _pubsub: Any, _thread: Any) -> None:
    time.sleep(0.5)  # Redis is away: the listener reconnects (and subscribes again) on its next read


class RedisFaultQueue:
    """The :class:`mockserver.state.faults.FaultQueue` of a shared state. ``take`` makes no round
    trip when this thread's request saw no fault queued as it began."""

    def __init__(self, link: Link) -> None:
        self._link = link
        self._client = client = link.client
        self._keys = [QUEUE, STATE]
        self._add, self._take = client.register_script(_ADD), client.register_script(_TAKE)
        self._list, self._remove = client.register_script(_LIST), client.register_script(_REMOVE)
        self._clear = client.register_script(_CLEAR)
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._cleared = threading.Event()
        self._lost = errors()
        self._listener: Any = None
        self._listener_pid = 0

    def see(self, queued: bytes | None) -> None:
        """How many faults were queued in the snapshot this thread's request took (``nf``)."""
        request = self._link.request.__dict__
        if "calls" in request:
            request["faults"] = int(queued or 0)

    def add(self, spec: Any) -> Fault:
        fault = parse_fault(spec)
        record = fault.to_json()
        args = [MAX_QUEUED, fault.id, fault.endpoint, "1" if fault.stream else "0", fault.after,
                "" if fault.count is None else fault.count, repr(fault.probability), fault.seed_text,
                json.dumps(record, separators=(",", ":"))]
        if not self._add(keys=[*self._keys, FAULT + fault.id], args=args):
            raise FaultError("fault", f"at most {MAX_QUEUED} faults can be queued")
        return fault

    def take(self, endpoint: str, *, stream: bool = False) -> Fault | None:
        if not self._link.request.__dict__.get("faults", 1):  # the request's snapshot saw none: no round trip
            return None
        found = self._link.fast.scripts([(self._take, self._keys, [endpoint, "1" if stream else "0"])])[0]
        return self._decoded(found) if found else None

    def remove(self, fault_id: str) -> bool:
        return bool(self._remove(keys=[*self._keys, FAULT + fault_id], args=[fault_id]))

    def list(self) -> list[dict[str, Any]]:
        faults = (self._decoded(found) for found in self._list(keys=self._keys))
        return [fault.to_json() for fault in faults if fault is not None]

    def _decoded(self, found: Any) -> Fault | None:
        """The fault in a script's answer; None (reported once) when another fake or a person
        left something there that is no fault (the next reset, or the state's check, removes it)."""
        try:
            return decode_fault(*found)
        except ValueError as exc:
            self._link.report(f"a queued fault holds {exc} (ignored)")
            return None

    def clear(self) -> None:
        self._link.write(self._clear, self._keys, [])
        self._release_everywhere(CLEARED)

    @property
    def hang_release(self) -> threading.Event:
        """What a hang starting now waits on: set by a release from any fake (we listen on
        ``faults:release`` from the first hold on)."""
        self._listen()
        return self._release

    @property
    def latency_release(self) -> threading.Event:
        """What a latency's hold starting now waits on: set when any fake clears the faults."""
        self._listen()
        return self._cleared

    def release_hangs(self) -> None:
        """End the hangs in progress on every fake sharing this state: this fake's at once, the
        others' through Redis, from a thread of its own, so that a shutdown waits at most
        ``PUBLISH_WAIT`` on a Redis that is away or stalled (not its timeouts). Never raises:
        with Redis away only this fake's hangs can end, and they do."""
        self._release_here(RELEASED)
        publisher = threading.Thread(target=self._publish, args=(RELEASED,), name="mockserver-release", daemon=True)
        publisher.start()
        publisher.join(PUBLISH_WAIT)  # (milliseconds when Redis answers)

    def _release_everywhere(self, what: bytes) -> None:
        self._release_here(what)
        self._publish(what)

    def _publish(self, what: bytes) -> None:
        with contextlib.suppress(*self._lost):
            self._client.publish(RELEASE, what)

    def _release_here(self, what: bytes) -> None:
        with self._lock:
            events = [self._release]
            self._release = threading.Event()
            if what == CLEARED:
                events.append(self._cleared)
                self._cleared = threading.Event()
        for event in events:
            event.set()

    def _listen(self) -> None:
        with self._lock:
            if self._listener is not None and self._listener_pid == os.getpid():
                return
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(**{RELEASE: lambda message: self._release_here(message["data"])})
            except self._lost:  # Redis is away: this fake's own releases still end the hang; the next one listens
                pubsub.close()
                return
            self._listener_pid = os.getpid()  # a forked worker starts its own (threads do not survive a fork)
            self._listener = pubsub.run_in_thread(sleep_time=0.2, daemon=True, exception_handler=_wait)

    def close(self) -> None:
        """Stop listening for releases."""
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()
            listener.join(2)
