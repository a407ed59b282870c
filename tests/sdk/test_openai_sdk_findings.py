"""The seven findings of the audit of 2026-12-06, each through the official ``openai`` Python SDK with
only the base URL changed (JSON edits through ``client.post``, as a user sends them; raw HTTP where the
SDK hides what is sent): the ``svg`` object as multipart fields on an edit, ``markup`` (the 2.5 line),
GIF output refusing a mask, ``svg.reasoning.effort``'s values, ``svg_usage``, ``safety_identifier`` on
the streamed completed events and ``usage.output_tokens_details``. Expected values are read from the
SDK's own types where it has them, token counts are literals worked out by hand from contracts/usage.py."""

from __future__ import annotations

import base64
import io
import typing
from collections.abc import Iterator
from typing import Any

import openai
import pytest
import requests
from openai.types import ImagesResponse, image_edit_params
from PIL import Image, ImageDraw

from mockserver.http.server import LiveServer
from tests.conftest import API_KEY
from tests.support.pngs import mask, pattern, png_bytes

MODEL = "gpt-image-2.5-flare"  # [sdk-py] markup "Supports GPT Image 2.5"; gif and svg output
PROMPT = "a lighthouse at dusk"  # 20 characters: 5 text tokens
IMAGE = png_bytes(pattern((256, 256)))
MASK = png_bytes(mask(256))


def red_stroke(size: int = 256) -> bytes:
    """A markup: transparent, with one opaque red square near the top left corner."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle([16, 16, 79, 79], fill=(255, 0, 0, 255))
    return png_bytes(image)


MARKUP = red_stroke()
# [sdk-py image_edit_params.py] SvgReasoning.effort: Literal["none", "minimal", ..., "max"]
EFFORTS = typing.get_args(typing.get_type_hints(image_edit_params.SvgReasoning)["effort"])


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=live_server.base_url, api_key=API_KEY, max_retries=0) as sdk:
        yield sdk


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def json_edit(client: openai.OpenAI, body: dict[str, Any]) -> ImagesResponse:
    return client.post("/images/edits", body={"model": MODEL, "prompt": PROMPT, **body}, cast_to=ImagesResponse)


def multipart_edit(client: openai.OpenAI, **params: Any) -> ImagesResponse:
    return client.images.edit(model=MODEL, prompt=PROMPT, image=("a.png", IMAGE, "image/png"), **params)


def refused(call: Any) -> openai.BadRequestError:
    with pytest.raises(openai.BadRequestError) as raised:
        call()
    assert raised.value.status_code == 400
    return raised.value


def only_image(result: ImagesResponse) -> bytes:
    assert result.data and len(result.data) == 1 and result.data[0].b64_json
    return base64.b64decode(result.data[0].b64_json)


# --- 1. the svg object as multipart fields on an edit (svg[model], svg[reasoning][effort]) ---------------


def test_an_svg_edit_takes_svg_model_as_multipart_fields(client: openai.OpenAI) -> None:
    # The SDK sends svg={"model": ...} on a multipart edit as svg[model] and svg[reasoning][effort].
    result = multipart_edit(client, output_format="svg", svg={"model": "gpt-5.5", "reasoning": {"effort": "low"}})
    assert only_image(result).lstrip().startswith((b"<svg", b"<?xml"))
    assert result.svg_usage is not None
    assert (result.svg_usage.model, result.svg_usage.reasoning_tokens) == ("gpt-5.5", 256)


def test_an_svg_json_edit_takes_the_object(client: openai.OpenAI) -> None:
    result = json_edit(client, {"images": [{"image_url": data_url(IMAGE)}], "output_format": "svg",
                                "svg": {"model": "gpt-5.5", "reasoning": {"effort": "high"}}})
    assert result.svg_usage is not None
    assert (result.svg_usage.model, result.svg_usage.reasoning_tokens) == ("gpt-5.5", 4096)


@pytest.mark.parametrize(("fields", "param"), [
    ({"svg[colour]": "red"}, "svg.colour"),
    ({"svg[reasoning][depth]": "3"}, "svg.reasoning.depth"),
])
def test_a_bracketed_svg_field_the_object_does_not_have_is_refused(live_server: LiveServer,
                                                                     fields: dict[str, str], param: str) -> None:
    response = requests.post(f"{live_server.base_url}/images/edits", headers={"Authorization": f"Bearer {API_KEY}"},
                             data={"model": MODEL, "prompt": PROMPT, "output_format": "svg", "svg[model]": "m",
                                   **fields}, files={"image": ("a.png", IMAGE, "image/png")}, timeout=30)
    assert response.status_code == 400
    assert (response.json()["error"]["code"], response.json()["error"]["param"]) == ("unknown_parameter", param)


def test_svg_fields_on_a_png_edit_need_svg_output(client: openai.OpenAI) -> None:
    error = refused(lambda: multipart_edit(client, svg={"model": "m"}))
    assert (error.code, error.param) == ("unsupported_parameter", "svg")


# --- 2. markup ---------------------------------------------------------------------------------------


def test_markup_is_taken_on_a_2_5_model_and_guides_the_edit(client: openai.OpenAI) -> None:
    plain = only_image(multipart_edit(client, quality="low"))
    marked = only_image(multipart_edit(client, quality="low", markup=("m.png", MARKUP, "image/png")))
    again = only_image(multipart_edit(client, quality="low", markup=("m.png", MARKUP, "image/png")))
    assert marked == again  # deterministic
    assert marked != plain
    with Image.open(io.BytesIO(marked)) as image, Image.open(io.BytesIO(plain)) as before:
        assert (image.format, image.size) == ("PNG", (1024, 1024))
        # the red square (16-79 of 256) drawn over the first image, fitted to 1024x1024: 64-319
        assert image.convert("RGB").getpixel((190, 190)) == (255, 0, 0)
        assert before.convert("RGB").getpixel((190, 190)) != (255, 0, 0)


def test_markup_on_a_json_edit(client: openai.OpenAI) -> None:
    result = json_edit(client, {"images": [{"image_url": data_url(IMAGE)}], "markup": {"image_url": data_url(MARKUP)},
                                "quality": "low"})
    assert only_image(result)
    assert result.usage is not None and result.usage.input_tokens_details.image_tokens == 255  # the markup: none


def test_markup_with_a_mask_is_refused(client: openai.OpenAI) -> None:
    error = refused(lambda: multipart_edit(client, markup=("m.png", MARKUP, "image/png"),
                                           mask=("mask.png", MASK, "image/png")))
    assert (error.code, error.param) == ("unsupported_parameter", "markup")
    error = refused(lambda: json_edit(client, {"images": [{"image_url": data_url(IMAGE)}],
                                               "markup": {"image_url": data_url(MARKUP)},
                                               "mask": {"image_url": data_url(MASK)}}))
    assert (error.code, error.param) == ("unsupported_parameter", "markup")


@pytest.mark.parametrize("model", ["gpt-image-2", "gpt-image-1.5", "gpt-image-2.6-flare"])
def test_markup_on_a_model_without_it_is_refused(client: openai.OpenAI, model: str) -> None:
    error = refused(lambda: client.images.edit(model=model, prompt=PROMPT, image=("a.png", IMAGE, "image/png"),
                                               markup=("m.png", MARKUP, "image/png")))
    assert (error.code, error.param) == ("unknown_parameter", "markup")


@pytest.mark.parametrize(("markup", "why"), [
    (png_bytes(pattern((256, 256))), "no alpha"),
    (red_stroke(128), "not the first image's dimensions"),
    (b"GIF89a not a png", "not a PNG"),
])
def test_a_markup_is_checked_like_the_mask(client: openai.OpenAI, markup: bytes, why: str) -> None:
    error = refused(lambda: multipart_edit(client, markup=("m.png", markup, "image/png")))
    assert error.code == "invalid_markup_image_format", why


# --- 3. GIF output refuses a mask ------------------------------------------------------------------------


def test_gif_output_with_a_mask_is_refused(client: openai.OpenAI) -> None:
    error = refused(lambda: multipart_edit(client, output_format="gif", size="1024x1024",
                                           mask=("mask.png", MASK, "image/png")))
    assert (error.code, error.param) == ("unsupported_parameter", "mask")
    error = refused(lambda: json_edit(client, {"images": [{"image_url": data_url(IMAGE)}], "output_format": "gif",
                                               "mask": {"image_url": data_url(MASK)}}))
    assert (error.code, error.param) == ("unsupported_parameter", "mask")


def test_gif_output_without_a_mask_is_still_taken(client: openai.OpenAI) -> None:
    with Image.open(io.BytesIO(only_image(multipart_edit(client, output_format="gif", quality="low",
                                                         frame_count=2)))) as image:
        assert image.format == "GIF"


# --- 4. svg.reasoning.effort -----------------------------------------------------------------------------


def test_the_sdk_names_seven_efforts() -> None:
    assert EFFORTS == ("none", "minimal", "low", "medium", "high", "xhigh", "max")


@pytest.mark.parametrize("effort", EFFORTS)
def test_every_effort_the_sdk_names_is_taken(client: openai.OpenAI, effort: str) -> None:
    result = client.images.generate(model=MODEL, prompt=PROMPT, output_format="svg",
                                    svg={"model": "m", "reasoning": {"effort": effort}})
    assert result.svg_usage is not None


@pytest.mark.parametrize("effort", ["ultra", "HIGH", ""])
def test_an_effort_the_sdk_does_not_name_is_refused(client: openai.OpenAI, effort: str) -> None:
    svg: Any = {"model": "m", "reasoning": {"effort": effort}}
    for call in (lambda: client.images.generate(model=MODEL, prompt=PROMPT, output_format="svg", svg=svg),
                 lambda: multipart_edit(client, output_format="svg", svg=svg),
                 lambda: json_edit(client, {"images": [{"image_url": data_url(IMAGE)}], "output_format": "svg",
                                            "svg": svg})):
        error = refused(call)
        assert (error.code, error.param) == ("invalid_value", "svg.reasoning.effort")


def test_a_non_string_effort_is_refused(client: openai.OpenAI) -> None:
    svg: Any = {"model": "m", "reasoning": {"effort": 3}}
    error = refused(lambda: client.images.generate(model=MODEL, prompt=PROMPT, output_format="svg", svg=svg))
    assert (error.code, error.param) == ("invalid_type", "svg.reasoning.effort")


# --- 5. svg_usage ----------------------------------------------------------------------------------------


def test_an_svg_answer_carries_svg_usage(client: openai.OpenAI) -> None:
    result = client.images.generate(model=MODEL, prompt=PROMPT, output_format="svg")
    assert result.svg_usage is not None
    # 5 text tokens + 272 (the planned reference image); medium complexity 1200 + medium effort 1024
    assert result.svg_usage.model_dump() == {"input_tokens": 277, "model": MODEL, "output_tokens": 2224,
                                             "reasoning_tokens": 1024, "total_tokens": 2501}
    low = client.images.generate(model=MODEL, prompt=PROMPT, output_format="svg", complexity="low",
                                 svg={"model": "author", "reasoning": {"effort": "none"}})
    assert low.svg_usage is not None
    assert (low.svg_usage.model, low.svg_usage.output_tokens, low.svg_usage.reasoning_tokens) == ("author", 600, 0)


@pytest.mark.parametrize("output_format", ["png", "gif"])
def test_other_answers_carry_no_svg_usage(client: openai.OpenAI, output_format: str) -> None:
    result = client.images.generate(model=MODEL, prompt=PROMPT, output_format=output_format,
                                    quality="low", size="1024x1024")
    assert result.svg_usage is None and result.usage is not None


# --- 6. safety_identifier on the streamed completed events ----------------------------------------------


@pytest.mark.parametrize(("given", "expected"), [
    ({"safety_identifier": "user-7"}, "user-7"),
    ({"user": "legacy-user"}, "legacy-user"),
    ({"safety_identifier": "", "user": "legacy-user"}, "legacy-user"),
    ({}, None),
])
def test_a_streamed_completed_event_echoes_the_safety_identifier(client: openai.OpenAI, given: dict[str, str],
                                                                 expected: str | None) -> None:
    answer = client.images.generate(model="gpt-image-1.5", prompt=PROMPT, quality="low", **given)
    assert answer.safety_identifier == expected  # the unstreamed answer, as before
    events = list(client.images.generate(model="gpt-image-1.5", prompt=PROMPT, quality="low", stream=True,
                                         partial_images=1, **given))
    assert [e.type for e in events] == ["image_generation.partial_image", "image_generation.completed"]
    assert events[-1].type == "image_generation.completed"
    assert events[-1].safety_identifier == expected
    assert getattr(events[0], "safety_identifier", None) is None  # the partial events carry none [sdk-py]
    edited = list(client.images.edit(model="gpt-image-1.5", prompt=PROMPT, image=("a.png", IMAGE, "image/png"),
                                     quality="low", stream=True, **given))
    assert edited[-1].type == "image_edit.completed"
    assert edited[-1].safety_identifier == expected


def test_a_streamed_json_edit_echoes_the_safety_identifier(live_server: LiveServer) -> None:
    from contracts.streaming import parse

    response = requests.post(f"{live_server.base_url}/images/edits", headers={"Authorization": f"Bearer {API_KEY}"},
                             json={"model": "gpt-image-1.5", "prompt": PROMPT, "quality": "low", "stream": True,
                                   "images": [{"image_url": data_url(IMAGE)}], "safety_identifier": "user-9"},
                             timeout=60)
    assert response.status_code == 200
    assert parse(response.content)[-1]["safety_identifier"] == "user-9"


# --- 7. usage.output_tokens_details ---------------------------------------------------------------------


def test_an_answer_details_its_output_tokens(client: openai.OpenAI) -> None:
    answers = [
        client.images.generate(model="gpt-image-1.5", prompt=PROMPT, quality="low", size="1024x1024"),
        multipart_edit(client, quality="low", size="1024x1024"),
        json_edit(client, {"images": [{"image_url": data_url(IMAGE)}], "quality": "low", "size": "1024x1024"}),
    ]
    for result in answers:
        assert result.usage is not None and result.usage.output_tokens_details is not None
        assert result.usage.output_tokens == 272  # [guide] low, 1024x1024
        assert result.usage.output_tokens_details.model_dump() == {"image_tokens": 272, "text_tokens": 0}


def test_a_stream_event_has_no_output_token_details(client: openai.OpenAI) -> None:
    # [sdk-py image_gen_completed_event.py] the event's Usage has no output_tokens_details
    [completed] = list(client.images.generate(model="gpt-image-1.5", prompt=PROMPT, quality="low", stream=True))
    assert completed.type == "image_generation.completed"
    assert completed.usage.output_tokens == 272
    assert "output_tokens_details" not in completed.usage.model_dump()


def test_a_streamed_edit_takes_markup_and_refuses_it_with_a_mask(client: openai.OpenAI) -> None:
    events = list(multipart_edit(client, quality="low", stream=True, partial_images=1,
                                 markup=("m.png", MARKUP, "image/png")))
    assert [e.type for e in events] == ["image_edit.partial_image", "image_edit.completed"]
    final = base64.b64decode(events[-1].b64_json)
    assert final == only_image(multipart_edit(client, quality="low", markup=("m.png", MARKUP, "image/png")))
    with Image.open(io.BytesIO(final)) as image:
        assert image.convert("RGB").getpixel((190, 190)) == (255, 0, 0)
    error = refused(lambda: list(multipart_edit(client, stream=True, markup=("m.png", MARKUP, "image/png"),
                                                mask=("mask.png", MASK, "image/png"))))
    assert (error.code, error.param) == ("unsupported_parameter", "markup")
