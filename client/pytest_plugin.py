"""The ``images_client`` fixture: our reference client pointed at this test's ``images_fake``
(from the mockserver plugin) with no socket. Registered as a pytest11 plugin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from client import ImagesClient


@pytest.fixture
def images_client(images_fake: Any) -> Iterator[ImagesClient]:
    """Our reference client (``client.ImagesClient``) pointed at this test's ``images_fake``, with
    no socket."""
    client = ImagesClient(base_url=images_fake.base_url, api_key=images_fake.api_key,
                          session=images_fake.requests_session())
    yield client
    client.close()
