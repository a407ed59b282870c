"""Golden tests for today's models: each rule broken once, and the exact error body.

The expected bodies are literals: the real texts where the catalogue has a capture (unknown
parameter, dall-e-3's size, the current validator's n, moderation_blocked, the verification 403),
and our documented ASSUMPTION texts elsewhere; never computed by the code under test.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from mockserver import create_app
from mockserver.testing.handle import FakeHandle
from tests.conftest import AUTH
from tests.mockserver.api.test_errors_golden import err, post_form
from tests.support.pngs import pattern, png_bytes

IGU = "image_generation_user_error"
GPT_SIZES = "Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'."
GPT_QUALITIES = "Supported values are: 'low', 'medium', 'high', and 'auto'."


def gen(model: str, **params: Any) -> dict[str, Any]:
    return {"prompt": "a white siamese cat", "model": model, **params}


CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    # --- parameters a model does not take: refused, never ignored ---------------------------
    ("response_format to a GPT model", gen("gpt-image-1.5", response_format="b64_json"),
     err("Unknown parameter: 'response_format'.", "response_format", "unknown_parameter")),
    ("response_format to gpt-image-2", gen("gpt-image-2", response_format="url"),
     err("Unknown parameter: 'response_format'.", "response_format", "unknown_parameter")),
    ("style to a GPT model", gen("gpt-image-1", style="vivid"),
     err("Unknown parameter: 'style'.", "style", "unknown_parameter")),
    ("moderation to dall-e-3", gen("dall-e-3", moderation="low"),
     err("Unknown parameter: 'moderation'.", "moderation", "unknown_parameter")),
    ("quality to dall-e-2", gen("dall-e-2", quality="standard"),
     err("Unknown parameter: 'quality'.", "quality", "unknown_parameter")),
    ("frame_count to a model without gif", gen("gpt-image-1.5", frame_count=4),
     err("Unknown parameter: 'frame_count'.", "frame_count", "unknown_parameter")),
    ("stream to dall-e-2", gen("dall-e-2", stream=True),
     err("Unknown parameter: 'stream'.", "stream", "unknown_parameter")),
    ("partial_images without stream", gen("gpt-image-1.5", partial_images=1),
     err("Unsupported parameter: 'partial_images' is only supported with stream=true.", "partial_images",
         "unsupported_parameter")),
    ("partial_images above 3", gen("gpt-image-1.5", stream=True, partial_images=4),
     err("Invalid 'partial_images': integer above maximum value. Expected a value <= 3, but got 4 instead.",
         "partial_images", "integer_above_max_value")),
    ("a gif stream", gen("gpt-image-2.5-flare", stream=True, output_format="gif"),
     err("Unsupported value: 'stream' does not support true with output_format=gif. Streamed images can be "
         "'png', 'jpeg', or 'webp'.", "stream", "unsupported_value")),
    ("stream not a boolean", gen("gpt-image-1.5", stream="yes"),
     err("Invalid type for 'stream': expected a boolean, but got a string instead.", "stream", "invalid_type")),
    # --- dall-e-3 ---------------------------------------------------------------------------
    ("dall-e-3 n=2", gen("dall-e-3", n=2),
     err("Invalid 'n': integer above maximum value. Expected a value <= 1, but got 2 instead.", "n",
         "integer_above_max_value")),
    ("dall-e-3 size", gen("dall-e-3", size="256x256"),
     err("The size is not supported by this model.", None, "invalid_size")),
    ("dall-e-3 quality", gen("dall-e-3", quality="high"),
     err("Invalid value: 'high'. Supported values are: 'standard' and 'hd'.", "quality", "invalid_value")),
    ("dall-e-3 style", gen("dall-e-3", style="noir"),
     err("Invalid value: 'noir'. Supported values are: 'vivid' and 'natural'.", "style", "invalid_value")),
    ("dall-e-3 prompt too long", gen("dall-e-3", prompt="a" * 4001),
     err("Invalid 'prompt': string too long. Expected a string with maximum length 4000, but got a string "
         "with length 4001 instead.", "prompt", "string_above_max_length")),
    # --- GPT sizes --------------------------------------------------------------------------
    ("GPT listed size", gen("gpt-image-1.5", size="512x512"),
     err(f"Invalid value: '512x512'. {GPT_SIZES}", "size", "invalid_value")),
    ("GPT free size to a model without the rule", gen("gpt-image-1.5", size="1536x864"),
     err(f"Invalid value: '1536x864'. {GPT_SIZES}", "size", "invalid_value")),
    ("free size not WxH", gen("gpt-image-2", size="big"),
     err(f"Invalid value: 'big'. {GPT_SIZES.removesuffix('.')}, or a size WIDTHxHEIGHT such as '1536x864'.",
         "size", "invalid_value")),
    ("free size not a multiple of 16", gen("gpt-image-2", size="1000x1000"),
     err("Invalid size '1000x1000': width and height must both be divisible by 16.", "size", "invalid_value")),
    ("free size beyond 3:1", gen("gpt-image-2", size="2560x816"),
     err("Invalid size '2560x816': the aspect ratio must be between 1:3 and 3:1.", "size", "invalid_value")),
    ("free size edge above 3840", gen("gpt-image-2.5-flare", size="3856x1920"),
     err("Invalid size '3856x1920': neither side may be longer than 3840 pixels.", "size", "invalid_value")),
    ("free size too few pixels", gen("gpt-image-2", size="512x512"),
     err("Invalid size '512x512': the image must have between 655360 and 8294400 pixels, got 262144.",
         "size", "invalid_value")),
    ("free size too many pixels", gen("gpt-image-2-2026-04-21", size="3840x2176"),
     err("Invalid size '3840x2176': the image must have between 655360 and 8294400 pixels, got 8355840.",
         "size", "invalid_value")),
    # --- GPT choices ------------------------------------------------------------------------
    ("GPT quality hd", gen("gpt-image-1.5", quality="hd"),
     err(f"Invalid value: 'hd'. {GPT_QUALITIES}", "quality", "invalid_value")),
    ("xhigh outside the 2.5 line", gen("gpt-image-2", quality="xhigh"),
     err(f"Invalid value: 'xhigh'. {GPT_QUALITIES}", "quality", "invalid_value")),
    ("background", gen("gpt-image-1.5", background="clear"),
     err("Invalid value: 'clear'. Supported values are: 'transparent', 'opaque', and 'auto'.", "background",
         "invalid_value")),
    ("output_format", gen("gpt-image-1.5", output_format="gif"),
     err("Invalid value: 'gif'. Supported values are: 'png', 'jpeg', and 'webp'.", "output_format",
         "invalid_value")),
    ("moderation", gen("gpt-image-1.5", moderation="high"),
     err("Invalid value: 'high'. Supported values are: 'low' and 'auto'.", "moderation", "invalid_value")),
    ("GPT n=11", gen("gpt-image-1-mini", n=11),
     err("Invalid 'n': integer above maximum value. Expected a value <= 10, but got 11 instead.", "n",
         "integer_above_max_value")),
    # --- combinations -----------------------------------------------------------------------
    ("transparent with jpeg", gen("gpt-image-1.5", background="transparent", output_format="jpeg"),
     err("Transparent background is not supported for output format 'jpeg'. Use 'png' or 'webp'.",
         "background", "invalid_value", IGU)),
    ("compression with png", gen("gpt-image-1.5", output_compression=80),
     err("Compression less than 100 is not supported for PNG output format.", "output_compression",
         "invalid_value")),
    ("compression above 100", gen("gpt-image-1.5", output_format="jpeg", output_compression=101),
     err("Invalid 'output_compression': integer above maximum value. Expected a value <= 100, but got 101 "
         "instead.", "output_compression", "integer_above_max_value")),
    ("compression below 0", gen("gpt-image-1.5", output_format="webp", output_compression=-1),
     err("Invalid 'output_compression': integer below minimum value. Expected a value >= 0, but got -1 "
         "instead.", "output_compression", "integer_below_min_value")),
    ("compression with gif", gen("gpt-image-2.5-sunburst", output_format="gif", output_compression=50),
     err("Compression less than 100 is not supported for GIF output format.", "output_compression",
         "invalid_value")),
    ("svg with n=2", gen("gpt-image-2.6-flare", output_format="svg", n=2),
     err("Unsupported value: 'n' does not support 2 with output_format=svg. Only 1 is supported.", "n",
         "unsupported_value")),
    ("frame_count without gif", gen("gpt-image-2.5-flare", frame_count=4),
     err("Unsupported parameter: 'frame_count' is only supported with output_format=gif.", "frame_count",
         "unsupported_parameter")),
    ("svg object without svg output", gen("gpt-image-2.5-flare", svg={"model": "gpt-5"}),
     err("Unsupported parameter: 'svg' is only supported with output_format=svg.", "svg",
         "unsupported_parameter")),
    ("frame_count above 16", gen("gpt-image-2.5-flare", output_format="gif", frame_count=17),
     err("Invalid 'frame_count': integer above maximum value. Expected a value <= 16, but got 17 instead.",
         "frame_count", "integer_above_max_value")),
    ("frame_count of 1", gen("gpt-image-2.5-flare", output_format="gif", frame_count=1),
     err("Invalid 'frame_count': integer below minimum value. Expected a value >= 2, but got 1 instead.",
         "frame_count", "integer_below_min_value")),
    ("gif above its size limit", gen("gpt-image-2.5-flare", output_format="gif", size="2048x1152"),
     err("Invalid size '2048x1152' for output_format=gif: neither side may be longer than 1536 pixels.",
         "size", "invalid_value")),
    # --- which model when none is named -----------------------------------------------------
    ("a GPT-specific parameter picks the GPT default", {"prompt": "cat", "output_format": "jpeg",
                                                        "response_format": "url"},
     err("Unknown parameter: 'response_format'.", "response_format", "unknown_parameter")),
    ("without one, dall-e-2 answers", {"prompt": "cat", "size": "1024x1536"},
     err("Invalid value: '1024x1536'. Supported values are: '256x256', '512x512', and '1024x1024'.", "size",
         "invalid_value")),
]


@pytest.mark.parametrize(("case", "body", "expected"), CASES, ids=[c[0] for c in CASES])
def test_generation_refusals(client: FlaskClient, case: str, body: Any, expected: dict[str, Any]) -> None:
    response = client.post("/v1/images/generations", json=body)
    assert response.status_code == 400
    assert response.get_json() == expected


def test_dall_e_3_is_not_an_edit_model(client: FlaskClient) -> None:
    image = png_bytes(pattern(64))
    response = post_form(client, "/v1/images/edits", image=image, prompt="p", model="dall-e-3")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"]["code"] == "invalid_value" and body["error"]["param"] == "model"
    assert "'dall-e-3'" in body["error"]["message"] and "'dall-e-3'" not in body["error"]["message"].split(
        "Supported values are:")[1]


def test_moderation_blocked_names_the_request_id_and_categories(client: FlaskClient) -> None:
    response = client.post("/v1/images/generations", json=gen("gpt-image-2", prompt="a nude statue"))
    assert response.status_code == 400
    request_id = response.headers["x-request-id"]
    assert re.fullmatch(r"req_[0-9a-f]{32}", request_id)
    assert response.get_json() == {"error": {
        "message": "Your request was rejected by the safety system. If you believe this is an error, contact "
                   f"us at help.openai.com and include the request ID {request_id}. safety_violations=[sexual].",
        "type": IGU,
        "param": None,
        "code": "moderation_blocked",
        "moderation_details": {"moderation_stage": "input", "categories": ["sexual"]},
    }}


def test_dall_e_models_keep_content_policy_violation(client: FlaskClient) -> None:
    for model in ("dall-e-2", "dall-e-3"):
        response = client.post("/v1/images/generations", json=gen(model, prompt="gore everywhere"))
        assert response.get_json() == err(
            "Your request was rejected as a result of our safety system. Your prompt may contain text that is "
            "not allowed by our safety system.", None, "content_policy_violation")


def test_a_users_own_blocked_term_is_category_other() -> None:
    client = create_app(blocked_terms=("pineapple",)).test_client()
    response = client.post("/v1/images/generations", json=gen("gpt-image-1.5", prompt="a pineapple"), headers=AUTH)
    assert response.get_json()["error"]["moderation_details"] == {"moderation_stage": "input",
                                                                  "categories": ["other"]}


def test_organization_must_be_verified_is_switched_per_model_from_the_control_api(client: FlaskClient) -> None:
    assert client.post("/v1/images/generations", json=gen("gpt-image-2")).status_code == 200
    FakeHandle.in_process(client.application).configure(verification_required_models=["gpt-image-2"])
    response = client.post("/v1/images/generations", json=gen("gpt-image-2"))
    assert response.status_code == 403
    assert response.get_json() == err(
        "Your organization must be verified to use the model `gpt-image-2`. Please go to: "
        "https://platform.openai.com/settings/organization/general and click on Verify Organization. If you "
        "just verified, it can take up to 15 minutes for access to propagate.", None,
        "organization_must_be_verified")
    # other models (the snapshot included: it is another name) are not affected
    assert client.post("/v1/images/generations", json=gen("gpt-image-2-2026-04-21")).status_code == 200
    assert client.post("/v1/images/generations", json=gen("dall-e-2")).status_code == 200


def test_an_unknown_model_cannot_be_made_to_need_verification(client: FlaskClient) -> None:
    response = client.patch("/_mock/config", json={"verification_required_models": ["gpt-image-9"]})
    assert response.status_code == 400
    assert response.get_json()["error"]["param"] == "verification_required_models"
