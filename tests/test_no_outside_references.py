"""Nothing in the repository points at a file outside it: a user's clone has nothing beside it.

Sources are cited by tag (docs/sources.md) and error entries by their situation or catalogue key
(docs/errors.md), never by a path, a section, an item or a row number of a document the reader
does not have. (The seed documents are test input, not a source: tests/seeds/extract.py locates
them and the tests that read them skip without them.)
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.support import ROOT

THIS = Path(__file__).resolve()

# What a reference to a document outside the repository looks like, and why it is one.
OUTSIDE = {
    r"(?:^|[^\w-])shared/": "a path into the folder beside the checkout",
    r"images-api-contract": "the name of a reference file that is not in the repository",
    r"openai-openapi\.yaml": "the name of a local copy of the spec (cite it as [spec])",
    r"§\s*\d": "a section number of a document that is not in the repository",
    r"\bsection \d+(?:\.\d+)? of the\b": "a section number of a document that is not in the repository",
    r"\bopen item \d": "an item number of a document that is not in the repository",
    r"\bcontract reference\b": "the reference document that is not in the repository",
    r"(?<![\w/&])#\d{1,3}\b": "a row number of a catalogue that is not in the repository",
    r"\brow \d+\b": "a row number of a catalogue that is not in the repository",
}
PATTERN = re.compile("|".join(f"({p})" for p in OUTSIDE), re.IGNORECASE)
SKIPPED_SUFFIXES = {".png", ".jpg", ".whl", ".pyc", ".lock"}
SKIPPED_NAMES = {"package-lock.json"}  # npm's lockfile: integrity hashes, not prose
HOW_TO_FIX = (
    "cite the source by its tag instead ([spec], [sdk-py], [sdk-node], [guide], [obs], [3p], ASSUMPTION: "
    "docs/sources.md) with a detail anyone can look up (a schema name, an SDK file, a public issue), and "
    "describe an error by its situation or catalogue key (docs/errors.md); if the fact is not in docs/ "
    "yet, write it there in your own words"
)


def repository_files() -> list[Path]:
    """The files a clone holds (tracked, plus new ones not ignored)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, check=True, timeout=60).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("needs git to know which files the repository holds")
    return [ROOT / name for name in listed if name and (ROOT / name).is_file()]


def test_nothing_points_outside_the_repository() -> None:
    found = []
    for path in repository_files():
        if path.resolve() == THIS or path.suffix in SKIPPED_SUFFIXES or path.name in SKIPPED_NAMES:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary
        for number, line in enumerate(text.splitlines(), start=1):
            match = PATTERN.search(line)
            if match:
                why = next(why for (pattern, why), group in zip(OUTSIDE.items(), match.groups(), strict=True)
                           if group is not None)
                found.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0).strip()!r} is {why}")
    assert not found, "\n".join([*found, f"-> {HOW_TO_FIX}"])


@pytest.mark.parametrize("line", [
    "see shared/reference/images-api-contract.md",
    "catalogue #33",
    'source="#18 [obs]"',
    "contract reference §9 and open item 4",
    "in section 9 of the spec",
    "row 13 of the table",
])
def test_the_rule_catches_references(line: str) -> None:
    assert PATTERN.search(line)


@pytest.mark.parametrize("line", [
    "[obs] a non-square upload, dimensions echoed",
    "a shared machine; run it twice",
    "vercel/ai#6102 (a public issue)",
    "# 1. a numbered comment",
    "[spec-hist 498c71d]",
])
def test_the_rule_leaves_other_text_alone(line: str) -> None:
    assert not PATTERN.search(line)


def test_the_docs_hold_what_contracts_cite() -> None:
    for page in ("contract.md", "sources.md", "errors.md", "assumptions.md"):
        assert (ROOT / "docs" / page).is_file(), page
    sources = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    cited = set()
    for path in (ROOT / "contracts").rglob("*.py"):
        cited |= set(re.findall(r"\[(spec|spec-hist|obs|guide|sdk-py0?|sdk-node|3p|help)\b", path.read_text()))
    assert cited, "contracts/ cites no tagged source"
    missing = sorted(tag for tag in cited if f"`[{tag}" not in sources)
    assert not missing, f"tags used in contracts/ but not explained in docs/sources.md: {missing}"

