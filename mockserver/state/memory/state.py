"""The state of a fake that keeps it in this process's memory: every piece, and a lifecycle
with nothing to do around a request."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from typing import Any

from mockserver.settings.config import Config
from mockserver.state.clock import Clock
from mockserver.state.lifecycle import reset_state
from mockserver.state.memory.clock import MemoryClock
from mockserver.state.memory.configuration import MemoryConfiguration
from mockserver.state.memory.faults import MemoryFaultQueue
from mockserver.state.memory.gallery import MemoryGallery
from mockserver.state.memory.journal import MemoryJournal
from mockserver.state.memory.quotas import MemoryQuotaLedger
from mockserver.state.memory.store import MemoryImageStore


class MemoryState:
    """The :class:`mockserver.state.State` of one fake, in memory: nothing is shared, nothing
    can be lost, and a request's writes happen as it makes them. ``clock``: one a test drives
    (default: a :class:`MemoryClock` on real time)."""

    lost: tuple[type[Exception], ...] = ()

    def __init__(self, config: Config, *, clock: Clock | None = None) -> None:
        self._lock = threading.Lock()
        self.clock: Clock = clock or MemoryClock()
        self.store = MemoryImageStore(max_images=config.store_max_images, max_bytes=config.store_max_bytes)
        self.quotas = MemoryQuotaLedger()
        self.faults = MemoryFaultQueue()
        self.journal = MemoryJournal(config.journal_size, config.journal_bytes)
        self.gallery = MemoryGallery()
        self.configuration = MemoryConfiguration(config)
        self.url_secret = secrets.token_hex(32)

    def begin_request(self) -> Config | None:
        return None

    def end_request(self) -> None:
        pass

    def discard(self) -> None:
        pass

    def trouble(self, exc: Exception) -> str | None:
        return None

    def configure(self, changes: Mapping[str, Any]) -> Config:
        with self._lock:
            return self.configuration.patch(changes)

    def reset(self, *, config: bool) -> Config:
        with self._lock:
            reset_state(self, config=config)
            return self.configuration.current

    def close(self) -> None:
        pass
