"""The live view's gallery of an in-memory fake: an ordered map behind a lock. A URL image's
recipe is the very object the store holds, so keeping it costs no copy."""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from contracts.media import media_type
from mockserver.render import Recipe, render
from mockserver.state.gallery import B64_PREFIX, MAX_BYTES, MAX_IMAGES, kept_cost, output_format, reference


@dataclass(frozen=True)
class _Kept:
    recipe: Recipe
    cost: int


class MemoryGallery:
    """The :class:`mockserver.state.gallery.Gallery` in this process's memory."""

    def __init__(self, *, max_images: int = MAX_IMAGES, max_bytes: int = MAX_BYTES) -> None:
        self.max_images = max_images
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._bytes = 0
        self._serial = itertools.count(1)  # never reset: a b64_json image's id is never reused

    def add(self, recipe: Recipe, *, image_id: str | None = None, expires_at: float | None = None
            ) -> dict[str, Any]:
        cost = kept_cost(recipe)
        with self._lock:
            if image_id is None:
                image_id = f"{B64_PREFIX}{next(self._serial)}"
            old = self._kept.pop(image_id, None)
            if old is not None:
                self._bytes -= old.cost
            self._kept[image_id] = _Kept(recipe, cost)
            self._bytes += cost
            while len(self._kept) > self.max_images or self._bytes > self.max_bytes:
                self._bytes -= self._kept.popitem(last=False)[1].cost
        return reference(recipe, image_id, expires_at)

    def add_many(self, images: list[tuple[Recipe, str | None, float | None]]) -> list[dict[str, Any]]:
        return [self.add(recipe, image_id=image_id, expires_at=expires_at) for recipe, image_id, expires_at in images]

    def image(self, image_id: str) -> tuple[bytes, str] | None:
        with self._lock:
            kept = self._kept.get(image_id)
        if kept is None:
            return None
        return render(kept.recipe), media_type(output_format(kept.recipe))

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._kept)

    @property
    def bytes_used(self) -> int:
        return self._bytes
