"""Shared state on Redis: many fakes (threads, processes, hosts) acting as one.

``create_app(state="redis://HOST:PORT/DB")`` keeps the quotas, the clock, the fault queue,
the journal, the image store, the live view's gallery and the runtime configuration in
Redis; every fake given the same URL sees and changes the same state, atomically (each
check-and-change is one Lua script). Without a state URL the fake keeps all of it in its own
memory, and nothing here is imported.

    connection.py  the URL, the client (short timeouts), StateUnavailable
    state.py       the per-request snapshot (one round trip), the configuration, the clock, reset
    quotas.py      quota windows: checked and spent in one script
    faults.py      the fault queue: taken in one script; hangs released on every fake
    journal.py     the journal and its cursor
    images.py      the image store, the gallery, the recipes' JSON codec

Left per process (ASSUMPTION, each harmless to share-nothing): the latency jitter's draws
(each fake draws its own seeded sequence), a stream's progress is written to its journal entry
when the stream ends (not event by event), and the in-flight hang events (released through
pub/sub).
"""

from __future__ import annotations

from mockserver.sharedstate.connection import StateUnavailable, check_url
from mockserver.sharedstate.faults import QUEUE, SharedFaultQueue
from mockserver.sharedstate.images import (
    AGE,
    COSTS,
    EXPIRY,
    GALLERY,
    GALLERY_COSTS,
    GALLERY_ORDER,
    IMAGES,
    PNG_ORDER,
    PNGS,
    SharedGallery,
    SharedImageStore,
)
from mockserver.sharedstate.journal import ENTRIES, ORDER, SharedJournal
from mockserver.sharedstate.quotas import SharedQuotaLedger
from mockserver.sharedstate.state import SharedState

# What a reset deletes (besides each quota key's grants, and the queued faults' hashes).
DATA_KEYS = (QUEUE, IMAGES, AGE, COSTS, EXPIRY, PNGS, PNG_ORDER, GALLERY, GALLERY_ORDER, GALLERY_COSTS, ORDER, ENTRIES)

__all__ = [
    "DATA_KEYS",
    "SharedFaultQueue",
    "SharedGallery",
    "SharedImageStore",
    "SharedJournal",
    "SharedQuotaLedger",
    "SharedState",
    "StateUnavailable",
    "check_url",
]
