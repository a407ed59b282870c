"""``python -m contracts verify`` out of the box: against the default fake with default options it
agrees (its 429s are waited out, never disagreements), it waits visibly within ``--max-wait``,
and a closed port is one "cannot connect" line and exit 2."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contracts.verify import Paced, properties, run, wait_asked
from mockserver import create_app
from mockserver.http.server import LiveServer

ROOT = Path(__file__).resolve().parents[2]


def verify(*options: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "contracts", "verify", "--api-key", "sk-test", *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False)


def only(*names: str) -> dict[str, str]:
    return {p.name: "not this test's" for p in properties() if p.name not in names}


@pytest.mark.slow
def test_the_default_fake_agrees_with_default_options() -> None:
    with LiveServer(create_app()) as server:  # the 50/1m quota of `./dev serve`
        result = verify("--base-url", server.base_url, "--seed", "1")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    summary = result.stdout.strip().splitlines()
    assert " 0 disagree, 0 errors" in "\n".join(summary[-2:])
    assert "DISAGREE" not in result.stdout


def test_a_tight_quota_is_waited_out_visibly() -> None:
    out = io.StringIO()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    with LiveServer(create_app(rate_limits="2/5s")) as server:  # cheap: one image per request
        outcomes = run(server.base_url, "sk-test", budget=6, seed=3, cheap=True, skip=only("generations"),
                       out=out, max_wait=30, sleep=sleep)
    report = out.getvalue()
    assert [o.verdict for o in outcomes if o.verdict != "skip"] == ["agree"], report
    assert slept, report  # 6 requests of one image each exceed 2 per 5 s
    assert all(0 < s <= 5.1 for s in slept), slept  # the retry headers' time, not a guess
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
