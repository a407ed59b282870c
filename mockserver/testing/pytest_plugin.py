"""pytest fixtures for testing code that uses the Images API (registered as a pytest11 plugin).

- ``images_fake``: a fresh in-process fake for each test, with the control operations as
  methods (:class:`~mockserver.testing.handle.FakeHandle`) and ``app``, ``base_url``,
  ``requests_session()`` and ``httpx_client()`` to reach it with no socket.
- ``images_fake_url``: the base URL (``http://127.0.0.1:PORT/v1``) of a live fake started
  once per session (once per pytest-xdist worker) on a free port, reset before each test
  (configuration included); ``images_fake_url.fake`` is its handle.
- ``openai_client``: the official ``openai.OpenAI`` pointed at this test's ``images_fake``
  through httpx's transport, no socket (skipped when ``openai`` is not installed).
- ``images_client``, from the ``client`` package's plugin: our reference client, the same way.

Shared mode (``--images-fake-state redis://HOST:PORT/DB``, or the ini option
``images_fake_state``): every ``images_fake_url`` fake of the run (one per pytest-xdist
worker) keeps its state in that Redis, so all workers see one fake: the same quotas, clock,
faults, journal, images and configuration. The state is reset once, configuration included,
by the process that starts the run (pytest-xdist's controller, or pytest itself without
``-n``) before any worker starts, and never per test, since a reset then would wipe what the
other workers are doing mid-test (``--images-fake-state-reset never`` skips even that one,
for several runs sharing one Redis). ``images_fake`` stays a fresh private fake per test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
from flask import Flask

from mockserver.app import create_app
from mockserver.http.server import LiveServer
from mockserver.testing.handle import FakeHandle
from mockserver.testing.transport import httpx_transport, requests_session

FAKE_API_KEY = "sk-images-fake"
STATE_OPTION = "--images-fake-state"
RESET_OPTION = "--images-fake-state-reset"
STATE_INI = "images_fake_state"
RESET_INI = "images_fake_state_reset"
RESET_CHOICES = ("run", "never")
# ASSUMPTION (our choice): the plugin does not read MOCKSERVER_STATE. That variable configures
# `python -m mockserver`; a CI job that sets it for a fake it starts beside the tests should not
# silently move the tests' own fakes onto that fake's state (and reset it). Sharing is asked for
# by the option or the ini value, where the test run is configured.


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("images-fake", "the Images API fake (images_fake_url)")
    group.addoption(
        STATE_OPTION, metavar="redis://HOST:PORT/DB", default=None,
        help="share one fake's state among all images_fake_url fakes of this run (one per xdist worker), "
        "in this Redis (needs the redis extra); reset once at the start of the run, never per test "
        f"(default: the ini option {STATE_INI}; none: each fake its own state, reset before each test)",
    )
    group.addoption(
        RESET_OPTION, choices=RESET_CHOICES, default=None,
        help="with a shared state: 'run' resets it (configuration included) once, before the workers "
        "start; 'never' leaves it as it is, e.g. for several runs sharing one Redis "
        f"(default: the ini option {RESET_INI}, else run)",
    )
    parser.addini(STATE_INI, f"the default of {STATE_OPTION}", default="")
    parser.addini(RESET_INI, f"the default of {RESET_OPTION} (run or never)", default="run")


def shared_state(config: pytest.Config) -> str | None:
    """The ``redis://`` URL this run's ``images_fake_url`` fakes share, or None (each its own)."""
    url = config.getoption(STATE_OPTION) or str(config.getini(STATE_INI)).strip()
    return url or None


def _reset_policy(config: pytest.Config) -> str:
    policy = str(config.getoption(RESET_OPTION) or config.getini(RESET_INI)).strip()
    if policy not in RESET_CHOICES:
        raise pytest.UsageError(f"{RESET_INI} = {policy!r}: expected one of {', '.join(RESET_CHOICES)}")
    return policy


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """In shared mode, the process that starts the run checks the shared state can be reached
    (a one-line usage error if not) and resets it once, before pytest-xdist starts its
    workers (xdist's own ``pytest_sessionstart`` runs after this one)."""
    config = session.config
    url = shared_state(config)
    if url is None or _is_xdist_worker(config):
        return
    policy = _reset_policy(config)
    from mockserver.state import StateUnavailable

    try:
        app = create_app(state=url)
    except (StateUnavailable, ValueError) as exc:
        raise pytest.UsageError(f"{STATE_OPTION}: {exc}") from None
    try:
        if policy == "run":
            FakeHandle.in_process(app).reset(config=True)
    finally:
        app.extensions["mockserver"].close()


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
    ``requests_session()`` and ``httpx_client()`` to call it with no socket.

    It stays private to this test in shared mode too (``--images-fake-state``): ASSUMPTION:
    a test asking for a fresh fake relies on being alone in it (an empty journal, its own
    quota); sharing is what ``images_fake_url`` offers."""
    return InProcessFake(create_app(**images_fake_settings))


@pytest.fixture(scope="session")
def _images_fake_server(pytestconfig: pytest.Config) -> Iterator[LiveServer]:
    """The live fake behind ``images_fake_url``: one per session (per pytest-xdist worker), on
    the run's shared state when there is one."""
    from mockserver.state import StateUnavailable

    try:
        app = create_app(state=shared_state(pytestconfig))
    except (StateUnavailable, ValueError) as exc:
        pytest.fail(f"{STATE_OPTION}: {exc}", pytrace=False)
    try:
        with LiveServer(app) as server:
            yield server
    finally:
        app.extensions["mockserver"].close()


@pytest.fixture
def images_fake_url(_images_fake_server: LiveServer, pytestconfig: pytest.Config) -> FakeURL:
    """The base URL (``http://127.0.0.1:PORT/v1``) of a live fake over real HTTP, started once per
    session on a free port and reset (configuration included) before this test; its control
    handle is ``images_fake_url.fake``.

    In shared mode (``--images-fake-state redis://...``) the fake of every pytest-xdist worker
    keeps its state in that Redis, and none is reset before a test: quotas, clock, faults,
    journal, images and configuration are the run's, changed by every worker's tests as they
    go (reset once at the start of the run; see ``--images-fake-state-reset``). A test that
    calls ``images_fake_url.fake.reset()`` resets it for every worker.
    ASSUMPTION: a user sharing one fake among workers wants to observe the others' traffic (a
    quota spent together, a fault fired once in all), not an isolation per test that would
    wipe the other workers' state mid-test; a test that needs its own fake uses ``images_fake``."""
    url = FakeURL(_images_fake_server.base_url)
    url.fake = FakeHandle.in_process(_images_fake_server.app)
    if shared_state(pytestconfig) is None:
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
