"""A real headless Chromium (Debian's ``chromium`` and ``chromium-driver``), driven by Selenium.

Outside CI the browser tests skip, saying why, when the browser or its driver is not
installed; in CI (``CI`` set) they fail instead: ``.ci/run`` installs both.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mockserver import create_app
from mockserver.http.server import LiveServer

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
# Without the networking switches, Chromium on a machine with no outside network stalls
# on its background fetches (component updates, sync, QUIC probes).
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
)


def _find(names: tuple[str, ...], paths: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return next((p for p in paths if os.access(p, os.X_OK)), None)


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must have it: .ci/run installs chromium and chromium-driver)")
    pytest.skip(f"{reason}: apt-get install chromium chromium-driver to run the browser tests")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the session, with a fresh profile."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium is not installed")
    browser = _find(("chromium", "chromium-browser"), ("/usr/bin/chromium",))
    driver = _find(("chromedriver",), ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"))
    if browser is None or driver is None:
        _missing(f"no {'Chromium' if browser is None else 'chromedriver'} found")
    assert browser is not None and driver is not None
    profile = tempfile.mkdtemp(prefix="mockserver-ui-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1440,1000"):
        options.add_argument(flag)
    session = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    session.set_page_load_timeout(30)
    try:
        yield session
    finally:
        session.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """The session's browser, back to a desktop window in light mode after the test."""
    yield chromium
    chromium.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    chromium.set_window_size(1440, 1000)
    chromium.get("about:blank")


@pytest.fixture(scope="module")
def _module_server() -> Iterator[LiveServer]:
    with LiveServer(create_app(rate_limits="20/1m,50/5m")) as server:
        yield server


@pytest.fixture
def fake_server(_module_server: LiveServer) -> LiveServer:
    _module_server.app.extensions["mockserver"].reset()
    return _module_server


@pytest.fixture
def screenshot(page: Any) -> Callable[[str], Path]:
    """Save the window as build/screenshots/<name>.png (the whole page's height)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        width = page.execute_script("return window.innerWidth")
        height = page.execute_script("return Math.max(document.documentElement.scrollHeight, 600)")
        page.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": min(height, 4000), "deviceScaleFactor": 1, "mobile": False})
        try:
            path = SCREENSHOTS / f"{name}.png"
            page.save_screenshot(str(path))
        finally:
            page.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        return path

    return take
