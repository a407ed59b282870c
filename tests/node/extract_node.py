"""The Node.js examples of the seed documents (the DALL·E guide, in Chinese), pulled out as code.

The counterpart of :mod:`tests.seeds.extract` (the Python examples), whose :class:`Snippet`,
:class:`SnippetError`, seed directory and placeholder it shares. The two seeds lay their Node.js
examples out differently:

* ``000_*.txt`` indents each by two tabs (its Python examples have one).
* ``001_*.txt`` writes them unindented; each starts with a line that can only be JavaScript
  (``// ...``, ``const ...``, ``try {``) and ends at the first blank line.

All of them call the legacy SDK's ``openai.createImageVariation`` (openai@3.x). Both extractors run
on every document; the result must account for every line of the document that calls that SDK,
opens a file with ``fs`` or prints with ``console.log``, and its kinds must be exactly the ones
:data:`DOCUMENTS` expects, in order. Anything else raises :class:`SnippetError`.

:func:`runnable` puts an example, unchanged but for the placeholder, into its harness
(``seed_harness.js.in`` or ``seed_harness.ts.in``, beside this file).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from tests.seeds.extract import PLACEHOLDER, SEEDS_DIR, Snippet, SnippetError, bare_blocks, snippets_of

__all__ = [
    "DOCUMENTS",
    "ERROR_HANDLING",
    "LANGUAGE",
    "PLACEHOLDER",
    "SEEDS_DIR",
    "VARIATION_BUFFER",
    "VARIATION_BUFFER_TS",
    "VARIATION_STREAM_TS",
    "Snippet",
    "SnippetError",
    "node_snippets",
    "runnable",
]

HERE = Path(__file__).resolve().parent
HARNESS = {"js": HERE / "seed_harness.js.in", "ts": HERE / "seed_harness.ts.in"}
HARNESS_SLOT = "@@EXAMPLE@@"

# The kinds of example, by what they do.
VARIATION_BUFFER = "variation_buffer"  # JavaScript: a Buffer (the placeholder) named by `.name`
VARIATION_STREAM_TS = "variation_stream_ts"  # TypeScript: `fs.createReadStream("image.png") as any`
VARIATION_BUFFER_TS = "variation_buffer_ts"  # TypeScript: `const file: any = buffer` (the placeholder)
ERROR_HANDLING = "error_handling"  # JavaScript: try/catch printing error.response.status/.data

LANGUAGE: Mapping[str, str] = MappingProxyType(
    {VARIATION_BUFFER: "js", VARIATION_STREAM_TS: "ts", VARIATION_BUFFER_TS: "ts", ERROR_HANDLING: "js"}
)

DOCUMENTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "000_ecfbdd12a8e6c58a.txt": (VARIATION_BUFFER, VARIATION_STREAM_TS, VARIATION_BUFFER_TS, ERROR_HANDLING),
        "001_ccd2d0b670029455.txt": (VARIATION_BUFFER, VARIATION_BUFFER_TS, ERROR_HANDLING),
    }
)

_TWO_TABS = "\t\t"
_BARE_START = re.compile(r"^(?://|const |let |try \{$)")
# Lines that only an example can hold: a call of the legacy SDK, a file opened, something printed.
_NODE_LINE = re.compile(r"\bopenai\.create\w*\(|\bfs\.\w+\(|\bconsole\.log\(")


def classify(code: str) -> str | None:
    """What an example does, from its code; None if it is not one of ours."""
    if "openai.createImageVariation(" not in code:
        return None
    if "catch (error)" in code and "error.response" in code:
        return ERROR_HANDLING
    if 'fs.createReadStream("image.png") as any' in code:
        return VARIATION_STREAM_TS
    if PLACEHOLDER in code and "const file: any = buffer;" in code:
        return VARIATION_BUFFER_TS
    if PLACEHOLDER in code and 'buffer.name = "image.png";' in code:
        return VARIATION_BUFFER
    return None


def _tab_blocks(lines: list[str]) -> list[tuple[int, int, str]]:
    """Runs of lines indented by two tabs (seed 000), the tabs removed."""
    blocks = []
    i = 0
    while i < len(lines):
        if not (lines[i].startswith(_TWO_TABS) and lines[i].strip()):
            i += 1
            continue
        start = i
        while i < len(lines) and lines[i].startswith(_TWO_TABS) and lines[i].strip():
            i += 1
        code = "\n".join(line[len(_TWO_TABS) :] for line in lines[start:i]) + "\n"
        blocks.append((start + 1, i, code))
    return blocks


def node_snippets(document: str, seeds_dir: Path = SEEDS_DIR) -> list[Snippet]:
    """The Node.js examples of ``document``, in document order, checked against :data:`DOCUMENTS`."""
    return snippets_of(
        document, seeds_dir, language="Node.js",
        blocks=lambda lines: _tab_blocks(lines) + bare_blocks(lines, _BARE_START),
        classify=classify, sdk_line=_NODE_LINE, expected=DOCUMENTS,
    )


def runnable(snippet: Snippet, image_data: str) -> str:
    """The example as it is run: the placeholder replaced by the expression ``image_data``
    (which must give a Buffer of a PNG), inside its harness. Nothing else of it changes."""
    expects = 1 if snippet.kind in (VARIATION_BUFFER, VARIATION_BUFFER_TS) else 0
    count = snippet.code.count(PLACEHOLDER)
    if count != expects:
        raise SnippetError(f"{snippet.label}: {count} placeholders {PLACEHOLDER!r}, expected {expects}")
    harness = HARNESS[LANGUAGE[snippet.kind]].read_text(encoding="utf-8")
    if harness.count(HARNESS_SLOT) != 1:
        raise SnippetError(f"{HARNESS[LANGUAGE[snippet.kind]]}: expected one {HARNESS_SLOT}")
    return harness.replace(HARNESS_SLOT, snippet.code.replace(PLACEHOLDER, image_data).rstrip("\n"))
