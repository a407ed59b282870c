"""The API's HTTP headers: every name the fake, the client and CORS use, written once, and the
request id the ``x-request-id`` header carries.

Response header names are written in lower case, as the real API sends them [obs]; HTTP header
names are case-insensitive, so readers may look them up in any case.
"""

from __future__ import annotations

import secrets

# --- what a client sends ------------------------------------------------------------------
AUTHORIZATION = "Authorization"  # [spec] bearer auth: "Authorization: Bearer <key>"
CONTENT_TYPE = "Content-Type"
# [sdk-py] the SDKs send these when an organization or project is configured.
OPENAI_ORGANIZATION_REQUEST = "OpenAI-Organization"
OPENAI_PROJECT = "OpenAI-Project"
# What a browser page may send to the API (the CORS preflight's allow list; ASSUMPTION:
# the fake's own list, the real API does not answer browsers).
REQUEST_HEADERS: tuple[str, ...] = (AUTHORIZATION, CONTENT_TYPE, OPENAI_ORGANIZATION_REQUEST, OPENAI_PROJECT)

# --- what every answer carries ---------------------------------------------------------------
REQUEST_ID = "x-request-id"  # [obs] "req_" and 32 hex digits (see new_request_id)
PROCESSING_MS = "openai-processing-ms"  # [obs] whole milliseconds, at least 1
OPENAI_VERSION = "openai-version"  # [obs] the API version, API_VERSION
OPENAI_ORGANIZATION = "openai-organization"  # [obs] the organization the key belongs to
EXPOSE_HEADERS = "access-control-expose-headers"
# [obs] the real API's answers carry "access-control-expose-headers: X-Request-ID".
EXPOSED_BY_THE_API = "X-Request-ID"
API_VERSION = "2020-10-01"  # [obs] the openai-version header's value

# --- the fake's own -------------------------------------------------------------------------
# ASSUMPTION (the fake's own, never the API's): on an answer the service as of today would refuse
# (contracts.timeline.would_fail_today), the reason, with its date; absent otherwise.
WOULD_FAIL_TODAY = "x-mock-would-fail-today"

# --- rate limits and retries -----------------------------------------------------------------
# UNCERTAIN (docs/assumptions.md, headers): no capture from api.openai.com shows the image
# headers. Client projects read these names; the fake sends them, and the family's documented
# request/token headers are not sent for images.
RATELIMIT_LIMIT_IMAGES = "x-ratelimit-limit-images"
RATELIMIT_REMAINING_IMAGES = "x-ratelimit-remaining-images"
RATELIMIT_RESET_IMAGES = "x-ratelimit-reset-images"
# [guide] the documented request family's reset header: a client pacing itself reads it too.
RATELIMIT_RESET_REQUESTS = "x-ratelimit-reset-requests"
# [spec] Retry-After: whole seconds, >= 1. ASSUMPTION: retry-after-ms is sent too (the SDKs
# read it first; whether the real image endpoints send it is UNCERTAIN).
RETRY_AFTER = "retry-after"
RETRY_AFTER_MS = "retry-after-ms"
# [sdk-py] "true"/"false": the server's word on whether a retry may help, above the status.
SHOULD_RETRY = "x-should-retry"

# The API's own response headers, which a browser page's script may read (the CORS expose list).
RESPONSE_HEADERS: tuple[str, ...] = (
    REQUEST_ID, PROCESSING_MS, OPENAI_VERSION, OPENAI_ORGANIZATION,
    RATELIMIT_LIMIT_IMAGES, RATELIMIT_REMAINING_IMAGES, RATELIMIT_RESET_IMAGES,
    RETRY_AFTER, RETRY_AFTER_MS,
)

REQUEST_ID_PREFIX = "req_"


def new_request_id() -> str:
    """A new request id as the API writes one: ``req_`` and 32 lowercase hex digits [obs]."""
    return REQUEST_ID_PREFIX + secrets.token_hex(16)
