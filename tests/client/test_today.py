"""Today's API through the client: every new parameter sent as the SDK sends it, several images
and JSON edits, GPT answers parsed (typed usage, resolved settings, images that know their
format), and today's errors. Answers are literal bodies (golden style: the spec's example of a
GPT answer, observed texts), served by ``responses``; nothing here needs the fake."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from client import (
    BadRequestError,
    DecodedImage,
    ImageData,
    ImageRef,
    ImagesClient,
    ImagesResult,
    InvalidImageError,
    ModerationDetails,
    PermissionDeniedError,
    TokenDetails,
    Usage,
)
from client.__main__ import OPTIONS, main
from tests.client.conftest import FAKE_BASE
from tests.conftest import API_KEY
from tests.support.pngs import pattern, png_bytes

GENERATIONS = f"{FAKE_BASE}/images/generations"
EDITS = f"{FAKE_BASE}/images/edits"

# [spec] the example answer of a GPT image model (createImage), as the reference quotes it.
SPEC_GPT_ANSWER = """{"created": 1713833628, "data": [{"b64_json": "..."}], "background": "transparent",
 "output_format": "png", "size": "1024x1024", "quality": "high",
 "usage": {"total_tokens": 100, "input_tokens": 50, "output_tokens": 50,
           "input_tokens_details": {"text_tokens": 10, "image_tokens": 40}}}"""
# [obs] a dall-e-3 answer (an SDK repr quoted in a public repository, 2024-01), as JSON.
DALL_E_3_ANSWER = """{"created": 1704435764, "data": [{"revised_prompt": "A small and adorable Maltese dog",
 "url": "https://oaidalleapiprodscus.blob.core.windows.net/private/img.png"}]}"""
# [obs] the moderation refusal's text; [guide] its moderation_details shape.
MODERATION_BLOCKED = {"error": {
    "message": "Your request was rejected by the safety system. If you believe this is an error, contact us "
               "at help.openai.com and include the request ID req_0123. safety_violations=[sexual].",
    "type": "image_generation_user_error", "param": None, "code": "moderation_blocked",
    "moderation_details": {"moderation_stage": "input", "categories": ["sexual"]},
}}
# [obs] the 403 of an organization that is not verified for a GPT image model.
NOT_VERIFIED = {"error": {
    "message": "Your organization must be verified to use the model `gpt-image-1`. Please go to: "
               "https://platform.openai.com/settings/organization/general and click on Verify Organization. "
               "If you just verified, it can take up to 15 minutes for access to propagate.",
    "type": "invalid_request_error", "param": None, "code": "organization_must_be_verified",
}}


def encoded(fmt: str, size: tuple[int, int] = (64, 48), **options: Any) -> bytes:
    buffer = io.BytesIO()
    image = pattern(size, "RGBA" if fmt in ("PNG", "WEBP") else "RGB")
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def gpt_answer(image: bytes, *, output_format: str, size: str, n: int = 1, **more: Any) -> dict[str, Any]:
    return {
        "created": 1767225600,
        "data": [{"b64_json": base64.b64encode(image).decode()} for _ in range(n)],
        "background": "opaque", "output_format": output_format, "quality": "low", "size": size,
        "usage": {"input_tokens": 9, "output_tokens": 272, "total_tokens": 281,
                  "input_tokens_details": {"text_tokens": 9, "image_tokens": 0}},
        **more,
    }


def client() -> ImagesClient:
    return ImagesClient(base_url=FAKE_BASE, api_key=API_KEY, max_retries=0)


def parsed_form(request: requests.PreparedRequest) -> tuple[dict[str, str], list[tuple[str, str, str, bytes]]]:
    """The text fields, and the file parts as (name, filename, content type, bytes) in order."""
    body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
    environ = EnvironBuilder(method="POST", input_stream=io.BytesIO(body), content_length=len(body),
                             content_type=request.headers["Content-Type"]).get_environ()
    parsed = Request(environ)
    try:
        files = [(name, part.filename or "", part.mimetype, part.read())
                 for name, part in parsed.files.items(multi=True)]
        return parsed.form.to_dict(), files
    finally:
        parsed.close()


def sent_json(index: int = -1) -> Any:
    return json.loads(responses.calls[index].request.body or b"")


# --- parsing today's answers ---------------------------------------------------------------


@responses.activate
def test_the_spec_example_of_a_gpt_answer_parses_to_typed_fields() -> None:
    responses.add(responses.POST, GENERATIONS, body=SPEC_GPT_ANSWER, content_type="application/json")
    with client() as images:
        result = images.generate("a cat", model="gpt-image-1.5")
    assert (result.created, result.background, result.output_format, result.quality, result.size) == (
        1713833628, "transparent", "png", "high", "1024x1024")
    assert result.usage == Usage(input_tokens=50, output_tokens=50, total_tokens=100,
                                 input_tokens_details=TokenDetails(text_tokens=10, image_tokens=40))
    item = result.data[0]
    assert (item.b64_json, item.url, item.revised_prompt) == ("...", None, None)
    assert (item.media_type, item.extension) == ("image/png", ".png")
    with pytest.raises(InvalidImageError, match="not valid base64"):  # the example elides the image
        item.decode()


@responses.activate
def test_fields_the_client_does_not_know_are_kept_not_fatal() -> None:
    body = gpt_answer(encoded("JPEG"), output_format="jpeg", size="64x48", safety_identifier="user-1",
                      svg_usage=None, something_new={"a": [1, 2]})
    body["usage"]["output_tokens_details"] = {"text_tokens": 0, "image_tokens": 272}
    body["usage"]["cached_tokens"] = 3
    body["data"][0]["a_new_item_field"] = True
    responses.add(responses.POST, GENERATIONS, json=body)
    with client() as images:
        result = images.generate("a cat", model="gpt-image-2", size=(64, 48))
    assert result.usage is not None and result.usage.output_tokens_details == TokenDetails(0, 272)
    assert result.raw["something_new"] == {"a": [1, 2]} and result.raw["safety_identifier"] == "user-1"
    assert sent_json() == {"prompt": "a cat", "model": "gpt-image-2", "size": "64x48"}


@responses.activate
def test_a_dall_e_3_answer_carries_its_revised_prompt() -> None:
    responses.add(responses.POST, GENERATIONS, body=DALL_E_3_ANSWER, content_type="application/json")
    with client() as images:
        result = images.generate("a dog", model="dall-e-3", quality="hd", style="natural")
    assert sent_json() == {"prompt": "a dog", "model": "dall-e-3", "quality": "hd", "style": "natural"}
    assert result.data[0].revised_prompt == "A small and adorable Maltese dog"
    assert result.usage is None and result.output_format is None


@pytest.mark.parametrize(("fmt", "name", "media_type", "extension"), [
    ("PNG", "png", "image/png", ".png"),
    ("JPEG", "jpeg", "image/jpeg", ".jpg"),
    ("WEBP", "webp", "image/webp", ".webp"),
    ("GIF", "gif", "image/gif", ".gif"),
])
@responses.activate
def test_decoded_images_know_their_format_and_save_with_its_extension(
    fmt: str, name: str, media_type: str, extension: str, tmp_path: Path
) -> None:
    data = encoded(fmt)
    responses.add(responses.POST, GENERATIONS, json=gpt_answer(data, output_format=name, size="64x48", n=2))
    with client() as images:
        result = images.generate("a cat", model="gpt-image-1.5", output_format=name, n=2)
    picture = result.data[0].decode()
    assert isinstance(picture, DecodedImage)
    assert (picture.data, picture.format.name, picture.media_type, picture.extension, picture.size) == (
        data, name, media_type, extension, "64x48")
    assert (result.data[0].media_type, result.data[0].extension) == (media_type, extension)
    assert picture.save(tmp_path / "cat.png") == tmp_path / f"cat{extension}"  # the extension tells the truth
    assert picture.save(tmp_path / "plain") == tmp_path / f"plain{extension}"
    paths = result.save_all(tmp_path / "all", "img")
    assert paths == [tmp_path / "all" / f"img-{i}{extension}" for i in (1, 2)]
    assert all(path.read_bytes() == data for path in paths)


def test_svg_is_an_image_too(tmp_path: Path) -> None:
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"></svg>'
    item = ImageData(b64_json=base64.b64encode(svg).decode(), output_format="svg")
    assert item.decode().media_type == "image/svg+xml"
    assert item.save(tmp_path / "logo").name == "logo.svg"


def test_bytes_in_another_format_than_answered_are_refused() -> None:
    item = ImageData(b64_json=base64.b64encode(encoded("PNG")).decode(), output_format="jpeg")
    with pytest.raises(InvalidImageError, match="expected a jpeg image, got png"):
        item.decode()
    sized = ImageData(b64_json=base64.b64encode(encoded("WEBP")).decode(), size="1536x864")
    with pytest.raises(InvalidImageError, match="expected a 1536x864 image, got a 64x48 webp"):
        sized.decode()
    assert sized.decode(expected_size="64x48").format.name == "webp"


def test_a_jpeg_extension_is_kept(tmp_path: Path) -> None:
    picture = DecodedImage(encoded("JPEG"), ImageData(output_format="jpeg").format, "64x48")
    assert picture.save(tmp_path / "a.jpeg").name == "a.jpeg"
    assert picture.save(tmp_path / "b.JPG").name == "b.JPG"


# --- sending today's parameters ----------------------------------------------------------------


@responses.activate
def test_generate_sends_every_new_parameter_as_given() -> None:
    responses.add(responses.POST, GENERATIONS, json=gpt_answer(encoded("WEBP"), output_format="webp", size="64x48"))
    with client() as images:
        result = images.generate(
            "a cat", model="gpt-image-2.5-flare", n=1, size="1536x864", quality="xhigh", background="transparent",
            output_format="webp", output_compression=40, moderation="low", user="u-1", safety_identifier="hash-1",
            frame_count=4, frame_duration_ms=120, extra_body={"complexity": "low"},
        )
    assert sent_json() == {
        "prompt": "a cat", "model": "gpt-image-2.5-flare", "n": 1, "size": "1536x864", "quality": "xhigh",
        "background": "transparent", "output_format": "webp", "output_compression": 40, "moderation": "low",
        "user": "u-1", "safety_identifier": "hash-1", "frame_count": 4, "frame_duration_ms": 120,
        "complexity": "low",
    }
    assert isinstance(result, ImagesResult) and result.size == "64x48"  # what was answered wins


@responses.activate
def test_several_images_go_as_image_array_parts_typed_by_their_bytes() -> None:
    responses.add(responses.POST, EDITS, json=gpt_answer(encoded("PNG"), output_format="png", size="64x48", n=2))
    first, second, hole = png_bytes(pattern(64)), encoded("JPEG"), png_bytes(pattern(64, "RGBA"))
    with client() as images:
        images.edit([first, io.BytesIO(second)], prompt="both in one", mask=hole, model="gpt-image-1.5",
                    input_fidelity="high", quality="low", output_compression=100, n=2)
    fields, files = parsed_form(responses.calls[-1].request)
    assert files == [("image[]", "image.png", "image/png", first), ("image[]", "image.jpg", "image/jpeg", second),
                     ("mask", "image.png", "image/png", hole)]
    assert fields == {"prompt": "both in one", "model": "gpt-image-1.5", "input_fidelity": "high",
                      "quality": "low", "output_compression": "100", "n": "2"}


@responses.activate
def test_one_image_goes_as_a_single_image_part_and_a_list_of_one_as_an_array() -> None:
    responses.add(responses.POST, EDITS, json=gpt_answer(encoded("PNG"), output_format="png", size="64x48"))
    with client() as images:
        images.edit(encoded("WEBP"), prompt="p", model="gpt-image-1")
        images.edit([encoded("WEBP")], prompt="p", model="gpt-image-1")
    single, listed = (parsed_form(call.request)[1] for call in responses.calls)
    assert [(name, filename, media_type) for name, filename, media_type, _ in single] == [
        ("image", "image.webp", "image/webp")]
    assert [name for name, *_ in listed] == ["image[]"]


@responses.activate
def test_an_image_ref_makes_a_json_edit_with_pictures_as_data_urls() -> None:
    responses.add(responses.POST, EDITS, json=gpt_answer(encoded("PNG"), output_format="png", size="64x48"))
    local = encoded("JPEG")
    with client() as images:
        images.edit([ImageRef.url("https://example.com/a.png"), local], prompt="mix them",
                    mask=ImageRef.file("file-abc"), model="gpt-image-1.5", moderation="low", n=1)
    request = responses.calls[-1].request
    assert request.headers["Content-Type"] == "application/json"
    assert sent_json() == {
        "images": [{"image_url": "https://example.com/a.png"},
                   {"image_url": "data:image/jpeg;base64," + base64.b64encode(local).decode()}],
        "prompt": "mix them", "model": "gpt-image-1.5", "moderation": "low", "n": 1, "mask": {"file_id": "file-abc"},
    }


def test_an_image_ref_is_one_of_url_and_file_id() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ImageRef()
    with pytest.raises(ValueError, match="exactly one"):
        ImageRef(image_url="https://x", file_id="file-1")
    assert ImageRef.of(png_bytes(pattern(8))).as_json()["image_url"].startswith("data:image/png;base64,iVBOR")


# --- today's errors -----------------------------------------------------------------------------


@responses.activate
def test_moderation_blocked_is_a_bad_request_with_its_details() -> None:
    responses.add(responses.POST, GENERATIONS, json=MODERATION_BLOCKED, status=400)
    with client() as images, pytest.raises(BadRequestError) as caught:
        images.generate("something blocked", model="gpt-image-1.5")
    exc = caught.value
    assert (exc.type, exc.code, exc.param) == ("image_generation_user_error", "moderation_blocked", None)
    assert exc.is_user_error
    assert exc.moderation_details == ModerationDetails(moderation_stage="input", categories=("sexual",))
    assert exc.error["moderation_details"] == MODERATION_BLOCKED["error"]["moderation_details"]
    assert len(responses.calls) == 1


@responses.activate
def test_an_unverified_organization_is_a_permission_error() -> None:
    responses.add(responses.POST, GENERATIONS, json=NOT_VERIFIED, status=403)
    images = ImagesClient(base_url=FAKE_BASE, api_key=API_KEY, sleep=lambda _: None)
    with images, pytest.raises(PermissionDeniedError) as caught:
        images.generate("a cat", model="gpt-image-1")
    assert caught.value.code == "organization_must_be_verified"
    assert not caught.value.is_user_error and caught.value.moderation_details is None
    assert len(responses.calls) == 1  # a 403 is not retried, as in the SDK


# --- the command line ---------------------------------------------------------------------------


def _flag_value(option: Any) -> tuple[str | None, Any]:
    """A value for the option, as typed on the command line (None: a switch) and as sent in JSON."""
    if option.switch:
        return None, True
    if option.choices:
        return option.choices[-1], option.choices[-1]
    return ("7", 7) if option.type is int else ("some-value", "some-value")


@pytest.mark.parametrize("option", [o for o in OPTIONS if "generate" in o.commands], ids=lambda o: o.name)
@responses.activate
def test_every_generate_option_of_the_table_is_sent(
    option: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    responses.add(responses.POST, GENERATIONS, json={"created": 1, "data": [{"b64_json": "AAAA"}]})
    typed, value = _flag_value(option)
    given = [option.flags[0]] if typed is None else [option.flags[0], typed]
    main(["--base-url", FAKE_BASE, "generate", "a cat", *given, "--out", str(tmp_path)])
    assert sent_json() == {"prompt": "a cat", option.name: value}


@responses.activate
def test_cli_saves_a_jpeg_as_jpg_and_sends_urls_as_a_json_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    responses.add(responses.POST, EDITS, json=gpt_answer(encoded("JPEG"), output_format="jpeg", size="64x48", n=1))
    local = tmp_path / "in.png"
    local.write_bytes(png_bytes(pattern(32)))
    code = main(["--base-url", FAKE_BASE, "edit", "https://example.com/a.png", str(local), "--prompt", "p",
                 "--model", "gpt-image-1.5", "--output-format", "jpeg", "--compression", "50",
                 "--input-fidelity", "low", "--out", str(tmp_path / "o"), "--prefix", "x"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.splitlines() == [str(tmp_path / "o" / "x-1.jpg")]
    body = sent_json()
    assert body["images"][0] == {"image_url": "https://example.com/a.png"}
    assert body["images"][1]["image_url"].startswith("data:image/png;base64,")
    assert {k: body[k] for k in ("output_format", "output_compression", "input_fidelity")} == {
        "output_format": "jpeg", "output_compression": 50, "input_fidelity": "low"}
