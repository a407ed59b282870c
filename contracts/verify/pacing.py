"""Pacing: a 429 of the endpoint's quota is its pace, not an answer to the example.

The example is sent again once the endpoint's ``retry-after-ms`` / ``retry-after`` /
``x-ratelimit-reset-*`` headers say it may be, with a line saying so, waiting at most
``max_wait`` seconds per example.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TextIO

import requests

from contracts.headers import RATELIMIT_RESET_IMAGES, RATELIMIT_RESET_REQUESTS
from contracts.ratelimits import parse_go_duration, retry_after_seconds
from contracts.strategies import Case, Refusal
from contracts.verify.sending import DEFAULT_TIMEOUT, Answer, send

DEFAULT_MAX_WAIT = 120.0  # seconds one example may wait, in all, on 429s that pace the run
FALLBACK_WAIT = 1.0  # when a 429 says nothing of when to come back: 1 s, doubling

# The reset headers believed when no retry-after says when to come back, in this order.
_RESET_HEADERS = (RATELIMIT_RESET_IMAGES, RATELIMIT_RESET_REQUESTS)


class Paced(Exception):
    """The endpoint kept answering 429 longer than the run may wait."""


def wait_asked(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds a 429's headers ask the client to wait, never less than 0: ``retry-after-ms``, then
    ``retry-after`` as seconds or an HTTP date (read as the SDKs read them), then the
    ``x-ratelimit-reset-*`` durations; None when none says."""
    asked = retry_after_seconds(headers, time.time if now is None else lambda: now)
    if asked is not None:
        return max(0.0, asked)
    for name in _RESET_HEADERS:
        reset = parse_go_duration(headers.get(name))
        if reset is not None:
            return reset
    return None


def is_pacing(case: Case, answer: Answer) -> bool:
    """A 429 that is the endpoint's quota speaking, where the contract expects no 429."""
    if isinstance(case.expect, Refusal) and case.expect.status == 429:
        return False
    return is_quota_answer(answer)


def is_quota_answer(answer: Answer) -> bool:
    """A 429 of the endpoint's quota (``rate_limit_exceeded``, or no code), not of its billing."""
    if answer.status != 429:
        return False
    error = answer.body.get("error") if isinstance(answer.body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code in (None, "rate_limit_exceeded")


@dataclass
class Pacer:
    """Waits out the 429s that pace a run, saying so on ``out``; at most ``max_wait`` seconds
    per example in all (more raises :class:`Paced`)."""

    max_wait: float = DEFAULT_MAX_WAIT
    out: TextIO | None = None
    sleep: Callable[[float], None] = time.sleep
    waited: float = 0.0  # over the whole run
    waits: int = 0

    def send(self, session: requests.Session, case: Case, *, base_url: str, api_key: str,
             timeout: float = DEFAULT_TIMEOUT) -> Answer:
        return self.paced(lambda: send(session, case, base_url=base_url, api_key=api_key, timeout=timeout),
                          lambda answer: is_pacing(case, answer))

    def paced(self, fetch: Callable[[], Answer], pacing: Callable[[Answer], bool]) -> Answer:
        """``fetch()``'s answer, fetched again while ``pacing`` says it is the endpoint's pace."""
        spent, fallback = 0.0, FALLBACK_WAIT
        while True:
            answer = fetch()
            if not pacing(answer):
                return answer
            asked = wait_asked(answer.headers)
            delay = fallback if asked is None else asked + 0.05  # a little past the second it fits
            fallback *= 2
            if spent + delay > self.max_wait:
                raise Paced(f"the endpoint answered 429 (rate limited) and asked for {delay:.1f}s more after "
                            f"{spent:.1f}s of waiting for this example; --max-wait is {self.max_wait:g}s")
            if self.out is not None:
                said = "as its retry headers ask" if asked is not None else "(it named no time; backing off)"
                print(f"    ... 429 rate limited: waiting {delay:.1f}s {said} (--max-wait {self.max_wait:g}s)",
                      file=self.out, flush=True)
            self.sleep(delay)
            spent += delay
            self.waited += delay
            self.waits += 1
