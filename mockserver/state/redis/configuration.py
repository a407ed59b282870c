"""The runtime configuration of a shared state.

Keys: ``config`` and ``config:initial``, the patchable settings as JSON (the running ones, and
the ones the first fake started with, which a reset with ``config`` restores); ``cv`` in the
state hash, their version, bumped at each change; ``secret``, the key that signs image URLs
when no ``--url-secret`` is given. Each fake keeps the settings fixed at its start (not
patchable) and reads the patchable ones from here.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Mapping
from typing import Any

from mockserver.settings.config import Config
from mockserver.settings.inputs import described
from mockserver.state.redis.connection import PREFIX, STATE, Link

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

# KEYS: state, config, initial.
_RESTORE = """
redis.call('SET', KEYS[2], redis.call('GET', KEYS[3]))
redis.call('HINCRBY', KEYS[1], 'cv', 1)
return 1
"""


def shared_settings(config: Config) -> str:
    """The patchable settings of ``config`` as the JSON text the state keeps."""
    shown = config.to_json()
    return json.dumps({name: shown[name] for name in _PATCHABLE}, ensure_ascii=True, separators=(",", ":"))


class RedisConfiguration:
    """The :class:`mockserver.state.configuration.Configuration` of a shared state, as this fake
    last read it (each request's start checks its version: :meth:`seen`)."""

    def __init__(self, link: Link, config: Config) -> None:
        self._link = link
        self._local = config  # the settings fixed at start (this process's own)
        self._lock = threading.Lock()
        self._restore = link.script(_RESTORE)
        text = shared_settings(config)
        self._config, self.version = config, 0
        self.url_secret = ""
        self._initial = text
        self._init(text, secrets.token_hex(32), text)

    @property
    def current(self) -> Config:
        return self._config

    def _init(self, running: str, secret: str, initial: str) -> None:
        running_now, version, secret_now, initial_now = self._link.script(_INIT)(
            keys=[STATE, INITIAL, CONFIG, SECRET], args=[running, secrets.token_hex(4), secret, initial],
        )
        with self._lock:
            self._config, self.version = self._read(running_now), int(version)
        self.url_secret = secret_now.decode()
        self._initial = initial_now.decode()

    def _read(self, text: bytes) -> Config:
        return self._local.patch(json.loads(text))

    def seen(self, version: bytes | None) -> Config | None:
        """The version in a request's snapshot: the configuration read again if it moved (the new
        one answered), or set up again if the state is empty (Redis restarted without
        persistence); else None."""
        if version is None:
            return self._reseed()
        if int(version) != self.version:
            return self.refresh()
        return None

    def _reseed(self) -> Config:
        """The first fake to notice sets the state up again, from the configuration it was
        running (as of its last request) and the URL key every fake already signs with; the
        others read it back. ASSUMPTION: what Redis held (images, journal, quotas, faults, the
        clock's move) is lost with it."""
        self._init(shared_settings(self._config), self.url_secret, self._initial)
        return self._config

    def refresh(self) -> Config:
        """Read the running configuration and its version again."""
        with self._link.client.pipeline() as pipe:
            text, version = pipe.get(CONFIG).hget(STATE, "cv").execute()
        with self._lock:
            self._config, self.version = self._read(text), int(version)
            return self._config

    def patch(self, changes: Mapping[str, Any]) -> Config:
        """Patch the shared configuration (ConfigError: nothing changes) and bump its version."""

        def patch(pipe: Any) -> None:
            new = self._read(pipe.get(CONFIG)).patch(changes)
            pipe.multi()
            pipe.set(CONFIG, shared_settings(new))
            pipe.hincrby(STATE, "cv", 1)

        self._link.client.transaction(patch, CONFIG)
        return self.refresh()

    def restore(self) -> None:
        self._link.write(self._restore, [STATE, CONFIG, INITIAL], [])
