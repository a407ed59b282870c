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

Today's service (``--images-fake-today off|warn|error``, or the ini option ``images_fake_today``;
default ``warn``): after each test, the journal of the test's fakes (``images_fake``, and
``images_fake_url`` unless shared) says which answers the service as of today would refuse (the
``would_fail_today`` field: a retired or shut-down model, a request naming no model answered by
one, the variations endpoint). ``warn`` issues an :class:`ImagesFakeTodayWarning` naming the test
and the reasons; ``error`` fails the test with them; ``off`` says nothing. ASSUMPTION (our choice)
of ``warn`` as the default: the fake keeps the guide's contract, so a suite written for it keeps
passing, but no longer in silence (code that passes against the fake and fails in production is
what the warning names); ``error`` would fail every such suite at once, and a suite that runs with
``filterwarnings = error`` gets ``error``'s effect from ``warn`` anyway.

Record and replay (``--images-fake-record DIR`` with ``--images-fake-upstream URL``, then
``--images-fake-replay DIR``): each test's fakes (``images_fake``, so ``openai_client`` and
``images_client``, and ``images_fake_url``, which then gets a live fake of its own per test) do
not answer themselves: recording, they forward every ``/v1`` request to the upstream (the real
API by default) and write the exchanges to the test's cassette; replaying, the test's cassette
answers (``python -m mockserver --record`` / ``--replay``, one test at a time). A test's cassette
is the folder ``DIR/<its node id>/`` (the id as seen from the directory pytest is started in;
``/`` and ``::`` written ``.`` and ``__``), holding one cassette (a session's, in parts if long): recording a
test again replaces it; replaying a test that was never recorded fails it, saying so. Recording,
``openai_client`` sends ``$OPENAI_API_KEY`` (the upstream's key; it is never written to a
cassette), and replaying, any key. So a user records a suite once with a real key and replays it
in CI with no key and no network.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
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
TODAY_OPTION = "--images-fake-today"
TODAY_INI = "images_fake_today"
TODAY_CHOICES = ("off", "warn", "error")
TODAY_DEFAULT = "warn"  # ASSUMPTION (our choice): see the module's docstring
RECORD_OPTION = "--images-fake-record"
UPSTREAM_OPTION = "--images-fake-upstream"
REPLAY_OPTION = "--images-fake-replay"
API_KEY_ENV = "OPENAI_API_KEY"  # recording, the upstream's key: read as the SDK reads it
_UNSAFE = re.compile(r"[^A-Za-z0-9._\[\]=+-]+")
MAX_NAME = 180  # characters of a cassette folder's name (a longer node id ends in its digest)
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
    group.addoption(
        TODAY_OPTION, choices=TODAY_CHOICES, default=None,
        help="after each test, what to do when its fake answered what the service as of today refuses "
        "(a retired or shut-down model, no model named, the variations endpoint): 'warn' issues a warning "
        "naming the test and the reason, 'error' fails the test, 'off' says nothing "
        f"(default: the ini option {TODAY_INI}, else {TODAY_DEFAULT})",
    )
    group.addoption(
        RECORD_OPTION, metavar="DIR", default=None,
        help="record: each test's fakes forward its requests to the upstream (--images-fake-upstream) "
        f"and write them to a cassette of its own in DIR (DIR/<node id>/); openai_client sends ${API_KEY_ENV}",
    )
    group.addoption(
        UPSTREAM_OPTION, metavar="URL", default=None,
        help=f"with {RECORD_OPTION}: the API to record (its /v1 base URL; default: the real API's)",
    )
    group.addoption(
        REPLAY_OPTION, metavar="DIR", default=None,
        help=f"replay: each test's fakes answer from the test's cassette in DIR (recorded with {RECORD_OPTION})",
    )
    parser.addini(TODAY_INI, f"the default of {TODAY_OPTION} (off, warn or error)", default=TODAY_DEFAULT)
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


def today_mode(config: pytest.Config) -> str:
    """What ``--images-fake-today`` (or ``images_fake_today``) asks: off, warn or error."""
    mode = str(config.getoption(TODAY_OPTION) or config.getini(TODAY_INI)).strip()
    if mode not in TODAY_CHOICES:
        raise pytest.UsageError(f"{TODAY_INI} = {mode!r}: expected one of {', '.join(TODAY_CHOICES)}")
    return mode


def cassette_name(nodeid: str) -> str:
    """The folder a test's cassette is kept in, from its node id: ``tests/test_a.py::test_b[x]``
    -> ``tests.test_a.py__test_b[x]`` (a name too long ends in the node id's digest)."""
    name = _UNSAFE.sub("_", nodeid.replace("::", "__").replace("/", ".")).strip("._") or "test"
    if len(name) > MAX_NAME:
        import hashlib

        name = name[: MAX_NAME - 17] + "-" + hashlib.sha256(nodeid.encode()).hexdigest()[:16]
    return name


def node_id(node: pytest.Item) -> str:
    """A test's node id as seen from the directory pytest was started in (where a project runs
    its tests, locally and in CI alike). ASSUMPTION (our choice), rather than pytest's own node id:
    that is relative to the rootdir, which an option's existing path (``--images-fake-replay DIR``)
    can move when no ini file is found, so the same test would be named otherwise in replay."""
    path = Path(os.path.relpath(node.path, node.config.invocation_params.dir)).as_posix()
    return f"{path}::{node.nodeid.split('::', 1)[1]}" if "::" in node.nodeid else path


def recording_settings(config: pytest.Config, nodeid: str) -> dict[str, Any]:
    """The settings that make the fake of the test ``nodeid`` (see :func:`node_id`) record or
    replay its cassette ({} when neither is asked)."""
    record, replay = config.getoption(RECORD_OPTION), config.getoption(REPLAY_OPTION)
    upstream = config.getoption(UPSTREAM_OPTION)
    if record and replay:
        raise pytest.UsageError(f"{RECORD_OPTION} and {REPLAY_OPTION} cannot be used together")
    if upstream and not record:
        raise pytest.UsageError(f"{UPSTREAM_OPTION} is the upstream of {RECORD_OPTION}: give that too")
    if record:
        folder = Path(record) / cassette_name(nodeid)
        shutil.rmtree(folder, ignore_errors=True)  # a test recorded again: its new exchanges only
        return {"record": str(folder), **({"upstream": upstream} if upstream else {})}
    if replay:
        folder = Path(replay) / cassette_name(nodeid)
        if not folder.is_dir():
            pytest.fail(f"{nodeid}: no cassette in {folder} (record this test with {RECORD_OPTION})", pytrace=False)
        return {"replay": str(folder)}
    return {}


def _recording_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    item = _item(request)
    return recording_settings(request.config, node_id(item) if item is not None else request.node.nodeid)


def _recording(config: pytest.Config) -> bool:
    return bool(config.getoption(RECORD_OPTION))


def _fake_app(settings: dict[str, Any]) -> Flask:
    """``create_app(**settings)``; a fake that cannot record or replay fails the test, saying why."""
    try:
        return create_app(**settings)
    except ValueError as exc:
        pytest.fail(f"the Images API fake: {exc}", pytrace=False)


def _close(app: Flask) -> None:
    """Release a test's own fake: its state's connections, and a recorder's to the upstream."""
    app.extensions["mockserver"].close()


class ImagesFakeTodayWarning(UserWarning):
    """A test's fake answered what the service as of today refuses (``--images-fake-today=warn``)."""


_WATCHED = pytest.StashKey[list[FakeHandle]]()  # the fakes whose journal a test's check reads


def _watch(node: pytest.Item | None, fake: FakeHandle) -> None:
    if node is not None:
        node.stash.setdefault(_WATCHED, []).append(fake)


def would_fail_today(fakes: list[FakeHandle]) -> list[str]:
    """The reasons, each once, in the order they were answered, from the fakes' journals."""
    reasons: dict[str, None] = {}
    for fake in fakes:
        for entry in reversed(fake.requests()):  # the journal lists the newest first
            reason = entry.get("would_fail_today")
            if reason:
                reasons.setdefault(reason, None)
    return list(reasons)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After a test that passed: warn or fail if its fakes answered what today's service refuses."""
    result = yield
    fakes = item.stash.get(_WATCHED, [])
    mode = today_mode(item.config) if fakes else "off"
    reasons = would_fail_today(fakes) if mode != "off" else []
    if reasons:
        message = (f"{item.nodeid}: the Images API fake answered what the service as of today refuses: "
                   f"{'; '.join(reasons)} (the fake serves an older contract; {TODAY_OPTION}=off to allow)")
        if mode == "error":
            pytest.fail(message, pytrace=False)
        item.warn(ImagesFakeTodayWarning(message))  # reported at the test's own file and line
    return result


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
def images_fake(images_fake_settings: dict[str, Any], request: pytest.FixtureRequest) -> InProcessFake:
    """A fresh in-process fake of the Images API for this test (its settings from
    ``images_fake_settings``): its control operations as methods (reset, advance, freeze,
    set_rate_limits, block_terms, inject_fault, requests, ...), plus ``app``, ``base_url``,
    ``requests_session()`` and ``httpx_client()`` to call it with no socket.

    It stays private to this test in shared mode too (``--images-fake-state``): ASSUMPTION:
    a test asking for a fresh fake relies on being alone in it (an empty journal, its own
    quota); sharing is what ``images_fake_url`` offers."""
    settings = {**images_fake_settings, **_recording_settings(request)}
    app = _fake_app(settings)
    fake = InProcessFake(app)
    if settings.keys() & {"record", "replay"}:
        request.addfinalizer(lambda: _close(app))  # the recorder's connections to the upstream
    if _recording(request.config):
        fake.api_key = os.environ.get(API_KEY_ENV) or FAKE_API_KEY
    _watch(_item(request), fake)
    return fake


def _item(request: pytest.FixtureRequest) -> pytest.Item | None:
    node = request.node
    return node if isinstance(node, pytest.Item) else None


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
def images_fake_url(_images_fake_server: LiveServer, pytestconfig: pytest.Config,
                    request: pytest.FixtureRequest) -> FakeURL:
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
    settings = _recording_settings(request)
    if settings:  # recording or replaying: a live fake of this test's own, on its cassette
        app = _fake_app(settings)
        server = LiveServer(app).start()

        def stop() -> None:
            server.stop()
            _close(app)

        request.addfinalizer(stop)
        url = FakeURL(server.base_url)
        url.fake = FakeHandle.in_process(app)
        return url
    url = FakeURL(_images_fake_server.base_url)
    url.fake = FakeHandle.in_process(_images_fake_server.app)
    if shared_state(pytestconfig) is None:
        url.fake.reset(config=True)
        _watch(_item(request), url.fake)  # (shared, its journal is every worker's: not read)
    return url


@pytest.fixture
def openai_client(images_fake: InProcessFake) -> Iterator[Any]:
    """The official ``openai.OpenAI`` client pointed at this test's ``images_fake`` through httpx's
    transport, with no socket (skipped when ``openai`` is not installed)."""
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=images_fake.base_url, api_key=images_fake.api_key,
                           http_client=images_fake.httpx_client())
    yield client
    client.close()
