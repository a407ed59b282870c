"""``python -m contracts parity`` on a session recorded through the proxy (``python -m mockserver
--record DIR --upstream URL``) from an upstream that is another fake process, by the official SDK:
a GPT generation, a refusal, a multipart edit, a stream, a 429 with its headers.

It agrees with a fake like the upstream (exit 0); it names each difference of a fake of an
earlier date (``--as-of``) and of a server that answers 200 ``{}`` to everything (exit 1); an
endpoint that cannot be reached is exit 2."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from contracts.parity.recorded import read_recordings
from tests.support import ROOT
from tests.support.pngs import pattern, png_bytes
from tests.support.ports import free_port, refused
from tests.support.processes import FakeProcess

openai = pytest.importorskip("openai")

API_KEY = "sk-parity-0123456789abcdefghijklmnop"
# Three images a minute: the session's fifth request (its fourth image) is refused with a 429.
UPSTREAM = ("--rate-limit", "3/1m", "--quiet")
GPT = {"model": "gpt-image-1", "size": "1024x1024", "quality": "low"}


def record_session(upstream: FakeProcess, folder: Path, start: Callable[..., FakeProcess]) -> None:
    """The five requests, by the official SDK, through a recording proxy in front of ``upstream``."""
    proxy = start("--record", str(folder), "--upstream", upstream.base_url, "--quiet")
    client = openai.OpenAI(base_url=proxy.base_url, api_key=API_KEY, max_retries=0)
    try:
        client.images.generate(prompt="a lighthouse at dawn", **GPT)
        with pytest.raises(openai.BadRequestError):
            client.images.generate(prompt="something nsfw", **GPT)
        image = io.BytesIO(png_bytes(pattern(256)))
        image.name = "input.png"
        client.images.edit(image=image, prompt="add a boat", **GPT)
        events = list(client.images.generate(prompt="a harbour", stream=True, partial_images=1, **GPT))
        assert [e.type for e in events] == ["image_generation.partial_image", "image_generation.completed"]
        with pytest.raises(openai.RateLimitError):
            client.images.generate(prompt="one too many", **GPT)
    finally:
        client.close()
        proxy.stop()


@pytest.fixture
def cassettes(tmp_path: Path, fake_process: Callable[..., FakeProcess]) -> Path:
    folder = tmp_path / "cassettes"
    upstream = fake_process(*UPSTREAM)
    record_session(upstream, folder, fake_process)
    upstream.stop()
    return folder


def parity(folder: Path, base_url: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "contracts", "parity", str(folder), "--base-url", base_url,
               "--api-key", API_KEY, "--max-wait", "0"]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT, check=False)


class _AlwaysEmpty(BaseHTTPRequestHandler):
    """200 ``{}`` to every request, whatever it asks."""

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:  # (quiet: the test reads the report only)
        pass


@pytest.fixture
def always_empty() -> Iterator[str]:
    """The base URL of a server that answers 200 ``{}`` to everything."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AlwaysEmpty)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def blocks(stdout: str) -> dict[str, list[str]]:
    """Each exchange's report lines, by its ``[index] METHOD path``."""
    found: dict[str, list[str]] = {}
    current: list[str] = []
    for line in stdout.splitlines():
        if line and not line.startswith(" ") and "] " in line:
            current = found.setdefault(line.split("] ")[0].split()[-1] + "]", [])
        current.append(line)
    return found


def test_the_recording_holds_the_session(cassettes: Path) -> None:
    exchanges = read_recordings(cassettes)
    assert [(e.method, e.path, e.answer.status) for e in exchanges] == [
        ("POST", "/images/generations", 200), ("POST", "/images/generations", 400),
        ("POST", "/images/edits", 200), ("POST", "/images/generations", 200), ("POST", "/images/generations", 429)]


def test_a_fake_like_the_upstream_agrees(cassettes: Path, fake_process: Callable[..., FakeProcess]) -> None:
    result = parity(cassettes, fake_process(*UPSTREAM).base_url)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines[1:6]] == ["same"] * 5
    assert lines[-1] == "5 exchanges: 5 same, 0 differ, 0 differ only in assumed values (0 value(s) to correct)"


def test_a_value_the_contract_assumes_is_reported_apart(cassettes: Path,
                                                       fake_process: Callable[..., FakeProcess]) -> None:
    """The service counted other tokens than the contract's ASSUMPTION: what to correct, not a failure."""
    (path,) = cassettes.glob("*.json")
    cassette = json.loads(path.read_text(encoding="utf-8"))
    response = cassette["interactions"][0]["response"]["body"]
    body = json.loads(response["string"])
    body["usage"]["input_tokens"] += 7
    body["usage"]["total_tokens"] += 7
    response["string"] = json.dumps(body)
    path.write_text(json.dumps(cassette), encoding="utf-8")
    result = parity(cassettes, fake_process(*UPSTREAM).base_url)
    assert result.returncode == 0, result.stdout + result.stderr
    first = "\n".join(blocks(result.stdout)["[1]"])
    assert first.startswith("assumed  [1] POST /images/generations")
    recorded, got = body["usage"]["input_tokens"], body["usage"]["input_tokens"] - 7
    assert f"ASSUMED usage.input_tokens: recorded {recorded}, got {got} (the contract: ASSUMPTION:" in first
    assert "What to correct in the contract" in result.stdout
    assert result.stdout.splitlines()[-1] == (
        "5 exchanges: 4 same, 0 differ, 1 differ only in assumed values (2 value(s) to correct)")


def test_a_fake_of_an_earlier_date_differs(cassettes: Path, fake_process: Callable[..., FakeProcess]) -> None:
    result = parity(cassettes, fake_process(*UPSTREAM, "--as-of", "2023-06-01").base_url)
    assert result.returncode == 1, result.stdout + result.stderr
    report = blocks(result.stdout)
    assert set(report) == {"[1]", "[2]", "[3]", "[4]", "[5]"}
    generation = "\n".join(report["[1]"])
    assert report["[1]"][0].startswith("DIFFERS  [1] POST /images/generations")
    assert "    request:  POST /images/generations {" in generation
    assert "    recorded: 200 1 image(s) [png 1024x1024]" in generation
    assert "why:" in generation and "status: recorded 200, got 400" in generation
    assert result.stdout.splitlines()[-1].startswith("5 exchanges: 0 same, 5 differ")


def test_a_server_that_answers_200_to_everything_differs(cassettes: Path, always_empty: str) -> None:
    result = parity(cassettes, always_empty)
    assert result.returncode == 1, result.stdout + result.stderr
    report = blocks(result.stdout)
    generation = "\n".join(report["[1]"])
    assert "data: recorded present, got absent" in generation
    assert "headers x-request-id, openai-processing-ms, openai-version" in generation
    refusal = "\n".join(report["[2]"])
    assert "status: recorded 400, got 200" in refusal and "error: recorded present, got absent" in refusal
    stream = "\n".join(report["[4]"])
    assert "content-type: recorded text/event-stream, got application/json" in stream
    assert "status: recorded 429, got 200" in "\n".join(report["[5]"])


def test_an_endpoint_that_cannot_be_reached_is_exit_2(cassettes: Path) -> None:
    port = free_port()
    assert refused(port)
    result = parity(cassettes, f"http://127.0.0.1:{port}/v1")
    assert result.returncode == 2
    assert f"cannot connect to http://127.0.0.1:{port}/v1" in result.stderr


def test_help_says_what_it_compares() -> None:
    result = subprocess.run([sys.executable, "-m", "contracts", "parity", "--help"], capture_output=True, text=True,
                            timeout=60, cwd=ROOT, check=False)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m contracts parity [-h] [--version] [--base-url BASE_URL]")
    assert "ASSUMPTION" in result.stdout


def test_a_cassette_vcrpy_recorded_is_judged_too(tmp_path: Path, fake_process: Callable[..., FakeProcess]) -> None:
    """The cassette format is VCR.py's: a session vcrpy recorded (its own way) is read as ours."""
    vcr = pytest.importorskip("vcr")
    recorder = vcr.VCR(serializer="json", record_mode="once", filter_headers=["authorization"])
    upstream = fake_process("--quiet")
    client = openai.OpenAI(base_url=upstream.base_url, api_key=API_KEY, max_retries=0)
    try:
        with recorder.use_cassette(str(tmp_path / "by-vcrpy.json")):
            client.images.generate(prompt="a lighthouse at dawn", **GPT)
            with pytest.raises(openai.BadRequestError):
                client.images.generate(prompt="something nsfw", **GPT)
    finally:
        client.close()
    result = parity(tmp_path, fake_process("--quiet").base_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("2 exchanges: 2 same, 0 differ")
    assert parity(tmp_path, fake_process("--quiet", "--as-of", "2023-06-01").base_url).returncode == 1
