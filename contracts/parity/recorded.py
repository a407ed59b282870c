"""The recorded exchanges as parity reads them: each cassette's interactions (read by
:mod:`contracts.cassette`), in order, as a request to send again and the answer to compare with."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from requests.structures import CaseInsensitiveDict

from contracts.cassette import CassetteError, Interaction, read_cassette, read_directory
from contracts.verify.sending import Answer

API_PREFIX = "/v1"  # the recorded URL's path is sent again after the base URL, less this prefix


class RecordingError(Exception):
    """The recordings cannot be read: no such folder, no cassette in it, or a damaged one."""


@dataclass(frozen=True)
class Recorded:
    """One recorded exchange: the request (its path below the base URL, e.g. ``/images/edits``)
    and the recorded answer; ``where`` names its cassette and its place in it."""

    where: str
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    answer: Answer

    def describe_request(self, limit: int = 300) -> str:
        kind = next((v for k, v in self.headers.items() if k.lower() == "content-type"), "")
        if not self.body:
            text = "(no body)"
        elif kind.startswith("multipart/"):
            text = f"multipart body of {len(self.body)} bytes"
        else:
            text = self.body.decode("utf-8", "replace")
        if len(text) > limit:
            text = text[: limit - 1] + "…"
        return f"{self.method} {self.path} {text}"


def api_path(uri: str) -> str:
    """The part of a recorded URL sent after the endpoint's base URL: ``https://host/v1/images/edits?x``
    -> ``/images/edits?x`` (a path outside ``/v1`` is kept whole)."""
    parts = urlsplit(uri)
    path = parts.path
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        path = path[len(API_PREFIX):]
    return path + (f"?{parts.query}" if parts.query else "")


def answer(status: int, headers: Mapping[str, str], content: bytes) -> Answer:
    """A recorded answer as :mod:`contracts.verify.sending` reads one (the JSON body parsed)."""
    try:
        body = json.loads(content) if content else None
    except ValueError:
        body = None
    return Answer(status, CaseInsensitiveDict(headers), content, body)


def read_recordings(folder: Path) -> list[Recorded]:
    """Every exchange of every cassette in ``folder`` (or of the one cassette ``folder`` names),
    cassette by cassette in the order of their names, each in the order it was recorded."""
    try:
        if folder.is_file():
            interactions = read_cassette(folder)
        elif folder.is_dir():
            interactions = read_directory(folder)
        else:
            raise RecordingError(f"{folder}: no such folder or cassette")
    except CassetteError as exc:
        raise RecordingError(str(exc)) from None
    if not interactions:
        raise RecordingError(f"{folder}: no recorded exchange (no cassette, or only empty ones)")
    return [recorded(i) for i in interactions]


def recorded(interaction: Interaction) -> Recorded:
    """One cassette's interaction as parity reads it."""
    request, response = interaction.request, interaction.response
    where = f"{interaction.source}#{interaction.index}" if interaction.source else f"#{interaction.index}"
    return Recorded(where, request.method.upper(), api_path(request.uri), CaseInsensitiveDict(request.headers),
                    request.body, answer(response.status, CaseInsensitiveDict(response.headers), response.body))
