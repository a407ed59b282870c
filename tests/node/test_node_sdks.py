"""The Node.js ``openai`` SDKs against the fake, over real HTTP (``live_server``).

* The current line (``openai-current`` in package.json): ``images.generate`` (url, b64_json),
  ``images.edit`` and ``images.createVariation`` with the uploads the SDK takes (``toFile`` of a
  ReadStream or a Buffer, a bare ReadStream), and its error classes (``BadRequestError``).
* The legacy ``openai@3.3.0`` (``openai-v3``), the SDK of the seeds' era: the seeds' Node.js
  examples, pulled out of the seed documents at test time (:mod:`tests.node.extract_node`) and
  run verbatim in a harness that supplies ``fs`` and a configured ``openai``
  (``seed_harness.js.in``); the TypeScript ones compiled with ``tsc`` first
  (``seed_harness.ts.in``). Plus ``createImage`` and ``createImageEdit``, which no seed shows.

Each run is one ``node`` process with a timeout; it prints one JSON line (``support.cjs``), checked
here against concrete values, against the fake's journal (what it received) and against the
images the URLs serve. ``npm ci`` runs once per session, from the committed lockfile.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from mockserver.http.server import LiveServer
from tests.conftest import API_KEY, backend_of
from tests.node import extract_node as extract
from tests.support import pngs

pytestmark = pytest.mark.slow

NODE_DIR = Path(__file__).resolve().parent
PACKAGE = json.loads((NODE_DIR / "package.json").read_text(encoding="utf-8"))
LOCK = json.loads((NODE_DIR / "package-lock.json").read_text(encoding="utf-8"))
CURRENT_VERSION = PACKAGE["devDependencies"]["openai-current"].removeprefix("npm:openai@")
LEGACY_VERSION = "3.3.0"

NODE_TIMEOUT_S = 60  # one node run; each takes well under a second
TSC_TIMEOUT_S = 120
NPM_CI_TIMEOUT_S = 600
NPM_LOCK_WAIT_S = 600  # how long to wait for another session's npm ci
INSTALL_STAMP = ".images-api-twin-installed"  # in node_modules: the pins it was installed from
CLOCK_TOLERANCE_S = 120

REQUEST_ID = re.compile(r"req_[0-9a-f]{32}")

# What `[your image data]` becomes: a Buffer of a PNG the test wrote (no other edit is made).
IMAGE_DATA = 'fs.readFileSync("in_memory.png")'
NOT_SQUARE = (384, 256)  # image.png for the error-handling example: refused
NOT_SQUARE_MESSAGE = "Invalid input image - expected an image with equal width and height, got 384x256 instead."
BAD_SIZE_BODY = {
    "message": "Invalid value: '300x300'. Supported values are: '256x256', '512x512', and '1024x1024'.",
    "type": "invalid_request_error",
    "param": "size",
    "code": "invalid_value",
}
EDIT_PROMPT = "A sunlit indoor lounge area with a pool containing a flamingo"


# --- helpers --------------------------------------------------------------------------------------




def jpeg_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG")
    return buf.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def node_env(base_url: str) -> dict[str, str]:
    """The process environment with the SDKs' configuration set, and nothing else of OpenAI's."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith("OPENAI") and key not in ("NODE_OPTIONS", "NODE_PATH")
    }
    env.update(
        OPENAI_API_KEY=API_KEY,
        OPENAI_BASE_URL=base_url,
        NO_PROXY="127.0.0.1,localhost,::1",
        no_proxy="127.0.0.1,localhost,::1",
    )
    return env


def run_node(script: Path, *args: str, cwd: Path, server: LiveServer) -> dict[str, Any]:
    """Run one node script; return the one JSON line it printed (and insist on exactly one)."""
    done = subprocess.run(
        ["node", str(script), *args],
        cwd=cwd,
        env=node_env(server.base_url),
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, f"node {script.name} {args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    lines = done.stdout.splitlines()
    assert len(lines) == 1, f"expected one JSON line on stdout, got:\n{done.stdout}\n{done.stderr}"
    report: dict[str, Any] = json.loads(lines[0])
    assert report["threw"] is None, f"{script.name} {args} threw:\n{report['threw']['stack']}"
    return report


def journal(server: LiveServer) -> list[dict[str, Any]]:
    """The API requests the fake received since this test's reset."""
    return list(backend_of(server.app).journal.entries())


def only_request(server: LiveServer, path: str, status: int) -> dict[str, Any]:
    entries = journal(server)
    assert [(e["path"], e["status"]) for e in entries] == [(path, status)], entries
    return entries[0]


def fetch(url: str, server: LiveServer, http: httpx.Client) -> bytes:
    """Download an image URL, which must be the fake's, as a user would."""
    assert url.startswith(f"{server.url}/private/"), url
    response = http.get(url)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    assert response.headers["content-type"] == "image/png"
    return response.content


def check_created(created: object) -> None:
    assert type(created) is int
    assert abs(created - time.time()) <= CLOCK_TOLERANCE_S, created


def collapse(text: str) -> str:
    return " ".join(text.split())


def write_files(directory: Path, files: dict[str, bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return directory


# The pictures the runs upload.
SQUARE = pngs.png_bytes(pngs.pattern(256, "RGB"))
IN_MEMORY = pngs.png_bytes(pngs.pattern(256, "L"))
WIDE = pngs.png_bytes(pngs.pattern(NOT_SQUARE, "RGB"))
LOUNGE_RGBA = pngs.png_bytes(pngs.pattern(256, "RGBA"))
MASK = pngs.png_bytes(pngs.mask(256))
CORGI = pngs.png_bytes(pngs.pattern(256, "RGB").transpose(Image.Transpose.FLIP_LEFT_RIGHT))
SHORT = pngs.png_bytes(pngs.pattern((256, 128), "RGB"))


# --- fixtures -------------------------------------------------------------------------------------


def _install_stamp() -> str:
    """What an install is of: package.json and the lockfile."""
    return sha256((NODE_DIR / "package.json").read_bytes() + (NODE_DIR / "package-lock.json").read_bytes())


def _npm_ci(npm: str) -> None:
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=NPM_CI_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        output = f"{done.stdout}\n{done.stderr}"
        pytest.fail(f"npm ci failed in {NODE_DIR} (exit {done.returncode}):\n{output}", pytrace=False)
    (NODE_DIR / "node_modules" / INSTALL_STAMP).write_text(_install_stamp(), encoding="utf-8")


@contextlib.contextmanager
def _installed(npm: str) -> Iterator[None]:
    """node_modules, installed by ``npm ci`` and held (a shared flock on package-lock.json, which
    is only read) while the session's tests use it. A session that finds nobody else using it runs
    ``npm ci`` (with the lock exclusive); one that finds it in use by another session, installed
    from the same package.json and lockfile (an xdist worker of the same run, or a colleague's run),
    uses that install rather than wipe it from under them."""
    with (NODE_DIR / "package-lock.json").open("rb") as handle:
        deadline = time.monotonic() + NPM_LOCK_WAIT_S
        while True:
            with contextlib.suppress(BlockingIOError):
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                _npm_ci(npm)
                fcntl.flock(handle, fcntl.LOCK_SH)
                break
            with contextlib.suppress(BlockingIOError):
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
                stamp = NODE_DIR / "node_modules" / INSTALL_STAMP
                if stamp.is_file() and stamp.read_text(encoding="utf-8") == _install_stamp():
                    break
                fcntl.flock(handle, fcntl.LOCK_UN)  # in use, but installed from other pins: wait
            if time.monotonic() > deadline:
                pytest.fail(f"waited {NPM_LOCK_WAIT_S} s for another session to release tests/node", pytrace=False)
            time.sleep(0.5)
        yield


@pytest.fixture(scope="session")
def node_modules() -> Iterator[Path]:
    """``npm ci`` in tests/node, once per session (see :func:`_installed`). Skips only when node or
    npm is not installed; a failing npm ci fails every test here."""
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        pytest.skip("node and npm must be on PATH for the Node.js SDK tests (tests/node)")
    with _installed(npm):
        yield NODE_DIR / "node_modules"


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture(scope="module")
def seed_scripts(node_modules: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """Every Node.js example of the seeds in its harness, the TypeScript ones compiled by one tsc
    run: (document, kind) -> the .js to run. The examples are extracted here, at test time."""
    build = tmp_path_factory.mktemp("node-seeds")
    (build / "node_modules").symlink_to(node_modules, target_is_directory=True)
    shutil.copy(NODE_DIR / "support.cjs", build / "support.cjs")
    scripts, sources = {}, []
    for document in extract.DOCUMENTS:
        for snippet in extract.node_snippets(document):
            language = extract.LANGUAGE[snippet.kind]
            stem = f"{document.split('_')[0]}_{snippet.kind}"
            (build / f"{stem}.{language}").write_text(extract.runnable(snippet, IMAGE_DATA), encoding="utf-8")
            scripts[(document, snippet.kind)] = build / f"{stem}.js"
            if language == "ts":
                sources.append(f"{stem}.ts")
    done = tsc(build, sources)
    assert done.returncode == 0 and not done.stdout.strip(), f"tsc failed:\n{done.stdout}\n{done.stderr}"
    return scripts


def tsc(directory: Path, sources: list[str]) -> subprocess.CompletedProcess[str]:
    """tsc over ``sources`` in ``directory``, with tests/node/tsconfig.json; .js beside each .ts."""
    config = {"extends": str(NODE_DIR / "tsconfig.json"), "files": sources}
    (directory / "tsconfig.json").write_text(json.dumps(config), encoding="utf-8")
    return subprocess.run(
        [str(NODE_DIR / "node_modules" / ".bin" / "tsc"), "-p", str(directory / "tsconfig.json")],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=TSC_TIMEOUT_S,
        check=False,
    )


# --- the pins -------------------------------------------------------------------------------------


def test_pins_are_exact_and_the_lockfile_names_no_registry() -> None:
    pins = PACKAGE["devDependencies"]
    assert set(pins) == {"openai-current", "openai-v3", "typescript", "@types/node"}
    assert pins["openai-v3"] == f"npm:openai@{LEGACY_VERSION}"
    for name, spec in pins.items():
        assert re.fullmatch(r"(npm:[a-z@/-]+@)?\d+\.\d+\.\d+", spec), (name, spec)
    packages = LOCK["packages"]
    assert packages[""]["devDependencies"] == pins
    for name, spec in pins.items():
        entry = packages[f"node_modules/{name}"]
        assert entry["version"] == (spec.rsplit("@", 1)[-1] if spec.startswith("npm:") else spec)
        if spec.startswith("npm:"):
            assert entry["name"] == "openai"
    for path, entry in packages.items():
        assert "resolved" not in entry, path  # the lockfile says what, never where from
        assert path == "" or entry.get("integrity", "").startswith("sha512-"), path


# --- the current SDK ------------------------------------------------------------------------------


@pytest.fixture
def current_cwd(tmp_path: Path) -> Path:
    return write_files(
        tmp_path / "current",
        {"lounge.png": LOUNGE_RGBA, "mask.png": MASK, "corgi.png": CORGI, "wide.png": SHORT},
    )


def run_current(scenario: str, cwd: Path, server: LiveServer) -> dict[str, Any]:
    report = run_node(NODE_DIR / "current_sdk.mjs", scenario, cwd=cwd, server=server)
    assert report["sdk"] == CURRENT_VERSION
    assert report["scenario"] == scenario
    return dict(report["returned"])


def check_images_response(
    result: dict[str, Any], server: LiveServer, http: httpx.Client, *, n: int, size: int, b64: bool
) -> list[bytes]:
    """An ImagesResponse as the SDK returned it: its images' PNG bytes, each of the size."""
    check_created(result["created"])
    assert REQUEST_ID.fullmatch(result["request_id"]), result["request_id"]
    assert result["keys"] == ["created", "data"]
    assert len(result["data"]) == n
    images = []
    for item in result["data"]:
        if b64:
            assert item["keys"] == ["b64_json"]
            data = base64.b64decode(item["b64_json"], validate=True)
            # read in JS, from the same bytes: signature and IHDR
            assert item["png"] == {
                "bytes": len(data), "signature": True, "ihdr": True, "width": size, "height": size,
            }
        else:
            assert item["keys"] == ["url"]
            data = fetch(item["url"], server, http)
        assert pngs.png_size(data) == (size, size)
        images.append(data)
    assert len(set(images)) == n, "the images of one answer should differ"
    return images


@pytest.mark.parametrize(
    ("scenario", "n", "size", "params"),
    [
        ("generate-url", 2, 512, {"prompt": "a white siamese cat", "n": 2, "size": "512x512"}),
        (
            "generate-b64",
            1,
            256,
            {"prompt": "a white siamese cat", "n": 1, "size": "256x256", "response_format": "b64_json"},
        ),
    ],
)
def test_current_generate(
    live_server: LiveServer,
    http: httpx.Client,
    node_modules: Path,
    current_cwd: Path,
    scenario: str,
    n: int,
    size: int,
    params: dict[str, Any],
) -> None:
    result = run_current(scenario, current_cwd, live_server)
    check_images_response(result, live_server, http, n=n, size=size, b64=scenario.endswith("b64"))
    request = only_request(live_server, "/v1/images/generations", 200)
    assert request["params"] == params  # a JSON body with only the given keys
    assert request["id"] == result["request_id"]


def test_current_edit_with_read_streams(
    live_server: LiveServer, http: httpx.Client, node_modules: Path, current_cwd: Path
) -> None:
    result = run_current("edit", current_cwd, live_server)
    check_images_response(result, live_server, http, n=1, size=256, b64=False)
    request = only_request(live_server, "/v1/images/edits", 200)
    assert request["params"]["fields"] == {"prompt": EDIT_PROMPT, "n": "1", "size": "256x256"}
    image, mask = request["params"]["files"]
    # toFile(ReadStream, name, {type}): the name and type given
    assert (image["field"], image["filename"], image["content_type"]) == ("image", "lounge.png", "image/png")
    assert (image["sha256"], image["width"], image["height"]) == (sha256(LOUNGE_RGBA), 256, 256)
    # a bare ReadStream: the file's base name, no type of its own
    assert (mask["field"], mask["filename"], mask["content_type"]) == ("mask", "mask.png", "application/octet-stream")
    assert mask["sha256"] == sha256(MASK)


def test_current_variation_from_a_buffer(
    live_server: LiveServer, http: httpx.Client, node_modules: Path, current_cwd: Path
) -> None:
    result = run_current("variation", current_cwd, live_server)
    check_images_response(result, live_server, http, n=2, size=256, b64=True)
    request = only_request(live_server, "/v1/images/variations", 200)
    assert request["params"]["fields"] == {"n": "2", "size": "256x256", "response_format": "b64_json"}
    [image] = request["params"]["files"]
    assert (image["field"], image["filename"], image["content_type"]) == ("image", "corgi.png", "image/png")
    assert image["sha256"] == sha256(CORGI)


def test_current_bad_size_is_a_bad_request_error(
    live_server: LiveServer, node_modules: Path, current_cwd: Path
) -> None:
    error = run_current("bad-size", current_cwd, live_server)
    assert error["class"] == "BadRequestError"
    assert error["is_bad_request_error"] is True and error["is_api_error"] is True
    assert error["status"] == 400
    assert error["code"] == "invalid_value"
    assert error["param"] == "size"
    assert error["type"] == "invalid_request_error"
    assert error["message"] == f"400 {BAD_SIZE_BODY['message']}"
    assert error["error"] == BAD_SIZE_BODY
    assert error["request_id"].startswith("req_") and REQUEST_ID.fullmatch(error["request_id"])
    assert error["header_request_id"] == error["request_id"]
    # one request: the SDK (default maxRetries 2) does not retry a 400
    request = only_request(live_server, "/v1/images/generations", 400)
    assert request["id"] == error["request_id"]
    assert request["error_code"] == "invalid_value"


def test_current_non_square_upload_is_a_bad_request_error(
    live_server: LiveServer, node_modules: Path, current_cwd: Path
) -> None:
    error = run_current("not-square", current_cwd, live_server)
    message = "Invalid input image - expected an image with equal width and height, got 256x128 instead."
    assert (error["class"], error["status"], error["code"], error["param"]) == ("BadRequestError", 400, None, None)
    assert error["message"] == f"400 {message}"
    assert error["error"] == {"message": message, "type": "invalid_request_error", "param": None, "code": None}
    assert REQUEST_ID.fullmatch(error["request_id"])
    only_request(live_server, "/v1/images/variations", 400)


# --- the current SDK and GPT image models' edits ----------------------------------------------

GPT_SQUARE = pngs.png_bytes(pngs.pattern((1024, 1024)))  # 765 image tokens (4 tiles at 768x768)
GPT_PHOTO = jpeg_bytes(pngs.pattern((600, 400)))  # 425 image tokens (2 tiles)


@pytest.fixture
def gpt_cwd(tmp_path: Path) -> Path:
    return write_files(tmp_path / "gpt", {"square.png": GPT_SQUARE, "photo.jpg": GPT_PHOTO})


def check_gpt_answer(result: dict[str, Any], *, size: tuple[int, int], image_tokens: int, text_tokens: int) -> None:
    check_created(result["created"])
    assert REQUEST_ID.fullmatch(result["request_id"]), result["request_id"]
    assert result["keys"] == ["background", "created", "data", "output_format", "quality", "size", "usage"]
    assert (result["size"], result["output_format"], result["background"]) == (f"{size[0]}x{size[1]}", "png", "opaque")
    [item] = result["data"]
    assert item["keys"] == ["b64_json"]
    data = base64.b64decode(item["b64_json"], validate=True)
    assert (item["png"]["width"], item["png"]["height"]) == size  # read in JS
    assert pngs.png_size(data) == size
    usage = result["usage"]
    assert usage["input_tokens_details"] == {"image_tokens": image_tokens, "text_tokens": text_tokens}
    assert usage["input_tokens"] == image_tokens + text_tokens
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_current_gpt_edit_of_two_images(live_server: LiveServer, node_modules: Path, gpt_cwd: Path) -> None:
    result = run_current("gpt-edit-two-images", gpt_cwd, live_server)
    check_gpt_answer(result, size=(1024, 1024), image_tokens=765 + 425, text_tokens=2)
    request = only_request(live_server, "/v1/images/edits", 200)
    assert request["params"]["fields"] == {"model": "gpt-image-1.5", "prompt": "a cat"}
    first, second = request["params"]["files"]
    assert (first["field"], first["filename"], first["content_type"]) == ("image[]", "square.png", "image/png")
    assert (second["field"], second["filename"], second["content_type"]) == ("image[]", "photo.jpg", "image/jpeg")
    assert (second["sha256"], second["width"], second["height"]) == (sha256(GPT_PHOTO), 600, 400)


def test_current_gpt_json_edit_with_a_data_url(live_server: LiveServer, node_modules: Path, gpt_cwd: Path) -> None:
    result = run_current("gpt-edit-json-data-url", gpt_cwd, live_server)
    check_gpt_answer(result, size=(1536, 1024), image_tokens=425, text_tokens=2)


def test_current_gpt_json_edit_of_an_own_url(live_server: LiveServer, node_modules: Path, gpt_cwd: Path) -> None:
    result = run_current("gpt-edit-json-own-url", gpt_cwd, live_server)
    check_gpt_answer(result, size=(1024, 1024), image_tokens=255, text_tokens=2)


@pytest.mark.parametrize(("scenario", "body"), [
    ("gpt-edit-json-foreign-url", {"message": "Error while downloading https://example.com/cat.png.",
                                   "type": "invalid_request_error", "param": None, "code": "invalid_image_url"}),
    ("gpt-edit-json-file-id", {"message": "No such File object: file-abc123", "type": "invalid_request_error",
                               "param": "images[0].file_id", "code": None}),
    ("gpt-edit-mask-without-alpha", {"message": "Invalid mask image format - mask image missing alpha channel",
                                     "type": "image_generation_user_error", "param": None,
                                     "code": "invalid_mask_image_format"}),
])
def test_current_gpt_edit_refusals(
    live_server: LiveServer, node_modules: Path, gpt_cwd: Path, scenario: str, body: dict[str, Any]
) -> None:
    error = run_current(scenario, gpt_cwd, live_server)
    assert (error["class"], error["status"], error["code"]) == ("BadRequestError", 400, body["code"])
    assert error["error"] == body
    assert error["message"] == f"400 {body['message']}"
    only_request(live_server, "/v1/images/edits", 400)


# --- the legacy SDK: the seeds' examples, verbatim -----------------------------------------------


def seed_cwd(tmp_path: Path, image_png: bytes) -> Path:
    """The files the examples open: image.png (by stream) and in_memory.png (the placeholder's)."""
    return write_files(tmp_path / "seed", {"image.png": image_png, "in_memory.png": IN_MEMORY})


def check_legacy_wire(report: dict[str, Any], path: str, status: int, *, multipart: bool) -> dict[str, str]:
    """The one request the legacy SDK wrote, as it went on the wire (axios over node:http)."""
    assert report["sdk"] == LEGACY_VERSION
    [request] = report["wire"]
    assert (request["method"], request["path"], request["status"]) == ("POST", path, status)
    headers: dict[str, str] = request["headers"]
    assert headers["user-agent"] == f"OpenAI/NodeJS/{LEGACY_VERSION}"
    assert headers["authorization"] == f"Bearer {API_KEY}"
    if multipart:
        # form-data streamed by axios: no length known up front, so the body is chunked
        assert re.fullmatch(r"multipart/form-data; boundary=-+[0-9a-f]+", headers["content-type"]), headers
        assert headers.get("transfer-encoding") == "chunked" and "content-length" not in headers, headers
    else:
        assert headers["content-type"] == "application/json" and "content-length" in headers, headers
    return headers


def check_legacy_upload(request: dict[str, Any], data: bytes, size: tuple[int, int]) -> None:
    """A seed example's upload as the fake received it: part `image`, named image.png."""
    assert request["params"]["fields"] == {"n": "1", "size": "1024x1024"}
    [image] = request["params"]["files"]
    # the Buffer's `.name` / the stream's path gives the name; form-data types it from it
    assert (image["field"], image["filename"], image["content_type"]) == ("image", "image.png", "image/png")
    assert (image["sha256"], image["bytes"]) == (sha256(data), len(data))
    assert (image["width"], image["height"]) == size


@pytest.mark.seeds
@pytest.mark.parametrize("document", list(extract.DOCUMENTS))
def test_node_examples_are_extracted_verbatim(document: str) -> None:
    snippets = extract.node_snippets(document)
    assert tuple(s.kind for s in snippets) == extract.DOCUMENTS[document]
    lines = (extract.SEEDS_DIR / document).read_text(encoding="utf-8").splitlines()
    indent = "\t\t" if document.startswith("000_") else ""
    for snippet in snippets:
        original = lines[snippet.first_line - 1 : snippet.last_line]
        assert [indent + line for line in snippet.code.splitlines()] == original
        runnable = extract.runnable(snippet, IMAGE_DATA)
        assert snippet.code.replace(extract.PLACEHOLDER, IMAGE_DATA) in runnable
        assert extract.PLACEHOLDER not in runnable


VARIATION_EXAMPLES = [
    (document, kind)
    for document, kinds in extract.DOCUMENTS.items()
    for kind in kinds
    if kind != extract.ERROR_HANDLING
]


@pytest.mark.seeds
@pytest.mark.parametrize(("document", "kind"), VARIATION_EXAMPLES)
def test_seed_variation_examples(
    live_server: LiveServer,
    http: httpx.Client,
    seed_scripts: dict[tuple[str, str], Path],
    tmp_path: Path,
    document: str,
    kind: str,
) -> None:
    report = run_node(seed_scripts[(document, kind)], cwd=seed_cwd(tmp_path, SQUARE), server=live_server)
    assert report["language"] == extract.LANGUAGE[kind]
    assert report["printed"] == []
    check_legacy_wire(report, "/v1/images/variations", 200, multipart=True)
    response = report["returned"]  # the example's `response`, an axios response
    assert response["status"] == 200
    assert set(response["data"]) == {"created", "data"}
    check_created(response["data"]["created"])
    [image] = response["data"]["data"]
    assert set(image) == {"url"}
    assert pngs.png_size(fetch(image["url"], live_server, http)) == (1024, 1024)
    request = only_request(live_server, "/v1/images/variations", 200)
    assert request["id"] == response["request_id"]
    if kind == extract.VARIATION_STREAM_TS:
        check_legacy_upload(request, SQUARE, (256, 256))  # fs.createReadStream("image.png")
    else:
        check_legacy_upload(request, IN_MEMORY, (256, 256))  # the Buffer in place of the placeholder


@pytest.mark.seeds
@pytest.mark.parametrize("document", list(extract.DOCUMENTS))
def test_seed_error_example_prints_status_and_error(
    live_server: LiveServer, seed_scripts: dict[tuple[str, str], Path], tmp_path: Path, document: str
) -> None:
    """image.png is not square: the example's catch prints error.response.status and .data."""
    report = run_node(
        seed_scripts[(document, extract.ERROR_HANDLING)], cwd=seed_cwd(tmp_path, WIDE), server=live_server
    )
    check_legacy_wire(report, "/v1/images/variations", 400, multipart=True)
    body = {
        "error": {"message": NOT_SQUARE_MESSAGE, "type": "invalid_request_error", "param": None, "code": None}
    }
    status, data = report["printed"]
    assert status == {"text": "400", "values": [400]}
    assert data["values"] == [body]
    assert collapse(data["text"]) == (
        f"{{ error: {{ message: '{NOT_SQUARE_MESSAGE}', type: 'invalid_request_error', param: null, code: null }} }}"
    )
    assert report["returned"] is None  # `response` lived only in the try block
    request = only_request(live_server, "/v1/images/variations", 400)
    assert request["params"]["files"][0]["filename"] == "image.png"
    assert (request["params"]["files"][0]["width"], request["params"]["files"][0]["height"]) == NOT_SQUARE


@pytest.mark.seeds
@pytest.mark.parametrize("document", list(extract.DOCUMENTS))
def test_seed_error_example_prints_the_url_of_a_square_image(
    live_server: LiveServer,
    http: httpx.Client,
    seed_scripts: dict[tuple[str, str], Path],
    tmp_path: Path,
    document: str,
) -> None:
    report = run_node(
        seed_scripts[(document, extract.ERROR_HANDLING)], cwd=seed_cwd(tmp_path, SQUARE), server=live_server
    )
    check_legacy_wire(report, "/v1/images/variations", 200, multipart=True)
    [printed] = report["printed"]
    [url] = printed["values"]
    assert printed["text"] == url
    assert pngs.png_size(fetch(url, live_server, http)) == (1024, 1024)
    check_legacy_upload(only_request(live_server, "/v1/images/variations", 200), SQUARE, (256, 256))


@pytest.mark.seeds
def test_seed_typescript_casts_are_needed(seed_scripts: dict[tuple[str, str], Path]) -> None:
    """The control for the tsc run: without the seeds' casts to `any`, the SDK's types refuse the
    ReadStream and the Buffer (so the examples really were type-checked against openai@3.3.0)."""
    build = next(iter(seed_scripts.values())).parent
    document = "000_ecfbdd12a8e6c58a.txt"
    edits = {
        (document, extract.VARIATION_STREAM_TS): (" as any,", ","),
        (document, extract.VARIATION_BUFFER_TS): ("const file: any = buffer;", "const file = buffer;"),
    }
    sources = []
    for (seed, kind), (cast, uncast) in edits.items():
        source = seed_scripts[(seed, kind)].with_suffix(".ts").read_text(encoding="utf-8")
        assert source.count(cast) == 1, (kind, cast)
        name = f"uncast_{kind}.ts"
        (build / name).write_text(source.replace(cast, uncast), encoding="utf-8")
        sources.append(name)
    done = tsc(build, sources)
    assert done.returncode != 0
    # TS2740: a ReadStream is no File (the SDK's parameter type); TS2339: a Buffer has no `name`
    stream_error = r"uncast_variation_stream_ts\.ts\(\d+,\d+\): error TS2740: Type 'ReadStream' .* type 'File'"
    assert re.search(stream_error, done.stdout), done.stdout
    assert re.search(r"uncast_variation_buffer_ts\.ts\(\d+,\d+\): error TS2339: .*'name'", done.stdout), done.stdout


# --- the legacy SDK: the calls no seed shows --------------------------------------------------------


def test_legacy_create_image(live_server: LiveServer, node_modules: Path, tmp_path: Path) -> None:
    report = run_node(NODE_DIR / "legacy_sdk.cjs", "create-image", cwd=tmp_path, server=live_server)
    check_legacy_wire(report, "/v1/images/generations", 200, multipart=False)
    response = report["returned"]
    assert response["status"] == 200
    check_created(response["data"]["created"])
    [image] = response["data"]["data"]
    assert set(image) == {"b64_json"}
    assert pngs.png_size(base64.b64decode(image["b64_json"], validate=True)) == (256, 256)
    request = only_request(live_server, "/v1/images/generations", 200)
    assert request["params"] == {
        "prompt": "a white siamese cat", "n": 1, "size": "256x256", "response_format": "b64_json",
    }


def test_legacy_create_image_edit_with_read_streams(
    live_server: LiveServer, http: httpx.Client, node_modules: Path, tmp_path: Path
) -> None:
    cwd = write_files(tmp_path / "legacy", {"sunlit_lounge.png": SQUARE, "mask.png": MASK})
    report = run_node(NODE_DIR / "legacy_sdk.cjs", "create-image-edit", cwd=cwd, server=live_server)
    check_legacy_wire(report, "/v1/images/edits", 200, multipart=True)
    [image] = report["returned"]["data"]["data"]
    assert pngs.png_size(fetch(image["url"], live_server, http)) == (512, 512)
    request = only_request(live_server, "/v1/images/edits", 200)
    assert request["params"]["fields"] == {"prompt": EDIT_PROMPT, "n": "1", "size": "512x512"}
    sent = [(f["field"], f["filename"], f["content_type"], f["sha256"]) for f in request["params"]["files"]]
    assert sent == [
        ("image", "sunlit_lounge.png", "image/png", sha256(SQUARE)),
        ("mask", "mask.png", "image/png", sha256(MASK)),
    ]
