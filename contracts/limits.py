"""Request limits: how large, how many parts, how long a head and how deep a JSON body a
request may have, and the reading of a JSON body within them.

None of these is published for the real service: each is the fake's own guard, generous for
any real client (ASSUMPTION, docs/assumptions.md). The fake's HTTP server, its form parser and
its JSON readers (the API's and the control API's) all read them here.
"""

from __future__ import annotations

import json
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


def json_depth(value: object, *, stop_after: int | None = None) -> int:
    """How deep ``value``'s arrays and objects nest (a scalar 0, ``[]`` 1, ``{"a": []}`` 2);
    counting stops once it passes ``stop_after``. Level by level, so no nesting overflows it."""
    depth = 0
    level = [value]
    while True:
        containers = [item for item in level if isinstance(item, (list, dict))]
        if not containers or (stop_after is not None and depth > stop_after):
            return depth
        depth += 1
        level = [child for item in containers for child in (item.values() if isinstance(item, dict) else item)]


def parse_json_body(raw: bytes) -> Any:
    """A request body as the JSON value it holds, or the API's refusal: ``invalid_json`` when it
    does not parse, ``json_too_deep`` when its arrays and objects nest deeper than
    :data:`MAX_JSON_DEPTH`.

    Cheap on the request path: a body holding no more brackets than the limit cannot nest deeper
    (in UTF-8, and in UTF-16/32, every ``[`` and ``{`` has its own byte), so only a body with
    more is measured, on the parsed value."""
    try:
        body = json.loads(raw)
    except RecursionError:  # nested too deep for Python's own parser: far past the limit
        raise error("json_too_deep", max_depth=MAX_JSON_DEPTH) from None
    except ValueError:
        raise error("invalid_json") from None
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and json_depth(
            body, stop_after=MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise error("json_too_deep", max_depth=MAX_JSON_DEPTH)
    return body
