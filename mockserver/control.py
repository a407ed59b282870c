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
    GET    /_mock/requests     the journal (?endpoint=&status=; ?after=<cursor>: only the entries
                               since a previous answer's "cursor");  DELETE clears it
    GET    /_mock/images       how many image URLs the fake holds, and their bytes

An API key never opens it: with ``--admin-token`` it needs that token as a
Bearer token; without one it answers only to loopback clients.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from contracts.errors import error
from mockserver.backend import Backend
from mockserver.config import ConfigError
from mockserver.faults import FaultError

control = Blueprint("control", __name__, url_prefix="/_mock")


def _backend() -> Backend:
    backend: Backend = current_app.extensions["mockserver"]
    return backend


def _loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


@control.before_request
def guard() -> None:
    token = _backend().config.admin_token
    if token:
        scheme, _, given = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise error("admin_token_required")
    elif not _loopback(request.remote_addr):
        raise error("control_not_local")


def _body() -> dict[str, Any]:
    raw = request.get_data(cache=False)
    try:
        body = json.loads(raw) if raw.strip() else {}
    except (ValueError, RecursionError):
        raise error("invalid_json") from None
    if not isinstance(body, dict):
        raise error("invalid_config", param=None, message="The body must be a JSON object.")
    return body


def _bad(name: str | None, message: str) -> Exception:
    return error("invalid_config", param=name, message=f"{name}: {message}" if name else message)


@control.post("/reset")
def reset() -> Response:
    body = _body()
    restore = body.get("config", False)
    if set(body) - {"config"} or not isinstance(restore, bool):
        raise _bad("config", "the body may only say {\"config\": true} (restore the start-up configuration)")
    _backend().reset(config=restore)
    return jsonify({"reset": True, "config_restored": restore})


@control.get("/clock")
def clock() -> Response:
    c = _backend().clock
    return jsonify({"now": c.now(), "frozen": c.frozen})


@control.post("/clock")
def move_clock() -> Response:
    body = _body()
    unknown = sorted(set(body) - {"advance", "set", "freeze", "real_time"})
    if unknown or not body:
        raise _bad(unknown[0] if unknown else None, "give one of 'advance' (seconds), 'set' (epoch "
                   "seconds), 'freeze' (true or false) or 'real_time' (true)")
    if "real_time" in body and (body["real_time"] is not True or len(body) > 1):
        raise _bad("real_time", "must be true, and alone: it returns the clock to real time, unfrozen")
    for name in ("advance", "set"):
        value = body.get(name)
        if name in body and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise _bad(name, f"must be a number of seconds, not {value!r}")
    if "set" in body and not 0 <= body["set"] < 32503680000:
        raise _bad("set", "must be an epoch time between 1970 and 3000")
    if "freeze" in body and not isinstance(body["freeze"], bool):
        raise _bad("freeze", f"must be true or false, not {body['freeze']!r}")
    c = _backend().clock
    if "real_time" in body:
        c.reset()
    if "freeze" in body:
        c.freeze(body["freeze"])
    if "set" in body:
        c.set(float(body["set"]))
    if "advance" in body:
        c.advance(float(body["advance"]))
    return jsonify({"now": c.now(), "frozen": c.frozen})


@control.get("/config")
def get_config() -> Response:
    return jsonify(_backend().config.to_json())


@control.patch("/config")
def patch_config() -> Response:
    try:
        config = _backend().configure(_body())
    except ConfigError as exc:
        raise _bad(exc.name, exc.message) from None
    return jsonify(config.to_json())


@control.get("/faults")
def list_faults() -> Response:
    return jsonify({"faults": _backend().faults.list()})


@control.post("/faults")
def add_fault() -> Response:
    try:
        fault = _backend().faults.add(_body())
    except FaultError as exc:
        raise _bad(exc.name, exc.message) from None
    response = jsonify(fault.to_json())
    response.status_code = 201
    return response


@control.delete("/faults")
def clear_faults() -> Response:
    _backend().faults.clear()
    return jsonify({"faults": []})


@control.delete("/faults/<fault_id>")
def remove_fault(fault_id: str) -> Response:
    faults = _backend().faults
    if not faults.remove(fault_id):
        raise error("invalid_url", method=request.method, path=request.path)
    return jsonify({"faults": faults.list()})


@control.get("/images")
def images() -> Response:
    store = _backend().store
    return jsonify({"count": len(store), "bytes": store.bytes_used})


@control.get("/requests")
def list_requests() -> Response:
    endpoint = request.args.get("endpoint") or None
    status_text = request.args.get("status")
    status = None
    if status_text:
        if not status_text.isdigit():
            raise _bad("status", f"must be an HTTP status, not {status_text!r}")
        status = int(status_text)
    found, cursor, complete = _backend().journal.since(request.args.get("after"))
    entries = [e for e in found if (endpoint is None or e["endpoint"] == endpoint)
               and (status is None or e["status"] == status)]
    return jsonify({"requests": entries, "cursor": cursor, "complete": complete})


@control.delete("/requests")
def clear_requests() -> Response:
    _backend().journal.clear()
    return jsonify({"requests": []})
