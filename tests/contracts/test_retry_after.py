"""contracts.ratelimits: one writer of when to come back (``retry-after``, ``retry-after-ms``, the
reset durations) and one reader, which the client and the conformance report's pacer share."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client._retry import retry_delay
from contracts.ratelimits import go_duration, parse_go_duration, retry_after_seconds, retry_headers
from contracts.verify import wait_asked

BEYOND_ANY_CLOCK = "Fri, 01 Mar 99999999999 01:18:47"  # a date whose epoch seconds overflow


@given(st.floats(0.001, 10 * 86400))
def test_what_is_written_reads_back_as_at_least_the_wait(seconds: float) -> None:
    headers = retry_headers(seconds)
    read = retry_after_seconds(headers)
    # retry-after-ms wins, in whole milliseconds rounded up (float noise below a nanosecond aside)
    assert read is not None and seconds - 1e-9 <= read < seconds + 0.001
    assert float(headers["retry-after"]) >= seconds  # whole seconds, rounded up
    reset = parse_go_duration(go_duration(seconds))
    assert reset is not None and seconds <= reset < seconds + 1.001


@pytest.mark.parametrize(("headers", "read"), [
    ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
    ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),  # a garbled header is passed over
    ({"retry-after": "-3"}, -3.0),  # read as written; bounding it is the caller's
    ({"retry-after": "Fri, 01 Mar 2024 01:18:47 GMT"}, 12.0),
    ({"retry-after": BEYOND_ANY_CLOCK}, None),
    ({"retry-after": "whenever"}, None),
    ({}, None),
])
def test_the_one_reader(headers: dict[str, str], read: float | None) -> None:
    assert retry_after_seconds(headers, now=lambda: 1709255927.0 - 12) == read


def test_nan_is_read_and_left_to_the_caller() -> None:
    assert math.isnan(retry_after_seconds({"retry-after-ms": "nan"}) or 0.0)


def test_the_client_and_the_pacer_agree_on_a_date_no_clock_can_hold() -> None:
    # The pacer once raised OverflowError here (the whole report stopped); both now read no wait.
    assert wait_asked({"retry-after": BEYOND_ANY_CLOCK}) is None
    assert retry_delay({"retry-after": BEYOND_ANY_CLOCK}, 0, lambda: 0.0) == 0.5  # the SDK's back-off


@pytest.mark.parametrize(("headers", "client", "pacer"), [
    ({"retry-after": "-3"}, 0.5, 0.0),  # the client backs off; the pacer comes back at once
    ({"retry-after-ms": "2500"}, 2.5, 2.5),
    ({"retry-after": "90"}, 0.5, 90.0),  # past the SDK's 60 s the client backs off; the pacer waits
])
def test_one_reading_two_policies(headers: dict[str, str], client: float, pacer: float) -> None:
    assert retry_delay(headers, 0, lambda: 0.0) == client
    assert wait_asked(headers) == pacer
