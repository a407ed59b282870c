"""The seeds' Python examples, verbatim, on the legacy SDK (openai==0.28.1), against the fake.

The examples are pulled out of the seed documents at test time (:mod:`tests.seeds.extract`);
the one edit is the placeholder ``[your image data]``, replaced by a BytesIO of a PNG. Each
document's examples run in document order in one namespace (the error-handling example reads
``response`` from an earlier one), in a subprocess of a dedicated venv, in a working directory
holding the files they open. Configuration comes from the environment only
(``OPENAI_API_KEY``, ``OPENAI_API_BASE``).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from mockserver import create_app
from mockserver.http.server import LiveServer
from tests.conftest import API_KEY
from tests.sdk.legacy_venv import ensure_legacy_venv
from tests.sdk.recording import Recorded, RequestLog
from tests.seeds import extract
from tests.support import pngs

pytestmark = [pytest.mark.slow, pytest.mark.seeds]

RUNNER = Path(__file__).with_name("_seed_runner.py")
RUN_TIMEOUT_S = 300
LEGACY_VERSION = "0.28.1"
CLOCK_TOLERANCE_S = 120

# What `[your image data]` becomes: a BytesIO of a PNG the test wrote (no other edit is made).
IMAGE_DATA = '__import__("io").BytesIO(__import__("pathlib").Path("in_memory.png").read_bytes())'
NOT_SQUARE = (384, 256)  # image.png: the error-handling example must be refused
NOT_SQUARE_MESSAGE = (
    "Invalid input image - expected an image with equal width and height, got 384x256 instead."
)
# The request each kind of example makes, as the fake sees it: (path, status).
REQUEST_OF = {
    extract.GENERATION: ("/v1/images/generations", 200),
    extract.EDIT: ("/v1/images/edits", 200),
    extract.VARIATION: ("/v1/images/variations", 200),
    extract.VARIATION_BYTESIO: ("/v1/images/variations", 200),
    extract.VARIATION_RESIZED: ("/v1/images/variations", 200),
    extract.ERROR_HANDLING: ("/v1/images/variations", 400),
}


@dataclass(frozen=True)
class SeedRun:
    """One document's examples, run: the runner's report and the requests the fake saw."""

    document: str
    snippets: list[extract.Snippet]
    report: dict[str, Any]
    requests: list[Recorded]

    def results(self) -> list[dict[str, Any]]:
        return list(self.report["results"])

    def result(self, kind: str) -> dict[str, Any]:
        matches = [r for r in self.results() if r["kind"] == kind]
        assert len(matches) == 1, (kind, matches)
        return matches[0]


def input_files() -> dict[str, bytes]:
    """The files the examples open, by name."""
    lounge = pngs.pattern(256, "RGB")
    corgi = pngs.pattern(256, "RGB").transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return {
        "sunlit_lounge.png": pngs.png_bytes(lounge),
        "mask.png": pngs.png_bytes(pngs.mask(256)),  # RGBA, right half transparent
        "corgi_and_cat_paw.png": pngs.png_bytes(corgi),
        "image.png": pngs.png_bytes(pngs.pattern(NOT_SQUARE, "RGB")),
        "in_memory.png": pngs.png_bytes(pngs.pattern(256, "L")),
    }




def legacy_env(base_url: str) -> dict[str, str]:
    """The process environment with the SDK's configuration set, and nothing else of OpenAI's."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith("OPENAI") and key not in ("PYTHONPATH", "PYTHONHOME")
    }
    env.update(
        OPENAI_API_KEY=API_KEY,
        OPENAI_API_BASE=base_url,
        NO_PROXY="127.0.0.1,localhost,::1",
        no_proxy="127.0.0.1,localhost,::1",
        PYTHONIOENCODING="utf-8",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def run_document(python: Path, document: str, workdir: Path, server: LiveServer, log: RequestLog) -> SeedRun:
    snippets = extract.python_snippets(document)
    payload = [{"label": s.label, "kind": s.kind, "code": extract.runnable(s, IMAGE_DATA)} for s in snippets]
    stem = document.removesuffix(".txt")
    snippets_file = workdir.parent / f"{stem}.snippets.json"
    report_file = workdir.parent / f"{stem}.report.json"
    snippets_file.write_text(json.dumps(payload), encoding="utf-8")
    log.clear()
    done = subprocess.run(
        [str(python), str(RUNNER), str(snippets_file), str(report_file)],
        cwd=workdir,
        env=legacy_env(server.base_url),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, f"runner failed:\n{done.stdout}\n{done.stderr}"
    report = json.loads(report_file.read_text(encoding="utf-8"))
    return SeedRun(document, snippets, report, log.api_requests())


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def legacy_python() -> Path:
    return ensure_legacy_venv()


@pytest.fixture(scope="module")
def seed_server() -> Iterator[tuple[LiveServer, RequestLog]]:
    app = create_app()
    log = RequestLog.install(app)
    with LiveServer(app) as server:
        yield server, log


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("seeds") / "cwd"
    directory.mkdir()
    for name, data in input_files().items():
        (directory / name).write_bytes(data)
    return directory


@pytest.fixture(scope="module")
def runs(
    legacy_python: Path, seed_server: tuple[LiveServer, RequestLog], workdir: Path
) -> dict[str, SeedRun]:
    server, log = seed_server
    return {doc: run_document(legacy_python, doc, workdir, server, log) for doc in extract.DOCUMENTS}


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


DOCS = list(extract.DOCUMENTS)


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("document", DOCS)
def test_examples_run_on_the_legacy_sdk(
    runs: dict[str, SeedRun], seed_server: tuple[LiveServer, RequestLog], document: str
) -> None:
    run = runs[document]
    server, _ = seed_server
    assert run.report["openai_version"] == LEGACY_VERSION
    assert run.report["api_base"] == server.base_url  # read from OPENAI_API_BASE
    assert [r["kind"] for r in run.results()] == list(extract.DOCUMENTS[document])
    for result in run.results():
        assert result["error"] is None, f"{result['label']} raised:\n{result['error']}"
        if result["kind"] != extract.ERROR_HANDLING:
            assert result["stdout"] == "", result


@pytest.mark.parametrize("document", DOCS)
def test_each_example_gets_a_1024_png_url(
    runs: dict[str, SeedRun],
    seed_server: tuple[LiveServer, RequestLog],
    http: httpx.Client,
    document: str,
) -> None:
    server, _ = seed_server
    urls = []
    for result in runs[document].results():
        if result["kind"] == extract.ERROR_HANDLING:
            continue
        response = result["response"]
        assert isinstance(response, dict) and set(response) == {"created", "data"}, response
        assert isinstance(response["created"], int)
        assert abs(response["created"] - time.time()) <= CLOCK_TOLERANCE_S
        assert len(response["data"]) == 1
        url = response["data"][0]["url"]
        assert url.startswith(f"{server.url}/private/"), url
        if result["kind"] in (extract.GENERATION, extract.EDIT, extract.VARIATION):
            assert result["image_url"] == url  # `image_url = response['data'][0]['url']`
        download = http.get(url)
        assert download.status_code == 200, (result["label"], download.text[:300])
        assert download.headers["content-type"] == "image/png"
        assert pngs.png_size(download.content) == (1024, 1024), result["label"]
        urls.append(url)
    assert len(set(urls)) == len(urls), "an example left an earlier example's response in place"


def test_error_example_prints_status_and_error(runs: dict[str, SeedRun]) -> None:
    run = runs["001_ccd2d0b670029455.txt"]
    result = run.result(extract.ERROR_HANDLING)
    assert result["error"] is None, result["error"]
    printed = result["stdout"]
    assert "Invalid input image - expected an image with equal width and height" in printed
    status, _, error_text = printed.partition("\n")
    assert status == "400"
    assert json.loads(error_text) == {
        "message": NOT_SQUARE_MESSAGE,
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    # The call failed, so `response` is still the previous example's.
    assert result["response"] == run.result(extract.VARIATION_RESIZED)["response"]


@pytest.mark.parametrize("document", DOCS)
def test_legacy_requests_reach_the_fake_as_sent(runs: dict[str, SeedRun], document: str) -> None:
    """One request per example; uploads named `image`/`mask`, typed application/octet-stream."""
    run = runs[document]
    files = input_files()
    expected = [REQUEST_OF[kind] for kind in extract.DOCUMENTS[document]]
    assert [(r.path, r.status) for r in run.requests] == expected
    uploaded = {
        extract.EDIT: files["sunlit_lounge.png"],
        extract.VARIATION: files["corgi_and_cat_paw.png"],
        extract.VARIATION_BYTESIO: files["in_memory.png"],
        extract.ERROR_HANDLING: files["image.png"],
    }
    for kind, request in zip(extract.DOCUMENTS[document], run.requests, strict=True):
        assert request.headers["user-agent"] == f"OpenAI/v1 PythonBindings/{LEGACY_VERSION}"
        assert request.headers["authorization"] == f"Bearer {API_KEY}"
        if kind == extract.GENERATION:
            assert request.content_type == "application/json"
            continue
        image = request.part("image")
        assert (image.filename, image.content_type) == ("image", "application/octet-stream")
        if kind == extract.VARIATION_RESIZED:
            assert pngs.png_size(image.data) == (256, 256)  # image.png, resized by Pillow
        else:
            assert image.data == uploaded[kind]
        assert request.part("n").data == b"1"
        assert request.part("size").data == b"1024x1024"
        if kind == extract.EDIT:
            mask = request.part("mask")
            assert (mask.filename, mask.content_type, mask.data) == (
                "mask",
                "application/octet-stream",
                files["mask.png"],
            )
            assert request.part("prompt").data.decode() == (
                "A sunlit indoor lounge area with a pool containing a flamingo"
            )


def test_both_documents_get_the_same_images(runs: dict[str, SeedRun], http: httpx.Client) -> None:
    """The same example in both documents is the same request, so the same (deterministic) image."""
    images: dict[str, dict[str, bytes]] = {}
    for document, run in runs.items():
        images[document] = {
            r["kind"]: http.get(r["response"]["data"][0]["url"]).content
            for r in run.results()
            if r["kind"] in (extract.GENERATION, extract.EDIT, extract.VARIATION)
        }
    first, second = images.values()
    assert first == second
    assert len(set(first.values())) == 3
