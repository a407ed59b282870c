"""Deterministic image rendering for the offline fake of the OpenAI Images API.

Every image the mock server returns is produced here from a :class:`Recipe`, the
complete description of one output image (endpoint, model, prompt, size, position
in the answer, the input images of edits and variations, and for the GPT models
the output format, background, compression, quality and GIF frames).
:func:`render` turns a recipe into the bytes of that format; :func:`render_partial`
gives the less finished versions a stream shows first.

``render`` is pure: every pseudo-random choice comes from the recipe's digest, so
the same recipe gives byte-identical output in any process and thread.  A recipe
whose GPT fields are at their defaults (a seed, dall-e-2 recipe) has the digest and
the PNG bytes it had before those fields existed (pinned by a test).

The package, one concern a module:

* ``recipe``     -- :class:`Recipe`, its digest, validation, the seeded generator.
* ``text``       -- the font, glyph cache, wrapping and truncation.
* ``design``     -- the generated picture: background plan, label layout and panel.
* ``inputs``     -- decoded input images (cached, bounded in bytes), cover fitting, thumbnails.
* ``transforms`` -- edits and variations.
* ``encode``     -- png/jpeg/webp/gif encoders and their settings, media types.
* ``svg``        -- the SVG writer (the generated design as vectors, real text).

Drawing is cheap next to encoding (see bench/bench_render.py): no per-pixel Python
loops, the background is built on a coarse grid and upscaled by whole blocks, text
comes from a glyph cache, and full-size intermediate images are kept few.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from PIL import Image

from contracts.media import MEDIA_TYPES, media_type
from mockserver.render.design import _GRADIENTS, _generated
from mockserver.render.encode import PNG_SAVE_OPTIONS, encode, encode_gif, save_options
from mockserver.render.inputs import _INPUTS, _THUMBS, UnreadableInput, empty_input_caches, holding_inputs
from mockserver.render.recipe import FORMATS, MAX_SIDE, MIN_SIDE, Recipe, _digest, _sha256, _validate
from mockserver.render.svg import render_svg
from mockserver.render.text import _FACES, empty_faces
from mockserver.render.transforms import _edit, _variation

__all__ = [
    "FORMATS",
    "MAX_SIDE",
    "MEDIA_TYPES",
    "MIN_SIDE",
    "PNG_SAVE_OPTIONS",
    "Recipe",
    "UnreadableInput",
    "empty_caches",
    "holding_inputs",
    "media_type",
    "render",
    "render_partial",
    "render_progressive",
    "save_options",
]

# The caches, for tests and benchmarks that need them empty.
CACHES: Final = (_INPUTS, _THUMBS, _FACES, _GRADIENTS)


def empty_caches() -> None:
    """Forget every cached decoded input, thumbnail, face and gradient (each made again on use), and
    hand the freed memory back to the system: what ``POST /_mock/reset`` does to the renderer."""
    _GRADIENTS.clear()
    empty_faces()
    empty_input_caches()


def render(recipe: Recipe) -> bytes:
    """Return the image for recipe, encoded in recipe.output_format. Pure and deterministic.

    The picture is exactly ``width`` x ``height``: RGB, or RGBA for a transparent
    background (png, webp; gif through a transparent palette entry; svg without a
    backdrop).  Raises ValueError for a recipe the contract could never produce:
    an unknown endpoint, format or background, a side outside 16..3840, an index
    outside 0..n-1, a missing input image, a transparent jpeg, compression outside
    0..100, frames outside 1..64; :class:`UnreadableInput` (a ValueError) for an input
    image it cannot decode.
    """
    _validate(recipe)
    if recipe.output_format == "svg":
        return render_svg(recipe, recipe.digest(), _picture)
    return _encoded(recipe, _picture(recipe))


def render_partial(recipe: Recipe, step: int, steps: int) -> bytes:
    """A less finished version of render(recipe), for streamed partial images.

    Same format and size; for 0 <= step < steps the picture is shrunk by a factor
    that halves with each step (``2 ** (steps - step + 1)``: 4 for the last one)
    and enlarged back smoothly, so it is blurred and coarse, less so as step grows.
    An SVG gets the same blur as a filter.  Deterministic.
    """
    _validate(recipe)
    if not 0 <= step < steps:
        raise ValueError(f"step {step} outside 0..{steps - 1}")
    factor = 2 ** min(8, steps - step + 1)
    if recipe.output_format == "svg":
        return render_svg(recipe, recipe.digest(), _picture, blur=factor / 2)
    return _encoded(recipe, _unfinished(_picture(recipe), factor))


def render_progressive(recipe: Recipe, steps: int) -> Iterator[bytes]:
    """``render_partial(recipe, step, steps)`` for each step, then ``render(recipe)``: the same
    bytes, with the picture drawn once for all of them (a stream's events, produced lazily)."""
    _validate(recipe)
    if recipe.output_format == "svg":
        for step in range(steps):
            yield render_partial(recipe, step, steps)
        yield render(recipe)
        return
    picture = _picture(recipe)
    for step in range(steps):
        yield _encoded(recipe, _unfinished(picture, 2 ** min(8, steps - step + 1)))
    yield _encoded(recipe, picture)


def _picture(recipe: Recipe) -> Image.Image:
    """The picture of a valid recipe: RGB, or RGBA for a transparent background."""
    image_sha, mask_sha = _sha256(recipe.image), _sha256(recipe.mask)
    digest = _digest(recipe, recipe.index, image_sha, mask_sha)  # == recipe.digest()
    size = (recipe.width, recipe.height)
    if recipe.endpoint == "generations":
        return _generated(
            recipe, digest, size, size, "bottom", None, recipe.extra_images, recipe.background == "transparent"
        )
    if recipe.endpoint == "edits":
        return _edit(recipe, digest, size)
    # The digest of the same request at index 0 seeds the choices that are spread
    # over the indices, so that the n images differ from each other.  Variations
    # (dall-e-2 only) are always opaque.
    return _variation(recipe, digest, _digest(recipe, 0, image_sha, mask_sha), size)


def _encoded(recipe: Recipe, img: Image.Image) -> bytes:
    if recipe.output_format == "gif":
        return encode_gif(img, recipe.frame_count, recipe.frame_duration_ms)
    return encode(img, recipe.output_format, recipe.compression)


def _unfinished(img: Image.Image, factor: int) -> Image.Image:
    """img shrunk by factor (box filter) and enlarged back smoothly (bilinear)."""
    w, h = img.size
    return img.reduce(min(factor, w, h)).resize((w, h), Image.Resampling.BILINEAR)
