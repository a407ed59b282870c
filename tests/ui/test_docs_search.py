"""The docs site's search works opened as files (file://, no server, no network): in a real
Chromium, a setting's name typed into the search box finds the configuration page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

# A word on one page only: a setting the configuration reference lists (and no hand-written page).
WORD = "journal_page_bytes"


def test_offline_search_finds_the_page_that_holds_a_word(page: Any, docs_site: Path) -> None:
    pages = [p.name for p in docs_site.glob("*.html") if WORD in p.read_text(encoding="utf-8")]
    assert pages == ["configuration.html"], pages  # the word this test relies on is on one page
    page.get((docs_site / "index.html").as_uri())
    box = page.find_element(By.CSS_SELECTOR, "input.md-search__input")  # in the header of a desktop window
    box.click()
    box.send_keys(WORD)

    def results(driver: Any) -> list[str]:
        links = driver.find_elements(By.CSS_SELECTOR, "a.md-search-result__link")
        return [a.get_attribute("href") or "" for a in links]

    found = WebDriverWait(page, 20).until(results)
    assert found[0].startswith((docs_site / "configuration.html").as_uri()), found
    assert all("configuration.html" in href for href in found), found
    meta = page.find_element(By.CSS_SELECTOR, ".md-search-result__meta").text
    assert meta == "1 matching document", meta
