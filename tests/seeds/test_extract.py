"""The extractor finds every Python example of the seeds, exactly as written, and fails loudly
when one is missing or unexpected."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.seeds import extract

pytestmark = pytest.mark.seeds

EXPECTED_COUNTS = {"000_ecfbdd12a8e6c58a.txt": 3, "001_ccd2d0b670029455.txt": 6}


@pytest.mark.parametrize("document", sorted(EXPECTED_COUNTS))
def test_each_seed_yields_its_examples(document: str) -> None:
    snippets = extract.python_snippets(document)
    assert len(snippets) == EXPECTED_COUNTS[document]
    assert tuple(s.kind for s in snippets) == extract.DOCUMENTS[document]
    assert [s.first_line for s in snippets] == sorted(s.first_line for s in snippets)


def test_the_expected_documents_are_the_seeds_with_python_examples() -> None:
    with_examples = {
        path.name
        for path in extract.SEEDS_DIR.glob("*.txt")
        if "openai.Image." in path.read_text(encoding="utf-8")
    }
    assert with_examples == set(extract.DOCUMENTS) == set(EXPECTED_COUNTS)


@pytest.mark.parametrize("document", sorted(EXPECTED_COUNTS))
def test_examples_are_verbatim_document_lines(document: str) -> None:
    lines = (extract.SEEDS_DIR / document).read_text(encoding="utf-8").splitlines()
    for snippet in extract.python_snippets(document):
        original = lines[snippet.first_line - 1 : snippet.last_line]
        indent = "\t" if document.startswith("000_") else ""
        assert [indent + line for line in snippet.code.splitlines()] == original


def test_the_generation_example_is_the_guides() -> None:
    first = extract.python_snippets("000_ecfbdd12a8e6c58a.txt")[0]
    assert first.code == (
        "response = openai.Image.create(\n"
        '  prompt="a white siamese cat",\n'
        "  n=1,\n"
        '  size="1024x1024"\n'
        ")\n"
        "image_url = response['data'][0]['url']\n"
    )


@pytest.mark.parametrize("document", sorted(EXPECTED_COUNTS))
def test_runnable_examples_compile_and_change_only_the_placeholder(document: str) -> None:
    expression = 'BytesIO(b"png")'
    for snippet in extract.python_snippets(document):
        code = extract.runnable(snippet, expression)
        compile(code, snippet.label, "exec")
        assert code.startswith("import openai\n")  # no example imports it; the guide assumes it
        body = code.removeprefix("import openai\n")
        if snippet.kind == extract.VARIATION_BYTESIO:
            assert f"byte_stream: BytesIO = {expression}\n" in body
            body = body.replace(expression, extract.PLACEHOLDER)
        assert body == snippet.code


def test_the_placeholder_is_not_python() -> None:
    (snippet,) = [
        s for s in extract.python_snippets("001_ccd2d0b670029455.txt") if s.kind == extract.VARIATION_BYTESIO
    ]
    with pytest.raises(SyntaxError):
        compile(snippet.code, snippet.label, "exec")


# --- loud failures, on altered copies of the seeds --------------------------------------------


def altered_copy(tmp_path: Path, document: str, old: str, new: str) -> Path:
    text = (extract.SEEDS_DIR / document).read_text(encoding="utf-8")
    assert old in text
    (tmp_path / document).write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


def test_a_heading_without_its_example_fails(tmp_path: Path) -> None:
    # The edit example of 000 loses its tab indentation: it is no longer a code block.
    seeds = altered_copy(
        tmp_path, "000_ecfbdd12a8e6c58a.txt", "\tresponse = openai.Image.create_edit(", "response = x("
    )
    with pytest.raises(extract.SnippetError, match="followed by no tab-indented code"):
        extract.python_snippets("000_ecfbdd12a8e6c58a.txt", seeds)


def test_an_example_without_its_heading_fails(tmp_path: Path) -> None:
    seeds = altered_copy(tmp_path, "000_ecfbdd12a8e6c58a.txt", "编辑图像    Python", "编辑图像")
    with pytest.raises(extract.SnippetError, match=r"create_edit.* is in no extracted Python example"):
        extract.python_snippets("000_ecfbdd12a8e6c58a.txt", seeds)


def test_a_removed_example_fails(tmp_path: Path) -> None:
    text = (extract.SEEDS_DIR / "001_ccd2d0b670029455.txt").read_text(encoding="utf-8")
    start = text.index("response = openai.Image.create_edit(")
    end = text.index("image_url", start)
    altered = text[:start] + text[text.index("\n", end) + 1 :]
    (tmp_path / "001_ccd2d0b670029455.txt").write_text(altered, encoding="utf-8")
    with pytest.raises(extract.SnippetError, match="expected the Python examples"):
        extract.python_snippets("001_ccd2d0b670029455.txt", tmp_path)


def test_an_sdk_call_outside_any_example_fails(tmp_path: Path) -> None:
    seeds = altered_copy(
        tmp_path, "001_ccd2d0b670029455.txt", "try:\n  openai.Image", "try :\n  openai.Image"
    )
    with pytest.raises(extract.SnippetError, match="is in no extracted Python example"):
        extract.python_snippets("001_ccd2d0b670029455.txt", seeds)


def test_an_unexpected_example_fails(tmp_path: Path) -> None:
    extra = '\n\nresponse = openai.Image.create(\n  prompt="a dog"\n)\n'
    text = (extract.SEEDS_DIR / "001_ccd2d0b670029455.txt").read_text(encoding="utf-8")
    (tmp_path / "001_ccd2d0b670029455.txt").write_text(text + extra, encoding="utf-8")
    with pytest.raises(extract.SnippetError, match="expected the Python examples"):
        extract.python_snippets("001_ccd2d0b670029455.txt", tmp_path)


def test_a_missing_document_fails(tmp_path: Path) -> None:
    with pytest.raises(extract.SnippetError, match="not found"):
        extract.python_snippets("000_ecfbdd12a8e6c58a.txt", tmp_path)
