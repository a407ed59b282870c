"""The gallery page: what the fake answers, per model and output format, asked of a new fake the
way a client asks (``POST /v1/images/generations`` and ``/edits`` through the app's own routes, so
the pictures come from the same pipeline and renderer as every answer), never kept in the repository.

One section per model family (its undated model): one image per output format the model serves,
a transparent background where it offers one, and an edit (the input image and its mask, then
what the edit gives).
"""

from __future__ import annotations

import base64
import functools
import io
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw

from contracts.media import FORMATS
from contracts.models import MODELS, ModelProfile
from mockserver.app import create_app

# The caption's name of each output format.
FORMAT_NAMES = {"png": "PNG", "jpeg": "JPEG", "webp": "WebP", "gif": "GIF", "svg": "SVG"}
PROMPT = "a lighthouse on a rocky shore at dusk"
EDIT_PROMPT = "the same shore with a red sailing boat"
FOLDER = "gallery"  # where the images go in the built site
THUMBNAIL = 200  # the width the page shows them at (the files are full size)


@dataclass(frozen=True)
class GalleryImage:
    """One picture of the gallery: its file in the site, its bytes, and what its caption says."""

    path: str  # gallery/gpt-image-2-png.png, relative to the site's root
    data: bytes
    model: str
    output_format: str  # png, jpeg, webp, gif, svg
    width: int
    height: int
    note: str = ""  # "transparent background", "edit: input image", ...

    @property
    def caption(self) -> str:
        """``gpt-image-2 · PNG · 1024x1024`` (and the note): what a test checks the file against."""
        parts = [self.model, FORMAT_NAMES[self.output_format], f"{self.width}x{self.height}"]
        return " · ".join([*parts, self.note] if self.note else parts)


def families() -> list[ModelProfile]:
    """One model per family: the undated one, in the contract's order."""
    return [m for m in MODELS.values() if m.snapshot_of is None]


@functools.cache
def gallery_images() -> tuple[GalleryImage, ...]:
    """Every picture of the gallery, rendered by a new fake (deterministic: same bytes every build)."""
    client = create_app().test_client()
    found: list[GalleryImage] = []
    for model in families():
        width, height = (int(side) for side in model.sizes[0].split("x"))
        formats = model.output_format.values if model.output_format else ("png",)
        for output_format in formats:
            found.append(_generated(client, model, output_format, width, height))
        if model.background is not None and "transparent" in model.background.values:
            found.append(_generated(client, model, model.transparent_formats[0], width, height, transparent=True))
        if "edits" in model.endpoints:
            found.extend(_edit(client, model, width, height))
    return tuple(found)


def gallery() -> str:
    """The gallery as Markdown: a section per model family, each picture with its caption."""
    parts = []
    model = None
    for image in gallery_images():
        if image.model != model:
            if model is not None:
                parts.append("</div>")
            model = image.model
            parts.append(f'\n## `{model}`\n\n<div class="gallery" markdown>')
        parts.append(
            f'<figure markdown="span">\n  ![{image.caption}]({image.path}){{ width="{THUMBNAIL}" loading=lazy }}\n'
            f"  <figcaption>{image.caption}</figcaption>\n</figure>"
        )
    if model is not None:
        parts.append("</div>")
    return "\n".join(parts).strip()


def _asked(model: ModelProfile, prompt: str, width: int, height: int) -> dict[str, Any]:
    """What every request of the gallery asks: the model, the prompt, the size, and the image in the
    answer itself (``b64_json``, which GPT models always give and the others give when asked)."""
    body: dict[str, Any] = {"model": model.name, "prompt": prompt, "size": f"{width}x{height}"}
    if model.response_formats:
        body["response_format"] = "b64_json"
    return body


def _answer(client: Any, path: str, **kwargs: Any) -> bytes:
    response = client.post(path, headers={"Authorization": "Bearer sk-gallery"}, **kwargs)
    if response.status_code != 200:
        raise RuntimeError(f"the fake refused the gallery's request to {path}: {response.get_data(as_text=True)}")
    return base64.b64decode(response.get_json()["data"][0]["b64_json"])


def _file(model: ModelProfile, name: str, output_format: str) -> str:
    return f"{FOLDER}/{model.name}-{name}{FORMATS[output_format].extension}"


def _generated(client: Any, model: ModelProfile, output_format: str, width: int, height: int,
               transparent: bool = False) -> GalleryImage:
    body = _asked(model, PROMPT, width, height)
    if model.output_format is not None:
        body["output_format"] = output_format
    if transparent:
        body["background"] = "transparent"
    data = _answer(client, "/v1/images/generations", json=body)
    name = "transparent" if transparent else output_format
    return GalleryImage(_file(model, name, output_format), data, model.name, output_format, width, height,
                        "transparent background" if transparent else "")


def _edit(client: Any, model: ModelProfile, width: int, height: int) -> list[GalleryImage]:
    """The edit of an image the fake drew, through a mask whose transparent middle is what may change."""
    drawn = _answer(client, "/v1/images/generations", json=_asked(model, PROMPT, width, height))
    picture = Image.open(io.BytesIO(drawn)).convert("RGBA")
    mask = Image.new("RGBA", picture.size, (0, 0, 0, 255))
    ImageDraw.Draw(mask).ellipse((width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill=(0, 0, 0, 0))
    image_png, mask_png = _png(picture), _png(mask)
    form = {**_asked(model, EDIT_PROMPT, width, height), "image": (io.BytesIO(image_png), "image.png", "image/png"),
            "mask": (io.BytesIO(mask_png), "mask.png", "image/png")}
    edited = _answer(client, "/v1/images/edits", data=form, content_type="multipart/form-data")
    return [
        GalleryImage(_file(model, "edit-input", "png"), image_png, model.name, "png", width, height,
                     "edit: the input image"),
        GalleryImage(_file(model, "edit-mask", "png"), mask_png, model.name, "png", width, height,
                     "edit: the mask (transparent: may change)"),
        GalleryImage(_file(model, "edit", "png"), edited, model.name, "png", width, height, "edit: the answer"),
    ]


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
