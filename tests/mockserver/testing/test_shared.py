"""The plugin's shared mode: a user's suite run with pytest-xdist workers whose live fakes
(``images_fake_url``) keep one state in a real Redis (``--images-fake-state redis://...``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

from mockserver import FakeHandle, create_app
from tests.support.ports import free_port
from tests.support.redisserver import RedisServer

BEFORE_THE_RUN = "left from before the run"

# Every worker runs every test (--dist each), in order. test_2 spends 30 images of the key's
# 50 a minute; test_3 waits until both workers have spent theirs, then reads the journal and
# fetches the other worker's image URL from its own fake.
USERS_TESTS = '''
import json, os, pathlib, time
from urllib.parse import urlsplit

import requests

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
OUT = pathlib.Path(os.environ["FAKE_RECORDS"])
AUTH = {"Authorization": "Bearer sk-shared-by-workers"}


def prompts(fake):
    return [(entry["params"] or {}).get("prompt") for entry in fake.requests()]


def test_1_the_run_starts_from_a_reset_state(images_fake_url):
    assert images_fake_url.fake.config()["rate_limits"] == ["50/1m"]
    assert "''' + BEFORE_THE_RUN + '''" not in prompts(images_fake_url.fake)


def test_2_spend(images_fake_url):
    statuses, url = [], None
    for _ in range(30):
        answer = requests.post(images_fake_url + "/images/generations", headers=AUTH, timeout=30,
                               json={"prompt": "cat from " + WORKER, "size": "256x256"})
        statuses.append(answer.status_code)
        if answer.status_code == 200 and url is None:
            url = answer.json()["data"][0]["url"]
    (OUT / (WORKER + ".json")).write_text(json.dumps({"statuses": statuses, "url": url, "base": images_fake_url}))


def test_3_sees_the_other_workers(images_fake_url):
    others = ["gw0", "gw1"]
    others.remove(WORKER)
    other = OUT / (others[0] + ".json")
    deadline = time.monotonic() + 120
    while not other.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    seen = prompts(images_fake_url.fake)
    assert seen.count("cat from gw0") == 30 and seen.count("cat from gw1") == 30
    assert len(images_fake_url.fake.requests(status=200)) == 50
    url = json.loads(other.read_text())["url"]
    if url is not None:  # minted by the other worker's fake, fetched from this one's
        mine = urlsplit(images_fake_url)
        answer = requests.get(urlsplit(url)._replace(netloc=mine.netloc).geturl(), timeout=30)
        assert answer.status_code == 200 and answer.content.startswith(b"\\x89PNG")
'''


@contextmanager
def shared_fake(url: str) -> Iterator[Flask]:
    """A fake in this process on the shared state at url, its connections closed after."""
    app = create_app(state=url)
    try:
        yield app
    finally:
        app.extensions["mockserver"].close()


def _prepare(url: str) -> None:
    """Leave state in Redis that a run's start must wipe: a tighter limit, a journal entry."""
    with shared_fake(url) as app:
        FakeHandle.in_process(app).configure(rate_limits="1/1m")
        answer = app.test_client().post("/v1/images/generations", json={"prompt": BEFORE_THE_RUN,
                                        "size": "256x256"}, headers={"Authorization": "Bearer sk-earlier"})
        assert answer.status_code == 200


def _pytest(folder: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=folder,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=300)


def test_xdist_workers_share_one_fake(tmp_path: Path, redis_server: RedisServer) -> None:
    _prepare(redis_server.url)
    (tmp_path / "test_users.py").write_text(USERS_TESTS)
    records = tmp_path / "records"
    records.mkdir()
    result = _pytest(tmp_path, "-n", "2", "--dist", "each", "--images-fake-state", redis_server.url,
                     "test_users.py", env={"FAKE_RECORDS": str(records)})
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "6 passed" in result.stdout
    runs = {path.stem: json.loads(path.read_text()) for path in records.iterdir()}
    assert sorted(runs) == ["gw0", "gw1"]
    assert runs["gw0"]["base"] != runs["gw1"]["base"]  # two fakes...
    statuses = runs["gw0"]["statuses"] + runs["gw1"]["statuses"]
    assert statuses.count(200) == 50 and statuses.count(429) == 10  # ...spending one quota of 50 a minute
    with shared_fake(redis_server.url) as app:
        journal = FakeHandle.in_process(app).requests()
    assert len(journal) == 60  # and one journal, which the run's start had emptied


SINGLE_PROCESS_TESTS = '''
def test_a(images_fake_url):
    journal = images_fake_url.fake.requests()
    assert [entry["params"]["prompt"] for entry in journal] == EXPECTED
    images_fake_url.fake.set_rate_limits("7/1m")


def test_b(images_fake_url):  # no reset between tests in shared mode
    assert images_fake_url.fake.config()["rate_limits"] == ["7/1m"]
'''


def test_without_xdist_and_with_reset_never(tmp_path: Path, redis_server: RedisServer) -> None:
    """One process (no -n) in shared mode; --images-fake-state-reset never keeps what was there."""
    _prepare(redis_server.url)
    (tmp_path / "test_kept.py").write_text(f"EXPECTED = [{BEFORE_THE_RUN!r}]\n" + SINGLE_PROCESS_TESTS)
    result = _pytest(tmp_path, "--images-fake-state", redis_server.url, "--images-fake-state-reset", "never",
                     "test_kept.py")
    assert result.returncode == 0 and "2 passed" in result.stdout, result.stdout[-4000:]
    # And the ini option, with the default reset once per run.
    (tmp_path / "pytest.ini").write_text(f"[pytest]\nimages_fake_state = {redis_server.url}\n")
    (tmp_path / "test_reset.py").write_text("EXPECTED = []\n" + SINGLE_PROCESS_TESTS)
    result = _pytest(tmp_path, "test_reset.py")
    assert result.returncode == 0 and "2 passed" in result.stdout, result.stdout[-4000:]


def test_an_unreachable_redis_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "test_never_run.py").write_text("def test_x(images_fake_url):\n    pass\n")
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = _pytest(tmp_path, "-n", "2", "--images-fake-state", url, "test_never_run.py")
    assert result.returncode == 4, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stdout + result.stderr
    [line] = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert line.startswith("ERROR: --images-fake-state: ") and url in line


def test_a_url_that_is_not_redis_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "test_never_run.py").write_text("def test_x(images_fake_url):\n    pass\n")
    result = _pytest(tmp_path, "--images-fake-state", "http://127.0.0.1:6379/0", "test_never_run.py")
    assert result.returncode == 4 and "Traceback" not in result.stdout + result.stderr
    assert "ERROR: --images-fake-state: state must be a redis://HOST:PORT/DB URL" in result.stderr, result.stderr
