"""The fake against a model of its own: a Hypothesis state machine.

Rules generate images (any key, ``n``, size and format), fetch URLs seen so far,
move a frozen clock (by whole seconds, or exactly to a URL's last valid second or
a grant's leaving a window, or one second either side), reset the fake and change
its quota. The model is our own bookkeeping, written from the documented
behaviour, not from the server's code:

- quota: the images granted per API key, with the (exact, float) clock time of
  each grant. A request for ``n`` is granted when every window ``L/s`` still has
  room: the grants made in the last ``s`` seconds (``time > now - s``) plus ``n``
  are at most ``L``. Otherwise it is a 429 whose ``retry-after`` is the time until
  the request would fit in every window (a window it can never fit, ``n > L``:
  until that window is empty), rounded up, at least 1 s. With the quota ``off``
  nothing is counted; the grants made before stay on the books.
- URLs: ``created`` is ``int(now)``; a URL is valid from ``created - 3600`` to
  ``created + url_ttl`` inclusive (403 ``AuthenticationFailed`` outside, checked
  first), then 404 ``BlobNotFound`` if the fake was reset since it was made, else 200.
- a reset forgets images, grants and the journal, keeps the configuration, and
  puts the clock back to its source (a constant here), which we freeze again.

Invariants after every step: the journal holds exactly the API requests made
since the last reset (it is bounded at 1000; runs are far shorter), none of them
answered 5xx, and the clock stands where the model says.

Below the machine, fixed sequences of its rules pin the boundary cases the random
search finds only now and then. A passing run takes a few seconds; a failing one
can spend minutes shrinking the first time (Hypothesis's database replays it fast).
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from werkzeug.test import TestResponse

from mockserver import create_app
from mockserver.state.memory import MemoryClock
from mockserver.testing.handle import FakeHandle
from tests.support.profiles import budget

BASE = 1_700_000_000  # the clock's source: a constant, so a reset always lands at the same time
URL_TTL = 3600  # the fake's default url_ttl, which these runs never change
JOURNAL_SIZE = 1000
KEYS = ("sk-stateful-alice-0123456789abcdef", "sk-stateful-bob-0123456789abcdefgh")
SIDES = {"256x256": 256, "512x512": 512, "1024x1024": 1024}
# Exact binary fractions, so the clock's float arithmetic stays exact.
FRACTIONS = (0.0, 0.25, 0.5, 1 - 2**-12)
RATE_MESSAGE = re.compile(
    r"Rate limit exceeded for images per minute in organization org-\w+\. Limit: (\d+)/(\w+)\. "
    r"Current: (\d+)/(\w+)\. Please visit https://platform\.openai\.com/docs/guides/rate-limits "
    r"to learn how to increase your rate limit\."
)

Windows = tuple[tuple[int, int], ...]  # (limit, seconds) per window; () is "off"


def brief(body: Any) -> Any:
    """An answer for an assertion message, without its kilobytes of base64."""
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return {**body, "data": [{k: v[:60] + "…" for k, v in item.items()} for item in body["data"]]}
    return body


ADVANCES = st.one_of(
    st.sampled_from([0, 1, 59, 60, 61, 240, 299, 300, 301, 3599, 3600, 3601]),
    st.integers(min_value=0, max_value=4000),
)
QUOTAS: st.SearchStrategy[Windows] = st.one_of(
    st.just(()),
    st.tuples(st.tuples(st.integers(1, 6), st.just(60))),
    st.tuples(st.tuples(st.integers(1, 6), st.just(60)), st.tuples(st.integers(1, 12), st.just(300))),
)


def quota_spec(windows: Windows) -> str:
    return ",".join(f"{limit}/{seconds // 60}m" for limit, seconds in windows) or "off"


def label(seconds: int) -> str:
    """How the 429 message names a window."""
    return f"{seconds // 60}min"


@dataclass(frozen=True)
class UrlRecord:
    created: int
    epoch: int  # resets before it was made
    side: int


class FakeMachine(RuleBasedStateMachine):
    urls = Bundle("urls")

    def __init__(self) -> None:
        super().__init__()
        self.base = float(BASE)
        self.clock = MemoryClock(source=lambda: self.base)
        self.app = create_app(clock=self.clock)
        self.client = self.app.test_client()
        self.fake = FakeHandle.in_process(self.app)
        # --- the model ---
        self.now = self.base
        self.windows: Windows = ()
        self.grants: dict[str, list[tuple[float, int]]] = {key: [] for key in KEYS}
        self.records: dict[str, UrlRecord] = {}
        self.epoch = 0
        self.api_requests = 0

    # --- the model's quota arithmetic ------------------------------------------------

    def _used(self, key: str, seconds: int, at: float) -> int:
        return sum(n for granted, n in self.grants[key] if granted > at - seconds)

    def _wait(self, key: str, n: int) -> float | None:
        """None if ``n`` images are granted now, else the seconds until the request fits."""

        def ready(at: float) -> bool:
            for limit, seconds in self.windows:
                used = self._used(key, seconds, at)
                if used + n > limit and not (n > limit and used == 0):
                    return False
            return True

        if all(self._used(key, s, self.now) + n <= limit for limit, s in self.windows):
            return None
        # Usage only drops when a grant leaves a window, at `granted + seconds`.
        moments = sorted({g + s for g, _ in self.grants[key] for _, s in self.windows if g + s > self.now})
        return next(at - self.now for at in [self.now, *moments] if ready(at))

    def _check_rate_headers(self, response: TestResponse, key: str) -> None:
        headers = response.headers
        if not self.windows:
            assert "x-ratelimit-limit-images" not in headers
            return
        left = {limit: max(0, limit - self._used(key, s, self.now)) for limit, s in self.windows}
        fewest = min(left.values())
        assert headers["x-ratelimit-remaining-images"] == str(fewest), (headers, self.windows)
        assert int(headers["x-ratelimit-limit-images"]) in [lim for lim, r in left.items() if r == fewest]

    # --- steering ---------------------------------------------------------------------

    def _freeze(self) -> None:
        assert self.fake.freeze() == self.base
        self.now = self.base

    @initialize(fraction=st.sampled_from(FRACTIONS), quota=QUOTAS)
    def start(self, fraction: float, quota: Windows) -> None:
        self.base = BASE + fraction
        self._freeze()
        self.set_quota(quota)

    @rule(quota=QUOTAS)
    def set_quota(self, quota: Windows) -> None:
        config = self.fake.set_rate_limits(quota_spec(quota))
        assert config["rate_limits"] == [f"{limit}/{s // 60}m" for limit, s in quota]
        self.windows = quota

    @rule(seconds=ADVANCES)
    def advance(self, seconds: float) -> None:
        self.now += seconds
        assert self.fake.advance(seconds) == self.now

    def _advance_to(self, moment: float) -> None:
        """Move exactly to ``moment`` (the clock's fraction is a binary one, so this stays exact)."""
        if moment > self.now:
            self.advance(moment - self.now)

    @rule(url=urls, delta=st.sampled_from([0, -1, 1]))
    def advance_to_url_expiry(self, url: str, delta: int) -> None:
        """To a URL's last valid second, or one either side of it."""
        self._advance_to(self.records[url].created + URL_TTL + delta)

    @rule(key=st.sampled_from(KEYS), pick=st.integers(0, 50), delta=st.sampled_from([0, -1, 1]))
    def advance_to_window_edge(self, key: str, pick: int, delta: int) -> None:
        """To the moment a grant leaves a window, or one second either side of it."""
        later = sorted({g + s + delta for g, _ in self.grants[key] for _, s in self.windows} - {self.now})
        later = [edge for edge in later if edge > self.now]
        if later:
            self._advance_to(later[pick % len(later)])

    @rule()
    def reset(self) -> None:
        self.fake.reset()
        self.epoch += 1
        self.api_requests = 0
        self.grants = {key: [] for key in KEYS}
        self._freeze()

    # --- the API --------------------------------------------------------------------------

    @rule(
        target=urls,
        key=st.sampled_from(KEYS),
        n=st.integers(1, 4),
        size=st.sampled_from(list(SIDES)),
        response_format=st.sampled_from(["url", "b64_json"]),
    )
    def generate(self, key: str, n: int, size: str, response_format: str) -> MultipleResults[str]:
        wait = self._wait(key, n)
        response = self.client.post(
            "/v1/images/generations",
            json={"prompt": "a lighthouse at dusk", "n": n, "size": size, "response_format": response_format},
            headers={"Authorization": f"Bearer {key}"},
        )
        self.api_requests += 1
        body: Any = response.get_json()
        assert response.status_code < 500, brief(body)
        if wait is not None:
            assert response.status_code == 429, (brief(body), self.windows, self.grants[key], self.now)
            assert body["error"]["code"] == "rate_limit_exceeded"
            assert response.headers["retry-after"] == str(max(1, math.ceil(wait))), (self.windows, self.grants)
            assert response.headers["retry-after-ms"] == str(max(1, math.ceil(wait * 1000)))
            match = RATE_MESSAGE.fullmatch(body["error"]["message"])
            assert match, body
            limit, window, current = int(match[1]), match[2], int(match[3])
            assert match[4] == window
            assert any(
                (lim, label(s)) == (limit, window) and current == self._used(key, s, self.now) + n > lim
                for lim, s in self.windows
            ), (body, self.windows)
            self._check_rate_headers(response, key)
            return multiple()
        assert response.status_code == 200, (brief(body), self.windows, self.grants[key], self.now)
        if self.windows:
            self.grants[key].append((self.now, n))
        self._check_rate_headers(response, key)
        assert body["created"] == int(self.now)
        assert len(body["data"]) == n
        if response_format == "b64_json":
            assert all(set(item) == {"b64_json"} for item in body["data"])
            return multiple()
        urls = [item["url"] for item in body["data"]]
        assert len(set(urls)) == n
        for url in urls:
            self.records[url] = UrlRecord(created=int(self.now), epoch=self.epoch, side=SIDES[size])
        return multiple(*urls)

    @rule(url=urls)
    def fetch(self, url: str) -> None:
        record = self.records[url]
        parts = urlsplit(url)
        response = self.client.get(f"{parts.path}?{parts.query}")
        data = response.get_data()
        if not record.created - 3600 <= self.now <= record.created + URL_TTL:
            expected = 403
        elif record.epoch != self.epoch:
            expected = 404
        else:
            expected = 200
        age = self.now - record.created
        assert response.status_code == expected, (age, record, self.epoch, response.content_type, data[:300])
        if expected == 200:
            assert response.content_type == "image/png"
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
            assert struct.unpack(">II", data[16:24]) == (record.side, record.side)
        else:
            code = "AuthenticationFailed" if expected == 403 else "BlobNotFound"
            assert response.content_type == "application/xml"
            assert f"<Code>{code}</Code>".encode() in data

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def journal_holds_the_api_requests_since_the_reset(self) -> None:
        entries = self.fake.requests()
        assert len(entries) == min(self.api_requests, JOURNAL_SIZE)
        assert all(entry["status"] is not None and entry["status"] < 500 for entry in entries), entries

    @invariant()
    def clock_stands_where_the_model_says(self) -> None:
        assert self.fake.now() == self.now


def test_fake_agrees_with_the_model() -> None:
    run_state_machine_as_test(
        FakeMachine,
        settings=budget(0.5, stateful_step_count=30),  # stories of up to 30 steps, each step a request
    )


# --- fixed sequences of the same machine: the cases the search must never miss ------------


def test_url_is_valid_through_its_last_second_even_after_another_generation() -> None:
    """created + url_ttl is still valid (inclusive); generating more images at that instant must
    not make the store forget it."""
    machine = FakeMachine()
    machine.start(fraction=0.0, quota=((50, 60),))
    first = machine.generate(key=KEYS[0], n=1, size="256x256", response_format="url").values[0]
    machine.advance(URL_TTL)
    machine.fetch(first)  # 200: nothing else happened
    machine.generate(key=KEYS[0], n=1, size="256x256", response_format="url")
    machine.fetch(first)  # still its last valid second: 200
    machine.advance(1)
    machine.fetch(first)  # 403
    machine.teardown()


def test_grants_outlive_a_change_of_quota() -> None:
    """Grants stay on the books when the quota is turned off (or narrowed) for a while."""
    machine = FakeMachine()
    machine.start(fraction=0.25, quota=((1, 300),))
    machine.generate(key=KEYS[0], n=1, size="256x256", response_format="b64_json")  # granted
    machine.set_quota(())
    machine.generate(key=KEYS[0], n=1, size="256x256", response_format="b64_json")  # not counted
    machine.set_quota(((1, 300),))
    machine.generate(key=KEYS[0], n=1, size="256x256", response_format="b64_json")  # 429, retry-after 300
    machine.teardown()


def test_narrowing_the_quota_does_not_forget_grants() -> None:
    machine = FakeMachine()
    machine.start(fraction=0.0, quota=((2, 60), (2, 300)))
    machine.generate(key=KEYS[1], n=2, size="256x256", response_format="b64_json")  # granted at t
    machine.advance(120)
    machine.set_quota(((5, 60),))
    machine.generate(key=KEYS[1], n=1, size="256x256", response_format="b64_json")  # granted at t+120
    machine.set_quota(((2, 60), (2, 300)))
    machine.generate(key=KEYS[1], n=1, size="256x256", response_format="b64_json")  # 429 until t+300
    machine.teardown()


def test_a_quota_too_small_for_the_request_waits_until_the_window_is_empty() -> None:
    """n > L can never be granted; the 429 says when the window is empty (at least 1 s)."""
    machine = FakeMachine()
    machine.start(fraction=0.5, quota=((2, 60),))
    machine.generate(key=KEYS[0], n=3, size="256x256", response_format="url")  # 429, retry-after 1
    machine.generate(key=KEYS[0], n=1, size="256x256", response_format="url")  # granted
    machine.advance(10)
    machine.generate(key=KEYS[0], n=4, size="256x256", response_format="url")  # 429, retry-after 50
    machine.advance(50)
    machine.generate(key=KEYS[0], n=2, size="256x256", response_format="url")  # granted
    machine.teardown()


def test_reset_rewinds_the_clock_so_old_urls_are_not_yet_valid() -> None:
    machine = FakeMachine()
    machine.start(fraction=0.0, quota=())
    machine.advance(3700)
    url = machine.generate(key=KEYS[0], n=1, size="512x512", response_format="url").values[0]
    machine.reset()  # the clock is back 3700 s before `created`: before the URL's start time
    machine.fetch(url)  # 403
    machine.advance(100)
    machine.fetch(url)  # in its time frame, but forgotten: 404
    machine.teardown()


def test_lengthening_the_window_counts_the_grants_made_before() -> None:
    """A 5-minute window set later still counts a grant made 2 minutes ago, even though every
    window configured until then was a minute long and the grant had left it."""
    machine = FakeMachine()
    machine.start(fraction=0.0, quota=((1, 60),))
    machine.generate(key=KEYS[0], n=1, size="256x256", response_format="b64_json")  # granted at t
    machine.advance(120)
    machine.generate(key=KEYS[0], n=1, size="256x256", response_format="b64_json")  # granted at t+120
    machine.set_quota(((2, 300),))
    machine.generate(key=KEYS[0], n=1, size="256x256", response_format="b64_json")  # 429: 3 images in 5 min
    machine.teardown()
