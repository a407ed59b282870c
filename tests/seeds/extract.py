"""The Python examples of the seed documents (the DALL·E guide, in Chinese), pulled out as code.

The two seeds lay their examples out differently:

* ``000_*.txt`` indents each Python example by one tab, after a line ending in ``Python``
  (``Python``, ``编辑图像    Python``, ...); its Node.js examples are indented by two tabs.
* ``001_*.txt`` writes them unindented; each starts with a known first line
  (``response = openai.Image...``, ``from io import BytesIO``, ``try:``) and ends at the
  first blank line.

Both extractors run on every document; the result must then account for every line of the
document that calls the SDK (``openai.Image.`` or ``openai.error.``), and its kinds must be
exactly the ones :data:`DOCUMENTS` expects, in order. Anything else raises
:class:`SnippetError`, so a change to a seed cannot leave an example silently untested.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

# The seed documents are not part of the repository: they lie beside the checkout (CI has them;
# a fresh clone does not), or wherever IMAGES_TWIN_SEEDS points. The tests that read them are
# marked ``seeds`` and skip, saying what is missing, when they are absent (tests/conftest.py).
SEEDS_ENV = "IMAGES_TWIN_SEEDS"
SEEDS_DIR = Path(os.environ.get(SEEDS_ENV) or Path(__file__).resolve().parents[2].parent / "shared" / "seeds")

# The one thing in the examples that is not Python: where the reader puts their own image.
PLACEHOLDER = "[your image data]"

# The kinds of example, by what they do.
GENERATION = "generation"
EDIT = "edit"
VARIATION = "variation"  # from a file opened by name
VARIATION_BYTESIO = "variation_bytesio"  # from in-memory data (the placeholder)
VARIATION_RESIZED = "variation_resized"  # from an image resized with Pillow
ERROR_HANDLING = "error_handling"

DOCUMENTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "000_ecfbdd12a8e6c58a.txt": (GENERATION, EDIT, VARIATION),
        "001_ccd2d0b670029455.txt": (
            GENERATION,
            EDIT,
            VARIATION,
            VARIATION_BYTESIO,
            VARIATION_RESIZED,
            ERROR_HANDLING,
        ),
    }
)



def missing_seeds(seeds_dir: Path = SEEDS_DIR) -> str | None:
    """None when every seed document is there; else one sentence naming what is missing."""
    absent = [name for name in DOCUMENTS if not (seeds_dir / name).is_file()]
    if not absent:
        return None
    return (f"the seed documents {', '.join(absent)} are not in {seeds_dir} (they are not part of the "
            f"repository: put them there, or set {SEEDS_ENV} to their folder)")


_PYTHON_HEADING = re.compile(r"\bPython\s*$")
_BARE_START = re.compile(r"^(?:response = openai\.Image\.\w+\($|from io import BytesIO$|try:$)")
_SDK_CALL = re.compile(r"openai\.(?:Image|error)\.")
_IMPORTS_OPENAI = re.compile(r"^\s*import openai\b", re.MULTILINE)


class SnippetError(AssertionError):
    """A seed's examples are not where, or not what, they are expected to be."""


@dataclass(frozen=True)
class Snippet:
    document: str  # file name of the seed
    kind: str
    first_line: int  # 1-based
    last_line: int
    code: str

    @property
    def label(self) -> str:
        return f"{self.document}:{self.first_line} ({self.kind})"


def classify(code: str) -> str | None:
    """What an example does, from its code; None if it is not one of ours."""
    if "except openai.error.OpenAIError" in code:
        return ERROR_HANDLING
    if "openai.Image.create_variation(" in code:
        if PLACEHOLDER in code:
            return VARIATION_BYTESIO
        if "from PIL import Image" in code:
            return VARIATION_RESIZED
        return VARIATION
    if "openai.Image.create_edit(" in code:
        return EDIT
    if "openai.Image.create(" in code:
        return GENERATION
    return None


def _tab_blocks(lines: list[str]) -> list[tuple[int, int, str]]:
    """Blocks indented by exactly one tab after a line ending in 'Python' (seed 000)."""
    blocks = []
    for i, line in enumerate(lines):
        if not _PYTHON_HEADING.search(line):
            continue
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        start = j
        code = []
        while j < len(lines) and lines[j].startswith("\t") and not lines[j].startswith("\t\t"):
            if not lines[j].strip():
                break
            code.append(lines[j][1:])
            j += 1
        if not code:
            raise SnippetError(f"line {i + 1}: {line.strip()!r} is followed by no tab-indented code")
        blocks.append((start + 1, j, "\n".join(code) + "\n"))
    return blocks


Block = tuple[int, int, str]  # first line, last line (1-based), code


def bare_blocks(lines: list[str], first_line: re.Pattern[str]) -> list[Block]:
    """Unindented blocks from a line matching ``first_line`` to the next blank line (seed 001)."""
    blocks = []
    i = 0
    while i < len(lines):
        if not first_line.match(lines[i]):
            i += 1
            continue
        start = i
        while i < len(lines) and lines[i].strip():
            i += 1
        blocks.append((start + 1, i, "\n".join(lines[start:i]) + "\n"))
    return blocks


def snippets_of(
    document: str,
    seeds_dir: Path,
    *,
    language: str,
    blocks: Callable[[list[str]], list[Block]],
    classify: Callable[[str], str | None],
    sdk_line: re.Pattern[str],
    expected: Mapping[str, tuple[str, ...]],
) -> list[Snippet]:
    """The ``language`` examples of ``document`` in document order, failing loudly when a block is
    no known example, a line calling the SDK lies outside every block, or the kinds found are not
    exactly ``expected[document]``."""
    path = seeds_dir / document
    if not path.is_file():
        raise SnippetError(f"seed document {path} not found")
    lines = path.read_text(encoding="utf-8").splitlines()

    snippets = []
    for first, last, code in sorted(blocks(lines)):
        kind = classify(code)
        if kind is None:
            raise SnippetError(f"{document}:{first}: a {language} block that is no known example:\n{code}")
        snippets.append(Snippet(document, kind, first, last, code))

    covered = {n for s in snippets for n in range(s.first_line, s.last_line + 1)}
    for number, line in enumerate(lines, start=1):
        if sdk_line.search(line) and number not in covered:
            raise SnippetError(f"{document}:{number}: {line.strip()!r} is in no extracted {language} example")

    kinds = tuple(s.kind for s in snippets)
    if kinds != expected.get(document):
        raise SnippetError(
            f"{document}: expected the {language} examples {expected.get(document)}, found {kinds} "
            f"at {[s.label for s in snippets]}"
        )
    return snippets


def python_snippets(document: str, seeds_dir: Path = SEEDS_DIR) -> list[Snippet]:
    """The Python examples of ``document``, in document order, checked against :data:`DOCUMENTS`."""
    return snippets_of(
        document, seeds_dir, language="Python",
        blocks=lambda lines: _tab_blocks(lines) + bare_blocks(lines, _BARE_START),
        classify=classify, sdk_line=_SDK_CALL, expected=DOCUMENTS,
    )


def runnable(snippet: Snippet, image_data: str) -> str:
    """The example as it is run: the placeholder replaced by the expression ``image_data``
    (which must give a BytesIO of a PNG), and ``import openai`` put first if the example
    lacks it (the guide assumes it). Nothing else changes."""
    count = snippet.code.count(PLACEHOLDER)
    if count != (1 if snippet.kind == VARIATION_BYTESIO else 0):
        raise SnippetError(f"{snippet.label}: {count} placeholders {PLACEHOLDER!r}")
    code = snippet.code.replace(PLACEHOLDER, image_data)
    if not _IMPORTS_OPENAI.search(code):
        code = "import openai\n" + code
    return code
