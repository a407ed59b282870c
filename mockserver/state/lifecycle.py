"""A fake's state as one object: its pieces, and what happens to them around each request.

:class:`State` bundles the pieces (each an interface of its own module) and owns their
lifecycle; :func:`mockserver.state.open_state` opens one, in memory or on Redis. The callers
(:class:`mockserver.core.backend.Backend`, the app's request hooks) use only what is declared
here, so nothing outside ``mockserver/state/`` knows which backend runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from mockserver.settings.config import Config
from mockserver.state.clock import Clock
from mockserver.state.configuration import Configuration
from mockserver.state.faults import FaultQueue
from mockserver.state.gallery import Gallery
from mockserver.state.journal import Journal
from mockserver.state.quotas import QuotaLedger
from mockserver.state.store import ImageStore


class StateUnavailable(RuntimeError):
    """The state cannot be opened (its Redis cannot be reached): a one-line message naming the
    URL (password hidden) and the reason."""


class Pieces(Protocol):
    """What a state is made of (each one for the life of the state)."""

    @property
    def clock(self) -> Clock: ...
    @property
    def store(self) -> ImageStore: ...
    @property
    def quotas(self) -> QuotaLedger: ...
    @property
    def faults(self) -> FaultQueue: ...
    @property
    def journal(self) -> Journal: ...
    @property
    def gallery(self) -> Gallery: ...
    @property
    def configuration(self) -> Configuration: ...


class State(Pieces, Protocol):
    """One fake's state and its lifecycle.

    Around each request, in this order: :meth:`begin_request` before anything reads the state
    (it may answer a changed configuration), then the request's reads and writes, then
    :meth:`end_request` once its answer is final (writes may wait until then). If an exception
    of :attr:`lost` escapes (the state is away), the request answers 503 and calls
    :meth:`discard` instead of :meth:`end_request`.
    """

    @property
    def lost(self) -> tuple[type[Exception], ...]:
        """What a state that is away raises (nothing, in memory)."""
        ...

    @property
    def url_secret(self) -> str:
        """Signs image URLs when the configuration gives no secret (the same for every fake on
        a shared state)."""
        ...

    def begin_request(self) -> Config | None:
        """A request starts on this thread: bring its view of the state up to date. The new
        configuration if it changed since this fake last saw it, else None."""
        ...

    def end_request(self) -> None:
        """This thread's request is answered: write what it left to write."""
        ...

    def discard(self) -> None:
        """This thread's request lost the state: forget what it had left to write."""
        ...

    def trouble(self, exc: Exception) -> str | None:
        """For an exception of :attr:`lost`: None when the state is away; when it answered but
        refused what it holds (data another fake wrote, of a type or a form this one cannot
        use), what was wrong, the state repaired as far as it can be (reported once in the log)."""
        ...

    def configure(self, changes: Mapping[str, Any]) -> Config:
        """Patch the running configuration (ConfigError: nothing changes); the new one."""
        ...

    def reset(self, *, config: bool) -> Config:
        """Forget everything (:func:`reset_state`), atomically; the running configuration after."""
        ...

    def close(self) -> None:
        """Release what the state holds open (connections, listeners)."""
        ...


def reset_state(state: Pieces, *, config: bool) -> None:
    """The one reset, whatever the backend (which makes it atomic): images, their renders and
    the gallery forgotten, every quota afresh, the journal emptied (a new epoch), faults
    unqueued and hangs ended, the clock back to real time; with ``config`` the initial
    configuration returns, else the running one is kept."""
    state.store.clear()
    state.gallery.clear()
    state.quotas.clear()
    state.journal.clear()
    state.faults.clear()
    state.clock.reset()
    if config:
        state.configuration.restore()
