"""The README cannot rot: its configuration reference is the settings table, its first two
commands are the ones CI runs, and every Python block in it runs."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from contracts.models import profiles_table
from mockserver import FakeHandle, LiveServer, create_app
from mockserver.settings.config import reference_table
from mockserver.settings.inputs import body_table
from mockserver.state.clock import ClockMove
from mockserver.state.faults import Fault
from tests.sdk.legacy_venv import ensure_legacy_venv, venv_python
from tests.support import ROOT
from tests.support.processes import FakeProcess
from tests.support.redisserver import RedisServer

README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


SAMPLES_COMMAND = "python -m client sample-images"


def block(containing: str) -> str:
    [found] = [b for b in BLOCKS if containing in b]
    return found


def run_block(containing: str) -> None:
    """Run the README's block as a user's script would, then close the clients it left open. A
    script's clients are closed when its process ends; here the process goes on, and a client left
    to the garbage collector may have its socket finalized before the client's own close runs
    (the order of finalizers in a cycle is arbitrary): an unclosed-socket warning, now and then."""
    names: dict[str, object] = {}
    exec(block(containing), names)
    for value in names.values():
        close = getattr(value, "close", None)
        if close is not None and not isinstance(value, type) and type(value).__module__.split(".")[0] in (
                "openai", "client"):
            close()


def test_configuration_reference_is_the_settings_table() -> None:
    assert reference_table() in README


def test_todays_models_table_is_the_profiles() -> None:
    assert profiles_table() in README


def test_todays_models_block(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with LiveServer(create_app()) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-anything")
        run_block('model="gpt-image-1.5", prompt="a cat", quality="low", output_format')
        assert capsys.readouterr().out == "272 1024x1024 jpeg\n"


def test_control_bodies_are_their_field_tables() -> None:
    assert body_table(Fault) in README and body_table(ClockMove) in README


def test_readme_opens_with_the_two_commands() -> None:
    first_block = README.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split("#")[0].strip() for line in first_block] == ["./dev serve", "./dev test"]


def test_ci_runs_the_readme_test_command() -> None:
    assert "./dev test" in (ROOT / ".ci" / "run").read_text()


def test_every_python_block_is_tested() -> None:
    tested = ("client = OpenAI()  #", 'model="gpt-image-1.5", prompt="a cat", quality="low", output_format',
              "openai.Image.create(", "def test_my_code_copes", "mockserver.intercept(rate_limits",
              "FakeHandle.in_process(app)", "stream=True, partial_images=2", 'intercept(as_of="2026-11-29")',
              "from client import CompletedEvent, ImagesClient")
    assert len(BLOCKS) == len(tested)
    for marker in tested:
        block(marker)


def test_sdk_quick_start_block(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with LiveServer(create_app()) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-anything")
        run_block("client = OpenAI()  #")
        assert capsys.readouterr().out.startswith(server.url + "/private/")


def test_pytest_block_runs_as_a_users_test_file(tmp_path: Path) -> None:
    path = tmp_path / "test_from_readme.py"
    path.write_text(block("def test_my_code_copes"))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0 and "2 passed" in result.stdout, result.stdout


def test_intercept_block() -> None:
    run_block("mockserver.intercept(rate_limits")


def test_streaming_block(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with LiveServer(create_app()) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-anything")
        run_block("stream=True, partial_images=2")
        assert capsys.readouterr().out == "partial 0 True\npartial 1 True\nfinal 472\n"


def test_client_streaming_block(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with LiveServer(create_app()) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-anything")
        run_block("from client import CompletedEvent, ImagesClient")
        assert capsys.readouterr().out == "partial 0 1024x1024\npartial 1 1024x1024\nfinal 1024x1024 472\n"


def test_as_of_block(capsys: pytest.CaptureFixture[str]) -> None:
    run_block('intercept(as_of="2026-11-29")')
    assert capsys.readouterr().out == "model_not_found\nTrue png\n"


def test_in_tests_block() -> None:
    run_block("FakeHandle.in_process(app)")


@pytest.mark.slow
def test_legacy_sdk_block(tmp_path: Path) -> None:
    """The guide's examples as the README shows them, on openai 0.28.1 in its own virtualenv."""
    ensure_legacy_venv()
    # The input files, made by the command the README gives for them.
    assert SAMPLES_COMMAND in README
    made = subprocess.run([sys.executable, "-m", "client", "sample-images"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert made.returncode == 0, made.stderr
    code = block("openai.Image.create(") + "\nprint(response['data'][0]['url'])\n"
    with LiveServer(create_app()) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
        env.update(OPENAI_API_BASE=server.base_url, OPENAI_API_KEY="sk-anything")
        result = subprocess.run([str(venv_python()), "-c", code], cwd=tmp_path, env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(server.url + "/private/")
        with FakeHandle.over_http(server.url) as fake:
            journal = fake.requests()
        assert [e["endpoint"] for e in journal] == ["generations", "edits", "variations"]


# --- "Sharing one fake": its commands, run against the test's redis-server ----------------------

README_REDIS = "redis://127.0.0.1:6379/0"
SHARING_USERS_TEST = """
import requests


def test_spend(images_fake_url):
    answer = requests.post(images_fake_url + "/images/generations", json={"prompt": "cat", "size": "256x256"},
                           headers={"Authorization": "Bearer sk-x"}, timeout=30)
    assert answer.status_code == 200
"""


def sharing_commands() -> list[list[str]]:
    section = README.split("## Sharing one fake\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [shlex.split(line, comments=True) for block in blocks for line in block.splitlines() if line.strip()]


def readme_server(fake_process: Callable[..., FakeProcess], command: list[str], redis_url: str) -> FakeProcess:
    """A README command starting the fake, on a free port, on the test's Redis."""
    args = [redis_url if arg == README_REDIS else arg for arg in command[3:]]
    return fake_process(*args, "--port", "0", "--quiet")


def test_sharing_section_commands_run(tmp_path: Path, redis_server: RedisServer,
                                      fake_process: Callable[..., FakeProcess]) -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert "pip install '<checkout>[redis]'" in README and "redis" in extras
    servers, [user_run] = sharing_commands()[:2], sharing_commands()[2:]
    assert [c[:4] for c in servers] == [["python", "-m", "mockserver", "--state"]] * 2
    assert all(README_REDIS in c for c in [*servers, user_run])
    first, second = (readme_server(fake_process, c, redis_server.url) for c in servers)
    answer = requests.post(first.base_url + "/images/generations", json={"prompt": "cat", "size": "256x256"},
                           headers={"Authorization": "Bearer sk-x"}, timeout=30)
    assert answer.status_code == 200
    with second.handle() as other:  # the second fake sees the first one's request
        assert [e["status"] for e in other.requests()] == [200]
    assert (first.stop(), second.stop()) == (0, 0)
    # The plugin's command, as shown, against the same Redis: the run resets it, then spends on it.
    (tmp_path / "test_users.py").write_text(SHARING_USERS_TEST)
    assert user_run[0] == "pytest"
    args = [redis_server.url if arg == README_REDIS else arg for arg in user_run[1:]]
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout[-3000:] + result.stderr[-2000:]
    app = create_app(state=redis_server.url)
    try:  # the run started from a reset state: only its own request is in the journal
        assert [e["params"]["prompt"] for e in FakeHandle.in_process(app).requests()] == ["cat"]
    finally:
        app.extensions["mockserver"].close()
