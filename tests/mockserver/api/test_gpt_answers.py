"""Today's models answer in today's shape: what a client sees of a valid GPT or dall-e-3 request.

Expected numbers are literals worked out by hand from the documented formulas (contracts/usage.py):
output tokens from the published table (272 for a low 1024x1024 image, 4160 high, ...), scaled by
pixels for other sizes; one text token per started 4 characters of the prompt.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from PIL import Image

from contracts.models import MODELS
from mockserver import create_app
from tests.conftest import AUTH
from tests.mockserver.api.test_edits_gpt import post_edit
from tests.support.pngs import pattern, png_bytes

PROMPT = "a white siamese cat"  # 19 characters: 5 text tokens
GPT_KEYS = ["background", "created", "data", "output_format", "quality", "size", "usage"]


def generate(client: FlaskClient, **params: Any) -> Any:
    response = client.post("/v1/images/generations", json={"prompt": PROMPT, **params})
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/json"
    return response.get_json()


def decoded(item: dict[str, str]) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(item["b64_json"])))


def test_a_gpt_answer_has_todays_shape(client: FlaskClient) -> None:
    body = generate(client, model="gpt-image-1.5", quality="low", size="1536x1024", n=2)
    assert sorted(body) == GPT_KEYS
    assert [sorted(item) for item in body["data"]] == [["b64_json"], ["b64_json"]]
    assert (body["background"], body["output_format"], body["quality"], body["size"]) == (
        "opaque", "png", "low", "1536x1024")
    assert body["usage"] == {
        "input_tokens": 5,
        "input_tokens_details": {"image_tokens": 0, "text_tokens": 5},
        "output_tokens": 800,  # 2 x 400 (low, 1536x1024)
        "total_tokens": 805,
        "output_tokens_details": {"image_tokens": 800, "text_tokens": 0},  # [sdk-py] Usage.output_tokens_details
    }
    for item in body["data"]:
        image = decoded(item)
        assert (image.format, image.size) == ("PNG", (1536, 1024))


def test_auto_resolves_in_the_answer(client: FlaskClient) -> None:
    body = generate(client, model="gpt-image-1")
    assert (body["size"], body["quality"], body["background"]) == ("1024x1024", "high", "opaque")
    assert body["usage"]["output_tokens"] == 4160


def test_a_free_size_of_gpt_image_2(client: FlaskClient) -> None:
    body = generate(client, model="gpt-image-2", size="1536x864", quality="medium")
    assert body["size"] == "1536x864"
    assert decoded(body["data"][0]).size == (1536, 864)
    assert body["usage"]["output_tokens"] == 1337  # 1056 * 1536*864 / 1024**2 = 1336.5, rounded half up


def test_the_largest_free_size(client: FlaskClient) -> None:
    body = generate(client, model="gpt-image-2.5-sunburst", size="3840x2160", quality="max")
    assert decoded(body["data"][0]).size == (3840, 2160)
    assert body["usage"]["output_tokens"] == 65813  # 4160 * 2 (max) * 8294400 / 1024**2 = 65812.5, half up


def test_gpt_models_never_answer_with_a_url(client: FlaskClient) -> None:
    body = generate(client, model="chatgpt-image-latest")
    assert "url" not in body["data"][0]


@pytest.mark.parametrize("model", [name for name, p in MODELS.items() if "generations" in p.endpoints])
def test_every_generation_model_answers(client: FlaskClient, model: str) -> None:
    body = generate(client, model=model)
    assert len(body["data"]) == 1


def test_dall_e_3_revises_the_prompt_and_answers_a_url(client: FlaskClient) -> None:
    body = generate(client, model="dall-e-3", style="natural", quality="hd", size="1792x1024")
    assert sorted(body) == ["created", "data"]
    [item] = body["data"]
    assert list(item) == ["revised_prompt", "url"]
    assert item["revised_prompt"] == "A white siamese cat. Rendered in a natural style, with rich detail."
    b64 = generate(client, model="dall-e-3", response_format="b64_json")["data"][0]
    assert b64["revised_prompt"] == "A white siamese cat. Rendered in a vivid style, with rich detail."
    assert decoded(b64).size == (1024, 1024)


def test_dall_e_2_answers_are_unchanged(client: FlaskClient) -> None:
    body = generate(client, size="256x256", response_format="b64_json")
    assert sorted(body) == ["created", "data"] and list(body["data"][0]) == ["b64_json"]


def test_a_gpt_specific_parameter_without_a_model_picks_gpt_image_1_5(client: FlaskClient) -> None:
    body = generate(client, moderation="low")
    assert sorted(body) == GPT_KEYS
    assert (body["size"], body["quality"]) == ("1024x1024", "high")


def test_null_gpt_parameters_do_not_pick_the_gpt_default(client: FlaskClient) -> None:
    response = client.post("/v1/images/generations", json={"prompt": PROMPT, "background": None})
    assert response.get_json()["error"]["message"] == "Unknown parameter: 'background'."  # dall-e-2's answer


def test_safety_identifier_is_reported(client: FlaskClient) -> None:
    assert generate(client, model="gpt-image-1.5", safety_identifier="u-1")["safety_identifier"] == "u-1"
    assert generate(client, model="gpt-image-1.5", user="u-2")["safety_identifier"] == "u-2"
    assert generate(client, model="gpt-image-1.5", user="u-2", safety_identifier="")["safety_identifier"] == "u-2"


def test_a_gpt_edit_of_one_png_counts_its_image_tokens(client: FlaskClient) -> None:
    image = png_bytes(pattern(512))
    # a GPT model reads the part's declared type [obs: unsupported_file_mimetype]: the PNG goes out as image/png
    response = post_edit(client, {"prompt": "add a hat", "model": "gpt-image-1.5", "quality": "low",
                                  "output_format": "png"}, [("image", ("a.png", image, "image/png"))])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    # 512x512 needs no scaling: 1 tile -> 85 + 170 = 255; "add a hat": 3 text tokens; low 1024x1024: 272
    assert body["usage"] == {"input_tokens": 258, "input_tokens_details": {"image_tokens": 255, "text_tokens": 3},
                             "output_tokens": 272, "total_tokens": 530,
                             "output_tokens_details": {"image_tokens": 272, "text_tokens": 0}}


def test_an_rgb_png_needs_no_mask_for_a_gpt_edit(client: FlaskClient) -> None:
    rgb = png_bytes(pattern(64).convert("RGB"))
    response = post_edit(client, {"prompt": "p", "model": "gpt-image-1-mini"}, [("image", ("a.png", rgb, "image/png"))])
    assert response.status_code == 200, response.get_json()


def test_same_request_same_bytes(client: FlaskClient) -> None:
    first = generate(client, model="gpt-image-2", size="1024x1024", quality="low")
    second = generate(client, model="gpt-image-2", size="1024x1024", quality="low")
    assert first["data"] == second["data"]


# --- quotas per model family ----------------------------------------------------------------


def _post(client: FlaskClient, model: str) -> Any:
    return client.post("/v1/images/generations", json={"prompt": PROMPT, "model": model, "size": "1024x1024"},
                       headers=AUTH)


def test_each_family_has_its_own_quota_and_headers() -> None:
    client = create_app(rate_limits="2/1m").test_client()
    for _ in range(2):
        assert _post(client, "gpt-image-2").status_code == 200
    refused = _post(client, "gpt-image-2-2026-04-21")  # a snapshot spends its model's quota
    assert refused.status_code == 429
    assert refused.headers["x-ratelimit-remaining-images"] == "0"
    other = _post(client, "gpt-image-1.5")
    assert other.status_code == 200
    assert (other.headers["x-ratelimit-limit-images"], other.headers["x-ratelimit-remaining-images"]) == ("2", "1")
    dall_e = client.post("/v1/images/generations", json={"prompt": PROMPT, "size": "256x256"}, headers=AUTH)
    assert dall_e.status_code == 200 and dall_e.headers["x-ratelimit-remaining-images"] == "1"


def test_a_family_can_have_its_own_windows() -> None:
    client = create_app(family_rate_limits=("gpt-image-2.5-flare=1/1m",)).test_client()
    assert _post(client, "gpt-image-2.5-flare").headers["x-ratelimit-limit-images"] == "1"
    refused = _post(client, "gpt-image-2.5-flare-2026-09-08")
    assert refused.status_code == 429
    assert refused.get_json()["error"]["message"].startswith(
        "Rate limit exceeded for images per minute in organization org-mockserver00000000000000. "
        "Limit: 1/1min. Current: 2/1min.")
    assert _post(client, "gpt-image-2.5-sunburst").headers["x-ratelimit-limit-images"] == "50"


def test_family_rate_limits_are_checked(client: FlaskClient) -> None:
    for bad in (["gpt-image-9=1/1m"], ["gpt-image-2"], ["gpt-image-2=lots"]):
        response = client.patch("/_mock/config", json={"family_rate_limits": bad})
        assert response.status_code == 400
        assert response.get_json()["error"]["param"] == "family_rate_limits"


# --- formats --------------------------------------------------------------------------------


@pytest.mark.parametrize(("output_format", "pil_format"), [("png", "PNG"), ("jpeg", "JPEG"), ("webp", "WEBP")])
def test_each_format_decodes_at_the_size_asked(client: FlaskClient, output_format: str, pil_format: str) -> None:
    body = generate(client, model="gpt-image-1.5", output_format=output_format, size="1024x1536", quality="low")
    assert body["output_format"] == output_format
    image = decoded(body["data"][0])
    assert (image.format, image.size) == (pil_format, (1024, 1536))


@pytest.mark.parametrize("output_format", ["jpeg", "webp"])
def test_compression_gives_fewer_bytes(client: FlaskClient, output_format: str) -> None:
    sizes = [len(base64.b64decode(generate(client, model="gpt-image-1-mini", output_format=output_format,
                                           output_compression=c)["data"][0]["b64_json"])) for c in (100, 20)]
    assert sizes[1] < sizes[0]


def test_a_transparent_webp_carries_alpha(client: FlaskClient) -> None:
    body = generate(client, model="gpt-image-1.5", background="transparent", output_format="webp")
    assert body["background"] == "transparent"
    image = decoded(body["data"][0]).convert("RGBA")
    assert image.getextrema()[3][0] < 255


def test_an_animated_gif_has_its_frames(client: FlaskClient) -> None:
    body = generate(client, model="gpt-image-2.5-flare", output_format="gif", size="1024x1024", frame_count=3,
                    frame_duration_ms=123)
    image = decoded(body["data"][0])
    assert (image.format, image.size, getattr(image, "n_frames", 1)) == ("GIF", (1024, 1024), 3)
    assert image.info["duration"] == 120  # rounded to the nearest 10 ms


def test_an_svg_is_well_formed(client: FlaskClient) -> None:
    body = generate(client, model="gpt-image-2.6-sunburst", output_format="svg", svg={"model": "gpt-5"})
    text = base64.b64decode(body["data"][0]["b64_json"]).decode("utf-8")
    assert "<svg" in text and text.rstrip().endswith("</svg>")
    assert body["output_format"] == "svg"


def test_the_answers_fit_the_shapes_of_the_contract(client: FlaskClient) -> None:
    from contracts.shapes import images_response_problems

    gpt = generate(client, model="gpt-image-2", n=2, quality="low")
    assert images_response_problems(gpt, n=2, response_format="b64_json", gpt=True) == []
    assert images_response_problems(gpt, n=2, response_format="b64_json") != []  # not the DALL·E shape
    dall_e_3 = generate(client, model="dall-e-3")
    assert images_response_problems(dall_e_3, n=1, response_format="url", revised_prompt=True) == []
    assert images_response_problems({**gpt, "quality": "auto"}, n=2, response_format="b64_json", gpt=True) != []
