"""The recipe of one output image, its digest, its validation and the seeded generator.

A :class:`Recipe` is everything that determines one image.  Its digest (SHA-256 over
the fields that shape the picture) seeds every pseudo-random choice, so the same
recipe gives the same bytes in any process and thread.  The fields added for the
GPT models enter the digest only when one of them differs from its default, so a
seed (dall-e-2) recipe keeps the digest, and therefore the bytes, it always had.
"""

from __future__ import annotations

import colorsys
import hashlib
import json
from dataclasses import dataclass
from typing import Final

ENDPOINTS: Final = frozenset({"generations", "edits", "variations"})
FORMATS: Final = ("png", "jpeg", "webp", "gif", "svg")
BACKGROUNDS: Final = ("opaque", "transparent")
MIN_SIDE: Final = 16
MAX_SIDE: Final = 3840
MAX_EXTRA_IMAGES: Final = 15  # 16 input images in all
MAX_FRAMES: Final = 64  # the API takes 2..16 [sdk-py]; a little room for robustness
MAX_FRAME_MS: Final = 655_350  # GIF's delay field: 65535 centiseconds [sdk-py]

_DIGEST_TAG: Final = "mockserver.render.Recipe/v1"
_GOLDEN: Final = 0.6180339887498949


@dataclass(frozen=True)
class Recipe:
    """Everything that determines one output image."""

    endpoint: str  # "generations" | "edits" | "variations"
    model: str  # e.g. "dall-e-2"
    prompt: str | None  # None for variations
    width: int
    height: int
    index: int  # 0-based position of this image in the answer
    n: int  # how many images the request asked for
    image: bytes | None = None  # first input image (edits, variations): png, jpeg or webp bytes, any aspect
    mask: bytes | None = None  # PNG with alpha, same dimensions as image; applies to image only
    # --- GPT fields: at their defaults the recipe is a seed recipe (today's digest and bytes)
    extra_images: tuple[bytes, ...] = ()  # GPT edits: the 2nd..16th input images (png/jpeg/webp bytes)
    output_format: str = "png"  # "png" | "jpeg" | "webp" | "gif" | "svg"
    background: str = "opaque"  # "opaque" | "transparent"
    compression: int = 100  # 0..100, jpeg/webp: lower gives fewer bytes
    quality: str = ""  # resolved quality shown in the label; "" = none shown
    frame_count: int = 1  # gif: number of frames (animated when > 1)
    frame_duration_ms: int = 100  # gif: delay per frame
    markup: bytes | None = None  # GPT edits (the 2.5 line): a PNG with alpha of image's dimensions, drawn over it

    def digest(self) -> str:
        """Return a sha256 hex digest of the picture, stable across processes.

        It covers every field that shapes the picture: the seed fields (``image``
        and ``mask`` through their own sha256) and, only when one of them is not
        at its default, ``extra_images``, ``background``, ``quality`` and
        ``frame_count``, and ``markup`` (through its sha256) when there is one.
        How the picture is encoded (``output_format``,
        ``compression``, ``frame_duration_ms``) does not enter: the same request
        in PNG and in JPEG shows the same picture with the same short id.  The
        fields are serialised, after a format tag, as a JSON array (ASCII-only,
        so any prompt encodes, even one with lone surrogates).
        """
        return _digest(self, self.index, _sha256(self.image), _sha256(self.mask))

    def is_seed(self) -> bool:
        """True when every GPT field is at its default (the seed's behaviour applies)."""
        return self == _seed_of(self)


def _seed_of(recipe: Recipe) -> Recipe:
    return Recipe(
        recipe.endpoint, recipe.model, recipe.prompt, recipe.width, recipe.height, recipe.index, recipe.n,
        recipe.image, recipe.mask,
    )  # fmt: skip


def _sha256(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _digest(recipe: Recipe, index: int, image_sha: str | None, mask_sha: str | None) -> str:
    fields: list[object] = [
        _DIGEST_TAG,
        recipe.endpoint,
        recipe.model,
        recipe.prompt,
        recipe.width,
        recipe.height,
        index,
        recipe.n,
        image_sha,
        mask_sha,
    ]
    picture = ([_sha256(extra) for extra in recipe.extra_images], recipe.background, recipe.quality,
               recipe.frame_count)  # fmt: skip
    if picture != ([], "opaque", "", 1):  # a seed recipe keeps the digest it always had
        fields.append(list(picture))
    if recipe.markup is not None:  # a recipe without markup keeps the digest it had before markup
        fields.append(["markup", _sha256(recipe.markup)])
    blob = json.dumps(fields, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("ascii")).hexdigest()


def _validate(recipe: Recipe) -> None:
    if recipe.endpoint not in ENDPOINTS:
        raise ValueError(f"unknown endpoint {recipe.endpoint!r}")
    for name, side in (("width", recipe.width), ("height", recipe.height)):
        if not MIN_SIDE <= side <= MAX_SIDE:
            raise ValueError(f"{name} {side} outside {MIN_SIDE}..{MAX_SIDE}")
    if not 0 <= recipe.index < recipe.n:
        raise ValueError(f"index {recipe.index} outside 0..{recipe.n - 1}")
    if recipe.endpoint != "generations" and recipe.image is None:
        raise ValueError(f"{recipe.endpoint} needs an input image")
    if recipe.output_format not in FORMATS:
        raise ValueError(f"unknown output_format {recipe.output_format!r}")
    if recipe.background not in BACKGROUNDS:
        raise ValueError(f"unknown background {recipe.background!r}")
    if recipe.background == "transparent" and recipe.output_format == "jpeg":
        raise ValueError("jpeg cannot carry a transparent background")
    if not 0 <= recipe.compression <= 100:
        raise ValueError(f"compression {recipe.compression} outside 0..100")
    if not 1 <= recipe.frame_count <= MAX_FRAMES:
        raise ValueError(f"frame_count {recipe.frame_count} outside 1..{MAX_FRAMES}")
    if not 0 <= recipe.frame_duration_ms <= MAX_FRAME_MS:
        raise ValueError(f"frame_duration_ms {recipe.frame_duration_ms} outside 0..{MAX_FRAME_MS}")
    if len(recipe.extra_images) > MAX_EXTRA_IMAGES:
        raise ValueError(f"{len(recipe.extra_images)} extra images, at most {MAX_EXTRA_IMAGES}")


class _Rng:
    """Tiny deterministic generator: SHAKE-256 of a seed string, read 32 bits
    at a time (one hash call yields the first 64 numbers)."""

    _CHUNK: Final = 256

    def __init__(self, digest: str, purpose: str) -> None:
        self._hash = hashlib.shake_256(f"{digest}/{purpose}".encode("ascii"))
        self._stream = b""
        self._pos = 0

    def _u32(self) -> int:
        if self._pos + 4 > len(self._stream):  # SHAKE output extends, prefix unchanged
            self._stream = self._hash.digest(len(self._stream) + self._CHUNK)
        value = int.from_bytes(self._stream[self._pos : self._pos + 4], "big")
        self._pos += 4
        return value

    def random(self) -> float:
        """Uniform float in [0, 1)."""
        return self._u32() / 4294967296.0

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.random()

    def randint(self, low: int, high: int) -> int:
        """Uniform int in [low, high] (inclusive)."""
        return low + self._u32() % (high - low + 1)


def _hsv(h: float, s: float, v: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return (round(r * 255), round(g * 255), round(b * 255))


def _short_id(digest: str) -> str:
    return digest[:8]


def _size_text(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"

