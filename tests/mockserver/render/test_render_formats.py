"""mockserver.render for the GPT models: formats, transparency, sizes, edits, partial images.

What a user can observe: every format decodes (Pillow; SVG with xml.etree) to the
asked size and mode; compression lowers the byte count; a transparent background is
real alpha with the label on an opaque panel; a GIF has the asked frames and delay;
outputs are deterministic; partial images approach the final one.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageSequence, ImageStat

from mockserver.render import MEDIA_TYPES, Recipe, media_type, render, render_partial
from tests.support import ROOT

PROMPT = "a red fox asleep under a birch tree in deep snow, watercolour"
SVG_NS = "{http://www.w3.org/2000/svg}"


def gpt(width: int = 512, height: int = 512, **changes: object) -> Recipe:
    base = Recipe("generations", "gpt-image-2", PROMPT, width, height, 0, 2, quality="high")
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def encoded(img: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def distance(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel, 0..255."""
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


def edges(img: Image.Image, box: tuple[int, int, int, int]) -> float:
    return float(ImageStat.Stat(img.convert("L").crop(box).filter(ImageFilter.FIND_EDGES)).mean[0])


def scene(width: int, height: int) -> Image.Image:
    """An input picture of its own (not rendered here): gradient, disc and block."""
    img = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(img)
    draw.ellipse((width * 0.1, height * 0.1, width * 0.45, height * 0.6), fill=(210, 40, 40))
    draw.rectangle((width * 0.55, height * 0.3, width * 0.95, height * 0.9), fill=(30, 90, 200))
    return img


# --------------------------------------------------------------------------- #
# formats
# --------------------------------------------------------------------------- #

FORMAT_NAMES = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF"}


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp", "gif"])
@pytest.mark.parametrize("size", [(1024, 1024), (1536, 1024), (1024, 1536), (640, 208)])
def test_each_raster_format_decodes_to_the_asked_size(fmt: str, size: tuple[int, int]) -> None:
    img = decode(render(gpt(*size, output_format=fmt)))
    assert img.format == FORMAT_NAMES[fmt]
    assert img.size == size
    assert img.mode == {"gif": "P"}.get(fmt, "RGB")


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_3840x2160_and_1536x864(fmt: str) -> None:
    for size in ((3840, 2160), (1536, 864)):
        img = decode(render(gpt(*size, output_format=fmt)))
        assert (img.size, img.mode) == (size, "RGB")


def test_media_types() -> None:
    assert [media_type(f) for f in ("png", "jpeg", "webp", "gif", "svg")] == [
        "image/png",
        "image/jpeg",
        "image/webp",
        "image/gif",
        "image/svg+xml",
    ]
    assert set(MEDIA_TYPES) == {"png", "jpeg", "webp", "gif", "svg"}
    with pytest.raises(ValueError):
        media_type("bmp")


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
def test_lower_compression_gives_fewer_bytes(fmt: str) -> None:
    sizes = [len(render(gpt(1024, 1024, output_format=fmt, compression=c))) for c in (100, 90, 60, 20, 0)]
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == len(sizes), sizes


def test_compression_changes_the_encoding_not_the_picture() -> None:
    best = decode(render(gpt(output_format="jpeg", compression=100)))
    worst = decode(render(gpt(output_format="jpeg", compression=30)))
    other = decode(render(gpt(output_format="jpeg", compression=100, prompt="a blue whale")))
    assert distance(best, worst) < 6 < distance(best, other)


def test_webp_at_100_is_lossless() -> None:
    r = gpt(output_format="webp")
    assert decode(render(r)).tobytes() == decode(render(dataclasses.replace(r, output_format="png"))).tobytes()


def test_formats_show_the_same_picture() -> None:
    png = decode(render(gpt()))
    for fmt in ("jpeg", "webp"):
        assert distance(png, decode(render(gpt(output_format=fmt, compression=90)))) < 3


# --------------------------------------------------------------------------- #
# transparency
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("fmt", ["png", "webp"])
@pytest.mark.parametrize("index", [0, 1])
def test_transparent_background_is_real_alpha_with_an_opaque_label(fmt: str, index: int) -> None:
    img = decode(render(gpt(1024, 1024, output_format=fmt, background="transparent", index=index)))
    assert img.mode == "RGBA"
    alpha = img.getchannel("A")
    assert alpha.getextrema() == (0, 255)
    clear = alpha.point([255] + [0] * 255)  # alpha == 0
    assert ImageStat.Stat(clear).mean[0] / 255 > 0.05  # a real part of the picture is see-through
    # The label: the bottom band holds an opaque panel with text strokes on it.
    band = (80, 780, 940, 960)
    assert ImageStat.Stat(alpha.crop(band)).mean[0] > 250
    assert edges(img.convert("RGB"), band) > 8


def test_opaque_and_jpeg_never_carry_alpha() -> None:
    for fmt in ("png", "jpeg", "webp"):
        assert decode(render(gpt(output_format=fmt))).mode == "RGB"
    with pytest.raises(ValueError):
        render(gpt(output_format="jpeg", background="transparent"))


def test_transparent_gif_has_a_transparent_index() -> None:
    img = Image.open(io.BytesIO(render(gpt(output_format="gif", background="transparent", frame_count=3))))
    assert "transparency" in img.info
    for frame in ImageSequence.Iterator(img):  # every frame, not only the first, keeps both
        alpha = frame.convert("RGBA").getchannel("A")
        assert alpha.getextrema() == (0, 255)
        assert ImageStat.Stat(alpha.crop((40, 400, 470, 480))).mean[0] == 255  # the label's panel


# --------------------------------------------------------------------------- #
# gif
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(("frames", "ms"), [(2, 100), (9, 200), (16, 50)])
def test_gif_has_the_asked_frames_and_delay(frames: int, ms: int) -> None:
    img = Image.open(io.BytesIO(render(gpt(320, 240, output_format="gif", frame_count=frames, frame_duration_ms=ms))))
    shots = [frame.convert("RGB") for frame in ImageSequence.Iterator(img)]
    assert len(shots) == frames
    img.seek(0)
    for i in range(frames):
        img.seek(i)
        assert img.info["duration"] == ms
    assert img.info.get("loop") == 0
    # Frames differ from one another (the progress bar), and every one is labelled.
    assert len({shot.tobytes() for shot in shots}) == frames
    for shot in shots:
        assert shot.size == (320, 240)
        assert edges(shot, (20, 150, 300, 230)) > 8


def test_gif_delay_rounds_to_10_ms() -> None:
    img = decode(render(gpt(64, 64, output_format="gif", frame_count=2, frame_duration_ms=134)))
    assert img.info["duration"] == 130


# --------------------------------------------------------------------------- #
# svg
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("endpoint", ["generations", "edits"])
@pytest.mark.parametrize("background", ["opaque", "transparent"])
def test_svg_is_well_formed_with_the_asked_size(endpoint: str, background: str) -> None:
    image = encoded(scene(600, 400), "PNG") if endpoint == "edits" else None
    r = gpt(1536, 1024, endpoint=endpoint, image=image, output_format="svg", background=background)
    root = ET.fromstring(render(r))
    assert root.tag == SVG_NS + "svg"
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("1536", "1024", "0 0 1536 1024")
    text = " ".join("".join(el.itertext()) for el in root.iter())
    assert "1536x1024" in text and "gpt-image-2" in text and "high quality" in text
    if endpoint == "generations":
        texts = ["".join(el.itertext()) for el in root.iter(SVG_NS + "text")]
        assert any("red fox" in t for t in texts)
        backdrop = [el for el in root.iter(SVG_NS + "rect") if el.get("fill") == "url(#bg)"]
        assert len(backdrop) == (1 if background == "opaque" else 0)


def test_svg_escapes_the_prompt() -> None:
    root = ET.fromstring(render(gpt(output_format="svg", prompt='<b>"fish" & chips</b> \x00\ud800')))
    assert any("&" in "".join(el.itertext()) for el in root.iter(SVG_NS + "text"))


# --------------------------------------------------------------------------- #
# sizes, labels, determinism
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("size", [(16, 16), (16, 3840), (3840, 16), (3840, 1280), (1280, 3840), (97, 1001)])
def test_any_side_from_16_to_3840(size: tuple[int, int]) -> None:
    assert decode(render(gpt(*size, output_format="jpeg"))).size == size


def test_sides_beyond_the_limits_are_refused() -> None:
    for changes in ({"width": 3841}, {"height": 15}, {"compression": 101}, {"frame_count": 0},
                    {"output_format": "bmp"}, {"background": "auto"}):  # fmt: skip
        with pytest.raises(ValueError):
            render(gpt(**changes))


def test_the_label_is_legible_at_3840x2160() -> None:
    img = decode(render(gpt(3840, 2160)))
    # Text strokes in the panel along the bottom, a smooth background above it.
    assert edges(img, (150, 1500, 2400, 2050)) > 4 * edges(img, (0, 0, 3840, 900)) + 2


def test_quality_and_extra_images_are_in_the_label() -> None:
    plain = gpt(quality="")
    assert render(plain) != render(gpt())  # "high quality" is drawn
    assert plain.digest() != gpt().digest()


def test_new_fields_at_their_defaults_keep_the_seed_digest() -> None:
    seed = Recipe("generations", "dall-e-2", PROMPT, 256, 256, 0, 1)
    assert seed.is_seed()
    assert not gpt().is_seed()
    assert dataclasses.replace(seed, output_format="png", compression=100).digest() == seed.digest()
    # The encoding does not change the picture's id; what is drawn does.
    assert dataclasses.replace(seed, output_format="jpeg", compression=50).digest() == seed.digest()
    for change in ({"background": "transparent"}, {"quality": "low"}, {"frame_count": 3},
                   {"extra_images": (b"x",)}):  # fmt: skip
        assert dataclasses.replace(seed, **change).digest() != seed.digest()  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp", "gif", "svg"])
def test_deterministic(fmt: str) -> None:
    r = gpt(1536, 1024, output_format=fmt, frame_count=3 if fmt == "gif" else 1, compression=70)
    assert render(r) == render(dataclasses.replace(r))


CHILD = """
import hashlib, json
from mockserver.render import Recipe, render
r = Recipe("generations", "gpt-image-2", "a fox", 1536, 864, 1, 2, output_format="webp",
           background="transparent", compression=80, quality="medium")
print(json.dumps([r.digest(), hashlib.sha256(render(r)).hexdigest()]))
"""


def test_deterministic_across_processes() -> None:
    answers = []
    for seed in ("0", "99"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
        answers.append(json.loads(done.stdout))
    assert answers[0] == answers[1]


# --------------------------------------------------------------------------- #
# partial images
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_partial_images_approach_the_final_one(fmt: str) -> None:
    r = gpt(768, 512, output_format=fmt, compression=95)
    final = decode(render(r))
    partials = [decode(render_partial(r, step, 3)) for step in range(3)]
    for img in partials:
        assert (img.format, img.size, img.mode) == (final.format, final.size, final.mode)
    distances = [distance(img, final) for img in partials]
    assert distances[0] > distances[1] > distances[2] > 0.3, distances
    # Less finished: the crisp label text is softened.
    label = (40, 330, 728, 490)
    assert edges(partials[0], label) < edges(partials[2], label) < edges(final, label)


def test_partial_images_are_deterministic_and_keep_format() -> None:
    r = gpt(output_format="svg")
    assert render_partial(r, 0, 2) == render_partial(r, 0, 2) != render(r)
    ET.fromstring(render_partial(r, 0, 2))
    gif = gpt(output_format="gif", frame_count=2, background="transparent")
    assert decode(render_partial(gif, 1, 2)).format == "GIF"
    with pytest.raises(ValueError):
        render_partial(r, 2, 2)


# --------------------------------------------------------------------------- #
# GPT edits
# --------------------------------------------------------------------------- #


def half_mask(width: int, height: int) -> bytes:
    """Left half kept (alpha 255), right half to edit (alpha 0)."""
    img = Image.new("RGBA", (width, height), (0, 0, 0, 255))
    ImageDraw.Draw(img).rectangle((width // 2, 0, width, height), fill=(0, 0, 0, 0))
    return encoded(img, "PNG")


def edit(image: bytes, mask: bytes | None = None, **changes: object) -> Recipe:
    base = Recipe("edits", "gpt-image-1.5", "add a boat", 1024, 1024, 0, 1, image, mask, quality="medium")
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_edit_fits_an_input_of_another_aspect_by_cover(fmt: str) -> None:
    source = scene(900, 600)  # 3:2 into 1:1: the sides are cropped, the middle kept
    out = decode(render(edit(encoded(source, fmt), half_mask(900, 600))))
    assert out.size == (1024, 1024)
    covered = source.crop((150, 0, 750, 600)).resize((1024, 1024), Image.Resampling.LANCZOS)
    kept = (0, 0, 500, 1024)  # the mask's left half, fitted the same way: 0..450 of 900 -> 0..512
    assert distance(out.crop(kept), covered.crop(kept)) < 6  # jpeg/webp inputs are lossy
    assert distance(out.crop((540, 0, 1024, 1024)), covered.crop((540, 0, 1024, 1024))) > 30


def test_edit_fits_a_tall_input_into_a_wide_output() -> None:
    source = scene(400, 800)
    out = decode(render(edit(encoded(source, "PNG"), half_mask(400, 800), width=1536, height=1024)))
    covered = source.crop((0, 266.67, 400, 533.33)).resize((1536, 1024), Image.Resampling.LANCZOS)
    assert distance(out.crop((0, 0, 740, 1024)), covered.crop((0, 0, 740, 1024))) < 3


def test_edit_without_a_mask_is_labelled_over_the_whole_input() -> None:
    source = scene(800, 800)
    out = decode(render(edit(encoded(source, "WEBP"), output_format="jpeg")))
    assert out.size == (1024, 1024)
    top = (0, 0, 1024, 300)
    fitted = source.resize((1024, 1024))
    assert distance(out.crop(top), fitted.crop(top)) < 6  # the input, away from the label
    assert edges(out, (60, 650, 960, 980)) > edges(fitted, (60, 650, 960, 980)) + 4  # the label


def test_extra_images_show_and_enter_the_digest() -> None:
    image = encoded(scene(800, 800), "PNG")
    thumbs = (encoded(Image.new("RGB", (300, 200), (250, 200, 0)), "JPEG"),
              encoded(Image.new("RGB", (100, 300), (0, 200, 90)), "WEBP"))  # fmt: skip
    without = edit(image)
    with_extra = edit(image, extra_images=thumbs)
    assert without.digest() != with_extra.digest()
    a, b = decode(render(without)), decode(render(with_extra))
    # The thumbnails: squares of their colours in the label panel of the output.
    yellow = Image.new("RGB", b.size, (250, 200, 0))
    near_yellow = ImageChops.difference(b, yellow).convert("L").point(lambda v: 255 if v < 12 else 0)
    assert near_yellow.getbbox() is not None
    assert ImageChops.difference(a, yellow).convert("L").point(lambda v: 255 if v < 12 else 0).getbbox() is None
    # With a mask, the thumbnails go into the fill's panel.
    masked = decode(render(edit(image, half_mask(800, 800), extra_images=thumbs)))
    box = ImageChops.difference(masked, yellow).convert("L").point(lambda v: 255 if v < 12 else 0).getbbox()
    assert box is not None and box[0] >= 512


def test_transparent_edit_keeps_the_input_opaque_and_the_fill_see_through() -> None:
    out = decode(render(edit(encoded(scene(512, 512), "PNG"), half_mask(512, 512), background="transparent")))
    alpha = out.getchannel("A")
    assert alpha.crop((0, 0, 500, 1024)).getextrema() == (255, 255)
    assert alpha.crop((520, 0, 1024, 1024)).getextrema()[0] == 0


def test_the_public_surface_is_pinned() -> None:
    import mockserver.render as package

    assert sorted(package.__all__) == [
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
    assert (package.MIN_SIDE, package.MAX_SIDE) == (16, 3840)
    fields = {f.name: f.default for f in dataclasses.fields(Recipe)}
    assert {k: fields[k] for k in list(fields)[9:]} == {
        "extra_images": (),
        "output_format": "png",
        "background": "opaque",
        "compression": 100,
        "quality": "",
        "frame_count": 1,
        "frame_duration_ms": 100,
        "markup": None,
    }


def test_partial_edit_keeps_size_and_format() -> None:
    r = edit(encoded(scene(600, 400), "JPEG"), half_mask(600, 400), output_format="webp", compression=80)
    final = decode(render(r))
    first = decode(render_partial(r, 0, 2))
    assert (first.format, first.size) == ("WEBP", (1024, 1024))
    assert distance(first, final) > distance(decode(render_partial(r, 1, 2)), final)


@pytest.mark.parametrize("output_format", ["png", "jpeg", "webp", "svg"])
def test_render_progressive_is_render_partial_then_render(output_format: str) -> None:
    from mockserver.render import render_partial, render_progressive

    recipe = gpt(96, 64, output_format=output_format)
    assert list(render_progressive(recipe, 3)) == [*(render_partial(recipe, s, 3) for s in range(3)), render(recipe)]
    assert list(render_progressive(recipe, 0)) == [render(recipe)]


@pytest.mark.parametrize("mode", ["L", "P", "RGB"])
@pytest.mark.parametrize("background", ["opaque", "transparent"])
def test_gif_of_an_input_with_a_transparency_key(mode: str, background: str) -> None:
    # A PNG's tRNS key (as Pillow reads it into info) is no palette index of the GIF: once
    # carried into the GIF writer it crashed the fake's answer to a valid edit.
    key: int | tuple[int, int, int] = (0, 0, 0) if mode == "RGB" else 0
    buf = io.BytesIO()
    Image.new(mode, (8, 8), 0).save(buf, "PNG", transparency=key)
    recipe = Recipe(endpoint="edits", model="gpt-image-2.6-sunburst", prompt="x", width=256, height=256,
                    index=0, n=1, image=buf.getvalue(), output_format="gif", background=background, frame_count=2)
    with Image.open(io.BytesIO(render(recipe))) as gif:
        assert gif.format == "GIF" and gif.size == (256, 256) and gif.n_frames == 2
