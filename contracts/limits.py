"""Request limits: how large, how many parts, how long a head and how deep a JSON body a
request may have.

None of these is published for the real service: each is the fake's own guard, generous for
any real client (ASSUMPTION, docs/assumptions.md). The fake's HTTP server, its form parser and
its JSON readers (the API's and the control API's) all read them here.
"""

from __future__ import annotations

from contracts.models import MB

# ASSUMPTION: the real edge limit is not known; a body larger than this is refused
# with 413 before it is read. It leaves room for a 4 MB image, a 4 MB mask and fields.
MAX_REQUEST_BYTES = 16 * MB
# ASSUMPTION: JSON nested deeper than this is refused as unparseable.
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
