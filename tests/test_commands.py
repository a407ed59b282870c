"""The commands a newcomer types first: help that reads cleanly, ``--version`` everywhere, usage
lines that name the command as it was typed, start-up lines that say where things are and how to
stop, the access log of a real process, and the pytest plugin's fixtures documented."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from contracts.version import version
from tests.support import ROOT
from tests.support.processes import FakeProcess

BIN = Path(sys.executable).parent
VERSION = re.compile(r"images-api-twin \d+\.\d+\.\d+\S*\n")


def run(*command: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=120, cwd=cwd,
                          check=False)


@pytest.mark.parametrize("module", ["mockserver", "client", "contracts"])
def test_version(module: str) -> None:
    result = run(sys.executable, "-m", module, "--version")
    assert result.returncode == 0, result.stderr
    assert VERSION.fullmatch(result.stdout) and result.stdout == version() + "\n"


@pytest.mark.parametrize(("script", "words"), [
    ("images-mockserver", ["--port", "--cors", "--quiet", "--log-format"]),
    ("images-client", ["generate", "edit", "variation", "sample-images"]),
    ("images-verify", ["--base-url", "--budget", "--seed"]),
    ("images-contracts", ["verify", "drift", "parity"]),
])
def test_console_scripts_name_themselves(script: str, words: list[str]) -> None:
    if not (BIN / script).exists():
        pytest.skip(f"{script} is not installed beside {sys.executable} (pip install -e .)")
    helped = run(BIN / script, "--help")
    assert helped.returncode == 0 and helped.stdout.startswith(f"usage: {script} "), helped.stdout[:200]
    assert all(word in helped.stdout for word in words)
    assert run(BIN / script, "--version").stdout == version() + "\n"
    module = {"images-verify": "contracts verify"}.get(script, script.removeprefix("images-"))
    assert run(sys.executable, "-m", *module.split(), "--help").stdout.startswith(f"usage: python -m {module} ")
    if script == "images-contracts":  # a command it runs names itself as typed: images-contracts verify
        assert run(BIN / script, "verify", "--help").stdout.startswith("usage: images-contracts verify ")


def test_mockserver_help_shows_defaults_once() -> None:
    text = run(sys.executable, "-m", "mockserver", "--help").stdout
    flat = " ".join(text.split())
    assert flat.count("Repeatable.") == flat.count("Repeatable. Accepts:")  # said once per list setting
    for shown in ("Default: 5000;", "Default: 127.0.0.1;", "Default: 3600;", "Default: 50/1m;",
                  "Default: current;", "Default: (none);", "(default: text)"):
        assert shown in flat, shown


def test_contracts_help_lists_its_commands() -> None:
    result = run(sys.executable, "-m", "contracts", "--help")
    assert result.returncode == 0 and "commands:" in result.stdout
    assert re.search(r"^  verify +\S", result.stdout, re.MULTILINE)
    assert re.search(r"^  drift +\S", result.stdout, re.MULTILINE)
    assert re.search(r"^  parity +\S", result.stdout, re.MULTILINE)
    bare = run(sys.executable, "-m", "contracts")
    assert bare.returncode == 2 and "the commands are: verify, drift" in bare.stderr


@pytest.mark.parametrize("args", [["help"], []])
def test_dev_help(args: list[str]) -> None:
    result = run(ROOT / "dev", *args)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("The project's one entry point.")
    assert "set -euo" not in result.stdout and "./dev test" in result.stdout
    assert run(ROOT / "dev", "no-such-command").returncode == 2


def test_the_plugins_fixtures_are_documented(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    result = subprocess.run([sys.executable, "-m", "pytest", "--fixtures", "-p", "no:cacheprovider"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    blocks = re.split(r"\n(?=\S)", result.stdout)
    for fixture in ("images_fake", "images_fake_url", "openai_client", "images_client"):
        (block,) = [b for b in blocks if b.startswith(fixture + " ")]
        assert "no docstring available" not in block and len(block.splitlines()) >= 2, block


@pytest.mark.parametrize("quiet", [False, True])
def test_the_process_says_where_things_are_and_logs_requests(fake_process: Callable[..., FakeProcess],
                                                            quiet: bool) -> None:
    fake = fake_process(*(["--quiet"] if quiet else []))
    lines, root = fake.lines, fake.url
    assert lines[0] == f"mockserver: serving the Images API at {root}/v1", lines
    assert any(f"control API at {root}/_mock/" in line for line in lines), lines
    assert any("Ctrl+C" in line for line in lines), lines
    assert requests.get(root + "/", timeout=10).json()["base_url"] == root + "/v1"
    requests.post(root + "/v1/images/generations", json={"prompt": "cat", "size": "9x9"},
                  headers={"Authorization": "Bearer sk-abcdefgh1234567890wxyz"}, timeout=10)
    assert fake.stop() == 0
    rest = fake.out[len(lines):]
    logged = [line for line in rest if re.match(r"\d{4}-\d\d-\d\dT", line)]
    if quiet:
        assert logged == [] and "access log off (--quiet)" in lines[-1]
    else:
        assert len(logged) == 2, logged
        assert re.fullmatch(r"\S+ GET / 200 \d+\.\dms - -", logged[0]), logged
        assert re.fullmatch(r"\S+ POST /v1/images/generations 400 \d+\.\dms sk-abcde\*\*\*wxyz invalid_value",
                            logged[1]), logged
