"""The images each answer made, by reference, for the live view (``/_mock/ui``): the
interface, and the references the journal records.

The journal records, per answer, a small reference to each image it made (an id,
size, format and, for URL answers, when the URL expires), never its bytes. The
gallery keeps the recipe behind each reference, so the page can show the image
again: rendering is deterministic, so it is rendered anew, byte for byte what
the answer carried (``b64_json``) or what its URL serves.

Bounded like the store, by count and by the bytes its recipes keep alive (their
prompts, and the input images of edits and variations); the oldest go first, and
the page then says the image is no longer kept.
"""

from __future__ import annotations

from typing import Any, Protocol

from mockserver.render import Recipe

MAX_IMAGES = 10_000  # the default journal (1000 entries) times the largest n (10)
MAX_BYTES = 32 * 1024 * 1024  # the prompts and input images the recipes keep alive
ENTRY_OVERHEAD = 400  # the reference, the map entry and the recipe besides its inputs
B64_PREFIX = "b64-"  # the ids of b64_json images (a URL image's is its URL's)


def output_format(recipe: Recipe) -> str:
    """The recipe's encoding (``png`` until recipes carry other formats)."""
    return str(getattr(recipe, "output_format", "png"))


def kept_cost(recipe: Recipe) -> int:
    """The bytes one kept image accounts for: its share of the answer's inputs (the n images
    of an answer share them) plus ENTRY_OVERHEAD."""
    inputs = len(recipe.image or b"") + len(recipe.mask or b"") + len(recipe.prompt or "")
    inputs += sum(len(extra) for extra in recipe.extra_images)  # GPT edits' further inputs
    return -(-inputs // recipe.n) + ENTRY_OVERHEAD


def reference(recipe: Recipe, image_id: str, expires_at: float | None) -> dict[str, Any]:
    """The journal's reference to a kept image."""
    return {
        "id": image_id,
        "response_format": "b64_json" if expires_at is None else "url",
        "format": output_format(recipe),
        "model": recipe.model,
        "width": recipe.width,
        "height": recipe.height,
        "expires_at": expires_at,
    }


class Gallery(Protocol):
    """The recipes behind the journal's image references, bounded by ``max_images`` and
    ``max_bytes`` (:func:`kept_cost` each); the oldest go first. A URL image is kept under its
    URL's id, apart from the store (it outlives its URL); a ``b64_json`` image under a new id
    (``b64-...``) that is never used again, not even after a reset, so a page that cached an
    image by its id never shows another in its place."""

    max_images: int
    max_bytes: int

    def add(self, recipe: Recipe, *, image_id: str | None = None, expires_at: float | None = None
            ) -> dict[str, Any]:
        """Keep one image (``image_id`` and ``expires_at`` for a URL image); its reference."""
        ...

    def add_many(self, images: list[tuple[Recipe, str | None, float | None]]) -> list[dict[str, Any]]:
        """Keep an answer's images, ``(recipe, image_id, expires_at)`` each; their references, in
        order. Within a request, a backend may write them as the request ends."""
        ...

    def image(self, image_id: str) -> tuple[bytes, str] | None:
        """The image behind a reference and its media type, rendered anew; None if not kept."""
        ...

    def clear(self) -> None:
        """Forget every image (their ids stay used)."""
        ...

    def __len__(self) -> int:
        """How many images are kept."""
        ...

    @property
    def bytes_used(self) -> int:
        """The bytes the kept images account for."""
        ...
