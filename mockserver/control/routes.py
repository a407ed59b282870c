"""The control API under ``/_mock/``: what tests use to steer a fake.

    POST   /_mock/reset        forget images, quotas, journal, faults; clock back to real time;
                               with {"config": true} the start-up configuration returns too
    GET    /_mock/clock        {"now": ..., "frozen": ...}
    POST   /_mock/clock        {"advance": s} | {"set": epoch_seconds} | {"freeze": true|false}
                               | {"real_time": true} (back to real time, unfrozen)
    GET    /_mock/config       the running configuration
    PATCH  /_mock/config       change any patchable setting; a bad value is a 400 and changes nothing
    GET    /_mock/faults       queued faults;  POST queues one;  DELETE clears them
    DELETE /_mock/faults/<id>  unqueue one fault
    GET    /_mock/requests     the journal, a page at a time (?endpoint=&status=; ?after=<cursor>:
                               only the entries since a previous answer's "cursor" or "next";
                               ?limit=N entries at most; ?newest=true: the newest N);  DELETE clears it
    GET    /_mock/images       how many image URLs the fake holds, and their bytes

An API key never opens it: with ``--admin-token`` it needs that token as a
Bearer token; without one it answers only to loopback clients.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from contracts.auth import bearer_token
from contracts.errors import error
from contracts.headers import AUTHORIZATION
from contracts.limits import parse_json_body
from contracts.spec import CONTROL_PREFIX
from mockserver.core.backend import Backend
from mockserver.render import empty_caches
from mockserver.settings.inputs import InputError, read_fields
from mockserver.state.clock import ClockMove, ClockRangeError
from mockserver.state.journal import escape_surrogates

control = Blueprint("control", __name__, url_prefix=CONTROL_PREFIX)

# GET /_mock/requests answers a page: at most ?limit= entries (DEFAULT_PAGE when not given: a
# default journal in one answer) and at most journal_page_bytes, with the cursor to read on from.
DEFAULT_PAGE = 1000
MAX_PAGE = 100_000  # the largest journal_size


def _backend() -> Backend:
    backend: Backend = current_app.extensions["mockserver"]
    return backend


def _loopback(address: str | None) -> bool:
    """Whether a client address is loopback; on a dual-stack socket (bound to ``::``)
    an IPv4 client arrives as ``::ffff:127.0.0.1``, which is loopback too."""
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


@control.before_request
def guard() -> None:
    token = _backend().config.admin_token
    if token:
        # Our own API: the scheme in any case (RFC 9110); the token exactly, in constant time.
        given = bearer_token(request.headers.get(AUTHORIZATION), any_case=True) or ""
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), token.encode()):
            raise error("admin_token_required")
    elif not _loopback(request.remote_addr):
        raise error("control_not_local")


def _body() -> dict[str, Any]:
    raw = request.get_data(cache=False)
    body = parse_json_body(raw) if raw.strip() else {}  # invalid_json, or json_too_deep
    if not isinstance(body, dict):
        raise error("invalid_config", param=None, message="The body must be a JSON object.")
    return body


def _bad(name: str | None, message: str) -> Exception:
    return error("invalid_config", param=name, message=f"{name}: {message}" if name else message)


def _read(cls: Any, body: dict[str, Any], what: str) -> dict[str, Any]:
    try:
        return read_fields(cls, body, what=what)
    except InputError as exc:
        raise _bad(exc.name, exc.message) from None


@control.post("/reset")
def reset() -> Response:
    """Forget the images, quotas, journal and faults, and put the clock back to real time. The body may be
    `{"config": true}`: the start-up configuration returns too (else the running one stays)."""
    body = _body()
    restore = body.get("config", False)
    if set(body) - {"config"} or not isinstance(restore, bool):
        raise _bad("config", "the body may only say {\"config\": true} (restore the start-up configuration)")
    _backend().reset(config=restore)
    empty_caches()  # this process's decoded inputs, glyphs and gradients, their memory given back
    return jsonify({"reset": True, "config_restored": restore})


@control.get("/clock")
def clock() -> Response:
    """The fake's clock: `{"now": epoch seconds, "frozen": true|false}`."""
    c = _backend().clock
    return jsonify({"now": c.now(), "frozen": c.frozen})


@control.post("/clock")
def move_clock() -> Response:
    """Move the clock: advance it, set it, freeze or unfreeze it, or put it back to real time (the clock
    fields). Answers the clock as `GET /_mock/clock` does."""
    body = _body()
    if not body:
        raise _bad(None, "give one of 'advance' (seconds), 'set' (epoch seconds), 'freeze' (true or false) "
                   "or 'real_time' (true)")
    move = _read(ClockMove, body, "clock field")
    c = _backend().clock
    try:
        c.move(ClockMove(**move))
    except ClockRangeError as exc:
        raise _bad("advance" if "advance" in move else "set", str(exc)) from None
    return jsonify({"now": c.now(), "frozen": c.frozen})


@control.get("/config")
def get_config() -> Response:
    """The running configuration: every setting and its value."""
    return jsonify(_backend().config.to_json())


@control.patch("/config")
def patch_config() -> Response:
    """Change settings while the fake runs: a JSON object of patchable settings (the configuration
    reference). A bad value is a 400 `invalid_config` and changes nothing. Answers the new configuration."""
    try:
        config = _backend().configure(_body())
    except InputError as exc:
        raise _bad(exc.name, exc.message) from None
    return jsonify(config.to_json())


@control.get("/faults")
def list_faults() -> Response:
    """The queued faults, in the order they fire: `{"faults": [...]}`."""
    return jsonify({"faults": _backend().faults.list()})


@control.post("/faults")
def add_fault() -> Response:
    """Queue a fault (the fault fields): the next matching requests get an error, a dropped or held
    connection, or a damaged answer. Answers the fault with its `id` (201)."""
    try:
        fault = _backend().faults.add(_body())
    except InputError as exc:
        raise _bad(exc.name, exc.message) from None
    response = jsonify(fault.to_json())
    response.status_code = 201
    return response


@control.delete("/faults")
def clear_faults() -> Response:
    """Remove every queued fault."""
    _backend().faults.clear()
    return jsonify({"faults": []})


@control.delete("/faults/<fault_id>")
def remove_fault(fault_id: str) -> Response:
    """Remove one queued fault by its `id`; an unknown id is a 404. Answers the faults left."""
    faults = _backend().faults
    if not faults.remove(fault_id):
        raise error("invalid_url", method=request.method, path=request.path)
    return jsonify({"faults": faults.list()})


@control.get("/images")
def images() -> Response:
    """How many image URLs the fake holds, and their bytes: `{"count": ..., "bytes": ...}`."""
    store = _backend().store
    return jsonify({"count": len(store), "bytes": store.bytes_used})


@control.get("/requests")
def list_requests() -> Response:
    """The journal of `/v1` requests, oldest first, a page at a time: `{"requests": [...], "cursor", "complete",
    "next"}` (`next`: the cursor to read on from while more entries wait, else null).

    Query parameters: `endpoint` (`generations`, `edits`, `variations`) and `status` (an HTTP status) keep only
    matching entries; `after=<cursor>` only the entries since a previous answer's `cursor` or `next`;
    `limit=N` at most N entries (1 to 100000; default 1000); `newest=true` the newest N instead of the oldest."""
    args = request.args
    endpoint = args.get("endpoint") or None
    status_text = args.get("status")
    status = None
    if status_text:
        if not (status_text.isascii() and status_text.isdigit() and len(status_text) <= 3):
            raise _bad("status", f"must be an HTTP status, not {status_text!r}")
        status = int(status_text)
    limit_text = args.get("limit")
    limit = _whole("limit", limit_text, 1, MAX_PAGE) if limit_text else DEFAULT_PAGE
    newest = args.get("newest", "false")
    if newest not in ("true", "false"):
        raise _bad("newest", f"must be true or false, not {newest!r}")
    backend = _backend()
    page = backend.journal.page(args.get("after"), limit=limit, max_bytes=backend.config.journal_page_bytes,
                                newest=newest == "true")
    entries = [e for e in page.entries if (endpoint is None or e["endpoint"] == endpoint)
               and (status is None or e["status"] == status)]
    answer = {"requests": entries, "cursor": page.cursor, "complete": page.complete,
              "next": page.cursor if page.more else None}
    try:
        return jsonify(answer)
    except UnicodeEncodeError:  # a string no UTF-8 can carry slipped in: show its escape
        return jsonify(escape_surrogates(answer))


def _whole(name: str, text: str, least: int, most: int) -> int:
    """A query parameter that is a whole number from ``least`` to ``most``."""
    if not (text.isascii() and text.isdigit() and len(text) <= 9 and least <= int(text) <= most):
        raise _bad(name, f"must be a whole number from {least} to {most}, not {text!r}")
    return int(text)


@control.delete("/requests")
def clear_requests() -> Response:
    """Forget the journal."""
    _backend().journal.clear()
    return jsonify({"requests": []})
