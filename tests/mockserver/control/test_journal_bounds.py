"""Issue 22, finding 6, against a real fake process: the journal is bounded per entry and as a
whole, and its listing is quick and small, however large the bodies it records.

Before: a 16 MB body of nested arrays got its 400, but its entry kept about 135 MB; 16 of
them made 2.23 GB, and GET /_mock/requests answered 256 MB in 12.6 s.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from contracts.models import MB
from tests.conftest import AUTH
from tests.support.processes import FakeProcess

BODY_BYTES = 16_000_000  # under the default 16 MiB limit, so the body is read and parsed
RSS_AFTER_MB = 300  # the bound on memory kept after the requests, over idle
CONTROL_SECONDS = 2.0  # the bound on the control plane's answers
PAGE_BYTES = 1 * MB  # journal_page_bytes' default


def nested_arrays(size: int = BODY_BYTES) -> bytes:
    """A generation body of about ``size`` bytes that is mostly nested arrays: lists of 8 zeros,
    100 of those in a list, 100 of those in a list, as many of those as fit (7 million numbers)."""
    block = "[" + ",".join(["[" + ",".join(["[" + ",".join(["0"] * 8) + "]"] * 100) + "]"] * 100) + "]"
    copies = (size - 100) // (len(block) + 1)
    return f'{{"prompt":"a cat","extra":[{",".join([block] * copies)}]}}'.encode()


def rss_mb(pid: int) -> float:
    """The resident memory of process ``pid`` (VmRSS in /proc/<pid>/status), in MB."""
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


@pytest.fixture(params=["memory", "redis"])
def fake(request: pytest.FixtureRequest, fake_process: Callable[..., FakeProcess]) -> FakeProcess:
    if request.param == "memory":
        return fake_process("--quiet")
    redis_server = request.getfixturevalue("redis_server")
    return fake_process("--quiet", "--state", redis_server.url)


def used_memory_mb(fake: FakeProcess, request: pytest.FixtureRequest) -> float:
    """What the fake's memory holds: its own RSS, and on a shared state Redis's used memory too."""
    held = rss_mb(fake.pid)
    if "--state" in fake.command:
        import redis

        with redis.Redis.from_url(request.getfixturevalue("redis_server").url) as client:
            held += int(client.info("memory")["used_memory"]) / MB
    return held


def test_bodies_of_nested_arrays_leave_a_small_journal_that_answers_at_once(
        fake: FakeProcess, request: pytest.FixtureRequest) -> None:
    # The finding's 16 bodies in memory; on a shared state 4 (each body costs the fake about
    # 2 s of CPU to parse, whatever the journal does; 4 already made a 66 MB listing there).
    count = 16 if "--state" not in fake.command else 4
    body = nested_arrays()
    assert BODY_BYTES - 200_000 < len(body) <= BODY_BYTES
    idle = used_memory_mb(fake, request)
    with requests.Session() as session:
        for i in range(count):
            answer = session.post(f"{fake.base_url}/images/generations", data=body, timeout=60,
                                  headers={**AUTH, "Content-Type": "application/json"})
            assert answer.status_code == 400 and answer.json()["error"]["param"] == "extra"  # the API's JSON 4xx
            grown = used_memory_mb(fake, request) - idle
            assert grown < RSS_AFTER_MB, f"{grown:.0f} MB more than idle after {i + 1} requests"
        started = time.monotonic()
        listing = session.get(f"{fake.url}/_mock/requests", timeout=60)
        took = time.monotonic() - started
    assert listing.status_code == 200 and took < CONTROL_SECONDS, f"GET /_mock/requests took {took:.1f} s"
    assert len(listing.content) < PAGE_BYTES + 100_000, f"{len(listing.content)} bytes"
    assert listing.json()["requests"]  # (a page: the rest follow its "next")
    started = time.monotonic()
    with fake.handle() as handle:
        entries: list[dict[str, Any]] = handle.requests()  # every page
    took = time.monotonic() - started
    assert len(entries) == count and took < CONTROL_SECONDS, f"{len(entries)} entries in {took:.1f} s"
    for entry in entries:
        assert entry["status"] == 400 and entry["params_cut"] is True
        assert entry["params"]["prompt"] == "a cat"  # what came before the cut is kept
        assert "… (" in json.dumps(entry["params"]["extra"], ensure_ascii=False)  # where it was cut
