"""The conformance report: the contract's properties, run against any endpoint.

    OPENAI_BASE_URL=http://127.0.0.1:5000/v1 OPENAI_API_KEY=sk-test python -m contracts verify

The endpoint and key are read as the SDKs read them (``OPENAI_BASE_URL``,
``OPENAI_API_KEY``; ``--base-url`` and ``--api-key`` win). The model checked is one served
today (:data:`DEFAULT_MODEL`, ``--model`` for another). Before it starts it says how many
requests it sends and how many images they ask for at most; images are spent sparingly (one a
request, more only in the property about ``n``).

One line per property: each endpoint's valid requests (200, the image of the
size asked, in the format asked), valid requests for ``n`` images, and each rule of the error catalogue (a request
that breaks only that rule gets exactly the catalogued error: status, type, code,
param and message). A disagreement shows the first differing request, what the
contract expected and what came back. Rules that no single request can break
(quotas, faults, the fake's control plane) are listed as skipped, with the reason.
Exit status 0 when every checked property agrees, 1 otherwise, 2 when the endpoint
cannot be reached at all (or the command line is wrong).

A 429 that paces the run (``rate_limit_exceeded``: the endpoint's quota, not the
contract) is never a disagreement: the example is sent again once the endpoint's
``retry-after-ms`` / ``retry-after`` / ``x-ratelimit-reset-*`` headers say it may
be, with a line saying so, waiting at most ``--max-wait`` seconds per example.

It talks HTTP with ``requests`` only, so it runs against the fake, the real API or
any OpenAI-compatible server; the same functions (:func:`send`, :func:`problems`)
are the oracle of the pytest contract suite.

The package, one job a module (each imports only those above it):

    sending.py      a case as an HTTP request, sent; the answer read whole; the reachability probe
    pacing.py       a 429 of the endpoint's quota waited out, never a disagreement
    oracle.py       whether an answer keeps the contract for a case, and how it differs
    properties.py   the report's lines: each endpoint's valid requests, each catalogue entry
    cli.py          the run over every property, and the command line

``requests``, ``urllib3``, Pillow and Hypothesis are imported here only: ``import contracts``
does not load them.
"""

from __future__ import annotations

from contracts.verify.cli import API_KEY_ENV, BASE_URL_ENV, DEFAULT_BUDGET, EXIT_UNREACHABLE, main, run
from contracts.verify.oracle import (
    disagreement,
    expected_text,
    image_bytes,
    image_problems,
    problems,
    refusal_problems,
    reported_problems,
    success_problems,
)
from contracts.verify.pacing import DEFAULT_MAX_WAIT, FALLBACK_WAIT, Paced, Pacer, is_pacing, wait_asked
from contracts.verify.properties import (
    DEFAULT_MODEL,
    N_EXAMPLES,
    N_PROPERTY,
    NOT_ONE_REQUEST,
    NOT_TO_THE_REAL_SERVICE,
    Outcome,
    Plan,
    Property,
    cheap_bounds,
    check_property,
    plan,
    properties,
)
from contracts.verify.sending import DEFAULT_TIMEOUT, Answer, Outgoing, Unreachable, outgoing, probe, send

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BUDGET",
    "DEFAULT_MAX_WAIT",
    "DEFAULT_MODEL",
    "DEFAULT_TIMEOUT",
    "EXIT_UNREACHABLE",
    "FALLBACK_WAIT",
    "NOT_ONE_REQUEST",
    "NOT_TO_THE_REAL_SERVICE",
    "N_EXAMPLES",
    "N_PROPERTY",
    "Answer",
    "Outcome",
    "Outgoing",
    "Paced",
    "Pacer",
    "Plan",
    "Property",
    "Unreachable",
    "cheap_bounds",
    "check_property",
    "disagreement",
    "expected_text",
    "image_bytes",
    "image_problems",
    "is_pacing",
    "main",
    "outgoing",
    "plan",
    "probe",
    "problems",
    "properties",
    "refusal_problems",
    "reported_problems",
    "run",
    "send",
    "success_problems",
    "wait_asked",
]
