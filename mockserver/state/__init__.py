"""What a fake remembers: one interface, kept in this process's memory or shared on Redis.

Each piece has its interface (a Protocol) and the values its callers see in one module here;
each backend implements every piece in a package of its own:

    piece           interface (+ values)                       memory/             redis/
    clock           clock.py  Clock (ClockMove, Reading)       MemoryClock         RedisClock
    configuration   configuration.py  Configuration            MemoryConfiguration RedisConfiguration
    image store     store.py  ImageStore (StoredImage)         MemoryImageStore    RedisImageStore
    quotas          quotas.py  QuotaLedger (WindowState, ...)  MemoryQuotaLedger   RedisQuotaLedger
    faults          faults.py  FaultQueue (Fault)              MemoryFaultQueue    RedisFaultQueue
    journal         journal.py  Journal                        MemoryJournal       RedisJournal
    gallery         gallery.py  Gallery                        MemoryGallery       RedisGallery
    the whole       lifecycle.py  State, reset_state           MemoryState         RedisState

:func:`open_state` opens a :class:`State`: in memory, or on the Redis of a ``redis://`` URL
(StateUnavailable when it cannot be reached). Its callers use the interfaces only: around
each request ``begin_request()`` (Redis: one round trip reads the clock, the fault count and
the configuration's version; memory: nothing), then ``end_request()`` (Redis: the request's
deferred writes in one pipeline; memory: nothing), or ``discard()`` when an exception of
``State.lost`` (none in memory) says the state is away. ``reset(config=...)`` is one
algorithm (:func:`reset_state`), made atomic by each backend. The in-memory fake never
imports ``redis`` nor :mod:`mockserver.state.redis`.
"""

from __future__ import annotations

from mockserver.settings.config import Config
from mockserver.state.clock import Clock
from mockserver.state.configuration import Configuration
from mockserver.state.faults import FaultQueue
from mockserver.state.gallery import Gallery
from mockserver.state.journal import Journal
from mockserver.state.lifecycle import Pieces, State, StateUnavailable, reset_state
from mockserver.state.memory.state import MemoryState
from mockserver.state.quotas import QuotaLedger
from mockserver.state.store import ImageStore


def open_state(config: Config, *, url: str | None = None, clock: Clock | None = None) -> State:
    """The state of a new fake whose configuration is ``config``: in this process's memory
    (driven by ``clock`` if given), or shared on the Redis at ``url`` (``redis://HOST:PORT/DB``,
    ``rediss://``, ``unix://``), where the first fake on an empty state sets the configuration.
    ValueError for another URL, or for a clock with a URL (a shared state has its own);
    StateUnavailable when that Redis cannot be reached."""
    if url is None:
        return MemoryState(config, clock=clock)
    if clock is not None:
        raise ValueError("a shared state has its own clock: give clock or state, not both")
    from mockserver.state.redis.state import RedisState

    return RedisState(url, config)


__all__ = [
    "Clock",
    "Configuration",
    "FaultQueue",
    "Gallery",
    "ImageStore",
    "Journal",
    "Pieces",
    "QuotaLedger",
    "State",
    "StateUnavailable",
    "open_state",
    "reset_state",
]
