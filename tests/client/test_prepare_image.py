"""prepare_image: any picture becomes a square PNG under the upload limit that the fake accepts."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from client import ImagesClient, InvalidImageError, prepare_image
from contracts import png
from contracts.models import DALL_E_2
from tests.support.pngs import decode, pattern, png_bytes

LIMIT = DALL_E_2.uploads.max_bytes


def encoded(image: Image.Image, format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def noise(width: int, height: int, mode: str = "RGBA") -> Image.Image:
    return Image.frombytes(mode, (width, height), os.urandom(width * height * len(mode)))


def palette(transparent: bool) -> Image.Image:
    image = pattern((120, 90)).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    if transparent:
        image.info["transparency"] = 0
    return image


def check_upload(data: bytes, side: int, mode: str) -> None:
    """A PNG the contract accepts: square, under the limit, of the expected side and mode."""
    assert len(data) < LIMIT
    info = png.inspect(data, max_pixels=DALL_E_2.uploads.max_pixels)
    assert (info.width, info.height, info.mode) == (side, side, mode)


def test_jpeg_is_cropped_to_its_centre(images: ImagesClient) -> None:
    photo = Image.new("RGB", (300, 200), (200, 0, 0))
    photo.paste((0, 0, 255), (50, 0, 250, 200))  # the centre square is blue, the sides red
    data = prepare_image(encoded(photo, "JPEG", quality=95))
    check_upload(data, 200, "RGB")
    corners = [decode(data).getpixel(xy) for xy in ((2, 2), (197, 197))]
    assert all(isinstance(c, tuple) and c[2] > 180 and c[0] < 60 for c in corners)  # no red left
    assert len(images.create_variation(data, size="256x256").data) == 1


def test_huge_rgba_noise_shrinks_under_the_limit(images: ImagesClient) -> None:
    # Stored uncompressed: encoding 5000x3000 of noise properly would cost seconds here.
    source = encoded(noise(5000, 3000), "PNG", compress_level=0)
    assert len(source) > 10 * LIMIT
    data = prepare_image(source)
    info = png.inspect(data, max_pixels=DALL_E_2.uploads.max_pixels)
    assert info.square and info.mode == "RGBA" and len(data) < LIMIT
    assert info.width > 700  # shrunk only as far as needed, not to a thumbnail
    assert len(images.create_variation(data, size="256x256").data) == 1


@pytest.mark.parametrize(("transparent", "mode"), [(True, "RGBA"), (False, "RGB")])
def test_palette_images(images: ImagesClient, transparent: bool, mode: str) -> None:
    data = prepare_image(palette(transparent))
    check_upload(data, 90, mode)
    assert len(images.create_variation(data, size="256x256").data) == 1


def test_transparency_is_kept_for_edits(images: ImagesClient) -> None:
    picture = pattern((400, 300), "RGBA")
    picture.putalpha(Image.new("L", picture.size, 0).point(lambda _: 0))
    data = prepare_image(picture, size=256)
    check_upload(data, 256, "RGBA")
    assert len(images.edit(data, prompt="a hat", size="256x256").data) == 1  # no mask needed


@pytest.mark.parametrize(
    ("picture", "side", "mode"),
    [
        (Image.new("I;16", (64, 80), 40000), 64, "RGB"),
        (Image.new("CMYK", (50, 40)), 40, "RGB"),
        (Image.new("LA", (30, 30)), 30, "RGBA"),
        (Image.new("1", (33, 20)), 20, "RGB"),
        (encoded(pattern((70, 50)), "GIF"), 50, "RGB"),
        (encoded(pattern((70, 50)), "WEBP"), 50, "RGB"),
        (encoded(pattern((70, 50)), "BMP"), 50, "RGB"),
    ],
    ids=["16-bit grey", "CMYK", "LA", "1-bit", "GIF", "WEBP", "BMP"],
)
def test_modes_and_formats(picture: Image.Image | bytes, side: int, mode: str) -> None:
    check_upload(prepare_image(picture), side, mode)


def test_inputs_of_every_kind(tmp_path: Path) -> None:
    source = encoded(pattern((64, 48)), "JPEG")
    path = tmp_path / "photo.jpg"
    path.write_bytes(source)
    with Image.open(io.BytesIO(source)) as opened:
        for picture in (path, str(path), source, bytearray(source), io.BytesIO(source), opened):
            check_upload(prepare_image(picture), 48, "RGB")


def test_size_and_limit() -> None:
    check_upload(prepare_image(pattern(300), size=128), 128, "RGB")
    check_upload(prepare_image(pattern(100), size=512), 512, "RGB")  # a size scales up as well
    small = prepare_image(noise(300, 300, "RGB"), max_bytes=20_000)
    assert len(small) < 20_000 and decode(small).width == decode(small).height


def test_exif_orientation_is_applied() -> None:
    stored = Image.new("L", (100, 60), 0)
    stored.paste(255, (50, 0, 100, 60))  # left half black, right half white
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90 degrees clockwise: black on top, white below
    data = prepare_image(encoded(stored, "JPEG", exif=exif.tobytes()))
    check_upload(data, 60, "RGB")
    shown = decode(data).convert("L")
    assert shown.getpixel((2, 2)) == pytest.approx(0, abs=30)
    assert shown.getpixel((2, 57)) == pytest.approx(255, abs=30)


def test_the_result_is_already_fine_as_is() -> None:
    original = png_bytes(pattern(256))
    check_upload(prepare_image(original), 256, "RGB")


def test_refusals() -> None:
    with pytest.raises(InvalidImageError, match="cannot read the picture"):
        prepare_image(b"this is not a picture")
    with pytest.raises(ValueError, match="max_bytes"):
        prepare_image(pattern(10), max_bytes=0)
    with pytest.raises(ValueError, match="size"):
        prepare_image(pattern(10), size=0)
    with pytest.raises(InvalidImageError, match="smaller than 10 bytes"):
        prepare_image(pattern(10), max_bytes=10)
