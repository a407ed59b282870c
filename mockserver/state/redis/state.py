"""The state of a fake that shares it on Redis: every piece on one link, and the lifecycle
around a request (the snapshot as it begins, its deferred writes as it ends)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.settings.config import Config, shown
from mockserver.state.lifecycle import StateUnavailable, reset_state
from mockserver.state.redis.clock import RedisClock
from mockserver.state.redis.configuration import RedisConfiguration
from mockserver.state.redis.connection import STATE, Link, connect, errors
from mockserver.state.redis.faults import RedisFaultQueue
from mockserver.state.redis.gallery import RedisGallery
from mockserver.state.redis.journal import RedisJournal
from mockserver.state.redis.quotas import RedisQuotaLedger
from mockserver.state.redis.repair import Repairer
from mockserver.state.redis.store import RedisImageStore


def _line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


class RedisState:
    """The :class:`mockserver.state.State` of one fake on the shared state at ``url``; the
    first fake on an empty state sets its configuration from ``config``. StateUnavailable when
    that Redis cannot be reached; ValueError for a URL that is not a Redis one."""

    def __init__(self, url: str, config: Config) -> None:
        self.url = url
        link = self._link = Link(connect(url))
        self.lost: tuple[type[Exception], ...] = errors()
        from redis.exceptions import ResponseError

        # Redis answered, and refused what this fake's data asked of it (a WRONGTYPE, a script's
        # arithmetic on a value that is no number): the data is wrong, not Redis away.
        self._refused: type[Exception] = ResponseError
        try:
            self.configuration = RedisConfiguration(link, config)
            self.clock = RedisClock(link)
            self.store = RedisImageStore(link, max_images=config.store_max_images,
                                         max_bytes=config.store_max_bytes)
            self.quotas = RedisQuotaLedger(link)
            self.faults = RedisFaultQueue(link)
            self.journal = RedisJournal(link, config.journal_size, config.journal_bytes)
            self.gallery = RedisGallery(link)
            self._repairer = Repairer(link, self)
            self._repairer.check()  # what another fake left that this one cannot use: repaired, said once
            self.configuration.start()
            running = self.configuration.current
            self.store.max_images, self.store.max_bytes = running.store_max_images, running.store_max_bytes
            self.journal.resize(running.journal_size, running.journal_bytes)
            self._sync()
        except self.lost as exc:  # lost between the PING and here (or refused what it cannot repair)
            link.client.close()
            raise StateUnavailable(f"cannot use the shared state at {shown(url)}: {exc}") from None
        self.url_secret = self.configuration.url_secret

    @property
    def client(self) -> Any:
        """The Redis client (for benchmarks and diagnostics)."""
        return self._link.client

    def _sync(self) -> Config | None:
        """Read the state hash (one round trip): the clock, the fault count and, if its version
        moved, the configuration (the new one answered)."""
        version, offset, frozen, faults = self._link.fast.call("HMGET", STATE, "cv", "off", "frz", "nf")
        self.clock.see(offset, frozen)
        self.faults.see(faults)
        return self.configuration.seen(version)

    def begin_request(self) -> Config | None:
        self._link.begin()
        try:
            return self._sync()
        except (self._refused, ValueError):  # the state hash holds what this fake cannot read
            self._repairer.check(force=False)
            return self._sync()

    def end_request(self) -> None:
        self._link.flush()

    def discard(self) -> None:
        self._link.discard()

    def configure(self, changes: Mapping[str, Any]) -> Config:
        return self.configuration.patch(changes)

    def reset(self, *, config: bool) -> Config:
        """One transaction for every piece's writes (:meth:`Link.atomically`), after a check of
        the keys it rewrites: a key of another type is replaced, so a reset always works."""
        self._repairer.check()
        with self._link.atomically():
            reset_state(self, config=config)
        self._sync()  # the configuration is read again if it was restored (its version moved)
        return self.configuration.current

    def trouble(self, exc: Exception) -> str | None:
        """When Redis refused a command for what the state holds (not Redis away): the state is
        checked and repaired (:class:`Repairer`), and what was wrong is said."""
        if not isinstance(exc, self._refused):
            return None
        try:
            found = self._repairer.check(force=False)
        except self.lost as failed:
            return f"Redis refused a command ({_line(exc)}), and the check of the state failed ({_line(failed)})"
        if not found:
            return f"Redis refused a command ({_line(exc)})"
        return "; ".join(found)

    def close(self) -> None:
        self.faults.close()
        self._link.client.close()
