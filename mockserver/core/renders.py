"""Renders at once, bounded: at most ``render_slots`` images are rendered at the same time.

A 3840x2160 WebP takes about 150 MB and half a second of a core to render, and its encoder
holds the interpreter's lock for about 0.2 s at a time: more renders at once than cores only
add memory, and make every other thread (the control plane's included) wait for that lock.
The API's slots (``--threads``) bound requests; this bounds what the heaviest of them cost.

A render of the API (an answer's images, a stream's events) waits for its turn: the queue
ahead of it is bounded by the slots and each render ends. A render asked outside the API
(``/_mock/images/<id>``, an image URL rendered on its first fetch) waits for its turn at
most ``queue_timeout_ms``, then is refused as the API's overload (:func:`overloaded`).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

from contracts.errors import ApiError, error
from contracts.ratelimits import OVERLOADED_RETRY_SECONDS, retry_headers


def overloaded() -> ApiError:
    """The API's 503 ``overloaded``, with the ``retry-after`` of an overloaded fake."""
    return error("overloaded", headers=retry_headers(OVERLOADED_RETRY_SECONDS))


class RenderSlots:
    """Turns to render; the capacity is given at each turn (the running configuration's)."""

    def __init__(self) -> None:
        self._turns = threading.Condition()
        self._busy = 0
        try:
            self._cores = max(2, len(os.sched_getaffinity(0)))
        except (AttributeError, OSError):
            self._cores = max(2, os.cpu_count() or 2)

    def capacity(self, configured: int) -> int:
        """``render_slots``, where 0 means one per core the process may run on (at least 2)."""
        return configured or self._cores

    @contextlib.contextmanager
    def turn(self, capacity: int, timeout: float | None = None) -> Iterator[None]:
        """Hold one of ``capacity`` turns while the block renders; raise :func:`overloaded` when
        none is free within ``timeout`` seconds (None: wait for one)."""
        with self._turns:
            if not self._turns.wait_for(lambda: self._busy < capacity, timeout):
                raise overloaded()
            self._busy += 1
        try:
            yield
        finally:
            with self._turns:
                self._busy -= 1
                self._turns.notify()

    @property
    def busy(self) -> int:
        return self._busy
