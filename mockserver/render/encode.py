"""Encoders: the picture as png, jpeg, webp or an animated gif (media types: contracts.media).

SVG is written by :mod:`mockserver.render.svg`.  Every encoder is deterministic:
the same picture and settings give the same bytes.
"""

from __future__ import annotations

import io
from typing import Any, Final

from PIL import Image, ImageDraw

# PNG encoder settings for every image rendered here (the benchmark uses them
# for its bare encode too).  Pillow's PNG encoder spends much of its time picking
# a row filter per scanline, whatever the zlib settings; zlib's default strategy
# then adds 50-90% on our images at level 6, and 6-10x at level 9 for about 5%
# smaller files.  Z_RLE (compress_type=3) only looks for matches at distance 1,
# which is what PNG-filtered smooth images are made of -- zlib documents it as
# "almost as fast as Huffman-only, but better compression for PNG image data".
# Measured on our outputs it encodes as fast as level 1, with files up to 25%
# smaller than level 1 at 512 and 1024 and 10-20% bigger than level 6: the right
# trade for a mock server that must answer quickly.  The level does not matter
# with Z_RLE; 6 is spelled out only to make the settings explicit.
PNG_SAVE_OPTIONS: Final[dict[str, int]] = {"compress_level": 6, "compress_type": 3}



def save_options(output_format: str, compression: int = 100) -> tuple[str, dict[str, Any]]:
    """(Pillow format name, save() keywords) for png, jpeg and webp.

    * **png** -- PNG_SAVE_OPTIONS; compression does not apply.
    * **jpeg** -- quality = compression (at least 1); 4:4:4 chroma at 90 and
      above, so that coloured detail stays sharp at the best qualities, 4:2:0
      below; Huffman tables fitted to each image (``optimize``), which makes the
      files 10-35% smaller for about 1.5x the encode time (still well under the
      PNG encode) -- fewer bytes is what a client asking for jpeg wants.
    * **webp** -- at 100 lossless (exactly the PNG's pixels, the best quality
      there is), below 100 lossy at quality = compression.  Method 0 (the
      fastest) either way: libwebp's default method 4 takes 2-3x longer for
      files 40% smaller, a poor trade for a fake that must answer quickly.
      ASSUMPTION: how the real service maps output_compression is not published.
    """
    if output_format == "png":
        return "PNG", dict(PNG_SAVE_OPTIONS)
    if output_format == "jpeg":
        return "JPEG", {"quality": max(1, compression), "subsampling": 0 if compression >= 90 else 2, "optimize": True}
    if output_format == "webp":
        if compression >= 100:
            return "WEBP", {"lossless": True, "quality": 0, "method": 0}
        return "WEBP", {"quality": compression, "method": 0}
    raise ValueError(f"no raster encoder for {output_format!r}")


def encode(img: Image.Image, output_format: str, compression: int = 100) -> bytes:
    """img (RGB or RGBA) as png, jpeg or webp bytes."""
    name, options = save_options(output_format, compression)
    buf = io.BytesIO()
    img.save(buf, name, **options)
    return buf.getvalue()


# GIF: 252 colours for the picture, then the colours of the progress bar and
# one index that stands for "transparent".
_GIF_COLOURS: Final = 252
_BAR, _TRACK, _CLEAR = 252, 253, 254
_BAR_RGB: Final = (250, 250, 246)
_TRACK_RGB: Final = (24, 26, 32)


def gif_delay_ms(frame_duration_ms: int) -> int:
    """The delay a GIF can carry: whole centiseconds, rounded to the nearest 10 ms
    as the real service does [sdk-py], and at least 10 ms."""
    return max(10, (frame_duration_ms + 5) // 10 * 10)


def encode_gif(img: Image.Image, frame_count: int, frame_duration_ms: int) -> bytes:
    """img as a GIF of frame_count frames, frame_duration_ms each, looping.

    The picture is quantised once (to 252 colours); every frame is
    that picture with a progress bar along its top edge, filled to (i + 1) / N
    with a brighter marker at its head, so the frames visibly differ while the
    label stays the same.  An RGBA picture keeps its alpha as one transparent
    palette entry (pixels under alpha 128).  A single frame has no bar.
    """
    rgba = img.mode == "RGBA"
    rgb = img.convert("RGB") if rgba else img
    # The palette: median cut on a thumbnail (the picture is smooth, so little is
    # lost, and it is 10x cheaper than on the full picture), then the bar's colours.
    sample = rgb.resize((min(128, rgb.width), min(128, rgb.height)), Image.Resampling.BOX)
    palette = (sample.quantize(_GIF_COLOURS, Image.Quantize.MEDIANCUT).getpalette() or [])[: _GIF_COLOURS * 3]
    palette += palette[:3] * (_GIF_COLOURS - len(palette) // 3)
    paletted = Image.new("P", (1, 1))
    paletted.putpalette(palette)  # only the picture's colours: no pixel lands on a reserved index
    # No dithering: it hides the banding of smooth areas, but makes the file 3-5x bigger.
    base = rgb.quantize(palette=paletted, dither=Image.Dither.NONE)
    base.putpalette([*palette, *_BAR_RGB, *_TRACK_RGB, 0, 0, 0, 0, 0, 0])
    # An input's transparency key (a PNG's tRNS, carried along as info) is no palette index:
    # the GIF's only transparent entry is _CLEAR, set below for an RGBA picture.
    base.info.pop("transparency", None)
    if rgba:
        base.paste(_CLEAR, (0, 0), img.getchannel("A").point(lambda a: 255 if a < 128 else 0))
    frames = [base]
    if frame_count > 1:
        w, h = img.size
        bar_h = max(2, round(min(w, h) / 48))
        frames = []
        for i in range(frame_count):
            frame = base.copy()
            draw = ImageDraw.Draw(frame)
            head = round(w * (i + 1) / frame_count)
            draw.rectangle((0, 0, w - 1, bar_h - 1), fill=_TRACK)
            draw.rectangle((0, 0, head - 1, bar_h - 1), fill=_BAR)
            frames.append(frame)
    buf = io.BytesIO()
    options: dict[str, Any] = {"duration": gif_delay_ms(frame_duration_ms), "optimize": False}
    if rgba:
        options["transparency"] = _CLEAR
        options["disposal"] = 2
    if len(frames) > 1:
        options.update(save_all=True, append_images=frames[1:], loop=0)
    frames[0].save(buf, "GIF", **options)
    return buf.getvalue()
