"""The runtime configuration of an in-memory fake: two references."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.settings.config import Config


class MemoryConfiguration:
    """The :class:`mockserver.state.configuration.Configuration` in this process's memory."""

    def __init__(self, config: Config) -> None:
        self._initial = self._current = config

    @property
    def current(self) -> Config:
        return self._current

    def patch(self, changes: Mapping[str, Any]) -> Config:
        self._current = self._current.patch(changes)
        return self._current

    def restore(self) -> None:
        self._current = self._initial
