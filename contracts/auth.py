"""Keys on the wire: the credential of an ``Authorization: Bearer <key>`` header, and a key masked,
as the API's 401 message shows it and as the fake's own records (its access log) show it.

One parser of the header and one rule of masking (which characters of a key stay), so the API,
the control API's admin token and the access log cannot drift apart.
"""

from __future__ import annotations

SCHEME = "Bearer"  # [spec] bearerAuth

# [obs] "sk-abc12***************************************wxyz": the first 8 and the last 4
# characters of a key stay. ASSUMPTION: a key of 12 characters or fewer (the rule for short keys
# is not captured) is shown whole in the API's message.
KEPT_FIRST = 8
KEPT_LAST = 4
_SHORT = KEPT_FIRST + KEPT_LAST
# ASSUMPTION (the fake's own log): a fixed filler, so a log line does not tell a key's length,
# and only the first 3 characters of a short key, so a log line never shows one whole.
LOG_FILLER = "***"
LOG_KEPT_OF_SHORT = 3

# ASSUMPTION: no real key is longer than this (project and admin keys are under 200 characters [obs]),
# though a header may carry one up to its limit: what is remembered per key (the image URLs' user
# segment, the shared quota ledger's names) is remembered only for keys within it, so 4,096 of them
# cost a few MB whatever clients send.
CACHED_KEY_LENGTH = 512


def bearer_token(authorization: str | None, *, any_case: bool = False) -> str | None:
    """The credential of an ``Authorization: Bearer <credential>`` header, or None.

    Spaces around the header and between the scheme and the credential are ignored. The
    scheme must be written ``Bearer`` exactly: [obs] the real API refused a client that sent
    ``bearer <key>`` (a public report against a generated OpenAI client, 2023-11), though HTTP
    calls schemes case-insensitive. ``any_case`` accepts any case (RFC 9110), as the fake's
    own control API does for its admin token.
    """
    scheme, _, credential = (authorization or "").strip().partition(" ")
    if not (scheme == SCHEME or (any_case and scheme.lower() == SCHEME.lower())):
        return None
    return credential.strip() or None


def sent_key(authorization: str | None) -> str | None:
    """The key a client sent, as the fake's own records show it even where the API refuses how it
    was sent: a Bearer credential whatever the scheme's case, else the whole header (a key sent
    without a scheme); None when nothing was sent, or ``Bearer`` with nothing after it."""
    credential = bearer_token(authorization, any_case=True)
    if credential is not None or authorization is None:
        return credential
    text = authorization.strip()
    if text.partition(" ")[0].lower() == SCHEME.lower():
        return None  # the scheme alone
    return text or None


def mask_key(key: str) -> str:
    """A key as the 401 ``invalid_api_key`` message shows it [obs]: its first 8 and last 4
    characters, every other one an ``*``; a key of 12 characters or fewer as sent (ASSUMPTION)."""
    if len(key) <= _SHORT:
        return key
    return key[:KEPT_FIRST] + "*" * (len(key) - _SHORT) + key[-KEPT_LAST:]


def mask_for_log(authorization: str | None) -> str | None:
    """The key of an ``Authorization`` header (see :func:`sent_key`) as the fake's access log shows
    it: the characters :func:`mask_key` keeps around a fixed ``***``, or the first 3 of a key of 12
    characters or fewer; None when no key was sent."""
    key = sent_key(authorization)
    if key is None:
        return None
    if len(key) <= _SHORT:
        return key[:LOG_KEPT_OF_SHORT] + LOG_FILLER
    return key[:KEPT_FIRST] + LOG_FILLER + key[-KEPT_LAST:]
