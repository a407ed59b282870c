"""The live view of a fake: ``GET /_mock/ui``, a page for a person to watch it work.

    GET    /_mock/ui                the page (HTML; its script and style under /_mock/ui/static/)
    GET    /_mock/quotas            every recent key's quota windows: used, limit, seconds until full again
    GET    /_mock/images/<id>       an image a journal entry refers to, rendered anew, with its media type

The page is rendered here, then kept live by a little plain JavaScript that polls
the control API (``/_mock/requests?after=``, ``/_mock/clock``, ``/_mock/faults``,
the two above) while it is visible, and acts through it. No build step, no
network beyond the fake itself: everything it loads ships in this package.

Guarded like the rest of ``/_mock/``: without ``--admin-token``, loopback clients
only, page included. With a token, the page itself (which holds no state) is
served to anyone, since a browser cannot send a header when it opens a page; it
asks for the token once and sends it as a Bearer header on every call, never in
a URL. Every data or control call needs it.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from contracts.auth import mask_key
from contracts.errors import error
from contracts.models import ENDPOINT_NAMES
from contracts.spec import CONTROL_PREFIX
from mockserver.control.routes import guard
from mockserver.core.backend import Backend
from mockserver.state.faults import KINDS

ui = Blueprint(
    "ui", __name__, url_prefix=CONTROL_PREFIX,
    template_folder="templates", static_folder="static", static_url_path="/ui/static",
)

_PAGE = ("ui.page", "ui.static")
# The page loads nothing from anywhere else, and runs no inline script.
_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; " \
       "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"


def _backend() -> Backend:
    backend: Backend = current_app.extensions["mockserver"]
    return backend


@ui.before_request
def _guard() -> None:
    if request.endpoint in _PAGE and _backend().config.admin_token:
        return  # the page holds no state; its calls carry the token
    guard()


@ui.get("/ui")
@ui.get("/ui/")
def page() -> Response:
    """The live view: a page that shows the requests as they arrive, the images, faults, quotas and the clock,
    and acts through the control API."""
    config = _backend().config
    html = render_template(
        "ui.html",
        token_required=bool(config.admin_token),
        endpoints=ENDPOINT_NAMES,
        kinds=KINDS,
        # The running configuration, when this request may see it (no token is needed).
        config=None if config.admin_token else config.to_json(),
    )
    return Response(html, content_type="text/html; charset=utf-8", headers={
        "Content-Security-Policy": _CSP, "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    })


@ui.get("/quotas")
def quotas() -> Response:
    """Every recent API key's quota windows (masked keys, per model family): used, limit, remaining, and
    seconds until the window is full again."""
    backend = _backend()
    config, now = backend.config, backend.clock.now()
    keys = []
    # The ledger's keys are (api key, quota family): each family has its own windows.
    for ledger_key, states in backend.quotas.snapshot(lambda key: backend.family_windows(key[1]), now):
        api_key, family = ledger_key
        keys.append({
            "key": mask_key(api_key),
            "family": family,
            "windows": [
                {"window": str(s.window), "limit": s.window.limit, "seconds": s.window.seconds,
                 "used": s.used, "remaining": s.remaining, "reset_seconds": round(max(0.0, s.reset_seconds), 3)}
                for s in states
            ],
        })
    return jsonify({"now": now, "windows": [str(w) for w in config.rate_limits],
                    "quota_mode": config.quota_mode, "keys": keys})


@ui.get("/images/<image_id>")
def image(image_id: str) -> Response:
    """An image a journal entry refers to (its `image_id`), rendered anew, with its media type; an unknown
    id is a 404."""
    backend = _backend()
    with backend.render_turn(deadline=True):  # rendered anew: a turn like the API's renders
        found = backend.gallery.image(image_id)
    if found is None:
        raise error("invalid_url", method=request.method, path=request.path)
    data, media_type = found
    return Response(data, content_type=media_type, headers={
        "Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
        # An SVG shown by itself must not run anything.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    })
