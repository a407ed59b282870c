"""Fixtures for the client tests: the fake in-process, reached through ``requests`` with no sockets.

:func:`route_into` swaps the transport, not the code: every request the client
makes to ``http://fake.test`` (API calls and image downloads alike) is replayed
into a Flask app's test client, and its answer handed back to ``requests``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
import requests
import responses
from flask import Flask

from client import ImagesClient
from tests.conftest import API_KEY

FAKE_HOST = "http://fake.test"
FAKE_BASE = f"{FAKE_HOST}/v1"
_ANY_FAKE_URL = re.compile(re.escape(FAKE_HOST) + r"(/.*)?$")


def replayer(app: Flask) -> Callable[[requests.PreparedRequest], tuple[int, dict[str, str], bytes]]:
    """A ``responses`` callback that answers a request with what ``app`` answers."""
    flask_client = app.test_client()

    def replay(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(request.url or "")
        body = request.body or b""
        answer = flask_client.open(
            parts.path,
            method=request.method or "GET",
            query_string=parts.query,
            headers={k: v for k, v in request.headers.items() if k.lower() != "content-length"},
            data=body.encode() if isinstance(body, str) else body,
            base_url=f"{parts.scheme}://{parts.netloc}",
        )
        with answer:
            return answer.status_code, dict(answer.headers), answer.get_data()

    return replay


@contextmanager
def route_into(app: Flask) -> Iterator[responses.RequestsMock]:
    """Route every ``requests`` call to ``http://fake.test`` into ``app`` while the block runs."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in (responses.GET, responses.POST, responses.PUT, responses.PATCH, responses.DELETE):
            mock.add_callback(method, _ANY_FAKE_URL, callback=replayer(app), content_type=None)
        yield mock


@pytest.fixture
def routed(app: Flask) -> Iterator[responses.RequestsMock]:
    """The test's fresh fake (``app``), reachable at ``http://fake.test``."""
    with route_into(app) as mock:
        yield mock


@pytest.fixture
def images(routed: responses.RequestsMock) -> Iterator[ImagesClient]:
    """A client of the in-process fake that never really sleeps."""
    with ImagesClient(base_url=FAKE_BASE, api_key=API_KEY, sleep=lambda _: None) as client:
        yield client


class Sleeps(list[float]):
    """Records the delays a client asked to sleep, instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
