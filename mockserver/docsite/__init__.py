"""The docs site's generated text: what replaces a ``<!-- generated: NAME -->`` line of a page in
``docs/`` when ``./dev docs`` builds the site (``docs/hooks.py`` only calls :func:`fill`), so the
reference pages say what the code says and never go stale.

Each NAME has one generator, a function of the checkout's root giving Markdown:

* ``settings``      -- every setting: flag, environment variable, default, what it accepts.
* ``profiles``      -- every model's profile.
* ``errors``        -- every entry of the error catalogue.
* ``routes``        -- every control-API route, from the app's url_map and its views' docstrings.
* ``fault-fields``, ``clock-fields`` -- the bodies of ``POST /_mock/faults`` and ``POST /_mock/clock``.
* ``gallery``       -- what the fake renders, per model and format (the images: :func:`gallery_images`).
* ``changelog``     -- CHANGELOG.md's body.
* ``commands``      -- every console script and ``./dev`` command.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from contracts.errors import catalogue_table
from contracts.models import profiles_table
from mockserver.docsite.commands import changelog, commands
from mockserver.docsite.gallery import GalleryImage, gallery, gallery_images
from mockserver.docsite.routes import routes
from mockserver.settings.config import reference_table
from mockserver.settings.inputs import body_table
from mockserver.state.clock import ClockMove
from mockserver.state.faults import Fault

__all__ = ["GENERATORS", "MARKER", "GalleryImage", "UnknownMarker", "fill", "gallery_images", "plain"]

# A line holding only the marker (spaces around it allowed).
MARKER = re.compile(r"^[ \t]*<!--[ \t]*generated:[ \t]*(?P<name>[^ \t>]*)[ \t]*-->[ \t]*$", re.MULTILINE)

# A code span: a run of backticks, then anything up to the same run.
_CODE_SPAN = re.compile(r"(`+).+?\1", re.DOTALL)


def plain(markdown: str) -> str:
    """Text meant as text, safe as Markdown, outside code spans: ``<`` written ``&lt;`` (the tables say
    ``/_mock/images/<id>``, ``image[<i>]``, which Markdown would take for HTML tags and drop), and
    ``{`` escaped (a message's ``{file_id}`` ending a cell, which attr_list would take for attributes)."""

    def text(part: str) -> str:
        return part.replace("<", "&lt;").replace("{", "\\{")

    out, at = [], 0
    for span in _CODE_SPAN.finditer(markdown):
        out += [text(markdown[at:span.start()]), span.group(0)]
        at = span.end()
    return "".join([*out, text(markdown[at:])])


GENERATORS: dict[str, Callable[[Path], str]] = {
    "settings": lambda root: plain(reference_table()),
    "profiles": lambda root: plain(profiles_table()),
    "errors": lambda root: plain(catalogue_table()),
    "routes": lambda root: plain(routes()),
    "fault-fields": lambda root: plain(body_table(Fault)),
    "clock-fields": lambda root: plain(body_table(ClockMove)),
    "gallery": lambda root: gallery(),  # its own HTML: figures and their captions
    "changelog": changelog,  # Markdown written by hand
    "commands": lambda root: plain(commands(root)),
}


class UnknownMarker(ValueError):
    """A page names a generator that does not exist (a typo would otherwise leave the marker, an
    HTML comment, silently empty on the site)."""


def fill(markdown: str, root: Path, page: str = "a page") -> str:
    """``markdown`` with every marker line replaced by its generator's text; ``root``: the checkout
    (for the generators that read its files). UnknownMarker names the page and the NAME."""

    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in GENERATORS:
            raise UnknownMarker(f"{page}: unknown generated content {name!r} in {match.group(0).strip()!r}; "
                                f"the names are: {', '.join(GENERATORS)}")
        return GENERATORS[name](root)

    return MARKER.sub(replace, markdown)
