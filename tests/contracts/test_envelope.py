"""contracts.envelope.render: the one writer of an error envelope's bytes."""

from __future__ import annotations

import json

from contracts.envelope import CONTENT_TYPE, render
from contracts.errors import error


def test_an_envelope_is_compact_utf8_json_and_a_newline() -> None:
    body = error("invalid_value", param="size", value="'256×256'", supported="'256x256'").body()
    data = render(body)
    assert data == (
        '{"error":{"message":"Invalid value: \'256×256\'. Supported values are: \'256x256\'.",'
        '"type":"invalid_request_error","param":"size","code":"invalid_value"}}\n'
    ).encode()
    assert json.loads(data) == body and CONTENT_TYPE == "application/json"


def test_the_fakes_own_errors_render_alike() -> None:
    data = render(error("request_line_too_long", max_bytes=16384).body())
    assert data == (b'{"error":{"message":"The request line is longer than 16384 bytes.",'
                    b'"type":"invalid_request_error","param":null,"code":null}}\n')
