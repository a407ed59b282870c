"""The runtime configuration a fake's state keeps: the interface.

The settings the fake started with are its initial configuration; ``PATCH /_mock/config``
changes the running one (a bad value changes nothing), and a reset with ``config`` brings the
initial one back. On a shared state the first fake on an empty state sets both, and every
fake sees a change at its next request (:meth:`State.begin_request`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from mockserver.settings.config import Config


class Configuration(Protocol):
    @property
    def current(self) -> Config:
        """The running configuration, as of this thread's request."""
        ...

    def patch(self, changes: Mapping[str, Any]) -> Config:
        """Change patchable settings (JSON values); ConfigError changes nothing. The new running
        configuration."""
        ...

    def restore(self) -> None:
        """The initial configuration runs again."""
        ...
