"""Shared state on Redis: many fakes (threads, processes, hosts) acting as one.

``create_app(state="redis://HOST:PORT/DB")`` keeps the quotas, the clock, the fault queue,
the journal, the image store, the live view's gallery and the runtime configuration in
Redis; every fake given the same URL sees and changes the same state, atomically (each
check-and-change is one Lua script). Without a state URL the fake keeps all of it in its own
memory (:mod:`mockserver.state.memory`), and nothing here is imported.

    connection.py     the URL, the client (short timeouts), the request path's connection,
                      the deferred writes (Link), the state hash
    state.py          RedisState: the pieces, the per-request snapshot (one round trip), reset
    configuration.py  the shared configuration, its version and the URL key
    clock.py          the clock's offset and freeze
    quotas.py         quota windows: checked and spent in one script
    faults.py         the fault queue: taken in one script; hangs released on every fake
    journal.py        the journal and its cursor
    store.py          the image store
    gallery.py        the live view's gallery
    recipes.py        the recipes' JSON codec
    repair.py         every key the pieces own and its type: what another fake left that this
                      one cannot use is repaired (at start, before a reset, when a request met it)

Round trips to Redis per API request (a generation, rate limits and journal on, no fault queued):
three. (1) As the request starts, one HMGET of the state hash: configuration version, clock,
number of faults queued. (2) The quota script: check and spend. (3) As the answer leaves, one
pipeline: the images' store (URL answers) and gallery entries, and the journal entry. One more
when a fault is queued (the take script), when the configuration changed (it is read again),
and for an answer refused before its quota was spent (the rate-limit headers read the
windows). Fetching an image URL: one (its render, or its recipe), and one more to cache a first
render. The request path sends its commands on a connection of its thread's own
(:class:`mockserver.state.redis.connection.FastPath`).

Left per process (ASSUMPTION, each harmless to share-nothing): the latency jitter's draws
(each fake draws its own seeded sequence), a stream's progress is written to its journal entry
when the stream ends (not event by event), and the in-flight hang events (released through
pub/sub).
"""

from __future__ import annotations

from mockserver.state.redis.state import RedisState

__all__ = ["RedisState"]
