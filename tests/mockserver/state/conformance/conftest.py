"""The conformance suite of :mod:`mockserver.state`: every behaviour of every piece, and the
lifecycle, against both backends through one parametrized fixture: in memory always, on a
real redis-server through ``redis_server`` (skips with its reason when redis-server is missing
outside CI; fails in CI). The tests assert what the interfaces answer, never how a backend
keeps it.

``state``: a freshly opened state. ``peer``: another fake's handle on the same state (on Redis
a second state opened on the same URL; in memory the same object, since an in-memory state
has no other handle), so what the interface promises about sharing is checked on both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mockserver.render import Recipe
from mockserver.settings.config import Config
from mockserver.state import State, open_state

T0 = 1_800_000_000.0  # a fixed instant (2027)


@pytest.fixture(params=["memory", "redis"])
def url(request: pytest.FixtureRequest) -> str | None:
    """Where the state lives: None (memory), or the URL of the test's emptied redis-server."""
    if request.param == "memory":
        return None
    server = request.getfixturevalue("redis_server")
    return str(server.url)


@pytest.fixture
def opened(url: str | None) -> Iterator[Callable[..., State]]:
    """Opens states on this test's backend (settings as ``create_app`` takes them); closes them after."""
    made: list[State] = []

    def open_(**settings: Any) -> State:
        state = open_state(Config().patch(settings, allow_all=True), url=url)
        made.append(state)
        return state

    yield open_
    for state in made:
        state.close()


@pytest.fixture
def state(opened: Callable[..., State]) -> State:
    return opened()


@pytest.fixture
def peer(state: State, url: str | None, opened: Callable[..., State]) -> State:
    return state if url is None else opened()


def recipe(prompt: str = "a cat", *, n: int = 1, index: int = 0, side: int = 64, **fields: Any) -> Recipe:
    """A small recipe (renders in milliseconds)."""
    return Recipe(endpoint=fields.pop("endpoint", "generations"), model=fields.pop("model", "dall-e-2"),
                  prompt=prompt, width=side, height=side, index=index, n=n, **fields)


def request(state: State) -> Any:
    """A request's lifecycle around a block: ``with request(state): ...``."""
    return _Request(state)


class _Request:
    def __init__(self, state: State) -> None:
        self.state = state
        self.config: Config | None = None

    def __enter__(self) -> _Request:
        self.config = self.state.begin_request()
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self.state.end_request()
        else:
            self.state.discard()
