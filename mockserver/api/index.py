"""``GET /`` and ``GET /v1``: a short JSON index of what this fake answers, for a person who
points a browser or curl at it (the real service has no such page; nothing an SDK calls)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request

from contracts.spec import API_PREFIX, CONTROL_PREFIX, ENDPOINTS
from contracts.version import version

index = Blueprint("index", __name__)


def _control_routes() -> list[dict[str, Any]]:
    """The control API's routes, as registered (so a later page such as /_mock/ui shows up)."""
    routes: dict[str, set[str]] = {}
    for rule in current_app.url_map.iter_rules():
        if rule.rule.startswith(CONTROL_PREFIX):
            routes.setdefault(rule.rule, set()).update((rule.methods or set()) - {"HEAD", "OPTIONS"})
    return [{"path": path, "methods": sorted(methods)} for path, methods in sorted(routes.items())]


@index.get("/")
@index.get(API_PREFIX)
def describe() -> dict[str, Any]:
    root = request.host_url.rstrip("/")
    return {
        "object": "mockserver.index",
        "name": "the offline twin of the OpenAI Images API",
        "version": version(),
        "base_url": root + API_PREFIX,
        "endpoints": [{"path": e.url_path, "methods": ["POST"]} for e in ENDPOINTS.values()],
        "control": _control_routes(),
        "control_access": "loopback clients only, or `Authorization: Bearer <admin token>` with --admin-token",
        "hint": "give base_url to an SDK (OPENAI_BASE_URL) with any non-empty API key",
    }
