"""The contract suite's plumbing: the target (``--target``), its Hypothesis profiles, and
the markers (``contract`` on every test here; ``fake_only`` skipped without a control plane).

The fake the suite makes (in-process or over HTTP) is built once per session with its
rate limit off, so validity properties never meet the quota; content policy stays on (the
strategies' prompts avoid its terms, and its rule is one of the properties).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, Phase, settings

from mockserver import create_app
from mockserver.http.server import LiveServer
from mockserver.testing.handle import FakeHandle
from tests.client.conftest import FAKE_BASE
from tests.client.conftest import route_into as routed  # every method to http://fake.test
from tests.endpoint_suite import targets
from tests.endpoint_suite.targets import Target, era_of

HERE = Path(__file__).resolve().parent
_COMMON = settings(
    deadline=None,
    print_blob=True,  # a failure prints the @reproduce_failure line as well as the smallest example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
# max_examples is what one property of share 1 runs on the target (see targets.budget). In-process
# that is the session's profile's (tests/support/profiles.py: dev or ci), set in budget(); over
# HTTP and on the real API a number of its own, since each example costs sockets or money there.
settings.register_profile("contract-inprocess", _COMMON)
settings.register_profile("contract-http", _COMMON, max_examples=20)
# The real API costs money and keeps no promise of determinism: no shrinking (it would send
# many more requests), no replay database.
settings.register_profile("contract-live", _COMMON, max_examples=targets.LIVE_CAP, database=None,
                          phases=[Phase.explicit, Phase.generate])


def pytest_configure(config: pytest.Config) -> None:
    try:
        spec = targets.resolve(config.getoption("--target"))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    targets.select(spec)


def pytest_report_header(config: pytest.Config) -> str:
    spec = targets.current()
    where = spec.base_url or "a fake made by the suite"
    return f"contract target: {spec.name} ({where}; Hypothesis profile {spec.profile})"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    spec = targets.current()
    for item in items:
        if HERE not in Path(str(item.path)).parents:
            continue
        item.add_marker(pytest.mark.contract)
        if spec.skip_reason and "target" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.skip(reason=spec.skip_reason))
        elif not spec.has_control and item.get_closest_marker("fake_only"):
            item.add_marker(pytest.mark.skip(reason=f"needs the fake's control plane; --target={spec.name} has none"))


@pytest.fixture(scope="session")
def _endpoint() -> Iterator[Target]:
    """The session's endpoint: a fake made here (inprocess, http) or the one named."""
    spec = targets.current()
    session = requests.Session()
    if spec.kind == "inprocess":
        app = create_app(rate_limits="off")
        fake = FakeHandle.in_process(app)
        yield Target(spec, FAKE_BASE, session, fake, app, era_of(fake))
    elif spec.kind == "http":
        with LiveServer(create_app(rate_limits="off")) as server, FakeHandle.over_http(server.url) as fake:
            yield Target(spec, server.base_url, session, fake, server.app, era_of(fake))
    else:
        assert spec.base_url is not None
        remote: FakeHandle | None = FakeHandle.over_http(spec.base_url) if spec.has_control else None
        target = Target(spec, spec.base_url, session, remote, None, era_of(remote))
        if remote is None:
            yield target
        else:  # someone's running fake: its quota off for the session, then as it was
            with remote, target.configured(rate_limits="off"):
                yield target
    session.close()


@pytest.fixture(scope="module")
def target(_endpoint: Target) -> Iterator[Target]:
    """The endpoint under test. In-process, ``requests`` is routed into the app for the
    module only, so no other test's HTTP is caught by ``responses``."""
    if _endpoint.spec.kind != "inprocess":
        yield _endpoint
        return
    assert _endpoint.app is not None
    with routed(_endpoint.app) as mock:
        _endpoint.mock = mock
        try:
            yield _endpoint
        finally:
            _endpoint.mock = None

