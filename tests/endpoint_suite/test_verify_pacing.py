"""``python -m contracts verify`` paced: against the default fake with more examples than its quota
takes it agrees (its 429s are waited out, never disagreements), it waits visibly within
``--max-wait``, and a closed port is one "cannot connect" line and exit 2.

No test here sits through a real quota window: the default fake's minute windows pass on its
own clock (moved as the pacer sleeps), and the real-time waits are of a one-second window."""

from __future__ import annotations

import io
import itertools
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from contracts.models import DALL_E_2
from contracts.verify import N_PROPERTY, Paced, properties, run, wait_asked
from mockserver import create_app
from mockserver.http.server import LiveServer
from mockserver.testing.handle import FakeHandle

ROOT = Path(__file__).resolve().parents[2]


def verify(*options: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "contracts", "verify", "--api-key", "sk-test", *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False)


def only(*names: str) -> dict[str, str]:
    return {p.name: "not this test's" for p in properties() if p.name not in names}


class Watched(requests.Session):
    """A session that keeps the status of every answer, and what each 429 asked for (its
    ``retry-after-ms``, read here rather than by the code under test)."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: list[int] = []
        self.asked: list[float] = []

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        response = super().request(*args, **kwargs)
        self.statuses.append(response.status_code)
        if response.status_code == 429:
            self.asked.append(int(response.headers["retry-after-ms"]) / 1000)
        return response


def test_a_run_beyond_the_default_quota_waits_as_the_headers_ask() -> None:
    """The image-making properties (of dall-e-2: its images are the quickest made) against the
    default fake (its 50 images a minute), with a budget that asks for more images than that (the
    defaults ask for no more, see test_verify_defaults.py): each 429 is waited out for what its
    headers ask, after which the example gets through, and nothing disagrees. The waits pass on
    the fake's clock, moved through its control API, so no one sits through the minute windows;
    the windows, the 429s and their headers are the fake's own, as a run against the real API
    would meet them."""
    out = io.StringIO()
    slept: list[float] = []
    with LiveServer(create_app()) as server, Watched() as session, \
            FakeHandle.over_http(server.url) as fake:

        def sleep(seconds: float) -> None:
            # A pacer that waits too little would come back to 429 after 429: stop it early.
            assert len(slept) < 30, f"{len(slept)} waits: more than this run needs"
            slept.append(seconds)
            fake.advance(seconds)

        # The properties that make images (the refusals make none), with more examples than the quota.
        outcomes = run(server.base_url, "sk-test", budget=25, seed=1, out=out, session=session, sleep=sleep,
                       skip=only("generations", "edits", N_PROPERTY), profile=DALL_E_2)
    report = out.getvalue()
    assert not [o for o in outcomes if o.verdict not in ("agree", "skip")], report
    assert "asking for at most 60 images" in report  # 25 + 25 of one image, one of up to 10
    assert slept, report  # more images than 50 a minute
    assert len(slept) == len(session.asked), (slept, session.asked)  # every 429 waited out, once
    # What the headers asked (plus the pacer's 50 ms), not a guess or a fixed back-off.
    assert slept == pytest.approx([asked + 0.05 for asked in session.asked]), (slept, session.asked)
    # Enough: the example sent again after a wait is answered, never refused again.
    assert all(not (a == b == 429) for a, b in itertools.pairwise(session.statuses)), session.statuses
    assert f"waited {len(slept)} time(s)" in report and "never counted as a disagreement" in report


def test_a_tight_quota_is_waited_out_visibly() -> None:
    out = io.StringIO()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    with LiveServer(create_app(rate_limits="2/1s")) as server:  # cheap: one image per request
        outcomes = run(server.base_url, "sk-test", budget=6, seed=3, cheap=True, skip=only("generations"),
                       out=out, max_wait=30, sleep=sleep)
    report = out.getvalue()
    assert [o.verdict for o in outcomes if o.verdict != "skip"] == ["agree"], report
    assert slept, report  # 6 requests of one image each exceed 2 per second
    assert all(0 < s <= 1.1 for s in slept), slept  # the retry headers' time, not a guess
    assert "... 429 rate limited: waiting" in report and "as its retry headers ask" in report
    assert f"waited {len(slept)} time(s)" in report and "never counted as a disagreement" in report


def test_a_wait_beyond_max_wait_is_an_error_not_a_disagreement() -> None:
    with LiveServer(create_app(rate_limits="1/1h")) as server:
        result = verify("--base-url", server.base_url, "--budget", "3", "--seed", "5", "--max-wait", "2",
                        *(f"--skip={name}" for name in only("generations")), timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    line = next(line for line in result.stdout.splitlines() if line.split()[1:2] == ["generations"])
    assert line.startswith("error ")
    assert Paced.__name__ in result.stdout and "--max-wait is 2s" in result.stdout
    assert "hint: raise --max-wait" in result.stdout and "DISAGREE" not in result.stdout


def test_a_closed_port_is_one_line_and_exit_2() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = verify("--base-url", f"http://127.0.0.1:{port}/v1", timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"cannot connect to http://127.0.0.1:{port}/v1: ") and "refused" in line


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
    ({"retry-after": "2"}, 2.0),
    ({"retry-after": "Thu, 01 Jan 1970 00:00:10 GMT"}, 10.0 - 4.0),
    ({"x-ratelimit-reset-images": "6m0s"}, 360.0),
    ({"x-ratelimit-reset-requests": "1h2m3.5s"}, 3723.5),
    ({"x-ratelimit-reset-images": "120ms"}, 0.12),
    ({"retry-after": "soon"}, None),
    ({}, None),
])
def test_the_wait_a_429_asks_for(headers: dict[str, str], seconds: float | None) -> None:
    found = wait_asked(headers, now=4.0)
    if seconds is None:
        assert found is None
    else:
        assert found == pytest.approx(seconds)
