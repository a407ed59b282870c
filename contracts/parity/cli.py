"""``python -m contracts parity DIR --base-url URL``: every recorded request sent again to an
endpoint, its answer compared with the recorded one; a report per exchange and a summary."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import requests

from contracts.headers import AUTHORIZATION
from contracts.parity.compare import Finding, compare, describe
from contracts.parity.recorded import Recorded, RecordingError, read_recordings
from contracts.verify.cli import API_KEY_ENV, BASE_URL_ENV, EXIT_UNREACHABLE
from contracts.verify.pacing import DEFAULT_MAX_WAIT, Paced, Pacer, is_quota_answer
from contracts.verify.sending import DEFAULT_TIMEOUT, Answer, Outgoing, Unreachable, probe, send_request
from contracts.version import program, version

EXIT_SAME = 0
EXIT_DIFFERENT = 1
MAX_SHOWN = 12  # differences shown per exchange (the rest are counted)
# What is not sent again as recorded: the credentials (redacted in the recording; --api-key's
# are sent), and what the HTTP client writes for the body and the connection it sends on.
NOT_SENT = frozenset({
    "authorization", "api-key", "openai-organization", "openai-project", "cookie", "host", "content-length",
    "connection", "transfer-encoding", "accept-encoding", "keep-alive", "te", "upgrade", "proxy-authorization",
})


@dataclass
class Outcome:
    """One exchange sent again: what came back and how it differs (``error``: it could not be sent)."""

    exchange: Recorded
    got: Answer | None = None
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None

    @property
    def verdict(self) -> str:
        if self.error is not None or any(not f.assumed for f in self.findings):
            return "DIFFERS"
        return "assumed" if self.findings else "same"


def outgoing(exchange: Recorded, *, base_url: str, api_key: str | None) -> Outgoing:
    """The recorded request, to ``base_url``: its method, path and body as recorded, its headers
    but the credentials, and ``api_key``'s in their place.

    ASSUMPTION (our choice): a request recorded with no credentials at all gets the key too (vcrpy's
    ``filter_headers`` drops the header rather than redacting it), unless its recorded answer is the
    401 of a request sent without one: that one is sent without, as recorded."""
    sent = {k: v for k, v in exchange.headers.items() if k.lower() not in NOT_SENT}
    had_credentials = any(k.lower() in ("authorization", "api-key") for k in exchange.headers)
    if api_key and (had_credentials or exchange.answer.status != 401):
        sent[AUTHORIZATION] = f"Bearer {api_key}"
    return Outgoing(exchange.method, base_url.rstrip("/") + exchange.path, sent, exchange.body or None)


def check(session: requests.Session, exchange: Recorded, *, base_url: str, api_key: str | None,
          pacer: Pacer, timeout: float = DEFAULT_TIMEOUT) -> Outcome:
    """Send ``exchange``'s request again and compare the answer with the recorded one. A 429 of
    the endpoint's quota where none was recorded is waited out (``pacer``), never a difference;
    a connection refused or dropped raises :class:`Unreachable`."""
    request = outgoing(exchange, base_url=base_url, api_key=api_key)
    recorded_429 = exchange.answer.status == 429
    try:
        got = pacer.paced(lambda: send_request(session, request, timeout=timeout),
                          lambda answer: not recorded_429 and is_quota_answer(answer))
    except requests.ConnectionError as exc:  # it answered the probe, and then stopped answering
        raise Unreachable(f"no answer to {exchange.where} {exchange.method} {exchange.path}: {exc}") from None
    except (requests.RequestException, Paced) as exc:
        return Outcome(exchange, error=f"{type(exc).__name__}: {exc}")
    return Outcome(exchange, got, compare(exchange.answer, got))


def report(outcome: Outcome, index: int, out: TextIO) -> None:
    exchange = outcome.exchange
    line = f"{outcome.verdict:<8} [{index}] {exchange.method} {exchange.path}"
    if outcome.verdict == "same":
        print(f"{line}  ({exchange.answer.status})", file=out)
        return
    print(f"{line}  ({exchange.where})", file=out)
    print(f"    request:  {exchange.describe_request()}", file=out)
    print(f"    recorded: {describe(exchange.answer)}", file=out)
    print(f"    got:      {outcome.error or (describe(outcome.got) if outcome.got else '-')}", file=out)
    shown = outcome.findings[:MAX_SHOWN]
    for number, finding in enumerate(shown):
        label = "why:" if number == 0 else ""
        mark = "ASSUMED " if finding.assumed else ""
        print(f"    {label:<9} {mark}{finding}", file=out)
    if len(outcome.findings) > MAX_SHOWN:
        print(f"              ... and {len(outcome.findings) - MAX_SHOWN} more", file=out)


def run(folder: Path, base_url: str, api_key: str | None, *, timeout: float = DEFAULT_TIMEOUT,
        max_wait: float = DEFAULT_MAX_WAIT, session: requests.Session | None = None, out: TextIO = sys.stdout,
        sleep: Callable[[float], None] = time.sleep) -> list[Outcome]:
    """Send every exchange recorded in ``folder`` to ``base_url`` in the recorded order, print the
    report to ``out`` and return the outcomes. Raises :class:`Unreachable` first if nothing answers
    there, :class:`RecordingError` if the recordings cannot be read."""
    exchanges = read_recordings(folder)
    http = session or requests.Session()
    try:
        probe(http, base_url, timeout=timeout)
        print(f"Parity of {base_url} with {len(exchanges)} recorded exchange(s) in {folder}", file=out, flush=True)
        pacer = Pacer(max_wait, out, sleep)
        outcomes = []
        for index, exchange in enumerate(exchanges, 1):
            outcome = check(http, exchange, base_url=base_url, api_key=api_key, pacer=pacer, timeout=timeout)
            report(outcome, index, out)
            outcomes.append(outcome)
    finally:
        if session is None:
            http.close()
    summarize(outcomes, out)
    return outcomes


def summarize(outcomes: Iterable[Outcome], out: TextIO) -> None:
    outcomes = list(outcomes)
    counts = {v: sum(o.verdict == v for o in outcomes) for v in ("same", "DIFFERS", "assumed")}
    assumed = [(o, f) for o in outcomes for f in o.findings if f.assumed]
    if assumed:
        print("\nWhat to correct in the contract (values it marks ASSUMPTION that the recording contradicts):",
              file=out)
        for outcome, finding in assumed:
            exchange = outcome.exchange
            print(f"    {exchange.where} {exchange.method} {exchange.path} {finding}", file=out)
    print(f"\n{len(outcomes)} exchanges: {counts['same']} same, {counts['DIFFERS']} differ, "
          f"{counts['assumed']} differ only in assumed values ({len(assumed)} value(s) to correct)", file=out)


def main(argv: Sequence[str] | None = None, *, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(
        prog=program("python -m contracts parity"),
        description="Send every request recorded in DIR (the cassettes of `python -m mockserver --record`) "
        "again to an Images API endpoint, and compare each answer with the recorded one in what a client "
        "relies on: the status; the error's type, code, param and message; which of the API's headers are "
        "present; the fields of the answer and their types; the images' count, format and size; a stream's "
        "event types in order. Ids, created, request ids and image bytes are not compared. A value the "
        "contract marks ASSUMPTION (token counts) that differs is listed apart, as what to correct. Exit "
        "status 0 when nothing but assumed values differs, 1 when anything else does, 2 when the endpoint "
        "cannot be reached (or the command line or DIR is wrong).",
    )
    parser.add_argument("--version", action="version", version=version())
    parser.add_argument("folder", metavar="DIR", type=Path, help="the folder of cassettes (or one cassette file)")
    parser.add_argument("--base-url", default=os.environ.get(BASE_URL_ENV) or None,
                        help=f"the API's base URL, e.g. http://127.0.0.1:5000/v1 (default: ${BASE_URL_ENV})")
    parser.add_argument("--api-key", default=os.environ.get(API_KEY_ENV),
                        help="the API key sent in place of the recorded (redacted or left out) credentials; "
                        f"a request recorded without any that got 401 is sent without (default: ${API_KEY_ENV}; "
                        "none: requests go without)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds to wait for an answer (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--max-wait", type=float, default=DEFAULT_MAX_WAIT, metavar="SECONDS",
                        help="most seconds one request may wait, in all, when the endpoint answers 429 (rate "
                        f"limited) where the recording has no 429 (default {DEFAULT_MAX_WAIT:g})")
    args = parser.parse_args(argv)
    if not args.base_url:
        parser.error(f"give --base-url or set {BASE_URL_ENV} (e.g. http://127.0.0.1:5000/v1 for the fake)")
    if urlsplit(args.base_url).scheme not in ("http", "https"):
        parser.error(f"--base-url {args.base_url!r} is not an http(s) URL")
    if args.max_wait < 0:
        parser.error("--max-wait must be 0 or more")
    try:
        outcomes = run(args.folder, args.base_url, args.api_key, timeout=args.timeout, max_wait=args.max_wait,
                       out=out)
    except RecordingError as exc:
        print(f"python -m contracts parity: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except Unreachable as exc:
        print(f"cannot connect to {args.base_url}: {exc} (is the server running?)", file=sys.stderr)
        return EXIT_UNREACHABLE
    return EXIT_SAME if all(o.verdict != "DIFFERS" for o in outcomes) else EXIT_DIFFERENT
