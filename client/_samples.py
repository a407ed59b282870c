"""Input files for the guide's legacy examples, drawn here: ``python -m client sample-images``.

The examples open ``sunlit_lounge.png`` and ``mask.png`` (an edit: the mask's transparent
pixels mark what to repaint, here the pool where the flamingo goes) and
``corgi_and_cat_paw.png`` (a variation). Each is a square PNG well under the 4 MB limit;
the image and mask of the edit have the same size, and the mask is RGBA.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

SIDE = 1024
LOUNGE, MASK, CORGI = "sunlit_lounge.png", "mask.png", "corgi_and_cat_paw.png"
POOL = (SIDE * 3 // 16, SIDE * 9 // 16, SIDE * 13 // 16, SIDE * 14 // 16)  # left, top, right, bottom


def lounge() -> Image.Image:
    """A sunlit room: a warm wall, a window of sky, a floor and a pool."""
    image = Image.new("RGB", (SIDE, SIDE), (236, 214, 170))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, SIDE // 2, SIDE, SIDE), fill=(196, 160, 120))  # floor
    draw.rectangle((SIDE // 8, SIDE // 10, SIDE * 7 // 8, SIDE * 4 // 10), fill=(150, 200, 240))  # window
    draw.ellipse((SIDE * 5 // 8, SIDE // 8, SIDE * 6 // 8, SIDE // 4), fill=(255, 236, 120))  # the sun
    draw.rectangle(POOL, fill=(60, 170, 210))
    return image


def mask() -> Image.Image:
    """Opaque everywhere but the pool, which is transparent: what the edit repaints."""
    image = Image.new("RGBA", (SIDE, SIDE), (0, 0, 0, 255))
    ImageDraw.Draw(image).rectangle(POOL, fill=(0, 0, 0, 0))
    return image


def corgi() -> Image.Image:
    """A corgi's head (ears, face) and a cat's paw."""
    image = Image.new("RGB", (SIDE, SIDE), (120, 180, 120))
    draw = ImageDraw.Draw(image)
    draw.polygon([(300, 380), (360, 160), (450, 340)], fill=(214, 130, 50))  # ears
    draw.polygon([(574, 340), (664, 160), (724, 380)], fill=(214, 130, 50))
    draw.ellipse((280, 280, 744, 700), fill=(224, 140, 60))  # head
    draw.ellipse((400, 460, 624, 700), fill=(250, 245, 235))  # muzzle
    draw.ellipse((480, 500, 544, 550), fill=(30, 30, 30))  # nose
    draw.ellipse((680, 720, 900, 920), fill=(90, 90, 90))  # the cat's paw
    for x in (700, 760, 820):
        draw.ellipse((x, 690, x + 60, 750), fill=(90, 90, 90))
    return image


def write_samples(folder: Path) -> list[Path]:
    """Write the three files into ``folder`` (made if needed); their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in ((LOUNGE, lounge), (MASK, mask), (CORGI, corgi)):
        path = folder / name
        draw().save(path, format="PNG", optimize=True)
        written.append(path)
    return written
