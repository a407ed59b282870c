"""The README's quickstart, followed on a fresh clone command by command, as written.

Each step's shell block runs in bash from the clone's root, in a user's environment (no venv on the
``PATH``, none of the test run's variables): ``./dev serve`` in the background (Ctrl+C stops it, as the
README says), every other block to the end, with exit status 0. One thing differs from a user's
terminal: the fake listens on a free port, given as ``MOCKSERVER_PORT`` (a setting the README's
configuration reference lists), and ``127.0.0.1:5000`` in the other blocks says that port, so that the
test never meets another program on 5000. The first ``./dev`` makes the clone's ``.venv``, as a new
user's does: slow.
"""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

import pytest
import requests
from PIL import Image

from tests.support import ROOT
from tests.support.clones import fresh_clone, user_environment
from tests.support.ports import free_port
from tests.support.processes import FakeProcess

README = (ROOT / "README.md").read_text(encoding="utf-8")
SERVE = "./dev serve"
WRITTEN_PORT = "127.0.0.1:5000"
FIRST_RUN = 1200.0  # seconds: the first ./dev makes .venv and installs the pins (about a minute, on a slow day more)


def quickstart() -> str:
    """The README's ``## Quickstart`` section."""
    found = re.search(r"^## Quickstart\n(.*?)(?=^## )", README, re.S | re.M)
    assert found, "README.md has no '## Quickstart' section"
    return found.group(1)


def commands(block: str) -> list[str]:
    """A block's lines that are not comments (a heredoc's body counts as lines too)."""
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", quickstart(), re.S)


def test_the_quickstart_shows_each_step() -> None:
    """Serve; an SDK call with a model served today; the pytest fixtures; the live view; verify."""
    blocks = shell_blocks()
    assert [commands(b) for b in blocks].count([SERVE]) == 1 and commands(blocks[0]) == [SERVE]
    text = "\n".join(blocks)
    assert "from openai import OpenAI" in text and 'model="gpt-image-1.5"' in text
    assert "./dev pytest" in text and re.search(r"def test_\w+\((?:openai_client|images_fake)", text)
    assert "./dev verify --base-url http://127.0.0.1:5000/v1" in text
    assert f"http://{WRITTEN_PORT}/_mock/ui" in quickstart()
    for block in blocks:  # what a clone gives, never an activated venv or a bare python -m
        assert not re.search(r"(^|\s)(source|\.)\s+\S*activate|\.venv/bin|(^|\s)python3? -m", block), block


@pytest.mark.slow
def test_the_quickstart_runs_as_written_on_a_fresh_clone(tmp_path: Path) -> None:
    clone = fresh_clone(tmp_path)
    port = free_port()
    here = f"127.0.0.1:{port}"
    env = user_environment()
    serve, *rest = shell_blocks()
    shown: dict[str, str] = {}
    server = FakeProcess(command=["bash", "-c", serve], cwd=clone, env={**env, "MOCKSERVER_PORT": str(port)},
                         timeout=FIRST_RUN)
    try:
        assert server.url == f"http://{here}", server.lines
        for block in rest:
            done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block.replace(WRITTEN_PORT, here)],
                                  cwd=clone, env=env, capture_output=True, text=True, timeout=600, check=False)
            said = f"{block}\nexit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            assert done.returncode == 0, said
            shown[block] = done.stdout
        page = requests.get(f"http://{here}/_mock/ui", timeout=30)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    finally:
        stopped = server.stop(signal.SIGINT)  # Ctrl+C, as the README says
    assert stopped == 0, server.err[-20:]
    outputs = "\n".join(shown.values())
    assert re.search(r"\b1 passed\b", outputs), outputs[-3000:]  # the pytest step's test ran, and passed
    verified = next(out for block, out in shown.items() if "./dev verify" in block)
    assert verified.strip(), "verify printed nothing"
    sdk = next(out for block, out in shown.items() if "from openai import OpenAI" in block)
    written = re.findall(r"[\w.-]+\.(?:png|jpeg|jpg|webp)\b", sdk)
    assert written, f"the SDK step names no image it wrote: {sdk!r}"
    for name in written:  # a real image, where the step says it put it
        with Image.open(clone / name) as image:
            image.verify()
