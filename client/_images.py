"""Pictures in: read what the caller hands us, and make any picture a valid DALL·E 2 upload.

A picture may be a path (``str`` or ``os.PathLike``), raw bytes, a binary file
object, or a Pillow image. :func:`upload_part` sends it as it is (a Pillow image
is encoded as PNG), named and typed after the format its bytes are in (PNG, JPEG or
WebP; anything else goes as a PNG, for the server to judge); :func:`prepare_image`
turns it into what dall-e-2 accepts: a square PNG under the upload limit.
:class:`ImageRef` names an image a JSON edit refers to: a URL, a ``data:`` URL, or a file id.
"""

from __future__ import annotations

import base64
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeAlias, cast

from PIL import Image, ImageOps, UnidentifiedImageError

from client._errors import InvalidImageError
from client._formats import PNG, sniff
from contracts.models import DALL_E_2, MODELS

PNG_CONTENT_TYPE = PNG.media_type
DEFAULT_FILENAME = "image.png"
# The formats any model takes as edit inputs (GPT image models: png, webp, jpeg).
UPLOAD_FORMATS = tuple(dict.fromkeys(f for profile in MODELS.values() for f in profile.uploads.formats))
MAX_UPLOAD_BYTES = DALL_E_2.uploads.max_bytes
# The side above which the fake (and, we assume, the API) refuses an upload outright.
_MAX_SIDE = math.isqrt(DALL_E_2.uploads.max_pixels)
_PNG_MODES = frozenset({"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"})
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
_PROBE_SIDE = 256


class SupportsRead(Protocol):
    """A binary file object, as far as we need one."""

    def read(self) -> bytes: ...


Picture: TypeAlias = str | os.PathLike[str] | bytes | bytearray | memoryview | SupportsRead | Image.Image


def read_picture(picture: Picture) -> tuple[bytes | Image.Image, str | None]:
    """The picture's bytes (or the Pillow image itself) and the file name it came with, if any."""
    if isinstance(picture, Image.Image):
        return picture, None
    if isinstance(picture, bytes | bytearray | memoryview):
        return bytes(picture), None
    if isinstance(picture, str | os.PathLike):
        path = Path(picture)
        return path.read_bytes(), path.name
    if hasattr(picture, "read"):
        data = picture.read()
        if not isinstance(data, bytes):
            raise TypeError(f"the file object gave {type(data).__name__}, not bytes: open it in binary mode")
        name = getattr(picture, "name", None)
        return data, os.path.basename(name) if isinstance(name, str) else None
    raise TypeError(
        f"cannot use a {type(picture).__name__} as an image: pass a path, bytes, a binary file or a PIL image"
    )


def encode_png(image: Image.Image) -> bytes:
    """A Pillow image as PNG bytes, converting modes PNG cannot store."""
    if image.mode not in _PNG_MODES:
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def upload_part(picture: Picture) -> tuple[str, bytes, str]:
    """``(filename, bytes, content type)`` for a multipart file part, after the format of the
    bytes: a PNG, JPEG or WebP is named and typed as such (``photo.jpg``, ``image/jpeg``);
    anything else is sent as a PNG (``image.png``), for the server to judge."""
    content, name = read_picture(picture)
    data = encode_png(content) if isinstance(content, Image.Image) else content
    found = sniff(data)
    image_format = found if found is not None and found.name in UPLOAD_FORMATS else PNG
    stem = Path(name).stem if name else ""
    filename = f"{stem or 'image'}{image_format.extension}"
    return filename, data, image_format.media_type


def data_url(picture: Picture) -> str:
    """The picture as a ``data:`` URL (base64), typed after its bytes as :func:`upload_part` does."""
    _, data, media_type = upload_part(picture)
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


@dataclass(frozen=True)
class ImageRef:
    """An image a JSON edit refers to ([spec] ``ImageRefParam``): exactly one of ``image_url``
    (an ``https:`` URL or a ``data:`` URL) and ``file_id`` (a Files API id).

    ``ImageRef.url("https://...")``, ``ImageRef.file("file-abc")``, ``ImageRef.of(picture)``
    (the picture inlined as a ``data:`` URL)."""

    image_url: str | None = None
    file_id: str | None = None

    def __post_init__(self) -> None:
        if (self.image_url is None) == (self.file_id is None):
            raise ValueError("an ImageRef takes exactly one of image_url and file_id")
        value = self.image_url if self.image_url is not None else self.file_id
        if not isinstance(value, str) or not value:
            raise ValueError(f"an ImageRef needs a non-empty string, not {value!r}")

    @classmethod
    def url(cls, url: str) -> ImageRef:
        return cls(image_url=url)

    @classmethod
    def file(cls, file_id: str) -> ImageRef:
        return cls(file_id=file_id)

    @classmethod
    def of(cls, picture: Picture) -> ImageRef:
        return cls(image_url=data_url(picture))

    def as_json(self) -> dict[str, str]:
        return {"image_url": self.image_url} if self.image_url is not None else {"file_id": str(self.file_id)}

    def __repr__(self) -> str:
        if self.file_id is not None:
            return f"ImageRef(file_id={self.file_id!r})"
        url = str(self.image_url)
        return f"ImageRef(image_url={url[:60] + '…' if len(url) > 60 else url!r})"


def open_picture(picture: Picture) -> Image.Image:
    """Any picture as a loaded Pillow image (the first frame of an animation)."""
    content, _ = read_picture(picture)
    if isinstance(content, Image.Image):
        return content
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            return image.copy()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InvalidImageError(f"cannot read the picture as an image: {exc}") from exc


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in _ALPHA_MODES or "transparency" in image.info


def _eight_bit(image: Image.Image) -> Image.Image:
    """RGB or RGBA; 16-bit and float greys are stretched to 0-255 first, not clipped."""
    if image.mode.startswith("I;16"):
        image = image.convert("I")
    if image.mode in ("I", "F"):
        low, high = cast(tuple[float, float], image.getextrema())  # one band: (min, max)
        scale = 255.0 / (high - low) if high != low else 0.0
        image = image.point(lambda v: (v - low) * scale).convert("L")
    return image.convert("RGBA" if _has_alpha(image) else "RGB")


def _square(image: Image.Image) -> Image.Image:
    side = min(image.size)
    left = (image.width - side) // 2
    top = (image.height - side) // 2
    return image.crop((left, top, left + side, top + side))


def _fitting_side(image: Image.Image, max_bytes: int) -> int:
    """A side predicted to fit ``max_bytes``, from the PNG cost per pixel of a centre tile.

    Encoding a large incompressible picture takes seconds; a small probe avoids
    encoding it whole just to learn that it is far too big.
    """
    side = image.width
    if side <= _PROBE_SIDE:
        return side
    offset = (side - _PROBE_SIDE) // 2
    tile = image.crop((offset, offset, offset + _PROBE_SIDE, offset + _PROBE_SIDE))
    per_pixel = len(encode_png(tile)) / (_PROBE_SIDE * _PROBE_SIDE)
    predicted = math.isqrt(int(max_bytes * 0.9 / per_pixel))
    return max(1, min(side, predicted))


def prepare_image(picture: Picture, *, max_bytes: int = MAX_UPLOAD_BYTES, size: int | None = None) -> bytes:
    """Any picture as a square PNG of fewer than ``max_bytes`` bytes, ready to upload.

    Centre-crops to a square, resizes to ``size`` pixels a side when given, keeps an
    alpha channel when the picture has transparency (RGBA, else RGB), and shrinks
    the square until its PNG is under ``max_bytes`` (so ``size`` is an upper bound).
    """
    if max_bytes <= 0:
        raise ValueError(f"max_bytes must be positive, not {max_bytes}")
    if size is not None and size < 1:
        raise ValueError(f"size must be at least 1 pixel, not {size}")
    image = open_picture(picture)
    image = ImageOps.exif_transpose(image)  # phone photos are stored sideways
    image = _square(_eight_bit(image))
    target = min(size if size is not None else image.width, _MAX_SIDE)
    if target != image.width:
        image = image.resize((target, target), Image.Resampling.LANCZOS)
    side = _fitting_side(image, max_bytes)
    while True:
        resized = image if side == image.width else image.resize((side, side), Image.Resampling.LANCZOS)
        data = encode_png(resized)
        if len(data) < max_bytes:
            return data
        if side == 1:
            raise InvalidImageError(f"cannot make a PNG smaller than {max_bytes} bytes")
        # Shrink in proportion to the excess, with a margin so we rarely need a third try.
        side = max(1, min(side - 1, int(side * math.sqrt(max_bytes / len(data)) * 0.95)))
