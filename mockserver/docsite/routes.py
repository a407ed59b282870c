"""The control API's reference, from the app itself: every ``/_mock`` rule of ``create_app()``'s
url_map, with its methods and its view's docstring."""

from __future__ import annotations

import dataclasses
import inspect
import re
from dataclasses import dataclass

from contracts.spec import CONTROL_PREFIX
from mockserver.app import create_app
from mockserver.settings.inputs import described
from mockserver.state.clock import ClockMove
from mockserver.state.faults import Fault

# The views whose JSON body is a dataclass of mockserver's own inputs: its fields are the body's.
BODIES: dict[str, type] = {"control.move_clock": ClockMove, "control.add_fault": Fault}
# Views that are not ours (Flask's own), described here.
OWN_WORDS = {"ui.static": "The live view's script and style sheet (files shipped in the package)."}
# Methods every route answers by itself (Flask adds them), not part of what a route does.
IMPLIED = {"HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Route:
    """One control-API route as the docs show it."""

    methods: tuple[str, ...]
    paths: tuple[str, ...]  # its rules, Flask's converters dropped: /_mock/faults/<fault_id>
    endpoint: str  # the view's endpoint name (control.add_fault)
    doc: str  # what it does (the view's docstring, as Markdown)
    body: tuple[str, ...] = ()  # the JSON body's fields, where the code knows them


def control_routes() -> list[Route]:
    """Every rule of a new fake under the control prefix, in path order, then method order; the rules of
    one view and methods (``/_mock/ui`` and ``/_mock/ui/``) are one route."""
    app = create_app()
    found: dict[tuple[str, tuple[str, ...]], Route] = {}
    for rule in app.url_map.iter_rules():
        if not (rule.rule == CONTROL_PREFIX or rule.rule.startswith(CONTROL_PREFIX + "/")):
            continue
        view = app.view_functions[rule.endpoint]
        body = BODIES.get(rule.endpoint)
        methods = tuple(sorted((rule.methods or set()) - IMPLIED))
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"<\1>", rule.rule)
        known = found.get((rule.endpoint, methods))
        if known is not None:
            found[rule.endpoint, methods] = dataclasses.replace(known, paths=tuple(sorted((*known.paths, path))))
            continue
        found[rule.endpoint, methods] = Route(
            methods=methods, paths=(path,), endpoint=rule.endpoint,
            doc=OWN_WORDS.get(rule.endpoint) or _markdown(inspect.getdoc(view) or ""),
            body=tuple(f.name for f, _ in described(body)) if body else (),
        )
    return sorted(found.values(), key=lambda r: (r.paths, r.methods))


def routes() -> str:
    """The routes as Markdown: a heading per route (method and path), then what it does."""
    parts = []
    for route in control_routes():
        parts.append("### " + ", ".join(f"`{' '.join(route.methods)} {path}`" for path in route.paths))
        parts.append(route.doc or "(no description)")
        if route.body:
            parts.append("Body: a JSON object with any of " + ", ".join(f"`{name}`" for name in route.body) + ".")
    return "\n\n".join(parts)


def _markdown(doc: str) -> str:
    """A docstring's reStructuredText bits as Markdown: ``code`` and :role:`x` become `x`."""
    doc = re.sub(r":[a-z]+:`~?([^`]+)`", r"`\1`", doc)
    return doc.replace("``", "`")
