"""The image factory: PNGs made with Pillow, knowing what Pillow reads back."""

from __future__ import annotations

import functools
import io
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from PIL import Image, ImageDraw

from contracts.models import DALL_E_2, ModelProfile
from contracts.strategies._bounds import checked_profile, side_bound, subset
from contracts.strategies._case import Part

# Every mode Pillow writes as PNG, as it reads them back.
BUILD_MODES: tuple[str, ...] = ("RGBA", "LA", "L", "RGB", "P", "1", "I;16")


@dataclass(frozen=True)
class Png:
    """PNG bytes made with Pillow, and what Pillow reads back: size and mode."""

    data: bytes
    width: int
    height: int
    mode: str
    transparency: str  # "alpha hole", "opaque", "tRNS", "none"

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def note(self) -> str:
        return f"{self.mode} {self.size} PNG ({self.transparency})"

    def __repr__(self) -> str:
        return f"Png({self.note}, {len(self.data)} bytes)"


@functools.lru_cache(maxsize=256)
def _encode_png(
    mode: str,
    width: int,
    height: int,
    hole: tuple[int, int, int, int] | None,
    trns: bool,
    tint: tuple[int, int, int],
) -> tuple[bytes, str]:
    """A picture with a shape on a tinted ground; ``hole`` is cut to alpha 0 (modes with
    alpha), ``trns`` adds a tRNS colour key (L, RGB, P). Returns the bytes and the mode
    Pillow reads back."""
    image = Image.new("RGBA", (width, height), (*tint, 255))
    draw = ImageDraw.Draw(image)
    draw.ellipse([width // 4, height // 4, (3 * width) // 4, (3 * height) // 4],
                 fill=(255 - tint[0], tint[2], 255 - tint[1], 255))
    if hole is not None:
        draw.rectangle(list(hole), fill=(0, 0, 0, 0))
    converted = image.convert("L").convert("I;16") if mode == "I;16" else image.convert(mode)
    options: dict[str, Any] = {"compress_level": 1}
    if trns:
        options["transparency"] = (0, 0, 0) if mode == "RGB" else 0
    buffer = io.BytesIO()
    converted.save(buffer, "PNG", **options)
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as probe:  # the header only: Image.open is lazy
        return data, probe.mode


def sides(min_side: int, max_side: int) -> st.SearchStrategy[int]:
    """Square sides: small ones often, the output sizes and the bounds sometimes."""
    marks = [s for s in (min_side, 128, 256, 512, 1024, 2048, 4096, max_side) if min_side <= s <= max_side]
    return st.one_of(
        st.integers(min_side, min(max_side, max(min_side, 64))),
        st.sampled_from(sorted(set(marks))),
        st.integers(min_side, max_side),
    )


@st.composite
def drawn_png(
    draw: st.DrawFn,
    *,
    modes: Sequence[str],
    width: int,
    height: int,
    max_bytes: int,
) -> Png:
    mode = draw(st.sampled_from(modes))
    hole: tuple[int, int, int, int] | None = None
    trns = False
    transparency = "none"
    if mode in ("RGBA", "LA"):
        if draw(st.booleans()):
            x0 = draw(st.integers(0, width - 1))
            y0 = draw(st.integers(0, height - 1))
            hole = (x0, y0, draw(st.integers(x0, width - 1)), draw(st.integers(y0, height - 1)))
            transparency = "alpha hole"
        else:
            transparency = "opaque"
    elif mode in ("L", "RGB", "P") and draw(st.booleans()):
        trns, transparency = True, "tRNS"
    tint = (draw(st.integers(0, 255)), draw(st.integers(0, 255)), draw(st.integers(0, 255)))
    data, read_mode = _encode_png(mode, width, height, hole, trns, tint)
    if len(data) >= max_bytes:
        # Smooth pictures stay far below the limit; this is a guard, not a filter.
        raise InvalidArgument(f"a {mode} {width}x{height} test PNG took {len(data)} bytes")
    return Png(data, width, height, read_mode, transparency)


def pngs(
    *,
    profile: ModelProfile = DALL_E_2,
    modes: Sequence[str] = BUILD_MODES,
    min_side: int = 1,
    max_side: int = 1024,
) -> st.SearchStrategy[Png]:
    """Square PNGs the profile accepts as uploads: every mode in ``modes``, sides from
    ``min_side`` to ``max_side``, with an alpha hole, fully opaque, or a tRNS colour key."""
    profile = checked_profile(profile)
    modes = tuple(subset("modes", modes, BUILD_MODES))
    max_side = side_bound(profile, max_side)
    if not 1 <= min_side <= max_side:
        raise InvalidArgument(f"need 1 <= min_side <= max_side, got {min_side}, {max_side}")
    limit = profile.uploads.max_bytes
    return sides(min_side, max_side).flatmap(
        lambda side: drawn_png(modes=modes, width=side, height=side, max_bytes=limit)
    )


def carrier_modes(profile: ModelProfile) -> tuple[str, ...]:
    """Build modes Pillow reads back as a mode that may carry the edit region (every mode, for
    a model that needs no transparency to know where to edit)."""
    if not profile.uploads.transparency_modes:
        return BUILD_MODES
    return tuple(m for m in BUILD_MODES if m in profile.uploads.transparency_modes)


def opaque_modes(profile: ModelProfile) -> tuple[str, ...]:
    return tuple(m for m in BUILD_MODES if m not in profile.uploads.transparency_modes)


def as_part(name: str, image: Png, draw: st.DrawFn) -> Part:
    filename, content_type = draw(st.sampled_from(
        [("image.png", "image/png"), (name, "application/octet-stream"), (f"{name}.PNG", "image/png")]
    ))
    return Part(name, filename, content_type, image.data, image.note)



def expect_mode(image: Png, modes: Collection[str], *, inside: bool = True) -> None:
    if (image.mode in modes) != inside:
        raise InvalidArgument(f"Pillow read a {image.note} back; the strategy expected its mode "
                              f"{'in' if inside else 'outside'} {sorted(modes)}")

