"""``python -m mockserver`` starts a fake with no set-up and says where it is."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import requests


@contextmanager
def running(*args: str) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/v1)", line)
        assert match, f"no URL printed: {line!r} {proc.stderr.read() if proc.poll() is not None else ''}"
        yield match.group(1)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()  # fail this test, without leaving the process to trouble the next ones
            proc.wait()
            raise
        finally:
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()


def test_starts_on_a_free_port_and_serves() -> None:
    with running() as base_url:
        response = requests.post(f"{base_url}/images/generations", json={"prompt": "cat", "size": "256x256"},
                                 headers={"Authorization": "Bearer sk-anything"}, timeout=10)
        assert response.status_code == 200
        url = response.json()["data"][0]["url"]
        assert url.startswith(base_url.removesuffix("/v1") + "/private/")
        image = requests.get(url, timeout=10)
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        assert "cheroot" in image.headers.get("Server", "") or "Microsoft" in image.headers.get("Server", "")


def test_api_key_option_restricts_keys() -> None:
    with running("--api-key", "sk-one", "--api-key", "sk-two", "--url-ttl", "60") as base_url:
        def status(key: str) -> int:
            return requests.post(f"{base_url}/images/generations", json={"prompt": "cat", "size": "256x256"},
                                 headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code
        assert (status("sk-one"), status("sk-two"), status("sk-three")) == (200, 200, 401)


def test_bad_option_value_exits_with_a_message() -> None:
    result = subprocess.run([sys.executable, "-m", "mockserver", "--port", "0", "--error-era", "medieval"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "error_era: must be one of ['current', 'legacy'], not 'medieval'" in result.stderr


def test_help_lists_every_setting() -> None:
    result = subprocess.run([sys.executable, "-m", "mockserver", "--help"], capture_output=True, text=True,
                            timeout=30)
    for flag in ("--host", "--port", "--api-key", "--url-ttl", "--public-base-url", "--error-era"):
        assert flag in result.stdout
