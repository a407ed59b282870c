"""Content policy as data: what the fake's stand-in for the safety system refuses.

The real classifier cannot be reproduced; the fake refuses deterministically so
a client's handling of ``content_policy_violation`` can be tested. A prompt is
refused when it contains a blocked term as a whole word (or phrase), compared
case-insensitively after Unicode NFKC normalisation, so full-width letters
(ｎｕｄｅ) and composed/decomposed accents cannot slip past. An uploaded image is
refused when its SHA-256 is on the blocked list. Messages: catalogue #26, #28.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from types import MappingProxyType

# ASSUMPTION: our documented default list; `--blocked-term` and PATCH /_mock/config
# replace or extend it.
DEFAULT_BLOCKED_TERMS: tuple[str, ...] = ("nsfw", "nude", "naked", "porn", "gore", "beheading")


# The moderation categories a GPT model's moderation_blocked refusal names for each default
# term (catalogue "moderation_blocked"). ASSUMPTION: the real classifier's categories for these
# words; a term of the user's own (or one missing here) is reported as OTHER_CATEGORY.
TERM_CATEGORIES: Mapping[str, str] = MappingProxyType(
    {
        "nsfw": "sexual",
        "nude": "sexual",
        "naked": "sexual",
        "porn": "sexual",
        "gore": "violence",
        "beheading": "violence",
    }
)
OTHER_CATEGORY = "other"
# [guide] where the refusal happened: "input" (the prompt or an input image), "output", "unknown".
STAGE_INPUT = "input"


def category(term: str) -> str:
    """The moderation category of a blocked term (as find_blocked returns it)."""
    return TERM_CATEGORIES.get(" ".join(term.split()), OTHER_CATEGORY)


def normalise(text: str) -> str:
    """NFKC, then case-folded: the form in which prompts and terms are compared."""
    return unicodedata.normalize("NFKC", text).casefold()


def blocked_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One regex matching any term as a whole word, or None when no term is blocked."""
    words = sorted({normalise(t).strip() for t in terms if t.strip()}, key=len, reverse=True)
    if not words:
        return None
    alternatives = "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def find_blocked(prompt: str, pattern: re.Pattern[str] | None) -> str | None:
    """The blocked term the prompt contains (normalised), or None."""
    if pattern is None:
        return None
    match = pattern.search(normalise(prompt))
    return match.group(0) if match else None
