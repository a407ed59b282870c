"""``python -m contracts verify``: every property against an endpoint, one line each, and the
command line that runs it."""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO
from urllib.parse import urlsplit

import requests

from contracts import timeline
from contracts.envelope import CURRENT, ERAS
from contracts.models import ENDPOINT_NAMES, MODELS, ModelProfile
from contracts.strategies import Case
from contracts.verify.oracle import disagreement
from contracts.verify.pacing import DEFAULT_MAX_WAIT, Pacer
from contracts.verify.properties import (
    DEFAULT_MODEL,
    NOT_TO_THE_REAL_SERVICE,
    REAL_HOST,
    Outcome,
    check_property,
    plan,
    properties,
)
from contracts.verify.sending import DEFAULT_TIMEOUT, Unreachable, probe
from contracts.version import program, version

DEFAULT_BUDGET = 20
EXIT_UNREACHABLE = 2
# Read as the official SDKs read them (a flag wins).
API_KEY_ENV = "OPENAI_API_KEY"
BASE_URL_ENV = "OPENAI_BASE_URL"


def run(
    base_url: str,
    api_key: str,
    *,
    budget: int = DEFAULT_BUDGET,
    seed: int | None = None,
    era: str = CURRENT,
    cheap: bool = False,
    shrink: bool = False,
    skip: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_wait: float = DEFAULT_MAX_WAIT,
    session: requests.Session | None = None,
    out: TextIO = sys.stdout,
    sleep: Callable[[float], None] = time.sleep,
    profile: ModelProfile = MODELS[DEFAULT_MODEL],
) -> list[Outcome]:
    """Check every property against ``base_url`` and print the report to ``out``. Raises
    :class:`Unreachable` first if nothing answers there."""
    seed = random.randrange(2**32) if seed is None else seed
    skips = dict(skip or {})
    if urlsplit(base_url).hostname == REAL_HOST:
        skips = {**NOT_TO_THE_REAL_SERVICE, **skips}
    http = session or requests.Session()
    pacer = Pacer(max_wait, out, sleep)
    try:
        probe(http, base_url, timeout=timeout)
    except Unreachable:
        if session is None:
            http.close()
        raise

    def attempt(case: Case) -> str | None:
        return disagreement(http, case, base_url=base_url, api_key=api_key, era=era, timeout=timeout, pacer=pacer)

    print(f"Images API contract ({profile.name}) against {base_url}: up to {budget} examples per property, "
          f"era {era}, seed {seed}", file=out)
    found = properties(cheap=cheap, skip=skips, profile=profile)
    cost = plan(found, budget)
    print(f"It sends at most {cost.requests} requests (a 429 sends its example again), asking for at most "
          f"{cost.images} images: what a real account pays for (requests the contract refuses make none).",
          file=out, flush=True)
    outcomes = []
    width = max(len(p.name) for p in found)
    for prop in found:
        started = time.perf_counter()
        outcome = check_property(prop, attempt, budget=budget, seed=seed, shrink=shrink)
        outcomes.append(outcome)
        took = time.perf_counter() - started
        if outcome.verdict == "skip":
            print(f"skip      {prop.name:<{width}}  {outcome.detail}", file=out)
            continue
        print(f"{outcome.verdict:<9} {prop.name:<{width}}  {prop.claim} ({outcome.examples} examples, "
              f"{took:.1f}s)", file=out)
        if outcome.request is not None:
            print(f"    request:  {outcome.request}", file=out)
        for line in (outcome.detail or "").splitlines():
            print(f"    {line}", file=out)
    if session is None:
        http.close()
    counts = {v: sum(o.verdict == v for o in outcomes) for v in ("agree", "DISAGREE", "error", "skip")}
    print(f"{counts['agree']} agree, {counts['DISAGREE']} disagree, {counts['error']} errors, "
          f"{counts['skip']} skipped. Rerun with --seed {seed}.", file=out)
    if pacer.waits:
        print(f"The endpoint rate-limited this run: waited {pacer.waits} time(s), {pacer.waited:.1f}s in all "
              "(never counted as a disagreement).", file=out)
    if any(o.verdict == "error" and "Paced" in (o.detail or "") for o in outcomes):
        print("hint: raise --max-wait, lower --budget, use --cheap, or start the fake with --rate-limit off",
              file=out)
    return outcomes


def main(argv: Sequence[str] | None = None, *, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(
        prog=program("python -m contracts verify"),
        description="Check an Images API endpoint against the contract: one line per property, "
        "exit status 0 when every checked property agrees, 1 when one does not, 2 when the endpoint "
        "cannot be reached. A 429 of the endpoint's quota is waited out (see --max-wait), never a "
        "disagreement.",
    )
    parser.add_argument("--version", action="version", version=version())
    parser.add_argument("--base-url", default=os.environ.get(BASE_URL_ENV) or None,
                        help=f"the API's base URL, e.g. http://127.0.0.1:5000/v1 (default: ${BASE_URL_ENV})")
    parser.add_argument("--api-key", default=os.environ.get(API_KEY_ENV),
                        help=f"the API key (default: ${API_KEY_ENV})")
    parser.add_argument("--budget", type=int, default=DEFAULT_BUDGET,
                        help=f"most examples per property (default {DEFAULT_BUDGET})")
    parser.add_argument("--seed", type=int, default=None, help="seed of the examples (default: random, printed)")
    parser.add_argument("--era", choices=ERAS, default=CURRENT, help="error wording to expect (default current)")
    parser.add_argument("--cheap", action="store_true",
                        help="successful requests ask for one image of the smallest size, and the property "
                        "about n is left out (a paid endpoint)")
    parser.add_argument("--shrink", action="store_true",
                        help="shrink a disagreement to a smaller example (more requests)")
    parser.add_argument("--skip", action="append", default=[], metavar="PROPERTY",
                        help="leave a property out (repeatable): an endpoint, n, or a catalogue key")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds to wait for an answer (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--max-wait", type=float, default=DEFAULT_MAX_WAIT, metavar="SECONDS",
                        help="most seconds one example may wait, in all, when the endpoint answers 429 "
                        f"(rate limited); past it the property is reported as an error (default {DEFAULT_MAX_WAIT:g})")
    parser.add_argument("--model", default=DEFAULT_MODEL, choices=list(MODELS), metavar="MODEL",
                        help=f"the model whose contract to check (default {DEFAULT_MODEL}, served today; "
                        f"dall-e-2 is the guide's, retired on 2026-05-12): one of {', '.join(MODELS)}")
    parser.add_argument("--as-of", default=None, metavar="DATE",
                        help="the service as of DATE (YYYY-MM-DD or today): the error wording of the date, "
                        "and the endpoints removed by then left out")
    args = parser.parse_args(argv)
    skip = {name: "left out by --skip" for name in args.skip}
    if args.as_of is not None:
        try:
            as_of = timeline.parse_date(args.as_of)
        except ValueError:
            parser.error(f"--as-of {args.as_of!r} is not a date (YYYY-MM-DD or today)")
        args.era = timeline.era(as_of, args.era)
        removed = [e for e in ENDPOINT_NAMES if not timeline.endpoint_served(e, as_of)]
        skip.update({e: f"removed by {as_of} (--as-of)" for e in removed})
        profile = MODELS[args.model]
        if not timeline.model_known(profile, as_of) or timeline.model_retired(profile, as_of):
            parser.error(f"{args.model} was not served on {as_of} (its valid requests would be refused): "
                         "name a model served then with --model")
    if not args.base_url:
        parser.error(f"give --base-url or set {BASE_URL_ENV} (e.g. http://127.0.0.1:5000/v1 for the fake)")
    if not args.api_key:
        parser.error(f"give --api-key or set {API_KEY_ENV}")
    if args.budget < 1:
        parser.error("--budget must be at least 1")
    known = {p.name for p in properties()}
    unknown = sorted(set(args.skip) - known)
    if unknown:
        parser.error(f"--skip {unknown[0]!r} is not a property; they are: {', '.join(sorted(known))}")
    if args.max_wait < 0:
        parser.error("--max-wait must be 0 or more")
    try:
        outcomes = run(args.base_url, args.api_key, budget=args.budget, seed=args.seed, era=args.era,
                       cheap=args.cheap, shrink=args.shrink, skip=skip,
                       timeout=args.timeout, max_wait=args.max_wait, out=out, profile=MODELS[args.model])
    except Unreachable as exc:
        print(f"cannot connect to {args.base_url}: {exc} (is the server running?)", file=sys.stderr)
        return EXIT_UNREACHABLE
    return 0 if all(o.verdict in ("agree", "skip") for o in outcomes) else 1
