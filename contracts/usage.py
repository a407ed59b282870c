"""What a GPT image answer reports besides its images: token ``usage``, and the
``revised_prompt`` of a model that rewrites prompts. Deterministic, so tests can
state the numbers; every formula is written here once.

Output tokens [guide]: the published per-image table for 1024x1024, 1024x1536 and
1536x1024 at low, medium and high quality; each streamed partial image adds 100
[guide]. ASSUMPTION: any other size costs the 1024x1024 figure scaled by its pixel
count (rounded half up); ``xhigh`` and ``max`` (the 2.5 line) cost 1.5x and 2x
``high``; an answer of n images costs n times one image.

Input text tokens, ASSUMPTION: one token per started 4 characters of the prompt
(the usual rule of thumb for English), at least 1.

Input image tokens (edits), ASSUMPTION: the vision rule of the GPT-4o family, per
input image: scaled to fit 2048x2048, then so its short side is at most 768, then
170 tokens per 512-pixel tile plus 85. With ``input_fidelity=high`` the second
scaling is skipped (the detail is kept, so more tiles count). The mask and the markup
do not count (they guide the edit; ASSUMPTION).

Output token details [sdk-py images_response.py ``Usage.output_tokens_details``:
``image_tokens``, ``text_tokens``, optional]: an answer (not a stream: the stream events'
``Usage`` has no such field [sdk-py image_gen_completed_event.py]) splits its output tokens
into image tokens (all of them) and text tokens (0: an image model writes no text;
ASSUMPTION on the values).

SVG authoring [sdk-py images_response.py ``SvgUsage``: ``input_tokens``, ``model``,
``output_tokens``, ``reasoning_tokens``, ``total_tokens``, "Token usage for SVG authoring,
separate from image rendering usage"], ASSUMPTION on every number: the author reads the
prompt (its text tokens, as above) and the reference image it plans (the 1024x1024 ``low``
figure, 272); it writes ``SVG_OUTPUT_TOKENS`` by ``complexity`` plus its reasoning,
``SVG_REASONING_TOKENS`` by ``svg.reasoning.effort`` (omitted: ``medium``); the reasoning
tokens are part of the output tokens (as in every OpenAI usage object). ``model`` is
``svg.model``, or the image model's name when none is given.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

# [guide] output tokens per image, by quality and size.
OUTPUT_TOKENS: Mapping[str, Mapping[str, int]] = MappingProxyType(
    {
        "low": MappingProxyType({"1024x1024": 272, "1024x1536": 408, "1536x1024": 400}),
        "medium": MappingProxyType({"1024x1024": 1056, "1024x1536": 1584, "1536x1024": 1568}),
        "high": MappingProxyType({"1024x1024": 4160, "1024x1536": 6240, "1536x1024": 6208}),
    }
)
# ASSUMPTION: the qualities beyond high, as multiples of high (no table is published).
QUALITY_FACTORS: Mapping[str, float] = MappingProxyType({"xhigh": 1.5, "max": 2.0})
BASE_SIZE = "1024x1024"
CHARS_PER_TEXT_TOKEN = 4  # ASSUMPTION
IMAGE_TILE, IMAGE_TILE_TOKENS, IMAGE_BASE_TOKENS = 512, 170, 85  # ASSUMPTION (see above)
IMAGE_FIT, IMAGE_SHORT_SIDE = 2048, 768
PARTIAL_IMAGE_TOKENS = 100  # [guide] output tokens each streamed partial image adds
# ASSUMPTION (see above): SVG authoring's tokens.
SVG_REFERENCE_TOKENS = 272
SVG_OUTPUT_TOKENS: Mapping[str, int] = MappingProxyType({"low": 600, "medium": 1200, "high": 2400})
SVG_REASONING_TOKENS: Mapping[str, int] = MappingProxyType(
    {"none": 0, "minimal": 64, "low": 256, "medium": 1024, "high": 4096, "xhigh": 8192, "max": 16384})
SVG_DEFAULT_EFFORT = "medium"

# Where each number an answer reports comes from, by its place in the answer (a dotted path of
# keys; ``usage`` is also a stream's completed events' own; a path names everything under it).
# ``python -m contracts parity`` reads it: a recording that disagrees with a value marked
# ASSUMPTION here is reported apart, as a value to correct, and does not fail the run.
ANSWER_SOURCES: Mapping[str, str] = MappingProxyType({
    "usage.input_tokens": "ASSUMPTION: the prompt's text tokens and the input images' (see contracts.usage)",
    "usage.input_tokens_details.text_tokens": "ASSUMPTION: one token per started 4 characters of the prompt",
    "usage.input_tokens_details.image_tokens": "ASSUMPTION: the vision rule of the GPT-4o family, per input image",
    "usage.output_tokens": "[guide] per image for the listed sizes and qualities, 100 per partial image; "
    "ASSUMPTION: other sizes (scaled by pixels), xhigh and max, n times one image",
    "usage.total_tokens": "ASSUMPTION: input plus output tokens (the input's count assumed)",
    "usage.output_tokens_details": "ASSUMPTION on the values: all output tokens are image tokens, text tokens 0",
    "svg_usage": "ASSUMPTION on every number of SVG authoring",
})


def output_tokens(quality: str, width: int, height: int) -> int:
    """Tokens of one output image of this resolved quality and size."""
    factor = QUALITY_FACTORS.get(quality, 1.0)
    table = OUTPUT_TOKENS["high" if quality in QUALITY_FACTORS else quality]
    listed = table.get(f"{width}x{height}")
    if listed is None:
        listed_base = table[BASE_SIZE]
        return math.floor(listed_base * factor * width * height / (1024 * 1024) + 0.5)
    return math.floor(listed * factor + 0.5)


def text_tokens(prompt: str | None) -> int:
    if not prompt:
        return 0
    return max(1, math.ceil(len(prompt) / CHARS_PER_TEXT_TOKEN))


def image_tokens(width: int, height: int, *, input_fidelity: str | None = None) -> int:
    """Tokens of one input image of these dimensions."""
    scale = min(1.0, IMAGE_FIT / max(width, height))
    w, h = width * scale, height * scale
    if input_fidelity != "high":
        scale = min(1.0, IMAGE_SHORT_SIDE / min(w, h))
        w, h = w * scale, h * scale
    tiles = math.ceil(w / IMAGE_TILE) * math.ceil(h / IMAGE_TILE)
    return IMAGE_BASE_TOKENS + IMAGE_TILE_TOKENS * tiles


def usage(
    *, prompt: str | None, quality: str, width: int, height: int, n: int,
    input_images: Iterable[tuple[int, int]] = (), input_fidelity: str | None = None, partial_images: int = 0,
    output_details: bool = False,
) -> dict[str, Any]:
    """The ``usage`` object of a GPT image answer [spec ImageGenUsage]; ``input_images`` are the
    dimensions of an edit's input images (the mask does not count, ASSUMPTION); ``output_details``:
    with ``output_tokens_details`` (an answer's usage, not a stream event's)."""
    text = text_tokens(prompt)
    images = sum(image_tokens(w, h, input_fidelity=input_fidelity) for w, h in input_images)
    output = n * (output_tokens(quality, width, height) + partial_images * PARTIAL_IMAGE_TOKENS)
    found: dict[str, Any] = {
        "input_tokens": text + images,
        "input_tokens_details": {"image_tokens": images, "text_tokens": text},
        "output_tokens": output,
        "total_tokens": text + images + output,
    }
    if output_details:
        found["output_tokens_details"] = {"image_tokens": output, "text_tokens": 0}
    return found


def svg_usage(*, prompt: str | None, author: str, complexity: str, effort: str | None) -> dict[str, Any]:
    """The ``svg_usage`` object of an SVG answer [sdk-py SvgUsage] (the numbers: see above)."""
    text = text_tokens(prompt)
    reasoning = SVG_REASONING_TOKENS[effort or SVG_DEFAULT_EFFORT]
    input_tokens = text + SVG_REFERENCE_TOKENS
    output = SVG_OUTPUT_TOKENS[complexity] + reasoning
    return {"input_tokens": input_tokens, "model": author, "output_tokens": output, "reasoning_tokens": reasoning,
            "total_tokens": input_tokens + output}


# ASSUMPTION: dall-e-3's rewrite is not reproducible; ours is a light, deterministic one that a
# test can predict: the prompt, trimmed, with a capital first letter and a closing full stop,
# followed by a sentence naming the style.
REVISED_PROMPT_TAIL = " Rendered in a {style} style, with rich detail."


def revised_prompt(prompt: str, style: str | None) -> str:
    text = " ".join(prompt.split())
    if text and not text.endswith((".", "!", "?")):
        text += "."
    text = text[:1].upper() + text[1:]
    return text + (REVISED_PROMPT_TAIL.format(style=style) if style else "")
