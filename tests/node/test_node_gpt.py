"""Today's models through the current Node.js SDK (``openai-current``), over real HTTP.

``current_gpt.mjs`` sends what a user of today's API sends; this test decodes the images the SDK
returned and checks the refusals as the SDK's error classes. Shares ``npm ci`` and the runner with
:mod:`tests.node.test_node_sdks`.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from contracts.models import GPT_ANSWER, MODELS
from mockserver.http.server import LiveServer
from tests.conftest import backend_of
from tests.node.test_node_sdks import CURRENT_VERSION, NODE_DIR, node_modules, run_node

__all__ = ["node_modules"]  # the session fixture, shared

pytestmark = pytest.mark.slow

PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF"}


def run_gpt(scenario: str, server: LiveServer, tmp_path: Path, argument: Any = None) -> Any:
    args = [scenario] if argument is None else [scenario, json.dumps(argument)]
    report = run_node(NODE_DIR / "current_gpt.mjs", *args, cwd=tmp_path, server=server)
    assert (report["sdk"], report["scenario"]) == (CURRENT_VERSION, scenario)
    return report["returned"]


def decode(b64: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(b64)))


def request_for(model: str, index: int) -> dict[str, Any]:
    profile = MODELS[model]
    if profile.answer != GPT_ANSWER:
        return {"model": model, "size": "1024x1024", "response_format": "b64_json"}
    assert profile.output_format is not None
    formats = [f for f in profile.output_format.values if f != "svg"]
    return {"model": model, "size": "1024x1024", "quality": "low", "output_format": formats[index % len(formats)]}


def test_each_model_answers_a_valid_generation(live_server: LiveServer, node_modules: Path, tmp_path: Path) -> None:
    models = [name for name, p in MODELS.items() if "generations" in p.endpoints]
    requests = [request_for(model, i) for i, model in enumerate(models)]
    requests.append({"model": "gpt-image-2", "size": "1536x864", "quality": "low", "output_format": "webp"})
    answers = run_gpt("generate", live_server, tmp_path, requests)
    assert len(answers) == len(requests)
    for request, answer in zip(requests, answers, strict=True):
        width, height = (int(side) for side in request["size"].split("x"))
        image = decode(answer["data"][0]["b64_json"])
        assert (image.format, image.size) == (PIL_FORMATS[request.get("output_format", "png")], (width, height))
        if MODELS[request["model"]].answer == GPT_ANSWER:
            usage = answer["usage"]
            assert usage["output_tokens"] > 0 and usage["input_tokens_details"]["text_tokens"] == 5
            assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
            assert (answer["output_format"], answer["size"], answer["quality"]) == (
                request["output_format"], request["size"], "low")
        else:
            assert "usage" not in answer
        if request["model"] == "dall-e-3":
            assert answer["data"][0]["revised_prompt"] == (
                "A white siamese cat. Rendered in a vivid style, with rich detail.")


def test_dall_e_3_refuses_n_2(live_server: LiveServer, node_modules: Path, tmp_path: Path) -> None:
    error = run_gpt("dall-e-3-n-2", live_server, tmp_path)
    assert (error["class"], error["status"], error["code"], error["param"]) == (
        "BadRequestError", 400, "integer_above_max_value", "n")


def test_a_gpt_model_refuses_response_format(live_server: LiveServer, node_modules: Path, tmp_path: Path) -> None:
    error = run_gpt("response-format", live_server, tmp_path)
    assert (error["class"], error["code"], error["param"]) == ("BadRequestError", "unknown_parameter",
                                                               "response_format")
    assert error["message"] == "400 Unknown parameter: 'response_format'."


def test_moderation_blocked(live_server: LiveServer, node_modules: Path, tmp_path: Path) -> None:
    error = run_gpt("moderation-blocked", live_server, tmp_path)
    assert error["is_bad_request_error"] is True
    assert (error["code"], error["type"]) == ("moderation_blocked", "image_generation_user_error")
    assert error["error"]["moderation_details"] == {"moderation_stage": "input", "categories": ["sexual"]}
    assert error["request_id"] in error["message"]


def test_organization_must_be_verified(live_server: LiveServer, node_modules: Path, tmp_path: Path) -> None:
    backend = backend_of(live_server.app)
    backend.configure({"verification_required_models": ["gpt-image-1"]})
    try:
        error = run_gpt("must-be-verified", live_server, tmp_path)
    finally:
        backend.reset(config=True)
    assert error["is_permission_denied_error"] is True
    assert (error["class"], error["status"], error["code"]) == ("PermissionDeniedError", 403,
                                                                "organization_must_be_verified")
