"""Parity: an endpoint judged against a recording of the service.

    python -m contracts parity cassettes/ --base-url http://127.0.0.1:5000/v1 --api-key sk-test

Every exchange recorded in the folder (the cassettes ``python -m mockserver --record`` writes,
read by :mod:`contracts.cassette`) is sent again, in the recorded order, to the endpoint (the
fake, a replaying fake, the real API), and the answer is compared with the recorded one in what
a client relies on (:mod:`contracts.parity.compare`). A report per exchange that differs
(request, recorded, got, why), a summary line; exit status 0 when nothing but values the
contract marks ``ASSUMPTION`` differs (those are listed apart, as what to correct), 1 when
anything else does, 2 when the endpoint cannot be reached.

It sends with :mod:`contracts.verify`'s sending and pacing (a 429 of the endpoint's quota where
the recording has none is waited out, never a difference).

The package, one job a module (each imports only those above it):

    recorded.py     the cassettes' exchanges as requests to send again and answers to compare with
    compare.py      how an answer differs from the recorded one, and what the contract assumed
    cli.py          the run over every exchange, the report, and the command line
"""

from __future__ import annotations

from contracts.parity.cli import EXIT_DIFFERENT, EXIT_SAME, Outcome, check, main, outgoing, run
from contracts.parity.compare import HEADERS, MUST_DIFFER, Finding, compare, describe, describe_image, source_of
from contracts.parity.recorded import Recorded, RecordingError, api_path, read_recordings

__all__ = [
    "EXIT_DIFFERENT",
    "EXIT_SAME",
    "HEADERS",
    "MUST_DIFFER",
    "Finding",
    "Outcome",
    "Recorded",
    "RecordingError",
    "api_path",
    "check",
    "compare",
    "describe",
    "describe_image",
    "main",
    "outgoing",
    "read_recordings",
    "run",
    "source_of",
]
