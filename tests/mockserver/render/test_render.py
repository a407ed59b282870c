"""mockserver.render: what a user can observe in the rendered PNGs.

Valid RGB PNGs of the exact size; the same recipe gives the same bytes (in this
process, across processes and threads) and any change gives different bytes;
edits keep every pixel outside the edit region and fill the region; variations
resemble their input and differ from each other; labels are really drawn.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps, ImageStat

from mockserver import render as render_module
from mockserver.render import Recipe, render
from mockserver.render import text as render_text
from tests.support import ROOT
from tests.support.pngs import png_bytes
from tests.support.profiles import budget

PROMPT = "a white siamese cat sitting on a red velvet sofa, soft morning light"
SIZES = (256, 512, 1024)
ENDPOINTS = ("generations", "edits", "variations")


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #


def decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def noise(size: int = 256, seed: int = 1) -> Image.Image:
    """RGB noise: every pixel differs from its neighbours, so nothing smooth matches it."""
    return Image.frombytes("RGB", (size, size), random.Random(seed).randbytes(size * size * 3))


def picture(size: int = 256) -> Image.Image:
    """Big shapes with strong light and shade: a subject a variation should keep."""
    img = Image.linear_gradient("L").resize((size, size)).convert("RGB")
    draw = ImageDraw.Draw(img)
    s = size / 256
    draw.rectangle((20 * s, 150 * s, 110 * s, 240 * s), fill=(220, 40, 40))
    draw.ellipse((130 * s, 20 * s, 240 * s, 130 * s), fill=(250, 230, 40))
    draw.polygon([(60 * s, 15 * s), (110 * s, 120 * s), (10 * s, 120 * s)], fill=(20, 60, 200))
    return img


def unrelated(size: int = 256) -> Image.Image:
    """A different picture with the same kind of content."""
    img = Image.linear_gradient("L").rotate(90).resize((size, size)).convert("RGB")
    draw = ImageDraw.Draw(img)
    s = size / 256
    draw.ellipse((20 * s, 140 * s, 120 * s, 240 * s), fill=(30, 30, 30))
    draw.rectangle((150 * s, 150 * s, 250 * s, 250 * s), fill=(250, 250, 250))
    return img


def half_mask(size: int = 256, mode: str = "RGBA") -> Image.Image:
    """Left half opaque, right half alpha 0."""
    alpha = Image.new("L", (size, size), 255)
    ImageDraw.Draw(alpha).rectangle((size // 2, 0, size, size), fill=0)
    img = Image.new("RGBA", (size, size), (0, 0, 0, 255))
    img.putalpha(alpha)
    return img.convert(mode)


def mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


def edge_energy(img: Image.Image, box: tuple[int, int, int, int]) -> float:
    """Mean edge strength in box: high where there is text, low on smooth backgrounds."""
    return float(ImageStat.Stat(img.convert("L").crop(box).filter(ImageFilter.FIND_EDGES)).mean[0])


def recipe(endpoint: str = "generations", size: int = 256, **changes: object) -> Recipe:
    image = png_bytes(picture(size)) if endpoint != "generations" else None
    mask = png_bytes(half_mask(size)) if endpoint == "edits" else None
    base = Recipe(
        endpoint=endpoint,
        model="dall-e-2",
        prompt=None if endpoint == "variations" else PROMPT,
        width=size,
        height=size,
        index=0,
        n=2,
        image=image,
        mask=mask,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def cold_caches() -> Iterator[None]:
    """Empty the module's caches, so the code that fills them runs."""
    render_module._INPUTS.clear()
    render_module._FACES.clear()
    render_module._GRADIENTS.clear()
    yield


# --------------------------------------------------------------------------- #
# format
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_output_is_an_rgb_png_of_the_exact_size(endpoint: str, size: int) -> None:
    data = render(recipe(endpoint, size))
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    img = decode(data)
    assert img.format == "PNG"
    assert img.mode == "RGB"
    assert img.size == (size, size)


@pytest.mark.parametrize("size", [(16, 16), (2048, 16), (16, 2048), (300, 200), (1792, 1024), (17, 999)])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_unusual_sizes(endpoint: str, size: tuple[int, int]) -> None:
    r = dataclasses.replace(recipe(endpoint), width=size[0], height=size[1])
    img = decode(render(r))
    assert (img.mode, img.size) == ("RGB", size)


def test_outputs_stay_small() -> None:
    assert len(render(recipe("generations", 1024))) < 400_000
    assert len(render(recipe("generations", 256))) < 60_000


@pytest.mark.parametrize(
    "changes",
    [
        {"endpoint": "images"},
        {"width": 15},
        {"height": 3841},
        {"index": 2},
        {"index": -1},
        {"endpoint": "edits", "image": None},
        {"endpoint": "variations", "image": None},
    ],
)
def test_impossible_recipes_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        render(dataclasses.replace(recipe(), **changes))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- #
# determinism
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_same_recipe_same_bytes(endpoint: str) -> None:
    first = render(recipe(endpoint))
    second = render(recipe(endpoint))  # equal recipe, new objects
    assert first == second


def test_digest_is_a_sha256_hex_that_tracks_every_field() -> None:
    base = recipe("edits")
    digest = base.digest()
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert base.digest() == dataclasses.replace(base).digest()
    changes: list[dict[str, object]] = [
        {"endpoint": "generations"},
        {"model": "dall-e-3"},
        {"prompt": PROMPT + "!"},
        {"prompt": None},
        {"width": 512},
        {"height": 512},
        {"index": 1},
        {"n": 3},
        {"image": png_bytes(noise())},
        {"mask": None},
        {"mask": png_bytes(half_mask(256, "LA"))},
    ]
    digests = {dataclasses.replace(base, **c).digest() for c in changes}  # type: ignore[arg-type]
    assert len(digests) == len(changes) and digest not in digests


CHILD = """
import hashlib, json, sys
from pathlib import Path
from mockserver.render import Recipe, render
folder = Path(sys.argv[1])
image, mask = (folder / "image.png").read_bytes(), (folder / "mask.png").read_bytes()
recipes = [
    Recipe("generations", "dall-e-2", "a lighthouse at dawn \\u00e9\\u2014\\U0001F600", 256, 256, 1, 3),
    Recipe("edits", "dall-e-2", "a boat", 256, 256, 0, 1, image, mask),
    Recipe("variations", "dall-e-2", None, 256, 256, 2, 4, image),
]
print(json.dumps([[r.digest(), hashlib.sha256(render(r)).hexdigest()] for r in recipes]))
"""


def test_identical_across_processes_with_different_hash_seeds(tmp_path: Path) -> None:
    (tmp_path / "image.png").write_bytes(png_bytes(picture()))
    (tmp_path / "mask.png").write_bytes(png_bytes(half_mask()))
    answers = []
    for seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(tmp_path)], env=env, capture_output=True, text=True, check=True
        )
        answers.append(json.loads(done.stdout))
    assert answers[0] == answers[1]
    # ... and this process agrees with both.
    image, mask = png_bytes(picture()), png_bytes(half_mask())
    here = Recipe("edits", "dall-e-2", "a boat", 256, 256, 0, 1, image, mask)
    assert answers[0][1] == [here.digest(), hashlib.sha256(render(here)).hexdigest()]


def test_threads_all_get_the_same_bytes(cold_caches: None) -> None:
    recipes = [
        recipe("generations", prompt="Thread-safe ©«»… glyphs: QZXJ 0123456789"),
        recipe("edits"),
        recipe("variations"),
    ]
    expected = [render(r) for r in recipes]
    render_module._INPUTS.clear()
    render_module._FACES.clear()  # glyphs are made again, by 8 threads at once
    barrier = threading.Barrier(8)

    def work(_: int) -> list[bytes]:
        barrier.wait()
        return [render(r) for r in recipes]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    assert all(result == expected for result in results)


@pytest.mark.parametrize(
    "changes",
    [
        {"prompt": PROMPT.replace("cat", "dog")},
        {"index": 1},
        {"n": 3},
        {"width": 512, "height": 512},
        {"width": 512},
        {"model": "dall-e-3"},
        {"endpoint": "edits", "image": png_bytes(picture()), "mask": png_bytes(half_mask())},
    ],
)
def test_any_change_changes_the_bytes(changes: dict[str, object]) -> None:
    base = recipe("generations")
    assert render(base) != render(dataclasses.replace(base, **changes))  # type: ignore[arg-type]


def test_different_prompts_look_different() -> None:
    a = decode(render(recipe(prompt="a red fox")))
    b = decode(render(recipe(prompt="a blue whale")))
    top = (0, 0, 256, 128)  # the background, away from the label
    assert mean_abs_diff(a.crop(top), b.crop(top)) > 10


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_endpoints_give_different_bytes(endpoint: str) -> None:
    others = [render(recipe(e)) for e in ENDPOINTS if e != endpoint]
    assert render(recipe(endpoint)) not in others


# --------------------------------------------------------------------------- #
# labels
# --------------------------------------------------------------------------- #


def test_generation_has_a_label_panel_at_the_bottom() -> None:
    img = decode(render(recipe("generations", 512)))
    text_area = edge_energy(img, (40, 330, 472, 490))
    background = edge_energy(img, (0, 0, 512, 200))
    assert text_area > 4 * background + 4  # text strokes, on a smooth background


def test_a_longer_prompt_draws_more_text() -> None:
    a = decode(render(recipe("generations", 512, prompt="x" * 5)))
    b = decode(render(recipe("generations", 512, prompt="x" * 400)))
    panel = (0, 300, 512, 512)
    assert edge_energy(b, panel) > edge_energy(a, panel)  # more text, more strokes


def test_long_prompts_are_truncated_not_overflowing() -> None:
    img = decode(render(recipe("generations", 256, prompt="word " * 500)))
    # The panel takes at most the bottom ~60%: the top stays clear background.
    assert edge_energy(img, (0, 0, 256, 80)) * 3 < edge_energy(img, (20, 130, 236, 240))


def test_unicode_and_odd_prompts_render() -> None:
    for prompt in ("", "   ", "日本語のプロンプト 🦊", "\ud800 lone surrogate", "tab\tnew\nline", "x" * 2000):
        img = decode(render(recipe(prompt=prompt)))
        assert img.size == (256, 256)


def test_without_freetype_the_bitmap_font_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_text, "_FREETYPE", False)
    img = decode(render(recipe("generations", 512)))
    assert img.size == (512, 512)
    assert edge_energy(img, (40, 330, 472, 490)) > 4 * edge_energy(img, (0, 0, 512, 200)) + 4
    for endpoint in ("edits", "variations"):
        assert decode(render(recipe(endpoint, prompt="…é"))).size == (256, 256)


# --------------------------------------------------------------------------- #
# edits
# --------------------------------------------------------------------------- #


def assert_edited_right_half(out: Image.Image, source: Image.Image) -> None:
    left, right = (0, 0, 128, 256), (128, 0, 256, 256)
    assert out.crop(left).tobytes() == source.convert("RGB").crop(left).tobytes()
    assert mean_abs_diff(out.crop(right), source.crop(right)) > 40


def test_edit_keeps_the_opaque_half_exactly_and_fills_the_transparent_half() -> None:
    source = noise()
    out = decode(render(Recipe("edits", "dall-e-2", PROMPT, 256, 256, 0, 1, png_bytes(source), png_bytes(half_mask()))))
    assert_edited_right_half(out, source)


def test_edit_without_mask_uses_the_images_alpha() -> None:
    source = noise().convert("RGBA")
    source.putalpha(half_mask().getchannel("A"))
    out = decode(render(Recipe("edits", "dall-e-2", PROMPT, 256, 256, 0, 1, png_bytes(source))))
    assert_edited_right_half(out, source)


def test_edit_mask_as_la_and_palette_with_transparency() -> None:
    source = noise()
    for mask in (half_mask(mode="LA"), half_mask().convert("P")):
        if mask.mode == "P":  # transparent palette entry for the right half
            mask = Image.new("P", (256, 256), 0)
            mask.putpalette([0, 0, 0, 255, 255, 255])
            ImageDraw.Draw(mask).rectangle((128, 0, 256, 256), fill=1)
            mask.info["transparency"] = 1
        out = decode(render(Recipe("edits", "dall-e-2", PROMPT, 256, 256, 0, 1, png_bytes(source), png_bytes(mask))))
        assert_edited_right_half(out, source)


def test_edit_of_a_palette_image_with_transparency() -> None:
    indices = bytes(b % 64 for b in random.Random(3).randbytes(256 * 256))
    source = Image.frombytes("P", (256, 256), indices)
    source.putpalette(random.Random(4).randbytes(64 * 3))
    source.info["transparency"] = 0  # palette entry 0: about 1 pixel in 64
    out = decode(render(Recipe("edits", "dall-e-2", PROMPT, 256, 256, 0, 1, png_bytes(source))))
    region = decode(png_bytes(source)).convert("RGBA").getchannel("A").point([255] + [0] * 255)  # alpha == 0
    assert region.getbbox() is not None
    changed = ImageChops.difference(out, source.convert("RGB")).convert("L").point([0] + [255] * 255)
    assert ImageChops.multiply(changed, ImageOps.invert(region)).getbbox() is None
    assert ImageChops.multiply(changed, region).getbbox() is not None


@pytest.mark.parametrize(
    "mask",
    [
        Image.new("RGBA", (256, 256), (0, 0, 0, 255)),
        Image.new("L", (256, 256), 0),
        Image.new("RGB", (256, 256)),
    ],
)
def test_edit_with_nothing_to_edit_returns_the_input(mask: Image.Image) -> None:
    source = noise()
    out = decode(render(Recipe("edits", "dall-e-2", PROMPT, 256, 256, 0, 1, png_bytes(source), png_bytes(mask))))
    assert out.tobytes() == source.tobytes()


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA"])
def test_edit_of_an_image_without_transparency_returns_it(mode: str) -> None:
    source = noise().convert(mode)
    out = decode(render(Recipe("edits", "dall-e-2", PROMPT, 256, 256, 0, 1, png_bytes(source))))
    assert out.tobytes() == source.convert("RGB").tobytes()


def test_edit_label_is_only_inside_the_region() -> None:
    source = noise()
    mask = Image.new("RGBA", (256, 256), (0, 0, 0, 255))
    ImageDraw.Draw(mask).ellipse((60, 60, 200, 200), fill=(0, 0, 0, 0))
    out = decode(render(Recipe("edits", "dall-e-2", PROMPT, 256, 256, 0, 1, png_bytes(source), png_bytes(mask))))
    region = mask.getchannel("A").point([255] + [0] * 255)
    changed = ImageChops.difference(out, source).convert("L").point([0] + [255] * 255)
    assert ImageChops.multiply(changed, ImageOps.invert(region)).getbbox() is None  # nothing outside
    assert mean_abs_diff(out.crop((90, 90, 170, 170)), source.crop((90, 90, 170, 170))) > 40


def test_edit_resizes_an_input_of_another_size() -> None:
    source = noise(512)
    recipe = Recipe("edits", "dall-e-2", PROMPT, 256, 256, 0, 1, png_bytes(source), png_bytes(half_mask(512)))
    out = decode(render(recipe))
    assert out.size == (256, 256)
    small = source.resize((256, 256), Image.Resampling.LANCZOS)
    assert mean_abs_diff(out.crop((0, 0, 120, 256)), small.crop((0, 0, 120, 256))) < 2
    assert mean_abs_diff(out.crop((136, 0, 256, 256)), small.crop((136, 0, 256, 256))) > 30


def test_edit_fill_differs_per_index() -> None:
    r = Recipe("edits", "dall-e-2", PROMPT, 256, 256, 0, 2, png_bytes(noise()), png_bytes(half_mask()))
    a, b = decode(render(r)), decode(render(dataclasses.replace(r, index=1)))
    assert a.crop((0, 0, 128, 256)).tobytes() == b.crop((0, 0, 128, 256)).tobytes()
    assert mean_abs_diff(a.crop((128, 0, 256, 256)), b.crop((128, 0, 256, 256))) > 5


# --------------------------------------------------------------------------- #
# variations
# --------------------------------------------------------------------------- #


def thumb(img: Image.Image) -> Image.Image:
    """Grey 16x16 of the picture above the label band."""
    return img.crop((0, 0, img.width, img.height * 88 // 100)).convert("L").resize((16, 16), Image.Resampling.BOX)


def test_variations_differ_from_each_other() -> None:
    source = png_bytes(picture())
    outs = [render(Recipe("variations", "dall-e-2", None, 256, 256, i, 6, source)) for i in range(6)]
    assert len(set(outs)) == 6
    images = [decode(o) for o in outs]
    for i in range(6):
        for j in range(i + 1, 6):
            assert mean_abs_diff(images[i], images[j]) > 8, (i, j)


@pytest.mark.parametrize("size", [256, 512])
def test_variations_resemble_their_input(size: int) -> None:
    source = picture(size)
    near = thumb(source)
    far = thumb(unrelated(size))
    for i in range(4):
        out = thumb(decode(render(Recipe("variations", "dall-e-2", None, size, size, i, 4, png_bytes(source)))))
        to_input = min(mean_abs_diff(out, near), mean_abs_diff(out, near.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
        to_other = min(mean_abs_diff(out, far), mean_abs_diff(out, far.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
        assert to_input < to_other / 2, (i, to_input, to_other)


def test_variations_have_a_label_band() -> None:
    out = decode(render(Recipe("variations", "dall-e-2", None, 512, 512, 0, 1, png_bytes(picture(512)))))
    band, above = (0, 492, 512, 512), (0, 440, 512, 480)
    assert ImageStat.Stat(out.convert("L").crop(band)).mean[0] < 120  # a dark band...
    assert edge_energy(out, band) > edge_energy(out, above) + 4  # ...with text on it


@pytest.mark.parametrize("mode", ["L", "LA", "P", "RGBA", "I;16"])
def test_variations_accept_any_png_mode(mode: str) -> None:
    base = picture()
    if mode == "I;16":
        source = base.convert("L").point(lambda v: v * 256, "I").convert("I;16")
    elif mode == "P":
        source = base.quantize(32)
    else:
        source = base.convert(mode)
    out = decode(render(Recipe("variations", "dall-e-2", None, 256, 256, 0, 1, png_bytes(source))))
    assert (out.mode, out.size) == ("RGB", (256, 256))
    assert (
        mean_abs_diff(thumb(out), thumb(base)) < 60
        or mean_abs_diff(thumb(out), thumb(base).transpose(Image.Transpose.FLIP_LEFT_RIGHT)) < 60
    )


def test_variation_of_a_bigger_input() -> None:
    out = decode(render(Recipe("variations", "dall-e-2", None, 256, 256, 0, 1, png_bytes(picture(1024)))))
    assert out.size == (256, 256)


# --------------------------------------------------------------------------- #
# properties
# --------------------------------------------------------------------------- #


@budget(0.25)  # each example renders images
@given(
    prompt=st.text(max_size=300),
    width=st.integers(16, 96),
    height=st.integers(16, 96),
    n=st.integers(1, 10),
    data=st.data(),
)
def test_any_prompt_and_size_renders_deterministically(
    prompt: str, width: int, height: int, n: int, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, n - 1))
    r = Recipe("generations", "dall-e-2", prompt, width, height, index, n)
    first = render(r)
    assert first == render(r)
    img = decode(first)
    assert (img.mode, img.size) == ("RGB", (width, height))


class _CountingFace:
    """A face whose every character is 10 px wide, counting the characters it measures."""

    def __init__(self) -> None:
        self.measured = 0

    def width(self, text: str) -> float:
        self.measured += len(text)
        return 10.0 * len(text)

    def draw(self, *args: object) -> None:  # pragma: no cover - never drawn
        raise AssertionError


def test_a_prompt_of_one_long_word_is_measured_per_line_not_per_word() -> None:
    # 32,000 characters without a space (a GPT model's whole prompt limit) used to be measured
    # again for every line it was broken into: quadratic, about a minute per image.
    from mockserver.render.text import _fit_prefix, _wrap

    face = _CountingFace()
    lines = _wrap("0" * 32_000, face, max_w=400, max_lines=6)  # type: ignore[arg-type]
    assert len(lines) == 6 and all(face.width(line) <= 400 for line in lines)
    assert lines[-1].endswith(("…", "...")) or len(lines[-1]) < 40
    assert face.measured < 250_000  # the word once, then a few lines' worth per line
    face.measured = 0
    assert _fit_prefix("0" * 32_000, face, 400) == 40  # type: ignore[arg-type]
    assert face.measured < 2_000
