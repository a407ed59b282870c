"""The usage formulas of contracts/usage.py, against numbers worked out by hand."""

from __future__ import annotations

from contracts.usage import image_tokens, output_tokens, revised_prompt, text_tokens, usage


def test_the_published_table() -> None:
    assert [output_tokens(q, 1024, 1024) for q in ("low", "medium", "high")] == [272, 1056, 4160]
    assert [output_tokens(q, 1024, 1536) for q in ("low", "medium", "high")] == [408, 1584, 6240]
    assert [output_tokens(q, 1536, 1024) for q in ("low", "medium", "high")] == [400, 1568, 6208]


def test_other_sizes_and_qualities_scale() -> None:
    assert output_tokens("low", 2048, 2048) == 1088  # 272 * 4
    assert output_tokens("xhigh", 1024, 1024) == 6240  # 4160 * 1.5
    assert output_tokens("max", 1024, 1536) == 12480  # 6240 * 2


def test_text_and_image_tokens() -> None:
    assert [text_tokens(p) for p in (None, "", "a", "abcd", "abcde")] == [0, 0, 1, 1, 2]
    assert image_tokens(512, 512) == 255  # 1 tile
    assert image_tokens(1024, 1024) == 765  # -> 768x768: 4 tiles
    assert image_tokens(4096, 2048) == 1105  # -> 2048x1024 -> 1536x768: 3x2 tiles


def test_usage_adds_up() -> None:
    assert usage(prompt="abcdefgh", quality="low", width=1024, height=1024, n=3, input_images=[(512, 512)]) == {
        "input_tokens": 257,
        "input_tokens_details": {"image_tokens": 255, "text_tokens": 2},
        "output_tokens": 816,
        "total_tokens": 1073,
    }


def test_revised_prompt() -> None:
    assert revised_prompt("  a   cat  ", "vivid") == "A cat. Rendered in a vivid style, with rich detail."
    assert revised_prompt("Dogs!", None) == "Dogs!"
