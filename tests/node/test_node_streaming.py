"""Streamed answers through the current Node.js SDK (``openai-current``), over real HTTP:
``for await (const event of await client.images.generate({..., stream: true}))`` and the same for
edits. ``current_streaming.mjs`` collects every event; this test decodes every partial and final
image and finds the usage on the completed event. Shares ``npm ci`` and the runner with
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

from mockserver.http.server import LiveServer
from tests.conftest import backend_of
from tests.node.test_node_sdks import CURRENT_VERSION, NODE_DIR, node_modules, run_node
from tests.support.pngs import pattern, png_bytes

__all__ = ["node_modules"]  # the session fixture, shared

pytestmark = pytest.mark.slow

FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}


def run_stream(scenario: str, server: LiveServer, cwd: Path, argument: dict[str, Any]) -> dict[str, Any]:
    report = run_node(NODE_DIR / "current_streaming.mjs", scenario, json.dumps(argument), cwd=cwd, server=server)
    assert (report["sdk"], report["scenario"]) == (CURRENT_VERSION, scenario)
    returned: dict[str, Any] = report["returned"]
    return returned


def check_events(events: list[dict[str, Any]], prefix: str, partial_images: int, output_format: str) -> None:
    assert [e["type"] for e in events] == [f"{prefix}.partial_image"] * partial_images + [f"{prefix}.completed"]
    assert [e["partial_image_index"] for e in events[:-1]] == list(range(partial_images))
    pictures = [Image.open(io.BytesIO(base64.b64decode(e["b64_json"]))) for e in events]
    assert {(p.format, p.size) for p in pictures} == {(FORMATS[output_format], (1024, 1024))}
    assert len({e["b64_json"] for e in events}) == len(events)  # partials are not copies of the final image
    usage = events[-1]["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0


def test_current_generation_stream(live_server: LiveServer, node_modules: Path, tmp_path: Path) -> None:
    params = {"model": "gpt-image-1.5", "partial_images": 2, "quality": "low", "size": "1024x1024",
              "output_format": "webp"}
    result = run_stream("generate", live_server, tmp_path, params)
    assert result["error"] is None
    check_events(result["events"], "image_generation", 2, "webp")


def test_current_edit_stream(live_server: LiveServer, node_modules: Path, tmp_path: Path) -> None:
    (tmp_path / "input.png").write_bytes(png_bytes(pattern((256, 256))))
    params = {"model": "gpt-image-1.5", "partial_images": 1, "quality": "low", "size": "1024x1024"}
    result = run_stream("edit", live_server, tmp_path, params)
    assert result["error"] is None
    check_events(result["events"], "image_edit", 1, "png")
    assert result["events"][-1]["usage"]["input_tokens_details"]["image_tokens"] > 0


def test_current_cut_stream_ends_the_iteration_with_an_error(
    live_server: LiveServer, node_modules: Path, tmp_path: Path
) -> None:
    fake = backend_of(live_server.app)
    fake.faults.add({"endpoint": "generations", "kind": "reset", "after_events": 1})
    result = run_stream("generate", live_server, tmp_path, {"model": "gpt-image-1.5", "partial_images": 3,
                                                            "quality": "low", "size": "1024x1024"})
    assert [e["type"] for e in result["events"]] == ["image_generation.partial_image"]
    # The SDK does not wrap what breaks while it reads a body: Node's fetch (undici) rejects the
    # read with TypeError('terminated'), as it does when a real server's connection ends mid-stream.
    assert (result["error"]["class"], result["error"]["message"]) == ("TypeError", "terminated"), result["error"]
    assert fake.journal.entries()[0]["events"] == 1
