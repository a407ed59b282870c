"""The image store of an in-memory fake: two ordered maps behind a lock."""

from __future__ import annotations

import threading
from collections import OrderedDict

from mockserver.render import Recipe, render
from mockserver.state.store import StoredImage, entry_cost


class MemoryImageStore:
    """The :class:`mockserver.state.store.ImageStore` in this process's memory. Insertion
    order is age order; the renders are kept in least-recently-used order."""

    def __init__(self, *, max_images: int, max_bytes: int) -> None:
        self.max_images = max_images
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._images: OrderedDict[str, StoredImage] = OrderedDict()
        self._pngs: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0

    def add_many(self, images: list[tuple[str, Recipe, float]], *, now: float) -> None:
        with self._lock:
            for image_id, recipe, expires_at in images:
                entry = StoredImage(recipe, expires_at, cost=entry_cost(recipe))
                self._images[image_id] = entry
                self._bytes += entry.cost
            self._evict(now)

    def get(self, image_id: str) -> StoredImage | None:
        with self._lock:
            return self._images.get(image_id)

    def png(self, image_id: str) -> bytes | None:
        with self._lock:
            entry = self._images.get(image_id)
            cached = self._pngs.get(image_id)
            if cached is not None:
                self._pngs.move_to_end(image_id)
                return cached
        if entry is None:
            return None
        data = render(entry.recipe)  # outside the lock: it is the slow part
        with self._lock:
            if image_id in self._images and image_id not in self._pngs:
                self._pngs[image_id] = data
                self._bytes += len(data)
                self._evict(None)
        return data

    def _evict(self, now: float | None) -> None:
        while self._images and now is not None:
            image_id, entry = next(iter(self._images.items()))
            if entry.expires_at >= now:  # a URL is still valid in its last second
                break
            self._drop(image_id)
        while self._pngs and self._bytes > self.max_bytes:
            image_id, data = self._pngs.popitem(last=False)
            self._bytes -= len(data)
        while self._images and (len(self._images) > self.max_images or self._bytes > self.max_bytes):
            self._drop(next(iter(self._images)))

    def _drop(self, image_id: str) -> None:
        entry = self._images.pop(image_id)
        self._bytes -= entry.cost
        data = self._pngs.pop(image_id, None)
        if data is not None:
            self._bytes -= len(data)

    def clear(self) -> None:
        with self._lock:
            self._images.clear()
            self._pngs.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._images)

    @property
    def bytes_used(self) -> int:
        return self._bytes
