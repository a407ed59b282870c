"""Where the images behind URLs live until they expire (the interface and its values).

A URL answer stores a recipe, not pixels: the PNG is rendered when the URL is
first fetched (rendering is deterministic, so the bytes are the same as a
``b64_json`` answer would have carried) and kept in a byte-bounded cache.
The store is bounded by count and by bytes, so memory stays flat however long the
fake runs; the oldest entries go first, and an evicted image's URL then answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from mockserver.render import Recipe

# What one stored URL costs in memory besides its inputs: the recipe, the prompt and
# the map entries (measured: about 580 bytes of RSS per URL, bench/bench_startup.py).
ENTRY_OVERHEAD = 640


@dataclass(frozen=True)
class StoredImage:
    recipe: Recipe
    expires_at: float
    cost: int  # bytes this entry accounts for


def entry_cost(recipe: Recipe) -> int:
    """The bytes one stored image accounts for: the n images of one answer share their
    input bytes, each accounts for its share, plus ENTRY_OVERHEAD."""
    inputs = len(recipe.image or b"") + len(recipe.mask or b"")
    return -(-inputs // recipe.n) + ENTRY_OVERHEAD


class ImageStore(Protocol):
    """The images behind URLs, bounded by ``max_images`` and ``max_bytes`` (the recipes'
    :func:`entry_cost` plus the rendered PNGs' bytes).

    Adding first forgets, oldest first, the images whose URL has expired (``expires_at``
    before ``now``; a URL is still valid in its last second) up to the oldest one still valid;
    then, while a bound is exceeded, the least recently used renders, then the oldest images."""

    max_images: int
    max_bytes: int

    def add_many(self, images: list[tuple[str, Recipe, float]], *, now: float) -> None:
        """Store an answer's images: ``(image_id, recipe, expires_at)`` each. Within a request,
        a backend may write them as the request ends (:meth:`State.end_request`)."""
        ...

    def get(self, image_id: str) -> StoredImage | None:
        """What is stored for ``image_id``; None if unknown (or forgotten)."""
        ...

    def png(self, image_id: str) -> bytes | None:
        """The PNG behind ``image_id``, rendered on first use and kept while the bounds allow;
        None if unknown."""
        ...

    def clear(self) -> None:
        """Forget every image and render."""
        ...

    def __len__(self) -> int:
        """How many images are stored."""
        ...

    @property
    def bytes_used(self) -> int:
        """The bytes the stored images and renders account for."""
        ...
