"""Today's models end to end: the client against the in-process fake (GPT generations in each
format, free-form sizes, several images, dall-e-3, moderation and verification refusals)."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from PIL import Image

from client import BadRequestError, ImagesClient, PermissionDeniedError
from contracts.models import MODELS
from mockserver.testing.handle import FakeHandle
from tests.support.pngs import pattern, png_bytes

GPT_GENERATORS = [name for name, profile in MODELS.items()
                  if profile.answer == "gpt-image" and "generations" in profile.endpoints]


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("model", GPT_GENERATORS)
def test_each_gpt_model_answers_a_cheap_generation_in_the_format_asked(images: ImagesClient, model: str) -> None:
    result = images.generate("a white siamese cat", model=model, n=1, quality="low", size="1024x1024",
                             output_format="jpeg")
    assert (result.output_format, result.quality, result.size, result.background) == (
        "jpeg", "low", "1024x1024", "opaque")
    assert result.usage is not None and result.usage.output_tokens > 0
    assert result.usage.total_tokens == result.usage.input_tokens + result.usage.output_tokens
    assert result.usage.input_tokens_details is not None and result.usage.input_tokens_details.image_tokens == 0
    picture = result.data[0].decode()
    assert (picture.media_type, picture.extension, picture.size) == ("image/jpeg", ".jpg", "1024x1024")
    assert opened(picture.data).format == "JPEG"


@pytest.mark.parametrize("output_format", ["jpeg", "webp"])
def test_lower_compression_gives_fewer_bytes(images: ImagesClient, output_format: str) -> None:
    sizes = [len(images.generate("a cat", model="gpt-image-1.5", quality="low", output_format=output_format,
                                 output_compression=compression).data[0].image_bytes())
             for compression in (100, 10)]
    assert sizes[1] < sizes[0]


def test_a_transparent_webp_carries_alpha(images: ImagesClient) -> None:
    result = images.generate("a sticker", model="gpt-image-1.5", background="transparent", output_format="webp")
    assert result.background == "transparent"
    image = opened(result.data[0].decode().data)
    assert image.mode == "RGBA" and image.getextrema()[3][0] < 255


def test_a_free_form_size_of_gpt_image_2(images: ImagesClient, tmp_path: object) -> None:
    result = images.generate("a wide view", model="gpt-image-2", size=(1536, 864))
    assert result.size == "1536x864" and result.output_format == "png"
    assert result.data[0].decode().size == "1536x864"


def test_gpt_specific_parameters_pick_the_gpt_default_model(images: ImagesClient) -> None:
    result = images.generate("a cat", output_format="webp", quality="low")
    assert result.output_format == "webp" and result.usage is not None
    assert result.data[0].decode().media_type == "image/webp"


def test_a_two_image_multipart_edit(images: ImagesClient) -> None:
    first, second = png_bytes(pattern(256)), png_bytes(pattern((320, 256)))
    result = images.edit([first, second], prompt="put them together", model="gpt-image-1.5", quality="low",
                         size="1024x1024")
    assert result.usage is not None and result.usage.input_tokens_details is not None
    assert result.usage.input_tokens_details.image_tokens > 0
    assert result.data[0].decode().size == "1024x1024"


def test_dall_e_3_refuses_two_images_and_revises_prompts(images: ImagesClient) -> None:
    with pytest.raises(BadRequestError) as caught:
        images.generate("a dog", model="dall-e-3", n=2)
    assert caught.value.param == "n"
    result = images.generate("a dog", model="dall-e-3", response_format="b64_json", style="natural")
    assert result.data[0].revised_prompt
    assert result.data[0].decode().size == "1024x1024"


def test_a_gpt_model_refuses_response_format(images: ImagesClient) -> None:
    with pytest.raises(BadRequestError) as caught:
        images.generate("a cat", model="gpt-image-1.5", response_format="url")
    assert (caught.value.code, caught.value.param) == ("unknown_parameter", "response_format")


def test_moderation_blocked_reaches_the_exception(images: ImagesClient) -> None:
    with pytest.raises(BadRequestError) as caught:
        images.generate("something nsfw", model="gpt-image-1.5")
    exc = caught.value
    assert (exc.type, exc.code) == ("image_generation_user_error", "moderation_blocked")
    assert exc.is_user_error and exc.moderation_details is not None
    assert exc.moderation_details.moderation_stage == "input" and exc.moderation_details.categories


def test_an_unverified_organization_gets_a_permission_error(images: ImagesClient, app: Flask) -> None:
    FakeHandle.in_process(app).configure(verification_required_models=["gpt-image-1.5"])
    with pytest.raises(PermissionDeniedError) as caught:
        images.generate("a cat", model="gpt-image-1.5")
    assert caught.value.code == "organization_must_be_verified"
    assert images.generate("a cat", model="gpt-image-1", quality="low").usage is not None
