"""The docs site (``./dev docs``): the strict build passes, and fails on a broken link, a broken anchor,
an absolute link, a page left out of the nav or an unknown generated part, naming it; every generated
part is replaced by the code's own text; the commands and the changelog are the checkout's."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from contracts.errors import CATALOGUE, catalogue_table
from mockserver import create_app
from mockserver.docsite import GENERATORS, UnknownMarker, fill
from mockserver.settings.config import reference_table
from mockserver.settings.inputs import body_table
from mockserver.state.clock import ClockMove
from mockserver.state.faults import Fault
from tests.support import ROOT
from tests.support.docsite import Page, build_site, copy_project, markdown_rows


def _page(site: Path, name: str) -> Page:
    return Page((site / name).read_text(encoding="utf-8"))


def _nav_pages(nav: list[object]) -> list[str]:
    found: list[str] = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        found += _nav_pages(value) if isinstance(value, list) else [str(value)]
    return found


def test_every_page_of_the_nav_is_built(docs_site: Path) -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    pages = _nav_pages(config["nav"])
    assert len(pages) >= 25 and len(set(pages)) == len(pages)
    for name in pages:
        built = docs_site / name.replace(".md", ".html")
        assert built.is_file(), f"{name} is in the nav but was not built"
        assert _page(docs_site, built.name).text.strip(), f"{name} was built empty"
    # Opened as files: pages are name.html, not name/index.html (the offline plugin's doing).
    assert (docs_site / "search" / "search_index.js").is_file()


BREAKS = {
    # name: (the page changed or added, the text added, what the build's output must name)
    "a link to a page that does not exist": ("errors.md", "See [a page](no-such-page.md).", "no-such-page.md"),
    "an anchor no heading has": ("errors.md", "See [a section](sources.md#no-such-section).", "no-such-section"),
    "an absolute link": ("errors.md", "See [the errors](/errors.md).", "/errors.md"),
    "a page left out of the nav": ("orphan-page.md", "# Orphan\n\nIn no nav.", "orphan-page.md"),
    "an unknown generated part": ("errors.md", "<!-- generated: no-such-table -->", "no-such-table"),
}


@pytest.mark.parametrize("what", [*BREAKS, "nothing"])
def test_a_broken_copy_of_the_docs_fails_the_strict_build_naming_the_break(what: str, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    if what != "nothing":
        page, text, named = BREAKS[what]
        path = project / "docs" / page
        path.write_text((path.read_text(encoding="utf-8") if path.exists() else "") + f"\n\n{text}\n",
                        encoding="utf-8")
    built = build_site(tmp_path / "site", project)
    output = built.stdout + built.stderr
    if what == "nothing":  # the copy itself builds: what fails below is the break
        assert built.returncode == 0, output
        return
    assert built.returncode != 0, f"{what}: the strict build passed\n{output}"
    assert named in output, f"{what}: the build's output does not name {named!r}\n{output}"


def test_no_marker_is_left_in_the_built_pages(docs_site: Path) -> None:
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))
    used = set(re.findall(r"<!-- generated: ([\w-]+) -->", sources))
    assert used >= {"settings", "errors", "routes", "fault-fields", "clock-fields", "gallery", "changelog",
                    "commands"}
    for html in docs_site.glob("*.html"):
        assert "<!-- generated:" not in html.read_text(encoding="utf-8"), html.name


def _rows(page: Page) -> list[list[str]]:
    return [row for table in page.tables for row in table]


def test_the_configuration_page_holds_every_row_of_the_settings_reference(docs_site: Path) -> None:
    shown = _rows(_page(docs_site, "configuration.html"))
    expected = markdown_rows(reference_table())
    assert len(expected) > 40
    missing = [row for row in expected if row not in shown]
    assert not missing, f"rows of reference_table() not on the page: {missing[:3]}"


def test_the_errors_page_holds_every_catalogue_entry(docs_site: Path) -> None:
    # What tests/test_no_outside_references.py checked of the pasted table, now of the built page.
    shown = _rows(_page(docs_site, "errors.html"))
    missing = [row for row in markdown_rows(catalogue_table()) if row not in shown]
    assert not missing, f"rows of catalogue_table() not on the page: {missing[:3]}"
    keys = {row[0] for row in shown}
    assert set(CATALOGUE) <= keys, sorted(set(CATALOGUE) - keys)


def test_the_control_api_page_holds_every_control_route_and_body(docs_site: Path) -> None:
    page = _page(docs_site, "control-api.html")
    text = " ".join(page.text.split())
    rules = [r for r in create_app().url_map.iter_rules() if r.rule.startswith("/_mock")]
    assert len(rules) >= 15
    for rule in rules:
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"<\1>", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            assert f"{method} {path}" in text, f"{method} {rule.rule} is not on the control API page"
    shown = _rows(page)
    for cls in (Fault, ClockMove):
        missing = [row for row in markdown_rows(body_table(cls)) if row not in shown]
        assert not missing, f"{cls.__name__}'s fields not on the page: {missing[:3]}"
    # What a view's docstring says is what the page says: the journal's query parameters.
    assert "newest=true" in text and "after=<cursor>" in text


def test_the_commands_page_lists_every_console_script_and_dev_command(docs_site: Path) -> None:
    text = " ".join(_page(docs_site, "commands.html").text.split())
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts
    for name in scripts:
        assert name in text, name
    assert "python -m mockserver" in text and "python -m client" in text
    header = [line for line in (ROOT / "dev").read_text(encoding="utf-8").splitlines()[:20]
              if re.match(r"#\s+\./dev ", line)]
    assert header
    for line in header:
        command = " ".join(line.lstrip("# ").split()[:2])  # ./dev serve
        assert command in text, command


def test_the_changelog_page_is_the_changelog(docs_site: Path) -> None:
    text = _page(docs_site, "changelog.html").text
    versions = re.findall(r"^## \[?(\d+\.\d+\.\d+)", (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), re.M)
    assert versions
    for version in versions:
        assert version in text, version


def test_an_unknown_marker_is_an_error_naming_it() -> None:
    with pytest.raises(UnknownMarker) as raised:
        fill("# Errors\n\n<!-- generated: no-such-table -->\n", ROOT, "errors.md")
    assert "errors.md" in str(raised.value) and "'no-such-table'" in str(raised.value)


def test_only_a_line_holding_just_a_marker_is_replaced() -> None:
    text = "# T\n\n  <!-- generated: clock-fields -->  \n\nsay `<!-- generated: clock-fields -->` inline\n"
    filled = fill(text, ROOT)
    assert body_table(ClockMove) in filled
    assert "say `<!-- generated: clock-fields -->` inline" in filled
    assert set(GENERATORS) >= {"settings", "profiles", "errors", "routes", "fault-fields", "clock-fields",
                               "gallery", "changelog", "commands"}


def test_angle_brackets_and_braces_in_generated_text_stay_text() -> None:
    from mockserver.docsite import plain

    assert plain("| a `<id>` | /_mock/images/<id> and image[<i>] |") == \
        "| a `<id>` | /_mock/images/&lt;id> and image[&lt;i>] |"
    assert plain("``a <b> `{c}` `` then <d> {e}") == "``a <b> `{c}` `` then &lt;d> \\{e}"
