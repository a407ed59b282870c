"""The shared state's root: one Redis client, the per-request snapshot, the runtime
configuration and the clock.

Keys (every one under ``mockserver:``):

- ``state`` (hash): ``cv`` configuration version, ``off``/``frz`` the clock's offset and the
  time it is frozen at (empty: running), ``nf`` faults queued, ``je``/``jc`` the journal's
  epoch and entries ever recorded, ``sb``/``gb`` bytes held by the image store and the gallery;
- ``config``, ``config:initial``: the patchable settings as JSON (the running ones, and the
  ones the first fake started with, which ``reset(config=True)`` restores);
- ``secret``: the key that signs image URLs, when no ``--url-secret`` is given.

A request starts with one round trip (:meth:`SharedState.sync`, an HMGET of ``state``): the
clock and the fault count are read fresh, the configuration only when its version moved. So a
change made through one fake is seen by the very next request to any other.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from mockserver.settings.config import Config, shown
from mockserver.settings.inputs import described
from mockserver.state.clock import Clock, ClockMove
from mockserver.state.redis.connection import FAULT, PREFIX, QUEUE, FastPath, StateUnavailable, connect, errors

STATE = PREFIX + "state"
CONFIG = PREFIX + "config"
INITIAL = PREFIX + "config:initial"
SECRET = PREFIX + "secret"

_PATCHABLE = tuple(f.name for f, d in described(Config) if d.patchable)

# Set the shared configuration if this is the first fake on an empty state (or on a Redis that
# restarted empty); answer the running one, its version, the URL key and the initial settings.
# ARGV: running settings, journal epoch, URL key, initial settings.
_INIT = """
if redis.call('SET', KEYS[2], ARGV[4], 'NX') then
  redis.call('SET', KEYS[3], ARGV[1])
  redis.call('HSET', KEYS[1], 'cv', 1, 'off', 0, 'frz', '', 'nf', 0, 'je', ARGV[2], 'jc', 0, 'sb', 0, 'gb', 0)
end
redis.call('SET', KEYS[4], ARGV[3], 'NX')
return {redis.call('GET', KEYS[3]), redis.call('HGET', KEYS[1], 'cv'), redis.call('GET', KEYS[4]),
        redis.call('GET', KEYS[2])}
"""


def shared_settings(config: Config) -> str:
    """The patchable settings of ``config`` as the JSON text the state keeps."""
    shown = config.to_json()
    return json.dumps({name: shown[name] for name in _PATCHABLE}, ensure_ascii=True, separators=(",", ":"))


class SharedClock(Clock):
    """The clock whose offset and freeze live in Redis. ``now()`` reads what the request's
    snapshot saw (no round trip); a move is one optimistic transaction on the state hash.

    ASSUMPTION: the hosts sharing a state keep their wall clocks in step (NTP); the shared
    offset is added to each host's own clock."""

    def __init__(self, state: SharedState, source: Callable[[], float] = time.time) -> None:
        super().__init__(source)
        self._state = state
        # Each thread reads the snapshot its own request took: a slower reply to another
        # thread's older request never replaces it.
        self._seen = threading.local()

    def see(self, offset: bytes | None, frozen: bytes | None) -> None:
        self._offset = float(offset or 0)
        self._frozen_at = float(frozen) if frozen else None
        self._seen.state = (self._offset, self._frozen_at)

    def now(self) -> float:
        offset, frozen = self._seen.__dict__.get("state") or (self._offset, self._frozen_at)
        return frozen if frozen is not None else self._source() + offset

    @property
    def frozen(self) -> bool:
        return (self._seen.__dict__.get("state") or (self._offset, self._frozen_at))[1] is not None

    def _change(self, change: Callable[[Clock], Any]) -> float:
        local = Clock(self._source)

        def move(pipe: Any) -> None:
            offset, frozen = pipe.hmget(STATE, "off", "frz")
            local.reset()
            local._offset, local._frozen_at = float(offset or 0), (float(frozen) if frozen else None)
            change(local)  # ClockRangeError here: nothing is written
            pipe.multi()
            pipe.hset(STATE, mapping={"off": repr(local._offset),
                                      "frz": "" if local._frozen_at is None else repr(local._frozen_at)})

        self._state.client.transaction(move, STATE)
        self._offset, self._frozen_at = local._offset, local._frozen_at
        self._seen.state = (self._offset, self._frozen_at)
        return self.now()

    def advance(self, seconds: float) -> float:
        return self._change(lambda c: c.advance(seconds))

    def set(self, epoch_seconds: float) -> float:
        return self._change(lambda c: c.set(epoch_seconds))

    def freeze(self, frozen: bool = True) -> float:
        return self._change(lambda c: c.freeze(frozen))

    def move(self, move: ClockMove) -> float:
        return self._change(lambda c: c.move(move))

    def reset(self) -> None:
        self._change(lambda c: c.reset())


class SharedState:
    """One fake's handle on a shared state: the client, the snapshot of the request in
    progress, and the shared configuration."""

    def __init__(self, url: str, config: Config) -> None:
        self.url = url
        self.client = connect(url)
        self.fast = FastPath(self.client)
        self._lock = threading.Lock()
        self.clock = SharedClock(self)
        self._seen = threading.local()  # this thread's request's snapshot (see SharedClock)
        self._local = config  # the settings fixed at start (this process's own)
        self._pending = threading.local()  # this thread's request's deferred writes
        try:
            text = shared_settings(config)
            self._init(text, secrets.token_hex(32), text)
            self.sync()
        except errors() as exc:  # lost between the PING and here
            self.client.close()
            raise StateUnavailable(f"cannot use the shared state at {shown(url)}: {exc}") from None

    def _init(self, running: str, secret: str, initial: str) -> None:
        running_now, version, secret_now, initial_now = self.client.register_script(_INIT)(
            keys=[STATE, INITIAL, CONFIG, SECRET], args=[running, secrets.token_hex(4), secret, initial],
        )
        self.version = int(version)
        self.config = self._read(running_now)
        self.secret = secret_now.decode()
        self._initial = initial_now.decode()

    def _reseed(self) -> Config:
        """Redis came back empty (it restarted without persistence): the first fake to notice
        sets the state up again, from the configuration it was running (as of its last request)
        and the URL key every fake already signs with; the others read it back. ASSUMPTION:
        what Redis held (images, journal, quotas, faults, the clock's move) is lost with it."""
        with self._lock:
            self._init(shared_settings(self.config), self.secret, self._initial)
            return self.config

    def _read(self, text: bytes) -> Config:
        return self._local.patch(json.loads(text))

    def sync(self, *, request: bool = False) -> Config | None:
        """Read the state hash (one round trip): the clock, the fault count and, if its version
        moved, the configuration. Returns the new Config when it changed, else None. With
        ``request`` (one starts on this thread), its writes wait for :meth:`flush`."""
        if request:
            self._pending.calls = []
        version, offset, frozen, faults = self.fast.call("HMGET", STATE, "cv", "off", "frz", "nf")
        self.clock.see(offset, frozen)
        self._seen.faults = int(faults or 0)
        if version is None:
            return self._reseed()
        if int(version) != self.version:
            return self._refresh()
        return None

    def defer(self, script: Any, keys: list[Any], args: list[Any]) -> None:
        """Run ``script`` when this request's answer is final (:meth:`flush`), with the others
        deferred: one round trip for all the writes of a request. Outside a request: now."""
        pending = self._pending.__dict__.get("calls")
        if pending is None:
            script(keys=keys, args=args)
        else:
            pending.append((script, keys, args))

    def discard(self) -> None:
        """Forget this thread's deferred writes (a request whose state was lost)."""
        self._pending.__dict__.pop("calls", None)

    def flush(self) -> None:
        """Run this request's deferred writes in one pipeline (scripts a restarted Redis no longer
        holds are loaded again, and only those calls repeated)."""
        calls = self._pending.__dict__.pop("calls", None)
        if calls:
            self.fast.scripts(calls)

    @property
    def faults_queued(self) -> int:
        """How many faults this thread's request saw queued (outside a request: assume some)."""
        found: int = self._seen.__dict__.get("faults", 1)
        return found

    def _refresh(self) -> Config:
        with self.client.pipeline() as pipe:
            text, version = pipe.get(CONFIG).hget(STATE, "cv").execute()
        with self._lock:
            self.config, self.version = self._read(text), int(version)
            return self.config

    def configure(self, changes: Mapping[str, Any]) -> Config:
        """Patch the shared configuration (ConfigError: nothing changes) and bump its version."""
        result: list[Config] = []

        def patch(pipe: Any) -> None:
            result[:] = [self._read(pipe.get(CONFIG)).patch(changes)]
            pipe.multi()
            pipe.set(CONFIG, shared_settings(result[0]))
            pipe.hincrby(STATE, "cv", 1)

        self.client.transaction(patch, CONFIG)
        return self._refresh()

    def reset(self, *, config: bool, keys: list[str]) -> Config:
        """Forget every shared thing in ``keys`` and the quotas; the clock returns to real time; with
        ``config`` the configuration the first fake started with returns. One script: atomic."""
        from mockserver.state.redis.quotas import GRANTS, KEYS

        self.client.register_script(_RESET)(
            keys=[STATE, CONFIG, INITIAL, KEYS, *keys],
            args=["1" if config else "0", secrets.token_hex(4), GRANTS, FAULT, QUEUE],
        )
        self.sync()
        return self.config

    def close(self) -> None:
        self.client.close()


# Forget everything but the configuration (and, with ARGV[1] == '1', restore the initial one).
# KEYS: state, config, initial, quota:keys, then the other keys to delete.
_RESET = """
local state, config, initial, qkeys = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
for _, id in ipairs(redis.call('LRANGE', ARGV[5], 0, -1)) do redis.call('DEL', ARGV[4] .. id) end
local old = redis.call('ZRANGE', qkeys, 0, -1)
for _, m in ipairs(old) do
  local gone = ARGV[3] .. redis.sha1hex(m)
  redis.call('DEL', gone, gone .. ':total')
end
for i = 4, #KEYS do redis.call('DEL', KEYS[i]) end
redis.call('HSET', state, 'off', 0, 'frz', '', 'nf', 0, 'je', ARGV[2], 'sb', 0, 'gb', 0)
if ARGV[1] == '1' then
  redis.call('SET', config, redis.call('GET', initial))
  redis.call('HINCRBY', state, 'cv', 1)
end
return 1
"""
