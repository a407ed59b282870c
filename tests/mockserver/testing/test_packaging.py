"""A user's project, outside this repository, installs ours and uses every fixture and intercept().

The user's project (tests/support/userproject.py: a fresh virtual environment, slow to make,
where ``pip install <checkout>[test]`` installed this project) gets a test file such as a user
would write, and runs pytest there.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.support.userproject import UserProject

USER_TESTS = '''
import base64

import openai
import requests

import mockserver
from client import ImagesClient


def my_code_that_calls_openai():
    # code the user does not control: the official SDK with its real default base URL
    client = openai.OpenAI(api_key="sk-real-looking", max_retries=0)
    return client.images.generate(prompt="a white siamese cat", size="256x256", response_format="b64_json")


def test_in_process_fake(images_fake):
    images_fake.block_terms("kraken")
    session = images_fake.requests_session()
    answer = session.post(images_fake.base_url + "/images/generations", json={"prompt": "a kraken"},
                          headers={"Authorization": "Bearer sk-user"})
    assert answer.json()["error"]["code"] == "content_policy_violation"


def test_live_fake(images_fake_url):
    client = openai.OpenAI(base_url=images_fake_url, api_key="sk-user")
    url = client.images.generate(prompt="cat", size="256x256").data[0].url
    assert requests.get(url, timeout=10).content[:4] == b"\\x89PNG"
    images_fake_url.fake.advance(3601)
    assert requests.get(url, timeout=10).status_code == 403


def test_live_view_ships_with_the_package(images_fake_url):
    root = images_fake_url.removesuffix("/v1")
    page = requests.get(root + "/_mock/ui", timeout=10)
    assert page.status_code == 200 and "Requests" in page.text
    for asset in ("ui.js", "ui.css"):
        assert requests.get(f"{root}/_mock/ui/static/{asset}", timeout=10).status_code == 200


def test_openai_client(openai_client, images_fake):
    images_fake.inject_fault(status=503, count=1, retry_after=0.01)
    result = openai_client.images.generate(prompt="cat", size="256x256")
    assert result.data[0].url
    assert [e["status"] for e in images_fake.requests()] == [503, 200]


def test_images_client(images_client: ImagesClient):
    result = images_client.generate("cat", n=2, size="256x256")
    assert len(result.data) == 2


def test_intercept():
    with mockserver.intercept() as fake:
        result = my_code_that_calls_openai()
        assert base64.b64decode(result.data[0].b64_json)[:4] == b"\\x89PNG"
        assert fake.requests()[0]["endpoint"] == "generations"


@mockserver.intercept(quota_mode="insufficient_quota")
def test_intercept_as_a_decorator():
    try:
        my_code_that_calls_openai()
    except openai.RateLimitError as exc:
        assert exc.code == "insufficient_quota"
    else:
        raise AssertionError("no 429")
'''


@pytest.mark.slow
def test_a_users_project_installs_and_uses_the_fixtures(user_project: UserProject, tmp_path: Path) -> None:
    project = tmp_path
    (project / "test_with_the_fake.py").write_text(textwrap.dedent(USER_TESTS))
    result = user_project.run(user_project.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project,
                              timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "7 passed" in result.stdout

    for command in ("images-mockserver", "images-client"):
        helped = user_project.run(user_project.venv / "bin" / command, "--help", timeout=60)
        assert "usage:" in helped.stdout
