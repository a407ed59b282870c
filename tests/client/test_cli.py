"""``python -m client``: in a subprocess against a live fake, and in-process through the routed fake."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import responses

from client.__main__ import main
from mockserver.http.server import LiveServer
from tests.client.conftest import FAKE_BASE
from tests.conftest import API_KEY
from tests.support import ROOT
from tests.support.pngs import decode, mask, pattern, png_bytes, rgba_with_hole


def run_cli(*args: str, base_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": API_KEY}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "client", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_generate_saves_pngs_and_prints_their_paths(live_server: LiveServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run_cli("generate", "a white siamese cat", "-n", "2", "--size", "256x256", "--out", str(out),
                   base_url=live_server.base_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    paths = [Path(line) for line in done.stdout.splitlines()]
    assert len(paths) == 2 and all(path.parent == out for path in paths)
    assert [decode(path.read_bytes()).size for path in paths] == [(256, 256)] * 2
    assert done.stderr.splitlines() == ["downloading 1/2", "downloading 2/2"]


def test_bad_size_prints_one_error_line_and_exits_1(live_server: LiveServer, tmp_path: Path) -> None:
    done = run_cli("generate", "a cat", "--size", "300x300", base_url=live_server.base_url, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert re.fullmatch(
        re.escape(
            "error: 400 invalid_value (param size): Invalid value: '300x300'. "
            "Supported values are: '256x256', '512x512', and '1024x1024'. [request "
        )
        + r"req_[0-9a-f]{32}\]\n",
        done.stderr,
    ), done.stderr
    assert list(tmp_path.iterdir()) == []


# --- in-process: main(argv) through the routed fake ---------------------------------------


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, routed: responses.RequestsMock) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", FAKE_BASE)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)


def test_edit_with_mask_in_b64(env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image, hole = tmp_path / "in.png", tmp_path / "mask.png"
    image.write_bytes(png_bytes(pattern(256)))
    hole.write_bytes(png_bytes(mask(256)))
    code = main(["edit", str(image), "--prompt", "a hat", "--mask", str(hole), "-n", "3", "--format", "b64_json",
                 "--size", "512x512", "--out", str(tmp_path / "o"), "--prefix", "hat"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.splitlines() == [str(tmp_path / "o" / f"hat-{i}.png") for i in (1, 2, 3)]
    assert captured.err == ""  # nothing to download
    assert decode((tmp_path / "o" / "hat-3.png").read_bytes()).size == (512, 512)


def test_variation_defaults(env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    image = tmp_path / "in.png"
    image.write_bytes(png_bytes(rgba_with_hole(256)))
    monkeypatch.chdir(tmp_path)
    assert main(["variation", str(image), "--size", "256x256"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"variation-[0-9]+-1\.png", line)
    assert decode((tmp_path / line).read_bytes()).size == (256, 256)


def test_options_override_the_environment(monkeypatch: pytest.MonkeyPatch, routed: responses.RequestsMock,
                                          tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://nowhere.invalid/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    code = main(["--api-key", API_KEY, "generate", "a cat", "--base-url", FAKE_BASE, "--size", "256x256",
                 "--out", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    assert routed.calls[0].request.headers["Authorization"] == f"Bearer {API_KEY}"


def test_api_errors_exit_1(env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = tmp_path / "in.png"
    image.write_bytes(png_bytes(pattern(256)))  # no transparency and no mask: refused
    assert main(["edit", str(image), "--prompt", "a hat", "--out", str(tmp_path)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: 400 invalid_request_error: Invalid input image - format must be in")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["generate"], "the following arguments are required: prompt"),
        (["generate", "a cat", "-n", "two"], "invalid int value: 'two'"),
        (["generate", "a cat", "--format", "jpeg"], "invalid choice: 'jpeg'"),
        (["edit", "missing.png", "--prompt", "p"], "image 'missing.png' is not a readable file"),
        (["paint", "x"], "invalid choice: 'paint'"),
        (["generate", "a cat", "--max-retries", "-1"], "--max-retries must be 0 or more"),
    ],
)
def test_usage_errors_exit_2(env: None, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


def test_no_api_key_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(SystemExit) as caught:
        main(["generate", "a cat"])
    assert caught.value.code == 2
    assert "no API key: pass --api-key or set OPENAI_API_KEY" in capsys.readouterr().err


def test_an_html_error_page_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    page = "<html>\n<body>\n<h1>502 Bad Gateway</h1>\n" + "x" * 2000 + "\n</body>\n</html>\n"
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, f"{FAKE_BASE}/images/generations", status=502, body=page)
        assert main(["generate", "a cat", "--base-url", FAKE_BASE, "--max-retries", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: 502: <html> <body> <h1>502 Bad Gateway</h1> xxx")
    assert err.count("\n") == 1 and len(err) <= 610


def test_unreachable_api_exits_1(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    # Port 9 (discard) on localhost: nothing listens there, so the connection is refused at once.
    assert main(["generate", "a cat", "--base-url", "http://127.0.0.1:9/v1", "--max-retries", "0"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: Connection error: POST http://127.0.0.1:9/v1/images/generations")
