"""The seed stays byte for byte: dall-e-2 recipes render exactly as before the GPT formats.

The SHA-256 of the digest and of the PNG bytes were computed with the renderer as it
was before `Recipe` grew its GPT fields (output_format, background, compression,
quality, extra_images, frame_count, frame_duration_ms).  A recipe that leaves those
fields at their defaults must keep both.  The inputs are built with Pillow from
fixed drawings, so nothing here depends on the code under test.

If a Pillow upgrade changes its PNG encoder or font rasteriser, these hashes move
with it: check the pictures by eye, then update the table in the same commit.
"""

from __future__ import annotations

import hashlib

import pytest
from PIL import Image, ImageDraw

from mockserver.render import Recipe, render
from tests.support.pngs import png_bytes

PROMPT = "a white siamese cat sitting on a red velvet sofa, soft morning light"


def _picture(side: int) -> bytes:
    img = Image.linear_gradient("L").resize((side, side)).convert("RGB")
    draw = ImageDraw.Draw(img)
    s = side / 256
    draw.rectangle((20 * s, 150 * s, 110 * s, 240 * s), fill=(220, 40, 40))
    draw.ellipse((130 * s, 20 * s, 240 * s, 130 * s), fill=(250, 230, 40))
    return png_bytes(img)


def _ellipse_mask(side: int) -> bytes:
    img = Image.new("RGBA", (side, side), (0, 0, 0, 255))
    ImageDraw.Draw(img).ellipse((side * 0.25, side * 0.25, side * 0.75, side * 0.75), fill=(0, 0, 0, 0))
    return png_bytes(img)


def _cases() -> dict[str, Recipe]:
    return {
        "generation-256": Recipe("generations", "dall-e-2", PROMPT, 256, 256, 0, 1),
        "generation-512": Recipe("generations", "dall-e-2", "a lighthouse at dawn \u00e9\u2014", 512, 512, 1, 3),
        "generation-1024": Recipe("generations", "dall-e-2", PROMPT, 1024, 1024, 3, 4),
        "edit-512": Recipe("edits", "dall-e-2", "add a boat", 512, 512, 0, 2, _picture(512), _ellipse_mask(512)),
        "edit-1024-from-256": Recipe(
            "edits", "dall-e-2", "add a boat", 1024, 1024, 1, 2, _picture(256), _ellipse_mask(256)
        ),
        "variation-256": Recipe("variations", "dall-e-2", None, 256, 256, 2, 4, _picture(256)),
    }


# name -> (recipe digest, sha256 of render(recipe))
GOLDEN: dict[str, tuple[str, str]] = {
    'generation-256': (
        'bc7fa99f92dfaac10f54ac647c4b074b2cc8f57e2e2c88c4cb7e67dee36d24cb',
        'f4e68169de6cca6c6b5996ecfd59e66e46e05d0687b3ebb73781335b82cd8dce',
    ),
    'generation-512': (
        'a18f9f014271d4a1133706a95f0b196389ef68084d455b0fcf72b83a4209ff06',
        'a54a4ddb5e8ace6bdec1e31676d097680e84951d4f084fffa25b5b14499b7193',
    ),
    'generation-1024': (
        '539772417e4843eacdfaae808c7bede6298333e132889293ed15c8ce712a8abe',
        'a25b674817e0ae130d154c945dd35fad20fe34e30d1510e47082cc846cd60314',
    ),
    'edit-512': (
        '485f0102de9f3c96ee3c92fd3a05758ee00c64f31c0d5806f6a00843d1b8b2e1',
        '76cb3ea1ad156b6fdd6d3533d7cd11e6fec52e0fedf86dbaafc466d583980f85',
    ),
    'edit-1024-from-256': (
        'b3e02737d8962b4bccd20cb573b155f328206b13a7f5339da4766eaa4fbe8020',
        '76b5d96b80b957920735b3917fcef531b269c9f76358d527bf4eedf60f64b36a',
    ),
    'variation-256': (
        '5a12faab9769e271d7fedb2d05a0fd33c4cdae95ac27e3d223ddfd8ec0b77d6a',
        '3518d69b40242cf9db716963fb6bba88a03bca714406b27f9267c6250f061b1c',
    ),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_seed_recipes_keep_their_digest_and_bytes(name: str) -> None:
    recipe = _cases()[name]
    assert (recipe.digest(), hashlib.sha256(render(recipe)).hexdigest()) == GOLDEN[name]


def test_every_case_is_pinned() -> None:
    assert sorted(GOLDEN) == sorted(_cases())


if __name__ == "__main__":  # prints the table, for a deliberate update
    for key, value in _cases().items():
        print(f"    {key!r}: ({value.digest()!r}, {hashlib.sha256(render(value)).hexdigest()!r}),")
