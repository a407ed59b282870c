"""The runtime configuration of a shared state.

Keys: ``config`` and ``config:initial``, the patchable settings as JSON (the running ones, and
the ones the first fake started with, which a reset with ``config`` restores); ``cv`` in the
state hash, their version, bumped at each change; ``secret``, the key that signs image URLs
when no ``--url-secret`` is given. Each fake keeps the settings fixed at its start (not
patchable) and reads the patchable ones from here.

What it reads is tolerated, not trusted (another fake, newer or older, may have written it):
fields it does not know are ignored and kept (forward compatible); a field whose value it
cannot use, or a text that is no JSON object, is repaired from the running configuration
(:meth:`RedisConfiguration.check`, reported once in the log).
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Mapping
from typing import Any

from mockserver.settings.config import Config, ConfigError
from mockserver.settings.inputs import described
from mockserver.state.redis.connection import PREFIX, STATE, Link

CONFIG = PREFIX + "config"
INITIAL = PREFIX + "config:initial"
SECRET = PREFIX + "secret"

_PATCHABLE = tuple(f.name for f, d in described(Config) if d.patchable)
_KNOWN = frozenset(_PATCHABLE)

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


def shared_settings(config: Config, unknown: Mapping[str, Any] | None = None) -> str:
    """The patchable settings of ``config`` as the JSON text the state keeps (with ``unknown``:
    the fields another fake wrote that this one does not know, kept for it)."""
    shown = config.to_json()
    values = {**(unknown or {}), **{name: shown[name] for name in _PATCHABLE}}
    return json.dumps(values, ensure_ascii=True, separators=(",", ":"))


class _Read:
    """A shared configuration as read: the Config, the fields this fake does not know, and
    what was wrong with the rest (empty: nothing)."""

    __slots__ = ("config", "unknown", "wrong")

    def __init__(self, config: Config, unknown: dict[str, Any], wrong: str) -> None:
        self.config, self.unknown, self.wrong = config, unknown, wrong


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
        self._initial = self._own_initial = text

    def start(self) -> None:
        """Set the shared configuration up if this is the first fake on the state; read it."""
        self._init(self._initial, secrets.token_hex(32), self._initial)

    @property
    def current(self) -> Config:
        return self._config

    def _init(self, running: str, secret: str, initial: str) -> None:
        running_now, version, secret_now, initial_now = self._link.script(_INIT)(
            keys=[STATE, INITIAL, CONFIG, SECRET], args=[running, secrets.token_hex(4), secret, initial],
        )
        with self._lock:
            self._config, self.version = self._read(running_now), int(version)
        self.url_secret = secret_now.decode("utf-8", "replace")
        self._initial = initial_now.decode("utf-8", "replace")

    def _parse(self, text: bytes | None, base: Config) -> _Read:
        """What ``text`` says, over ``base`` (a field it cannot use keeps ``base``'s value)."""
        if text is None:
            return _Read(base, {}, "is missing")
        try:
            values = json.loads(text)
        except ValueError:  # (UnicodeDecodeError is one)
            return _Read(base, {}, "is no JSON")
        if not isinstance(values, dict):
            return _Read(base, {}, f"holds JSON {type(values).__name__}, not an object")
        known = {k: v for k, v in values.items() if k in _KNOWN}
        unknown = {k: v for k, v in values.items() if k not in _KNOWN}
        try:
            return _Read(self._local.patch(known), unknown, "")
        except ConfigError:
            pass
        # Field by field (rare): each that fails keeps base's value.
        config, bad = self._local.patch({k: v for k, v in base.to_json().items() if k in _KNOWN}), []
        for name, value in known.items():
            try:
                config = config.patch({name: value})
            except ConfigError as exc:
                bad.append(f"{name}: {exc}")
        return _Read(config, unknown, "has fields it cannot use (" + "; ".join(bad) + ")")

    def _read(self, text: bytes | None) -> Config:
        """The running configuration in ``text``: unknown fields ignored; a malformed text or
        field repaired from the running configuration (:meth:`_repair`)."""
        read = self._parse(text, self._config)
        if read.wrong:
            self._repair(read)
        return read.config

    def _repair(self, read: _Read, *, report: bool = True) -> str:
        """Write the configuration read (its bad fields the running ones) back; what was wrong
        (reported once, unless the caller reports it)."""
        self._link.client.set(CONFIG, shared_settings(read.config, read.unknown))
        text = f"the shared configuration at key {CONFIG} {read.wrong} (rewritten from the running configuration)"
        if report:
            self._link.report(text)
        return text

    def check(self) -> list[str]:
        """Repair the configuration's keys (their types are right by now): the running and the
        initial settings and the URL key, each if it holds what this fake cannot use. What was
        wrong, as sentences ([]: nothing). A state not set up yet is left to the first fake."""
        client = self._link.client
        running, initial, secret = client.mget(CONFIG, INITIAL, SECRET)
        if initial is None and running is None:
            return []  # an empty state: set up by start() (or by the next request's reseed)
        problems = []
        read = self._parse(running, self._config)
        if read.wrong:
            problems.append(self._repair(read, report=False))
            with self._lock:
                self._config = read.config
        wrong = self._parse(initial, self._config).wrong
        if wrong:
            client.set(INITIAL, self._own_initial)
            self._initial = self._own_initial
            problems.append(f"the initial configuration at key {INITIAL} {wrong} "
                            "(rewritten from this fake's initial configuration)")
        unusable = secret is not None and not _usable_secret(secret)
        if unusable or (secret is None and self.url_secret):  # (missing at start: start() sets it)
            if not self.url_secret:
                self.url_secret = secrets.token_hex(32)
            client.set(SECRET, self.url_secret)
            problems.append(f"the URL key at key {SECRET} is {'unusable' if unusable else 'missing'} "
                            "(rewritten with this fake's)")
        return problems

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
        """Patch the shared configuration (ConfigError: nothing changes) and bump its version.
        The fields this fake does not know stay as another fake wrote them."""

        def patch(pipe: Any) -> None:
            read = self._parse(pipe.get(CONFIG), self._config)
            new = read.config.patch(changes)
            pipe.multi()
            pipe.set(CONFIG, shared_settings(new, read.unknown))
            pipe.hincrby(STATE, "cv", 1)

        self._link.client.transaction(patch, CONFIG)
        return self.refresh()

    def restore(self) -> None:
        self._link.write(self._restore, [STATE, CONFIG, INITIAL], [])


def _usable_secret(secret: bytes) -> bool:
    try:
        return bool(secret.decode("utf-8").strip())
    except UnicodeDecodeError:
        return False
