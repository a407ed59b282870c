"""``--record DIR --upstream URL``: every ``/v1/`` request forwarded to the upstream with the
client's own headers (its credentials included), the upstream's answer sent back unchanged (status
line, headers, body; a stream's bytes as they arrive), and the exchange written to this run's
cassette in DIR once it is complete (:class:`contracts.cassette.CassetteWriter`: redacted,
atomically).

An upstream that cannot be reached answers ``upstream_unreachable`` (502), one that sends nothing
for ``--upstream-timeout-ms`` ``upstream_timeout`` (504); neither is written. A stream the upstream
breaks, or the client leaves, ends there and is not written either: DIR holds only complete
exchanges.

ASSUMPTION: the upstream is asked for an unencoded answer (``Accept-Encoding: identity``), so that
the bytes sent back are the bytes written, readable in the cassette and replayable by vcrpy.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from flask import Request
from flask import Response as FlaskResponse

from contracts.cassette import (
    CassetteWriter,
    Interaction,
    Redaction,
    Response,
    new_cassette_path,
    utc_now,
)
from contracts.cassette import Request as Sent
from contracts.headers import REQUEST_ID
from contracts.spec import REAL_BASE_URL
from mockserver.core.backend import Backend
from mockserver.core.exchange import Exchange
from mockserver.core.pipeline import PREFIX
from mockserver.recording import common
from mockserver.settings.config import Config

_log = logging.getLogger("mockserver")
_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")
# Not forwarded: of our connection, recomputed by httpx, or replaced (the encoding: see above).
_NOT_FORWARDED = common.NOT_RECORDED | {"accept-encoding"}


class Recorder:
    """Forwards ``/v1/`` to the upstream and writes each complete exchange to one cassette."""

    def __init__(self, backend: Backend, config: Config) -> None:
        assert config.record is not None
        self.backend = backend
        self.upstream = (config.upstream or REAL_BASE_URL).rstrip("/")
        self.timeout_ms = config.upstream_timeout_ms
        directory = Path(config.record)
        try:
            self.path = new_cassette_path(directory, prefix=f"session-{os.getpid()}")
        except OSError as exc:
            raise ValueError(f"--record {directory}: cannot write there: {exc}") from exc
        self.writer = CassetteWriter(self.path, Redaction(config.redact_headers, config.redact_fields))
        # One pool of connections for the process; trust_env: a recording made behind a proxy
        # goes through it (HTTPS_PROXY), as the SDK's own requests would.
        self.client = httpx.Client(timeout=httpx.Timeout(self.timeout_ms / 1000), follow_redirects=False)

    def target(self, req: Request) -> str:
        """The upstream URL of a request under ``/v1/``."""
        query = req.query_string.decode("latin-1")
        return self.upstream + "/" + req.path[len(PREFIX):] + (f"?{query}" if query else "")

    def serve(self, req: Request, ex: Exchange) -> FlaskResponse:
        body = req.get_data(cache=False)  # bounded by MAX_CONTENT_LENGTH (413)
        sent = common.sent_request(req, self.target(req), body)
        common.begin(ex, sent)
        headers = [(k, v) for k, v in req.headers.items() if k.lower() not in _NOT_FORWARDED]
        headers.append(("Accept-Encoding", "identity"))
        try:
            upstream = self.client.send(self.client.build_request(req.method, sent.uri, headers=headers, content=body),
                                        stream=True)
        except httpx.TimeoutException:
            return self._failed(ex, sent, timed_out=True)
        except httpx.HTTPError as exc:
            return self._failed(ex, sent, reason=_reason(exc))
        arrived = time.perf_counter()
        status, reason = upstream.status_code, upstream.reason_phrase
        answer_headers = list(upstream.headers.multi_items())
        recorded = Response(status, reason, answer_headers)
        if not recorded.is_stream:
            try:
                recorded.body = upstream.read()
            except httpx.TimeoutException:
                return self._failed(ex, sent, timed_out=True)
            except httpx.HTTPError as exc:
                return self._failed(ex, sent, reason=_reason(exc))
            finally:
                upstream.close()
            where = self._write(Interaction(sent, recorded, recorded_at=utc_now()))
            ex.error_code, ex.error_type = common.error_of(recorded.body) if status >= 400 else (None, None)
            common.journal(self.backend, ex, sent, status, request_id=upstream.headers.get(REQUEST_ID),
                           source={"recorded": where})
            return common.answer(status, reason, answer_headers, recorded.body)
        kept = common.journal(self.backend, ex, sent, status, request_id=upstream.headers.get(REQUEST_ID),
                              source={"recorded": ""}, stream=True)
        return common.answer(status, reason, answer_headers,
                             self._relay(upstream, Interaction(sent, recorded, recorded_at=utc_now()), arrived, kept))

    def _relay(self, upstream: httpx.Response, interaction: Interaction, arrived: float,
               kept: tuple[dict[str, object], int] | None) -> Iterator[bytes]:
        """A stream's bytes as the upstream sends them; written once it has ended whole."""
        buffer = bytearray()
        events_ms: list[float] = []
        complete = False
        where = ""
        scanned = 0  # where the last event's end was found
        try:
            for chunk in upstream.iter_raw():
                start = max(scanned, len(buffer) - 3)  # an event's end may straddle two chunks
                buffer += chunk
                now = (time.perf_counter() - arrived) * 1000
                for match in _EVENT_END.finditer(buffer, start):
                    events_ms.append(now)
                    scanned = match.end()
                yield chunk
            complete = True
        except httpx.HTTPError as exc:
            _log.warning("the upstream's stream for %s broke after %d bytes (%s): not recorded",
                         interaction.request.describe(), len(buffer), _reason(exc))
        finally:
            upstream.close()
            if complete:
                interaction.response.body = bytes(buffer)
                interaction.response.events_ms = events_ms
                where = self._write(interaction)
            common.stream_ended(self.backend, kept, len(events_ms), {"recorded": where})

    def _write(self, interaction: Interaction) -> str:
        """Add the exchange to the cassette; where it is (``session-….json#3``, or in a later part:
        ``session-….part00002.json#1``), or "" when it could not be written (said in the log:
        the client still gets its answer)."""
        try:
            number = self.writer.add(interaction)
        except (OSError, ValueError) as exc:
            _log.error("could not write %s to %s: %s", interaction.request.describe(), self.path, exc)
            return ""
        return self.writer.location(number)

    def _failed(self, ex: Exchange, sent: Sent, *, timed_out: bool = False, reason: str = "") -> FlaskResponse:
        """The answer when the upstream failed before its answer was whole (nothing is written)."""
        if timed_out:
            response = common.refusal("upstream_timeout", ex, self.backend, upstream=self.upstream,
                                      timeout_ms=self.timeout_ms)
        else:
            response = common.refusal("upstream_unreachable", ex, self.backend, upstream=self.upstream, reason=reason)
        common.journal(self.backend, ex, sent, response.status_code, request_id=None, source={"recorded": ""})
        return response

    def close(self) -> None:
        self.client.close()
        try:
            self.writer.close()  # the last part of the cassette flushed to the disk
        except OSError as exc:
            _log.error("could not flush %s to the disk: %s", self.path, exc)


def _reason(exc: Exception) -> str:
    """What went wrong with the upstream, in a few words (no traceback)."""
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
