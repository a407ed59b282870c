"""CHANGELOG.md in the Keep a Changelog form: an Unreleased section, then each version newest first
with its date, its changes under the form's own headings, and the newest release being the version
pyproject.toml gives (the one every ``--version`` answers)."""

from __future__ import annotations

import datetime
import re
import tomllib

from tests.support import ROOT

CHANGELOG = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
KINDS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")  # the form's six
RELEASE = re.compile(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d\d-\d\d)$")


def sections() -> list[tuple[str, str]]:
    """Each ``## `` heading with the text under it."""
    parts = re.split(r"^(## .*)$", CHANGELOG, flags=re.MULTILINE)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def version_key(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in text.split("."))


def test_unreleased_first_then_releases_newest_first_with_dates() -> None:
    headings = [heading for heading, _ in sections()]
    assert headings[0] == "## [Unreleased]"
    releases = [RELEASE.match(h) for h in headings[1:]]
    assert all(releases), [h for h, m in zip(headings[1:], releases, strict=True) if not m]
    versions = [m.group(1) for m in releases if m]
    dates = [datetime.date.fromisoformat(m.group(2)) for m in releases if m]
    assert versions == sorted(versions, key=version_key, reverse=True) and len(set(versions)) == len(versions)
    assert dates == sorted(dates, reverse=True)


def test_each_release_says_what_changed_under_the_forms_headings() -> None:
    for heading, text in sections()[1:]:
        kinds = re.findall(r"^### (.*)$", text, re.MULTILINE)
        assert kinds and set(kinds) <= set(KINDS), (heading, kinds)
        for block in re.split(r"^### .*$", text, flags=re.MULTILINE)[1:]:
            assert re.search(r"^- \S", block, re.MULTILINE), (heading, "a heading with no entry")


def test_the_newest_release_is_pyprojects_version() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    newest = RELEASE.match(sections()[1][0])
    assert newest and newest.group(1) == version
