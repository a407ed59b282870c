"""The docs site's search works opened as files (file://, no server, no network): in a real
Chromium, a setting's name typed into the search box finds the configuration page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from mockserver.settings.config import settings


def _word_on_one_page(site: Path) -> str:
    """A setting's name that the configuration reference shows and no other page does."""
    texts = {p.name: p.read_text(encoding="utf-8") for p in site.glob("*.html")}
    for f in settings():
        if [name for name, text in texts.items() if f.name in text] == ["configuration.html"]:
            return f.name
    raise AssertionError("every setting's name is on some other page too: no word to search for")


def test_offline_search_finds_the_page_that_holds_a_word(page: Any, docs_site: Path) -> None:
    word = _word_on_one_page(docs_site)
    page.get((docs_site / "index.html").as_uri())
    box = page.find_element(By.CSS_SELECTOR, "input.md-search__input")  # in the header of a desktop window
    box.click()
    box.send_keys(word)

    def results(driver: Any) -> list[str]:
        links = driver.find_elements(By.CSS_SELECTOR, "a.md-search-result__link")
        return [a.get_attribute("href") or "" for a in links]

    found = WebDriverWait(page, 20).until(results)
    assert found[0].startswith((docs_site / "configuration.html").as_uri()), found
    assert all("configuration.html" in href for href in found), found
    meta = page.find_element(By.CSS_SELECTOR, ".md-search-result__meta").text
    assert meta == "1 matching document", (word, meta)
