"""Image URLs the fake hands out and serves itself, until they expire.

They have the real URLs' shape (an Azure Blob Storage user-delegation SAS:
``/private/org-…/user-…/img-….png?st=…&se=…&sp=r&…&sig=…``) and behave the same:
a valid fetch is a 200 ``image/png``; after ``se`` it is a 403 with Azure's
``AuthenticationFailed`` XML; a tampered signature is a 403 too, and an unknown
blob (after a reset, or evicted) a 404 ``BlobNotFound``. The signature is an
HMAC-SHA256 over the path and every SAS field, checked in constant time.

This module serves them; :mod:`mockserver.core.urls` makes and checks them."""

from __future__ import annotations

import functools
import hashlib
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from flask import Blueprint, Response, current_app, request
from werkzeug.sansio.utils import get_host

from contracts.errors import ApiError
from contracts.media import MEDIA_TYPES, PNG
from contracts.ratelimits import OVERLOADED_RETRY_SECONDS, retry_headers
from mockserver.core.urls import (
    PREFIX,
    SAS_FIELDS,
    STORAGE_VERSION,
    _refusal,
)
from mockserver.http.connection import ENVIRON_CONNECTION

_ROUTE = PREFIX + "<org>/<user>/<name>"
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?")
blobs = Blueprint("blobs", __name__)


def _image_id(name: str) -> str:
    return name.removeprefix("img-").removesuffix(".png")


def _valid_host(host: str) -> bool:
    match = _HOST.fullmatch(host)
    return match is not None and (match[2] is None or 0 < int(match[2][1:]) <= 65535)


@functools.lru_cache(maxsize=256)
def _host(scheme: str, host_header: str | None, server_name: str, server_port: str) -> str | None:
    host = get_host(scheme, host_header, (server_name, int(server_port) if server_port.isdigit() else None))
    return host if _valid_host(host) else None


def base_url(environ: dict[str, Any]) -> str:
    """Where the client reached the fake, as the image URLs' base (``http://host:port``).

    The ``Host`` header when it is a valid ``host[:port]``; otherwise the address the
    connection came in on, or ``localhost``: an image URL is a valid URL whatever a
    client sends.
    """
    scheme = environ["wsgi.url_scheme"]
    host = _host(scheme, environ.get("HTTP_HOST"), environ.get("SERVER_NAME", ""), str(environ.get("SERVER_PORT", "")))
    if host is None:
        host = _local_address(environ)
    return f"{scheme}://{host}"


def _local_address(environ: dict[str, Any]) -> str:
    """``host:port`` of the socket the request came in on (over our server), else ``localhost``."""
    connection = environ.get(ENVIRON_CONNECTION)
    try:
        host, port = connection.socket.getsockname()[:2]  # type: ignore[union-attr]
    except (AttributeError, OSError, ValueError, TypeError):
        return "localhost"
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return address if _valid_host(address) else "localhost"


def _azure_error(status: int, code: str, message: str, detail: str | None = None) -> Response:
    request_id = str(uuid.uuid4())
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code>'
        f"<Message>{message}\nRequestId:{request_id}\nTime:{now}</Message>"
    )
    if detail is not None:
        body += f"<AuthenticationErrorDetail>{detail}</AuthenticationErrorDetail>"
    body += "</Error>"
    return Response(
        body,
        status=status,
        content_type="application/xml",
        headers={"x-ms-request-id": request_id, "x-ms-error-code": code,
                 "x-ms-version": STORAGE_VERSION, "Server": "Microsoft-HTTPAPI/2.0"},
    )


def server_busy(reason: str | None = None) -> Response:
    """Azure's 503 ServerBusy: the blob cannot be read now (the fake's shared state is away, or
    holds what it cannot use: ``reason``, appended to the message; ASSUMPTION: ours)."""
    if reason is None:
        return _azure_error(503, "ServerBusy", "The server is busy.")
    return _azure_error(503, "ServerBusy", "The server is busy: " + xml_escape(reason))


def busy_answer(path: str) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """The answer of an image URL that waited for a slot past the queue deadline (the server
    layer's hook; None for any other path, which gets the API's 503 ``overloaded``): blob
    storage's 503 ServerBusy, with ``retry-after`` (ASSUMPTION: whether Azure sends one with
    ServerBusy is not known; the SDKs and HTTP clients that honour it wait instead of hammering)."""
    if not path.startswith(PREFIX):
        return None
    response = server_busy()
    headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
    headers += retry_headers(OVERLOADED_RETRY_SECONDS).items()
    return response.status_code, headers, response.get_data()


_AUTH_FAILED = (
    "Server failed to authenticate the request. Make sure the value of Authorization "
    "header is formed correctly including the signature."
)


@blobs.get(_ROUTE)
def blob(org: str, user: str, name: str) -> Response:
    backend = current_app.extensions["mockserver"]
    args = {k: request.args.get(k, "") for k in (*SAS_FIELDS, "sig")}
    refusal = _refusal(request.path, args, backend.signer, backend.clock.now())
    if refusal is not None:
        return _azure_error(403, "AuthenticationFailed", _AUTH_FAILED, refusal)
    image_id = _image_id(name)
    try:
        with backend.render_turn(deadline=True):  # the first fetch renders it
            data = backend.store.png(image_id)
    except ApiError:  # no turn to render within the queue deadline
        busy = server_busy()
        busy.headers.update(retry_headers(OVERLOADED_RETRY_SECONDS))
        return busy
    if data is None:
        return _azure_error(404, "BlobNotFound", "The specified blob does not exist.")
    etag = '"0x' + hashlib.sha256(data).hexdigest()[:15].upper() + '"'
    return Response(
        data,
        content_type=MEDIA_TYPES[PNG],
        headers={
            "Content-Disposition": "inline",
            "ETag": etag,
            "x-ms-blob-type": "BlockBlob",
            "x-ms-version": STORAGE_VERSION,
            "Server": "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0",
            "Cache-Control": "private, max-age=0",
        },
    )
