"""The images each answer made, by reference, for the live view (``/_mock/ui``).

The journal records, per answer, a small reference to each image it made (an id,
size, format and, for URL answers, when the URL expires), never its bytes. The
gallery keeps the recipe behind each reference, so the page can show the image
again: rendering is deterministic, so it is rendered anew, byte for byte what
the answer carried (``b64_json``) or what its URL serves. A URL image's recipe is
the very object the store holds, so it costs no copy.

Bounded like the store, by count and by the bytes its recipes keep alive (their
prompts, and the input images of edits and variations); the oldest go first, and
the page then says the image is no longer kept.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from contracts.media import media_type
from mockserver.render import Recipe, render

MAX_IMAGES = 10_000  # the default journal (1000 entries) times the largest n (10)
MAX_BYTES = 32 * 1024 * 1024  # the prompts and input images the recipes keep alive
ENTRY_OVERHEAD = 400  # the reference, the map entry and the recipe besides its inputs


def output_format(recipe: Recipe) -> str:
    """The recipe's encoding (``png`` until recipes carry other formats)."""
    return str(getattr(recipe, "output_format", "png"))


@dataclass(frozen=True)
class Kept:
    recipe: Recipe
    cost: int


class Gallery:
    def __init__(self, *, max_images: int = MAX_IMAGES, max_bytes: int = MAX_BYTES) -> None:
        self.max_images = max_images
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, Kept] = OrderedDict()
        self._bytes = 0
        # Ids of b64_json images: never reused, not even after a reset, so a page that
        # cached an image by its id never shows an older one in its place.
        self._serial = itertools.count(1)

    def add(self, recipe: Recipe, *, image_id: str | None = None, expires_at: float | None = None) -> dict[str, Any]:
        """Keep ``recipe`` and return the journal's reference to it: ``image_id`` for a URL
        image (with ``expires_at``), a new id for a ``b64_json`` one."""
        inputs = len(recipe.image or b"") + len(recipe.mask or b"") + len(recipe.prompt or "")
        inputs += sum(len(extra) for extra in getattr(recipe, "extra_images", ()))  # GPT edits' further inputs
        cost = -(-inputs // recipe.n) + ENTRY_OVERHEAD  # the n images of an answer share their inputs
        with self._lock:
            if image_id is None:
                image_id = f"b64-{next(self._serial)}"
            self._kept[image_id] = Kept(recipe, cost)
            self._bytes += cost
            while len(self._kept) > self.max_images or self._bytes > self.max_bytes:
                self._bytes -= self._kept.popitem(last=False)[1].cost
        return {
            "id": image_id,
            "response_format": "b64_json" if expires_at is None else "url",
            "format": output_format(recipe),
            "model": recipe.model,
            "width": recipe.width,
            "height": recipe.height,
            "expires_at": expires_at,
        }

    def add_many(self, images: list[tuple[Recipe, str | None, float | None]]) -> list[dict[str, Any]]:
        """Keep an answer's images, ``(recipe, image_id, expires_at)`` each; their references."""
        return [self.add(recipe, image_id=image_id, expires_at=expires_at) for recipe, image_id, expires_at in images]

    def image(self, image_id: str) -> tuple[bytes, str] | None:
        """The image behind a reference and its media type, rendered anew; None if not kept."""
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
