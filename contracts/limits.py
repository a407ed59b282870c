"""Request limits: how large, how many parts, how long a head and how deep a JSON body a
request may have, and the reading of a JSON body within them.

None of these is published for the real service: each is the fake's own guard, generous for
any real client (ASSUMPTION, docs/assumptions.md). The fake's HTTP server, its form parser and
its JSON readers (the API's and the control API's) all read them here.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from contracts.errors import error
from contracts.models import MB

# ASSUMPTION: the real edge limit is not known; a body larger than this is refused
# with 413 before it is read. It leaves room for a 4 MB image, a 4 MB mask and fields.
MAX_REQUEST_BYTES = 16 * MB
# ASSUMPTION: the real parser's limit is not published; JSON whose arrays and objects nest
# deeper than this is refused as unparseable (json_too_deep, a 400 like invalid_json).
MAX_JSON_DEPTH = 64
# ASSUMPTION: multipart bodies with more parts than this are refused (Werkzeug's form-part limit).
MAX_FORM_PARTS = 64
# ASSUMPTION: a multipart text field (not a file) larger than this is refused (Werkzeug's default).
MAX_FORM_FIELD_BYTES = 500_000
# ASSUMPTION: the real edge's limits are not documented; these are generous for any real client
# (the SDKs send about a dozen headers of a few hundred bytes) and close to common servers'
# defaults (nginx reads heads in 8 KiB buffers, 4 of them; the Python standard library stops at
# 100 headers).
MAX_REQUEST_LINE = 16 * 1024
MAX_HEADER_BYTES = 32 * 1024
MAX_HEADER_COUNT = 100
# The fake's own deadlines, by default (the settings header_timeout_ms, queue_timeout_ms and
# write_timeout_ms; the HTTP server's when it serves an app without them). ASSUMPTION: the real
# edge's are not published. A head within 10 s (far more than any client on a working network
# needs); an API slot within 60 s (longer than any answer takes without latency or faults; the
# SDKs retry the 503); a write within 10 minutes (the official SDKs' own timeout, so a slow reader
# is never cut sooner than its SDK would give up).
HEADER_TIMEOUT_MS = 10_000
QUEUE_TIMEOUT_MS = 60_000
WRITE_TIMEOUT_MS = 600_000


# Brackets and quotes kept, an object's braces read as an array's brackets (the text parsed, each
# closes its own kind), every other byte deleted: one bytes.translate.
_AS_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS_OR_QUOTES = bytes(b for b in range(256) if b not in b'[]{}"')
_STRING = re.compile(rb'"[^"]*"')  # a string, once its escapes are gone
_STEPS = bytes.maketrans(b"[]", b"\x01\xff")  # one level in, one out: 1 and -1 as signed bytes


def nests_deeper_than(raw: bytes, limit: int) -> bool:
    """Whether the JSON text ``raw`` (one that parses) nests arrays and objects deeper than ``limit``.

    Read from the text, not the parsed value, in passes that run in C. The strings go first, so
    that their brackets are not counted: the escapes ``\\\\`` and ``\\"`` removed (left to right,
    as the parser pairs them), everything but brackets and quotes deleted, adjacent quotes removed
    (a string holding no bracket, or two strings with nothing between them joined into one), then
    what is left between quotes. The depth is then the highest running sum of the brackets, 1 in
    and -1 out. A body in UTF-16 or UTF-32, whose code units may hold a bracket's byte, is read as
    UTF-8 first (in UTF-8 no byte of a longer character is ASCII)."""
    encoding = json.detect_encoding(raw)
    if encoding not in ("utf-8", "utf-8-sig"):
        raw = raw.decode(encoding).encode("utf-8")
    kept = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(_AS_BRACKETS, _NOT_BRACKETS_OR_QUOTES)
    brackets = _STRING.sub(b"", kept.replace(b'""', b""))
    if len(brackets) <= 2 * limit:  # not enough of them to nest deeper
        return False
    return max(itertools.accumulate(memoryview(brackets.translate(_STEPS)).cast("b"))) > limit


def parse_json_body(raw: bytes) -> Any:
    """A request body as the JSON value it holds, or the API's refusal: ``invalid_json`` when it
    does not parse, ``json_too_deep`` when its arrays and objects nest deeper than
    :data:`MAX_JSON_DEPTH`.

    Cheap on the request path: a body holding no more brackets than the limit cannot nest deeper
    (in UTF-8, and in UTF-16/32, every ``[`` and ``{`` has its own byte), so only a body with
    more is measured (:func:`nests_deeper_than`)."""
    try:
        body = json.loads(raw)
    except RecursionError:  # nested too deep for Python's own parser: far past the limit
        raise error("json_too_deep", max_depth=MAX_JSON_DEPTH) from None
    except ValueError:
        raise error("invalid_json") from None
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and nests_deeper_than(raw, MAX_JSON_DEPTH):
        raise error("json_too_deep", max_depth=MAX_JSON_DEPTH)
    return body
