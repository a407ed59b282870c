"""The docs site built as ``./dev docs`` builds it (``mkdocs build --strict``), into a folder a test
names, from the checkout or from a copy of its docs that a test may break; and the built pages read
back as text, tables and figures."""

from __future__ import annotations

import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from tests.support import ROOT

# What the build reads: the pages and the hook, its configuration, and the files the generated
# pages quote (the console scripts, ./dev's commands, the changelog).
SOURCES = ("docs", "mkdocs.yml", "pyproject.toml", "dev", "CHANGELOG.md")
BUILD_TIMEOUT = 300


def build_site(site_dir: Path, project: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``mkdocs build --strict`` of ``project``'s mkdocs.yml into ``site_dir``; its output to read."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(project / "mkdocs.yml"),
         "--site-dir", str(site_dir)],
        cwd=project, capture_output=True, text=True, timeout=BUILD_TIMEOUT,
    )


def copy_project(dest: Path) -> Path:
    """A copy of what the docs build reads, in ``dest`` (to break without touching the checkout)."""
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, dest / name)
    return dest


class Page(HTMLParser):
    """A built page read back: its article's text, its tables (rows of cell texts) and its figures
    (an image's src with its figcaption)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text_parts: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.figures: list[tuple[str, str]] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._figure_src: str | None = None
        self._caption: list[str] | None = None
        self._in_article = 0
        self.feed(html)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "article":
            self._in_article += 1
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img" and found.get("src"):
            self._figure_src = found["src"]
        elif tag == "figcaption":
            self._caption = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self._in_article -= 1
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1].append(self._row)
            self._row = None
        elif tag == "figcaption" and self._caption is not None:
            self.figures.append((self._figure_src or "", " ".join("".join(self._caption).split())))
            self._caption = None
            self._figure_src = None

    def handle_data(self, data: str) -> None:
        if self._in_article:
            self.text_parts.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._caption is not None:
            self._caption.append(data)


def markdown_rows(table: str) -> list[list[str]]:
    """A Markdown table's rows (header included, the --- line not) as the cell texts a page shows:
    code marks dropped, escaped pipes unescaped."""
    rows = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").replace("\\|", "\0").split("|")]
        if all(set(c) <= {"-", " ", ":"} for c in cells):
            continue
        rows.append([" ".join(c.replace("\0", "|").replace("`", "").split()) for c in cells])
    return rows
