"""The fake's own refusals, as data: what its edge and its control plane answer, which the real
service answers otherwise (an HTML page of its edge) or not at all (it has no control plane).

They keep the API's JSON envelope, so a client is tested on the status and the envelope rather
than on HTML; their texts are ours (``assumption`` says so, entry by entry).
"""

from __future__ import annotations

from contracts.envelope import ErrorSpec, Wording

_IRE = "invalid_request_error"

FAKE_ERRORS: tuple[ErrorSpec, ...] = (
    ErrorSpec(
        "bad_gateway", 502, "server_error",
        Wording("Bad gateway.", None, None),
        assumption="the real edge answers 502 with an HTML page; the fake keeps the JSON envelope "
        "so clients' parsers are exercised on the status, not on HTML",
    ),
    ErrorSpec(
        "gateway_timeout", 504, "server_error",
        Wording("Gateway timeout.", None, None),
        assumption="as bad_gateway",
    ),
    # --- the HTTP layer: answers a server gives before any route is known -----------
    ErrorSpec(
        "malformed_request", 400, _IRE,
        Wording("Malformed HTTP request: {reason}.", None, None),
        assumption="the real edge answers a broken request line or header with its own 400 page; "
        "the fake keeps the API's JSON envelope and says what was wrong",
    ),
    ErrorSpec(
        "request_timeout", 408, _IRE,
        Wording(
            "The request took too long to arrive. Send the request line, headers and body "
            "without long pauses.",
            None, None,
        ),
        assumption="status 408, the envelope and this text are ours (the edge's timeout page "
        "was never captured)",
    ),
    ErrorSpec(
        "request_line_too_long", 414, _IRE,
        Wording("The request line is longer than {max_bytes} bytes.", None, None),
        assumption="status 414 (RFC 9110), the envelope, the limit and this text are ours",
    ),
    ErrorSpec(
        "headers_too_large", 431, _IRE,
        Wording(
            "The request headers are too large: at most {max_count} header lines and "
            "{max_bytes} bytes in all.",
            None, None,
        ),
        assumption="status 431 (RFC 6585), the envelope, the limits and this text are ours",
    ),
    ErrorSpec(
        "http_version_not_supported", 505, _IRE,
        Wording("HTTP version not supported: send HTTP/1.1 (or HTTP/1.0).", None, None),
        assumption="status 505, the envelope and this text are ours; the real edge speaks "
        "HTTP/2 over TLS, a plain-text fake speaks HTTP/1.1",
    ),
    # --- record and replay (python -m mockserver --record / --replay) --------------
    ErrorSpec(
        "upstream_unreachable", 502, "server_error",
        Wording("The upstream {upstream} could not be reached: {reason}. Nothing was recorded.",
                "upstream_unreachable", None),
        assumption="a recording proxy's own answer (the real API has no upstream); 502 as a gateway whose "
        "upstream failed (RFC 9110), a retryable server_error as the API's own 502",
    ),
    ErrorSpec(
        "upstream_timeout", 504, "server_error",
        Wording("The upstream {upstream} did not answer within {timeout_ms} ms. Nothing was recorded.",
                "upstream_timeout", None),
        assumption="as upstream_unreachable; 504 as a gateway whose upstream timed out (RFC 9110)",
    ),
    ErrorSpec(
        "no_recorded_match", 404, _IRE,
        Wording("No recorded exchange matches {request}. {nearest}", "no_recorded_match", None),
        assumption="a replaying fake's own answer: 404 as WireMock answers a request no stub matches, an "
        "invalid_request_error (the client's request is what differs); error.near_misses lists the nearest "
        "recorded requests and what differs",
    ),
    # --- the fake's shared state (--state redis://...) ------------------------------
    ErrorSpec(
        "shared_state_unusable", 503, "server_error",
        Wording("The fake's shared state holds what this fake cannot use: {reason}.", None, None),
        assumption="the real service has no shared state to report on; status 503 (retryable, "
        "as overloaded) and this text are ours: Redis answers, its data is wrong, and the text "
        "says which key and what was done about it",
    ),
    # --- the fake's control plane (/_mock), not the real API -----------------------
    ErrorSpec(
        "invalid_config", 400, _IRE,
        Wording("{message}", "invalid_config", "{param}"),
        source="the fake's own control API",
    ),
    ErrorSpec(
        "admin_token_required", 401, _IRE,
        Wording(
            "The control API needs the admin token: Authorization: Bearer <admin token>.",
            "invalid_admin_token", None,
        ),
        source="the fake's own control API",
    ),
    ErrorSpec(
        "control_not_local", 403, _IRE,
        Wording(
            "The control API answers only to loopback clients unless the fake was started "
            "with --admin-token.",
            "control_plane_forbidden", None,
        ),
        source="the fake's own control API",
    ),
)
