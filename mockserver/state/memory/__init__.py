"""The state kept in this process's memory: one class per piece of :mod:`mockserver.state`.

    state.py          MemoryState: the pieces and their (empty) per-request lifecycle
    clock.py          MemoryClock (a test may make one and give it to create_app)
    configuration.py  MemoryConfiguration
    store.py          MemoryImageStore
    quotas.py         MemoryQuotaLedger
    faults.py         MemoryFaultQueue
    journal.py        MemoryJournal
    gallery.py        MemoryGallery
"""

from __future__ import annotations

from mockserver.state.memory.clock import MemoryClock
from mockserver.state.memory.configuration import MemoryConfiguration
from mockserver.state.memory.faults import MemoryFaultQueue
from mockserver.state.memory.gallery import MemoryGallery
from mockserver.state.memory.journal import MemoryJournal
from mockserver.state.memory.quotas import MemoryQuotaLedger
from mockserver.state.memory.state import MemoryState
from mockserver.state.memory.store import MemoryImageStore

__all__ = [
    "MemoryClock",
    "MemoryConfiguration",
    "MemoryFaultQueue",
    "MemoryGallery",
    "MemoryImageStore",
    "MemoryJournal",
    "MemoryQuotaLedger",
    "MemoryState",
]
