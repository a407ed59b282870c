"""The plugin's ``--images-fake-today`` (ini ``images_fake_today``): a user's test whose fake answered
what the service as of today refuses gets a warning (the default), fails (``error``), or nothing
(``off``). Run as a user runs pytest: a test file in a fresh folder, pytest in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

USER_TESTS = '''
import requests


def test_calls_dall_e_2(openai_client):
    openai_client.images.generate(model="dall-e-2", prompt="a cat", size="256x256")


def test_calls_gpt_image_1_5(openai_client):
    openai_client.images.generate(model="gpt-image-1.5", prompt="a cat", quality="low")


def test_calls_gpt_image_1_over_http(images_fake_url):
    answer = requests.post(images_fake_url + "/images/generations", timeout=10,
                           json={"model": "gpt-image-1", "prompt": "a cat", "quality": "low"},
                           headers={"Authorization": "Bearer sk-test"})
    assert answer.status_code == 200
'''
DALL_E_2 = "dall-e-2 was retired on 2026-05-12"
GPT_IMAGE_1 = "gpt-image-1 was shut down on 2026-10-23"


def _pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                           "-W", "default", *args], cwd=folder, capture_output=True, text=True, timeout=300)


def test_error_fails_the_test_that_calls_dall_e_2_and_passes_gpt_image_1_5(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    result = _pytest(tmp_path, "--images-fake-today=error", "-rf", "test_user.py")
    out = result.stdout
    assert result.returncode == 1 and "2 failed, 1 passed" in out, out[-4000:]
    assert "FAILED test_user.py::test_calls_dall_e_2 " in out, out[-4000:]
    assert ("test_user.py::test_calls_dall_e_2: the Images API fake answered what the service as of today "
            f"refuses: {DALL_E_2}") in out, out[-4000:]
    assert "test_user.py::test_calls_gpt_image_1_over_http: the Images API fake answered" in out
    assert GPT_IMAGE_1 in out
    assert "FAILED test_user.py::test_calls_gpt_image_1_5" not in out


def test_warn_is_the_default_and_names_the_test_and_the_reason(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    result = _pytest(tmp_path, "test_user.py")
    out = result.stdout
    assert result.returncode == 0 and "3 passed, 2 warnings" in out, out[-4000:]
    warned = [line for line in out.splitlines() if "ImagesFakeTodayWarning" in line]
    assert len(warned) == 2, out[-4000:]
    assert "test_user.py::test_calls_dall_e_2: " in warned[0] and DALL_E_2 in warned[0]
    assert "test_user.py::test_calls_gpt_image_1_over_http: " in warned[1] and GPT_IMAGE_1 in warned[1]


def test_the_ini_option_and_the_flag_over_it(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\nimages_fake_today = error\n")
    assert "2 failed, 1 passed" in _pytest(tmp_path, "test_user.py").stdout
    result = _pytest(tmp_path, "--images-fake-today=off", "test_user.py")
    assert result.returncode == 0 and "3 passed in" in result.stdout, result.stdout[-4000:]
    (tmp_path / "pytest.ini").write_text("[pytest]\nimages_fake_today = loud\n")
    result = _pytest(tmp_path, "test_user.py")
    assert result.returncode != 0 and "images_fake_today = 'loud': expected one of off, warn, error" in (
        result.stdout + result.stderr), result.stdout[-4000:] + result.stderr[-2000:]


def test_the_fixture_settings_take_today(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text('''
import openai
import pytest


@pytest.fixture
def images_fake_settings():
    return {"as_of": "today"}


def test_dall_e_2_is_refused_today(openai_client, images_fake):
    with pytest.raises(openai.NotFoundError):
        openai_client.images.generate(model="dall-e-2", prompt="a cat")
    assert images_fake.config()["as_of"] != "today"  # the date it was read on
''')
    result = _pytest(tmp_path, "--images-fake-today=error", "test_user.py")
    assert result.returncode == 0 and "1 passed in" in result.stdout, result.stdout[-4000:]
