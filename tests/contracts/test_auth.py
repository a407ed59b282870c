"""contracts.auth: one parser of ``Authorization: Bearer`` and one rule of which characters of a
key stay, shared by the API's 401 message, the fake's journal and its access log."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.auth import bearer_token, mask_for_log, mask_key, sent_key

LONG = "sk-abc12" + "x" * 39 + "wxyz"


@pytest.mark.parametrize(("header", "strict", "any_case"), [
    ("Bearer sk-1", "sk-1", "sk-1"),
    ("  Bearer   sk-1  ", "sk-1", "sk-1"),
    ("bearer sk-1", None, "sk-1"),  # [obs] the real API refuses the lower-case scheme
    ("BEARER sk-1", None, "sk-1"),
    ("Bearer ", None, None),
    ("Basic dXNlcjpwdw==", None, None),
    ("sk-1", None, None),
    ("", None, None),
    (None, None, None),
])
def test_bearer_token(header: str | None, strict: str | None, any_case: str | None) -> None:
    assert bearer_token(header) == strict
    assert bearer_token(header, any_case=True) == any_case


@pytest.mark.parametrize(("header", "sent"), [
    ("Bearer sk-1", "sk-1"),
    ("bearer   sk-1  ", "sk-1"),  # what the API refuses is still what was sent
    ("sk-no-scheme", "sk-no-scheme"),
    ("Basic dXNlcjpwdw==", "Basic dXNlcjpwdw=="),
    ("Bearer ", None),
    ("", None),
    (None, None),
])
def test_sent_key(header: str | None, sent: str | None) -> None:
    assert sent_key(header) == sent


@pytest.mark.parametrize(("key", "api", "log"), [
    (LONG, "sk-abc12" + "*" * 39 + "wxyz", "sk-abc12***wxyz"),  # [obs] the 401 message's masking
    ("sk-abcdefgh1234567890wxyz", "sk-abcde*************wxyz", "sk-abcde***wxyz"),
    ("sk-123456789", "sk-123456789", "sk-***"),  # 12 characters: whole in the 401, 3 in the log
    ("sk-1", "sk-1", "sk-***"),
])
def test_the_api_and_the_log_mask_by_one_rule(key: str, api: str, log: str) -> None:
    assert mask_key(key) == api
    assert mask_for_log(f"Bearer {key}") == log


@given(st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=13, max_size=200))
def test_the_same_characters_stay_in_both(key: str) -> None:
    api, log = mask_key(key), mask_for_log(f"Bearer {key}")
    assert log is not None
    assert api[:8] == log[:8] == key[:8] and api[-4:] == log[-4:] == key[-4:]
    assert len(api) == len(key) and set(api[8:-4]) == {"*"}  # the 401 message keeps the length
    assert len(log) == 15  # the log does not tell it
