"""``--replay DIR``: every ``/v1/`` request answered from the cassettes in DIR.

A request is matched as the API reads it (:func:`contracts.cassette.differences`); repeated
identical requests get their recorded answers in turn, and the last one again once they are used
up (:class:`contracts.cassette.Playback`). The recorded answer goes back as it was recorded:
status line, headers (the redacted ones with their marker), body; a stream event by event, each
its own chunk. ASSUMPTION: without the recorded pauses between events (``events_ms`` stays in the
cassette): a replay is for tests, which want it fast.

A request that matches nothing gets ``no_recorded_match`` (404), its message and
``error.near_misses`` naming the nearest recorded requests and what differs; with
``--replay-fallback fake`` it goes to the fake's own pipeline instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Request
from flask import Response as FlaskResponse

from contracts.cassette import CassetteError, Interaction, Playback, RequestView, cassette_files, read_directory, view
from contracts.cassette import Request as Sent
from contracts.headers import REQUEST_ID
from mockserver.core.backend import Backend
from mockserver.core.exchange import Exchange
from mockserver.recording import common
from mockserver.settings.config import Config
from mockserver.state.journal import Summary, summarise


class Replayer:
    """Answers ``/v1/`` from recorded exchanges."""

    def __init__(self, backend: Backend, config: Config) -> None:
        assert config.replay is not None
        directory = Path(config.replay)
        if not directory.is_dir():
            raise ValueError(f"--replay {directory}: no such directory")
        if not cassette_files(directory):
            raise ValueError(f"--replay {directory}: no cassette (*.json) in it")
        try:
            interactions = read_directory(directory)
        except CassetteError as exc:
            raise ValueError(f"--replay: {exc}") from exc
        self.backend = backend
        self.directory = directory
        self.fallback = config.replay_fallback
        self.playback = Playback(interactions)
        # What each answer sends, worked out once (a replay answers the same exchanges again and again).
        self._headers = [_replayable(i.response.headers, i.response.body) for i in interactions]
        self._streams = [i.response.is_stream for i in interactions]
        self._errors = [common.error_of(i.response.body) if i.response.status >= 400 else (None, None)
                        for i in interactions]

    def __len__(self) -> int:
        return len(self.playback.interactions)

    def rewind(self) -> None:
        """Start again from the first recorded answers (a new test of a suite, say)."""
        self.playback.rewind()

    def serve(self, req: Request, ex: Exchange) -> FlaskResponse | None:
        # cached: with the fallback, the pipeline reads the body again
        body = req.get_data(cache=self.fallback == "fake")
        sent = common.sent_request(req, common.url_of(req), body)
        sent_view = view(sent)  # the body read once: for the match and for the journal
        number = self.playback.number_of(sent_view)
        if number is None:
            if self.fallback == "fake":
                return None  # the pipeline answers, and journals, as the fake does
            common.begin(ex, sent)
            return self._unmatched(ex, sent)
        common.begin(ex, sent)
        found = self.playback.interactions[number]
        recorded = found.response
        status, reason = recorded.status, recorded.reason
        ex.error_code, ex.error_type = self._errors[number]
        request_id = recorded.header(REQUEST_ID)
        source = {"replayed": found.name()}
        headers = self._headers[number]
        params = _params(sent, sent_view, self.backend.config.journal_entry_bytes)
        if not self._streams[number]:
            common.journal(self.backend, ex, sent, status, request_id=request_id, source=source, params=params)
            return common.answer(status, reason, headers, recorded.body)
        kept = common.journal(self.backend, ex, sent, status, request_id=request_id, source=source, stream=True,
                              params=params)
        return common.answer(status, reason, headers, self._events(found, kept, source))

    def _events(self, found: Interaction, kept: tuple[dict[str, Any], int] | None,
                source: dict[str, str]) -> Iterator[bytes]:
        sent = 0
        try:
            for event in found.response.events():
                yield event
                sent += 1
        finally:
            common.stream_ended(self.backend, kept, sent, source)

    def _unmatched(self, ex: Exchange, sent: Sent) -> FlaskResponse:
        misses = self.playback.near_misses(sent)
        if misses:
            nearest = "Nearest recorded: " + "; ".join(m.describe() for m in misses) + "."
        else:
            nearest = f"The cassettes in {self.directory} hold no exchange."
        response = common.refusal("no_recorded_match", ex, self.backend,
                                  extra={"near_misses": [m.to_json() for m in misses]},
                                  request=sent.describe(), nearest=nearest)
        common.journal(self.backend, ex, sent, response.status_code, request_id=None, source={"replayed": ""})
        return response


def _params(sent: Sent, sent_view: RequestView, budget: int) -> Summary:
    """What was asked, as the journal describes it (:func:`common.params_of`), from the body
    already read for the match when it is JSON."""
    return summarise(sent_view.value, budget) if sent_view.kind == "json" else common.params_of(sent, budget)


def _replayable(headers: list[tuple[str, str]], body: bytes) -> list[tuple[str, str]]:
    """The recorded headers to send again. A cassette another tool wrote may keep a decoded body
    beside the ``Content-Encoding`` it arrived with (vcrpy's httpx recorder does): a gzip header
    on a body that is not gzip is left out, or the client would fail to decode plain text."""
    encoding = next((v.strip().lower() for k, v in headers if k.lower() == "content-encoding"), "identity")
    plain = encoding == "gzip" and not body.startswith(b"\x1f\x8b")  # (gzip's magic number)
    return [(k, v) for k, v in headers if k.lower() != "content-encoding"] if plain else headers
