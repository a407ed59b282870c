"""Route the Images API traffic of code you do not control into an in-process fake.

    import mockserver

    with mockserver.intercept() as fake:          # or @mockserver.intercept() on a test
        fake.inject_fault(status=503)
        third_party_code_that_calls_openai()

While the block runs, every ``requests`` and ``httpx`` call (sync and async; the
official ``openai`` SDK uses httpx) to ``https://api.openai.com/v1/images/...``
is answered by a fake in this process, as are the image URLs it hands out; all
other traffic is left alone. ``fake`` is a :class:`FakeHandle` with the fake's
``app``. Blocks may nest: the innermost one answers.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
import requests

from contracts.spec import REAL_BASE_URL
from mockserver.app import create_app
from mockserver.core import urls
from mockserver.testing.handle import FakeHandle
from mockserver.testing.transport import HttpxWSGI, WSGIAdapter

_lock = threading.RLock()
_active: list[intercept] = []
_restore: list[tuple[Any, str, Any]] = []  # (class, attribute, original) to put back


def _httpx_libraries() -> list[Any]:
    """httpx, and httpx2 when installed (openai >= 3 sends through httpx2)."""
    libraries = [httpx]
    try:
        import httpx2  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        pass
    else:
        libraries.append(httpx2)
    return libraries


def _find(url: str) -> intercept | None:
    for interceptor in reversed(_active):
        if interceptor.matches(url):
            return interceptor
    return None


def _patch(owner: Any, name: str, replacement: Callable[[Any], Any]) -> None:
    original = getattr(owner, name)
    _restore.append((owner, name, original))
    setattr(owner, name, replacement(original))


def _requests_patch(original: Any) -> Any:
    def get_adapter(self: requests.Session, url: str) -> Any:
        interceptor = _find(url)
        return interceptor.requests_adapter if interceptor is not None else original(self, url)
    return get_adapter


def _sync_patch(lib: Any) -> Callable[[Any], Any]:
    def wrap(original: Any) -> Any:
        def handle_request(self: Any, request: Any) -> Any:
            interceptor = _find(str(request.url))
            if interceptor is not None:
                return interceptor.bridge(lib).handle(request)
            return original(self, request)
        return handle_request
    return wrap


def _async_patch(lib: Any) -> Callable[[Any], Any]:
    def wrap(original: Any) -> Any:
        async def handle_async_request(self: Any, request: Any) -> Any:
            interceptor = _find(str(request.url))
            if interceptor is not None:
                return await interceptor.bridge(lib).handle_async(request)
            return await original(self, request)
        return handle_async_request
    return wrap


def _install() -> None:
    _patch(requests.Session, "get_adapter", _requests_patch)
    for lib in _httpx_libraries():
        _patch(lib.HTTPTransport, "handle_request", _sync_patch(lib))
        _patch(lib.AsyncHTTPTransport, "handle_async_request", _async_patch(lib))


def _uninstall() -> None:
    while _restore:
        owner, name, original = _restore.pop()
        setattr(owner, name, original)


class intercept(contextlib.ContextDecorator):
    """Answer Images API calls to ``base_url`` from an in-process fake (see the module doc).

    ``app`` is the fake to use (default: a new ``create_app(**settings)``).
    """

    def __init__(self, base_url: str = REAL_BASE_URL, *, app: Any = None, **settings: Any) -> None:
        self._base_url = base_url
        parts = urlsplit(base_url.rstrip("/"))
        self._origin = f"{parts.scheme}://{parts.netloc}".lower()
        self._prefixes = (parts.path + "/images/", urls.PREFIX)
        self._app = app
        self._settings = settings
        self.fake: FakeHandle | None = None

    def bridge(self, lib: Any) -> HttpxWSGI:
        """The bridge answering requests of httpx library ``lib`` (httpx or httpx2)."""
        if lib.__name__ not in self._bridges:
            self._bridges[lib.__name__] = HttpxWSGI(self._wsgi_app, lib)
        return self._bridges[lib.__name__]

    def matches(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        return origin == self._origin and parts.path.startswith(self._prefixes)

    def __enter__(self) -> FakeHandle:
        app = self._app if self._app is not None else create_app(**self._settings)
        self.requests_adapter = WSGIAdapter(app)
        self._bridges: dict[str, HttpxWSGI] = {}
        self._wsgi_app = app
        self.fake = FakeHandle.in_process(app)
        with _lock:
            if not _active:
                _install()
            _active.append(self)
        return self.fake

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with _lock:
            _active.remove(self)
            if not _active:
                _uninstall()

    def _recreate_cm(self) -> intercept:
        # As a decorator, each call of the decorated function gets a fresh fake.
        return intercept(self._base_url, app=self._app, **self._settings)

