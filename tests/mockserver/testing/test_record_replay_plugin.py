"""A user's suite recorded once through the pytest plugin (``--images-fake-record DIR
--images-fake-upstream URL``, the upstream another fake process, the key the user's), then
replayed (``--images-fake-replay DIR``) with the upstream stopped and no key.

The user's project is tests/support/userproject.py's (our package installed into a venv, as
docs/pytest.md says); the suite runs there with its own Python, as a user runs it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from mockserver.testing.pytest_plugin import cassette_name
from tests.support.processes import FakeProcess
from tests.support.userproject import UserProject

USER_KEY = "sk-user-0123456789abcdefghijklmnopqrst"
USER_TESTS = '''
import base64
import os

import openai
import pytest


def test_generation(openai_client):
    result = openai_client.images.generate(model="gpt-image-1", prompt="a lighthouse", size="1024x1024",
                                           quality="low")
    assert base64.b64decode(result.data[0].b64_json)[:4] == b"\\x89PNG"
    assert result.usage.output_tokens == 272


def test_refusal(openai_client):
    with pytest.raises(openai.BadRequestError) as refused:
        openai_client.images.generate(model="gpt-image-1", prompt="something nsfw", size="1024x1024",
                                      quality="low")
    assert refused.value.code == "moderation_blocked"


def test_stream(openai_client):
    events = openai_client.images.generate(model="gpt-image-1", prompt="a harbour", size="1024x1024",
                                           quality="low", stream=True, partial_images=1)
    assert [e.type for e in events] == ["image_generation.partial_image", "image_generation.completed"]


@pytest.mark.parametrize("size", ["1024x1536"])
def test_live_url(images_fake_url, size):
    client = openai.OpenAI(base_url=images_fake_url, api_key=os.environ.get("OPENAI_API_KEY") or "sk-none",
                           max_retries=0)
    result = client.images.generate(model="gpt-image-1", prompt="a cat", size=size, quality="low")
    assert result.size == size
'''
NODE_IDS = ["test_user_suite.py::test_generation", "test_user_suite.py::test_refusal",
            "test_user_suite.py::test_stream", "test_user_suite.py::test_live_url[1024x1536]"]


def test_cassette_names_come_from_node_ids() -> None:
    assert cassette_name("tests/test_a.py::TestB::test_c[x-1]") == "tests.test_a.py__TestB__test_c[x-1]"
    assert cassette_name("t.py::test[a b/c]") == "t.py__test[a_b.c]"
    long = cassette_name("t.py::test[" + "x" * 300 + "]")
    assert len(long) == 180 and long != cassette_name("t.py::test[" + "x" * 301 + "]")


@pytest.mark.slow
def test_a_suite_recorded_once_replays_with_no_upstream(user_project: UserProject, tmp_path: Path,
                                                        fake_process: Callable[..., FakeProcess]) -> None:
    project, cassettes = tmp_path / "project", tmp_path / "cassettes"
    project.mkdir()
    (project / "test_user_suite.py").write_text(textwrap.dedent(USER_TESTS))
    pytest_run = (user_project.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error")
    upstream = fake_process("--quiet")

    user_project.env["OPENAI_API_KEY"] = USER_KEY
    try:
        recorded = user_project.run(*pytest_run, "--images-fake-record", cassettes, "--images-fake-upstream",
                                    upstream.base_url, cwd=project, timeout=300, check=False)
    finally:
        del user_project.env["OPENAI_API_KEY"]
    assert recorded.returncode == 0, recorded.stdout[-4000:] + recorded.stderr[-2000:]
    assert "4 passed" in recorded.stdout
    with upstream.handle() as handle:
        assert len(handle.requests()) == 4  # every request went to the upstream: it answered them
    upstream.stop()

    folders = sorted(p.name for p in cassettes.iterdir() if p.is_dir())
    assert folders == sorted(cassette_name(n) for n in NODE_IDS)
    for folder in folders:
        (cassette,) = (cassettes / folder).glob("*.json")
        data = cassette.read_bytes()
        assert USER_KEY.encode() not in data and b"Bearer" not in data

    replayed = user_project.run(*pytest_run, "--images-fake-replay", cassettes, cwd=project, timeout=300,
                                check=False)
    assert replayed.returncode == 0, replayed.stdout[-4000:] + replayed.stderr[-2000:]
    assert "4 passed" in replayed.stdout

    # A test that was never recorded fails in replay, saying so.
    (project / "test_new.py").write_text("def test_new(openai_client):\n    pass\n")
    new = user_project.run(*pytest_run, "--images-fake-replay", cassettes, "test_new.py", cwd=project,
                           timeout=300, check=False)
    assert new.returncode == 1
    assert f"no cassette in {cassettes / 'test_new.py__test_new'}" in new.stdout
