"""``python -m contracts verify`` as people run it: the endpoint and key from ``OPENAI_BASE_URL`` and
``OPENAI_API_KEY`` (flags win), a model served today, the cost said before it starts, and images
spent sparingly, so that with its defaults it finishes against the default fake (50 images a
minute) in under two minutes, waits included."""

from __future__ import annotations

import datetime
import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import requests

from contracts import timeline
from contracts.models import MODELS
from contracts.verify import DEFAULT_MODEL, N_PROPERTY, properties, run
from mockserver import create_app
from mockserver.http.server import LiveServer
from tests.support import ROOT
from tests.support.processes import FakeProcess


def verify(*options: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("OPENAI_BASE_URL", "OPENAI_API_KEY")}
    return subprocess.run([sys.executable, "-m", "contracts", "verify", *options], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, check=False, env={**clean, **env})


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_the_default_model_is_served_today() -> None:
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    profile = MODELS[DEFAULT_MODEL]
    assert timeline.model_known(profile, today) and not timeline.model_retired(profile, today)


def test_with_only_the_environment_it_agrees_with_the_default_fake_in_under_two_minutes(
        fake_process: Callable[..., FakeProcess]) -> None:
    fake = fake_process("--quiet")  # python -m mockserver with its defaults: 50 images a minute
    started = time.perf_counter()
    result = verify(env={"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test"})
    took = time.perf_counter() - started
    assert result.returncode == 0, result.stdout + result.stderr
    header, cost = result.stdout.splitlines()[:2]
    assert header.startswith(f"Images API contract ({DEFAULT_MODEL}) against {fake.base_url}: ")
    assert cost.startswith("It sends at most ") and "asking for at most 50 images" in cost, cost
    assert "DISAGREE" not in result.stdout and "\nerror " not in result.stdout
    assert "429 rate limited" not in result.stdout  # its images fit the default quota: no wait
    assert f"agree     {N_PROPERTY} " in result.stdout
    assert took < 120, f"{took:.1f}s\n{result.stdout}"
    print(f"verify with its defaults against the default fake: {took:.1f}s")


def test_flags_win_over_the_environment() -> None:
    skip = [f"--skip={p.name}" for p in properties() if p.name != "missing_api_key"]
    with LiveServer(create_app(rate_limits="off")) as server:
        result = verify("--base-url", server.base_url, "--api-key", "sk-flag", "--budget", "2", *skip,
                        env={"OPENAI_BASE_URL": f"http://127.0.0.1:{closed_port()}/v1", "OPENAI_API_KEY": "sk-env"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"against {server.base_url}:" in result.stdout.splitlines()[0]


def test_without_a_base_url_it_says_where_to_give_one() -> None:
    result = verify(env={"OPENAI_API_KEY": "sk-test"}, timeout=60)
    assert result.returncode == 2
    assert "give --base-url or set OPENAI_BASE_URL" in result.stderr.splitlines()[-1]
    result = verify(env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}, timeout=60)
    assert result.returncode == 2
    assert "give --api-key or set OPENAI_API_KEY" in result.stderr.splitlines()[-1]


class Counted(requests.Session):
    """A session that counts the API requests it sends and the images each answer carries (the
    items of ``data``, or a stream's completed events), read from the bytes, not from verify."""

    def __init__(self) -> None:
        super().__init__()
        self.api_requests = 0
        self.images: list[int] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        response = super().request(method, url, *args, **kwargs)
        if "/images/" in str(url) and str(method).upper() == "POST":
            self.api_requests += 1
            if response.status_code == 200:
                self.images.append(_images(response))
        return response


def _images(response: requests.Response) -> int:
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        return sum(line.startswith(b"event: ") and line.endswith(b".completed")
                   for line in response.content.splitlines())
    return len(json.loads(response.content)["data"])


def test_what_it_says_it_sends_bounds_what_it_sends_and_only_the_n_property_asks_for_more_than_one() -> None:
    for skip_n in (False, True):
        out = io.StringIO()
        skip = {N_PROPERTY: "left out"} if skip_n else {}
        with LiveServer(create_app(rate_limits="off")) as server, Counted() as session:
            outcomes = run(server.base_url, "sk-test", budget=6, seed=11, out=out, session=session, skip=skip)
        report = out.getvalue()
        assert all(o.verdict in ("agree", "skip") for o in outcomes), report
        cost = report.splitlines()[1]
        requests_, images = (int(cost.split(word, 1)[1].split()[0]) for word in ("at most ", "asking for at most "))
        assert session.api_requests <= requests_ and sum(session.images) <= images, (session.__dict__, cost)
        if skip_n:
            assert session.images and set(session.images) == {1}, session.images
        else:
            assert max(session.images) > 1, session.images


def test_a_date_before_the_model_was_served_is_refused_with_what_to_do() -> None:
    released = MODELS[DEFAULT_MODEL].lifecycle.released
    assert released is not None
    before = (datetime.date.fromisoformat(released) - datetime.timedelta(days=1)).isoformat()
    result = verify("--as-of", before, env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": "sk-x"},
                    timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{DEFAULT_MODEL} was not served on {before}" in result.stderr and "--model" in result.stderr
    result = verify("--as-of", before, "--model", "gpt-image-1.5", "--skip", "no_such_property",
                    env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": "sk-x"}, timeout=60)
    assert "is not a property" in result.stderr  # gpt-image-1.5 was served then: the date is no problem
