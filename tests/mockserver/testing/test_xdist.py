"""Under pytest-xdist each worker gets its own fake: a user's suite run with -n 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

USERS_TESTS = '''
import json, os, pathlib

import requests


def record(url):
    out = pathlib.Path(os.environ["FAKE_RECORDS"]) / (os.environ.get("PYTEST_XDIST_WORKER", "main") + ".jsonl")
    with out.open("a") as f:
        f.write(json.dumps(url) + "\\n")


def check(images_fake_url):
    record(str(images_fake_url))
    assert images_fake_url.fake.requests() == []  # reset for this test, whatever the worker ran before
    answer = requests.post(images_fake_url + "/images/generations", json={"prompt": "cat", "size": "256x256"},
                           headers={"Authorization": "Bearer sk-x"}, timeout=10)
    assert answer.status_code == 200


def test_1(images_fake_url): check(images_fake_url)
def test_2(images_fake_url): check(images_fake_url)
def test_3(images_fake_url): check(images_fake_url)
def test_4(images_fake_url): check(images_fake_url)
def test_5(images_fake): assert images_fake.requests() == []
def test_6(images_fake): assert images_fake.requests() == []
'''


def test_each_xdist_worker_has_its_own_live_fake(tmp_path: Path) -> None:
    (tmp_path / "test_users.py").write_text(USERS_TESTS)
    records = tmp_path / "records"
    records.mkdir()
    env = {**os.environ, "FAKE_RECORDS": str(records)}
    # --dist each: every worker runs every test, so both workers are sure to start their fake.
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "each", "-p",
                             "no:cacheprovider", "test_users.py"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=180)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "12 passed" in result.stdout
    urls = {path.stem: [json.loads(line) for line in path.read_text().splitlines()] for path in records.iterdir()}
    assert sorted(urls) == ["gw0", "gw1"]
    assert all(len(seen) == 4 and len(set(seen)) == 1 for seen in urls.values())  # one fake for all its tests
    assert urls["gw0"][0] != urls["gw1"][0]  # and each worker its own
