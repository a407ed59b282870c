"""Fixtures of the state tests: ``apps``, the fakes a test makes on a shared state (closed after it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.support.redisserver import RedisServer


@pytest.fixture
def apps(redis_server: RedisServer) -> Iterator[list[Flask]]:
    made: list[Flask] = []
    yield made
    for app in made:
        app.extensions["mockserver"].close()
