"""The live view (GET /_mock/ui) in a real headless Chromium, with the official SDK making the traffic."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
import requests
from PIL import Image

from mockserver import create_app
from mockserver.http.server import LiveServer
from mockserver.testing.handle import FakeHandle
from tests.support.pngs import pattern, png_bytes, rgba_with_hole

pytest.importorskip("selenium", reason="the browser tests drive Chromium with selenium")

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

API_KEY = "sk-ui-0123456789abcdefghijklmnopqrstuvwxyz"


_CLIENTS: list[openai.OpenAI] = []


def sdk(server: LiveServer, key: str = API_KEY) -> openai.OpenAI:
    client = openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=0, timeout=30)
    _CLIENTS.append(client)
    return client


@pytest.fixture(autouse=True)
def _close_sdk_clients() -> Iterator[None]:
    """Close each test's SDK clients: a pooled socket left to the garbage collector (after its
    server stopped) is an unraisable ResourceWarning, which this suite treats as an error."""
    yield
    while _CLIENTS:
        _CLIENTS.pop().close()


def wait_for(page: Any, what: Callable[[], Any], message: str, timeout: float = 40) -> Any:
    try:
        return WebDriverWait(page, timeout, poll_frequency=0.1).until(lambda _: what())
    except TimeoutException:
        raise AssertionError(f"timed out waiting: {message}") from None


def open_view(page: Any, server: LiveServer) -> None:
    page.get(server.url + "/_mock/ui")
    wait_for(page, lambda: page.find_element(By.TAG_NAME, "body").get_attribute("data-polled"), "the first poll")


def rows(page: Any) -> list[Any]:
    return list(page.find_elements(By.CSS_SELECTOR, "#requests-body tr"))


def cells(row: Any) -> dict[str, str]:
    return {td.get_attribute("data-label"): td.text for td in row.find_elements(By.TAG_NAME, "td")}


def thumbs_loaded(page: Any, scope: str = "#requests-body") -> int:
    """How many thumbnails under ``scope`` show a decoded image (naturalWidth > 0); -1 while any has not."""
    widths = page.execute_script(
        f"return [...document.querySelectorAll('{scope} .thumb img')].map(i => i.complete ? i.naturalWidth : 0)")
    return len(widths) if widths and all(w > 0 for w in widths) else -1


def test_rows_appear_live_and_open_the_entry_and_its_images(page: Any, fake_server: LiveServer) -> None:
    open_view(page, fake_server)
    page.execute_script("window.sameDocument = true")  # gone if the page reloads
    client = sdk(fake_server)
    url_answer = client.images.with_raw_response.generate(prompt="a lighthouse at dusk", n=2, size="256x256")
    b64 = client.images.generate(prompt="a red bicycle", size="512x512", response_format="b64_json")
    with pytest.raises(openai.BadRequestError):
        client.images.generate(prompt="a red bicycle", size="300x300")  # type: ignore[arg-type]

    wait_for(page, lambda: len(rows(page)) == 3, "three rows")
    assert page.execute_script("return window.sameDocument") is True
    newest, _, oldest = (cells(r) for r in rows(page))
    assert newest["Status"] == "400" and newest["Error"] == "invalid_value"
    assert (oldest["Method"], oldest["Endpoint"], oldest["Model"], oldest["Status"]) == (
        "POST", "generations", "dall-e-2", "200")
    assert oldest["Request id"].replace("\n", "") == url_answer.headers["x-request-id"]
    key = rows(page)[-1].find_element(By.CSS_SELECTOR, "code.key")
    assert key.get_attribute("title") == API_KEY[:8] + "*" * (len(API_KEY) - 12) + API_KEY[-4:]
    assert oldest["Key"] == API_KEY[:8] + "…" + API_KEY[-4:]
    assert float(oldest["ms"]) > 0
    wait_for(page, lambda: thumbs_loaded(page) == 3, "3 thumbnails (2 url, 1 b64) to load")

    # A row opens from the keyboard: its time is a real button.
    rows(page)[1].find_element(By.CSS_SELECTOR, "button.link").send_keys(Keys.ENTER)
    dialog = page.find_element(By.ID, "entry-dialog")
    wait_for(page, dialog.is_displayed, "the entry dialog")
    assert '"prompt": "a red bicycle"' in dialog.find_element(By.CSS_SELECTOR, "pre.json").text
    wait_for(page, lambda: thumbs_loaded(page, "#entry-body") == 1, "the entry's image")
    dialog.find_element(By.CSS_SELECTOR, ".thumb").click()
    full = page.find_element(By.CSS_SELECTOR, "#image-body img")
    wait_for(page, lambda: page.execute_script("return arguments[0].naturalWidth", full) == 512, "the full image")
    # The image shown is the one the answer carried: the same pixels.
    sample = page.execute_script("""
        const img = document.querySelector('#image-body img');
        const canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
        const context = canvas.getContext('2d');
        context.drawImage(img, 0, 0);
        const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
        return Array.from({length: 500}, (_, i) => data[(i * 4099) % data.length]);
    """)
    carried = Image.open(io.BytesIO(base64.b64decode(b64.data[0].b64_json or ""))).convert("RGBA").tobytes()
    assert sample == [carried[(i * 4099) % len(carried)] for i in range(500)]
    page.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait_for(page, lambda: not page.find_element(By.ID, "image-dialog").is_displayed(), "Escape closes it")


def test_a_row_today_would_refuse_is_marked_and_every_row_shows_its_prompt(page: Any,
                                                                         fake_server: LiveServer) -> None:
    open_view(page, fake_server)
    client = sdk(fake_server)
    long_prompt = "a lighthouse at dusk; " + "gull-" * 30  # 172 characters
    client.images.generate(model="gpt-image-1", prompt=long_prompt, quality="low")
    client.images.generate(model="gpt-image-1.5", prompt="a red bicycle", quality="low")

    wait_for(page, lambda: len(rows(page)) == 2, "two rows")
    newest, oldest = rows(page)
    assert cells(newest)["Prompt"] == "a red bicycle" and cells(newest)["Error"] == ""
    assert "would-fail-today" not in (newest.get_attribute("class") or "")
    assert cells(oldest)["Prompt"] == long_prompt[:80] + "…"  # its first 80 characters
    assert "would-fail-today" in oldest.get_attribute("class")
    badge = oldest.find_element(By.CSS_SELECTOR, ".badge.today")
    assert badge.text == "fails today"
    assert badge.get_attribute("title") == "Would fail today: gpt-image-1 was shut down on 2026-10-23"
    oldest.find_element(By.CSS_SELECTOR, "button.link").send_keys(Keys.ENTER)
    dialog = page.find_element(By.ID, "entry-dialog")
    wait_for(page, dialog.is_displayed, "the entry dialog")
    assert "Would fail today\ngpt-image-1 was shut down on 2026-10-23" in dialog.text
    page.switch_to.active_element.send_keys(Keys.ESCAPE)


def test_a_long_journal_of_large_entries_is_read_one_bounded_page_at_a_time(page: Any,
                                                                           fake_server: LiveServer) -> None:
    # Issue 22, finding 6: the view polls the journal every second; it must never fetch it whole.
    client = fake_server.app.test_client()  # (the same fake, without 550 sockets)
    auth = {"Authorization": f"Bearer {API_KEY}"}
    large = [[["x" * 50] * 100] * 40]  # 200,000 characters of nested lists: each entry is cut
    for i in range(30):
        assert client.post("/v1/images/generations", json={"prompt": f"large {i}", "extra": large},
                           headers=auth).status_code == 400
    for i in range(520):
        assert client.post("/v1/images/generations", json={"prompt": f"small {i}", "size": "9x9"},
                           headers=auth).status_code == 400
    assert client.post("/v1/images/generations", json={"prompt": "the last", "extra": large},
                       headers=auth).status_code == 400
    open_view(page, fake_server)
    wait_for(page, lambda: len(rows(page)) == 500, "the newest 500 rows")
    assert [cells(r)["Prompt"] for r in rows(page)[:2]] == ["the last", "small 519"]
    fetched = page.execute_script("return performance.getEntriesByType('resource')"
                                  ".filter(e => e.name.includes('/_mock/requests')).map(e => e.encodedBodySize)")
    assert fetched and max(fetched) < 1024 * 1024 + 100_000, fetched  # one page: journal_page_bytes, about
    rows(page)[0].find_element(By.CSS_SELECTOR, "button.link").send_keys(Keys.ENTER)
    dialog = page.find_element(By.ID, "entry-dialog")
    wait_for(page, dialog.is_displayed, "the entry dialog")
    assert "Cut to fit the journal: each cut is marked with …" in dialog.text
    page.switch_to.active_element.send_keys(Keys.ESCAPE)


def test_advancing_the_clock_an_hour_marks_urls_expired(page: Any, fake_server: LiveServer) -> None:
    open_view(page, fake_server)
    url = sdk(fake_server).images.generate(prompt="a lighthouse", size="256x256").data[0].url
    b64 = sdk(fake_server).images.generate(prompt="a lighthouse", size="256x256", response_format="b64_json")
    assert url and b64.data[0].b64_json
    wait_for(page, lambda: thumbs_loaded(page) == 2, "the thumbnails")
    tags = lambda: [t.text for t in page.find_elements(By.CSS_SELECTOR, "#requests-body .thumb .tag")]  # noqa: E731
    assert tags() == ["B64", "URL"]  # newest first; CSS shows the tags in capitals
    page.find_element(By.CSS_SELECTOR, "button[data-advance='3600']").click()
    wait_for(page, lambda: page.find_elements(By.CSS_SELECTOR, "#requests-body .thumb.expired"), "an expired thumb")
    assert tags() == ["B64", "EXPIRED"]  # a b64 image has no URL to expire
    assert requests.get(url, timeout=10).status_code == 403  # the page agrees with the URL itself
    assert "ahead of real time" in page.find_element(By.ID, "clock-state").text
    page.find_element(By.ID, "real-time").click()
    wait_for(page, lambda: not page.find_elements(By.CSS_SELECTOR, ".thumb.expired"), "the URL valid again")
    assert requests.get(url, timeout=10).status_code == 200


def test_a_fault_added_from_the_form_fails_the_next_sdk_call(page: Any, fake_server: LiveServer) -> None:
    open_view(page, fake_server)
    Select(page.find_element(By.ID, "fault-endpoint")).select_by_value("generations")
    Select(page.find_element(By.ID, "fault-kind")).select_by_value("status")
    status = page.find_element(By.ID, "fault-status")
    status.clear()
    status.send_keys("503")
    page.find_element(By.CSS_SELECTOR, "#fault-form button[type=submit]").click()
    wait_for(page, lambda: len(page.find_elements(By.CSS_SELECTOR, "#faults-body tr")) == 1, "the queued fault")
    assert page.find_element(By.CSS_SELECTOR, "#faults-body td[data-label=Kind]").text == "status"

    with pytest.raises(openai.InternalServerError) as failed:
        sdk(fake_server).images.generate(prompt="a lighthouse", size="256x256")
    assert failed.value.status_code == 503
    wait_for(page, lambda: len(rows(page)) == 1, "the failed request's row")
    row = cells(rows(page)[0])
    assert row["Status"] == "503" and "fault: status" in row["Error"]
    wait_for(page, lambda: not page.find_elements(By.CSS_SELECTOR, "#faults-body tr"), "the fault used up")
    assert sdk(fake_server).images.generate(prompt="a lighthouse", size="256x256").data

    # Remove one, and remove all.
    with FakeHandle.over_http(fake_server.url) as fake:
        fake.inject_fault(endpoint="edits", count=3)
        fake.inject_fault(kind="reset")
        wait_for(page, lambda: len(page.find_elements(By.CSS_SELECTOR, "#faults-body tr")) == 2, "two faults")
        page.find_element(By.CSS_SELECTOR, "#faults-body tr button").click()
        wait_for(page, lambda: [f["kind"] for f in fake.faults()] == ["reset"], "the first fault removed")
        page.find_element(By.ID, "clear-faults").click()
        wait_for(page, lambda: fake.faults() == [], "all faults removed")


def test_without_the_admin_token_the_page_does_nothing(page: Any) -> None:
    token = "admin-token-for-the-page"
    with LiveServer(create_app(admin_token=token)) as server, \
            FakeHandle.over_http(server.url, admin_token=token) as fake:
        with sdk(server) as client:  # closed here: its pooled socket must not outlive the server
            client.images.generate(prompt="a lighthouse", size="256x256")
        fake.freeze()
        before = fake.now()
        page.get(server.url + "/_mock/ui")
        form = page.find_element(By.ID, "token-form")
        wait_for(page, form.is_displayed, "the token form")
        assert not rows(page)  # nothing shown without the token

        def try_everything() -> None:
            for selector in ("button[data-advance='3600']", "#reset", "#real-time", "#freeze"):
                page.find_element(By.CSS_SELECTOR, selector).click()
            page.find_element(By.CSS_SELECTOR, "#fault-form button[type=submit]").click()

        try_everything()
        page.find_element(By.ID, "token").send_keys("a-wrong-token", Keys.ENTER)
        wait_for(page, lambda: "refused" in page.find_element(By.ID, "status").text, "the wrong token refused")
        try_everything()
        assert fake.now() == before and fake.faults() == [] and len(fake.requests()) == 1
        assert [w for w in fake.config()["rate_limits"]] == ["50/1m"]

        page.find_element(By.ID, "token").send_keys(token, Keys.ENTER)
        wait_for(page, lambda: len(rows(page)) == 1, "the journal, with the token")
        wait_for(page, lambda: thumbs_loaded(page) == 1, "the thumbnail, fetched with the token")
        page.find_element(By.CSS_SELECTOR, "button[data-advance='3600']").click()
        wait_for(page, lambda: fake.now() == before + 3600, "the clock advanced with the token")
        urls = page.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert urls and not any(token in u for u in urls)  # never in a URL


def _traffic(server: LiveServer) -> None:
    client = sdk(server)
    other = sdk(server, "sk-team-b-9876543210zyxwvutsrqponmlkjihg")
    client.images.generate(prompt="a lighthouse on a cliff at dusk, oil painting", n=3, size="256x256")
    client.images.generate(prompt="a red bicycle leaning on a blue door", size="512x512", response_format="b64_json")
    other.images.edit(image=("room.png", png_bytes(rgba_with_hole(256)), "image/png"),
                      prompt="a flamingo in the pool", size="256x256", n=2)
    other.images.create_variation(image=("corgi.png", png_bytes(pattern(256)), "image/png"), size="256x256")
    with pytest.raises(openai.BadRequestError):
        client.images.generate(prompt="a cat", size="300x300")  # type: ignore[arg-type]
    with FakeHandle.over_http(server.url) as fake:
        fake.inject_fault(endpoint="generations", status=503)
        with pytest.raises(openai.InternalServerError):
            client.images.generate(prompt="a cat", size="256x256")
        fake.inject_fault(endpoint="edits", kind="reset", count=2)
        fake.inject_fault(endpoint="*", kind="status", status=500, after=3, count=1)


@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")  # the SDK's create_variation
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_desktop_and_narrow(page: Any, fake_server: LiveServer, screenshot: Callable[[str], Path],
                                        scheme: str) -> None:
    _traffic(fake_server)
    page.execute_cdp_cmd("Emulation.setEmulatedMedia",
                         {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
    open_view(page, fake_server)
    dark = page.execute_script("return matchMedia('(prefers-color-scheme: dark)').matches")
    assert dark is (scheme == "dark")
    wait_for(page, lambda: len(rows(page)) == 6, "six rows")
    wait_for(page, lambda: thumbs_loaded(page) == 7, "the thumbnails")
    # The page follows the system's scheme: a dark background in dark mode, a light one in light mode.
    red, green, blue = (int(c) for c in re.findall(r"\d+", page.execute_script(
        "return getComputedStyle(document.documentElement).backgroundColor"))[:3])
    assert (red + green + blue < 150) if scheme == "dark" else (red + green + blue > 600)
    shots = [screenshot(f"desktop-{scheme}")]
    rows(page)[-1].find_element(By.CSS_SELECTOR, "button.link").click()
    wait_for(page, lambda: thumbs_loaded(page, "#entry-body") == 3, "the entry's images")
    shots.append(screenshot(f"entry-{scheme}"))
    page.find_element(By.CSS_SELECTOR, "#entry-dialog .dialog-head button").click()

    page.set_window_size(390, 900)
    wait_for(page, lambda: page.execute_script("return window.innerWidth") <= 390, "a narrow window")
    overflow = page.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0  # nothing wider than the window: the rows become cards
    shots.append(screenshot(f"narrow-{scheme}"))
    for shot in shots:
        assert shot.stat().st_size > 10_000
