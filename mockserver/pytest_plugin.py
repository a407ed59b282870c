"""pytest fixtures for testing code that uses the Images API (registered as a pytest11 plugin).

- ``images_fake``: a fresh in-process fake for each test, with the control operations as
  methods (:class:`~mockserver.handle.FakeHandle`) and ``app``, ``base_url``,
  ``requests_session()`` and ``httpx_client()`` to reach it with no socket.
- ``images_fake_url``: the base URL (``http://127.0.0.1:PORT/v1``) of a live fake started
  once per session (once per pytest-xdist worker) on a free port, reset before each test
  (configuration included); ``images_fake_url.fake`` is its handle.
- ``openai_client``: the official ``openai.OpenAI`` pointed at this test's ``images_fake``
  through httpx's transport, no socket (skipped when ``openai`` is not installed).
- ``images_client``, from the ``client`` package's plugin: our reference client, the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
from flask import Flask

from mockserver.app import create_app
from mockserver.handle import FakeHandle
from mockserver.server import LiveServer
from mockserver.transport import httpx_transport, requests_session

FAKE_API_KEY = "sk-images-fake"


class InProcessFake(FakeHandle):
    """A fake in this process: its control operations, and the means to call it."""

    base_url = "http://images-fake.test/v1"
    api_key = FAKE_API_KEY

    def __init__(self, app: Flask) -> None:
        handle = FakeHandle.in_process(app)
        super().__init__(handle._transport)
        self.app = app

    def requests_session(self) -> requests.Session:
        """A requests.Session answered by this fake (any host)."""
        return requests_session(self.app)

    def httpx_client(self, **options: Any) -> httpx.Client:
        """An httpx.Client answered by this fake (any host)."""
        return httpx.Client(transport=httpx_transport(self.app), **options)


class FakeURL(str):
    """A live fake's base URL, carrying its handle as ``.fake``."""

    fake: FakeHandle


@pytest.fixture
def images_fake_settings() -> dict[str, Any]:
    """Settings of the ``images_fake`` (and so ``openai_client``) fake, as ``create_app`` takes them;
    override this fixture to change them, e.g. ``{"as_of": "2026-11-29"}``."""
    return {}


@pytest.fixture
def images_fake(images_fake_settings: dict[str, Any]) -> InProcessFake:
    """A fresh in-process fake of the Images API for this test (its settings from
    ``images_fake_settings``): its control operations as methods (reset, advance, freeze,
    set_rate_limits, block_terms, inject_fault, requests, ...), plus ``app``, ``base_url``,
    ``requests_session()`` and ``httpx_client()`` to call it with no socket."""
    return InProcessFake(create_app(**images_fake_settings))


@pytest.fixture(scope="session")
def _images_fake_server() -> Iterator[LiveServer]:
    """The live fake behind ``images_fake_url``: one per session (per pytest-xdist worker)."""
    with LiveServer(create_app()) as server:
        yield server


@pytest.fixture
def images_fake_url(_images_fake_server: LiveServer) -> FakeURL:
    """The base URL (``http://127.0.0.1:PORT/v1``) of a live fake over real HTTP, started once per
    session on a free port and reset (configuration included) before this test; its control
    handle is ``images_fake_url.fake``."""
    url = FakeURL(_images_fake_server.base_url)
    url.fake = FakeHandle.in_process(_images_fake_server.app)
    url.fake.reset(config=True)
    return url


@pytest.fixture
def openai_client(images_fake: InProcessFake) -> Iterator[Any]:
    """The official ``openai.OpenAI`` client pointed at this test's ``images_fake`` through httpx's
    transport, with no socket (skipped when ``openai`` is not installed)."""
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=images_fake.base_url, api_key=FAKE_API_KEY,
                           http_client=images_fake.httpx_client())
    yield client
    client.close()
