"""The conformance report: the contract's properties, run against any endpoint.

    python -m contracts verify --base-url http://127.0.0.1:5000/v1 --api-key sk-test --budget 20

One line per property: each endpoint's valid requests (200, ``n`` images of the
size asked, in the format asked) and each rule of the error catalogue (a request
that breaks only that rule gets exactly the catalogued error: status, type, code,
param and message). A disagreement shows the first differing request, what the
contract expected and what came back. Rules that no single request can break
(quotas, faults, the fake's control plane) are listed as skipped, with the reason.
Exit status 0 when every checked property agrees, 1 otherwise.

It talks HTTP with ``requests`` only, so it runs against the fake, the real API or
any OpenAI-compatible server; the same functions (:func:`send`, :func:`problems`)
are the oracle of the pytest contract suite.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
import random
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO
from urllib.parse import urlsplit

import requests
from requests.structures import CaseInsensitiveDict
from urllib3 import encode_multipart_formdata

from contracts import png, timeline
from contracts.errors import CATALOGUE, CURRENT, ERAS
from contracts.shapes import ERROR_KEYS, images_response_problems
from contracts.spec import DALL_E_2, ENDPOINT_NAMES, ENDPOINTS, REAL_BASE_URL, ModelProfile, parse_size
from contracts.strategies import (
    RULES,
    Case,
    CaseStrategy,
    Refusal,
    Success,
    invalid_requests,
    search,
    valid_edits,
    valid_generations,
    valid_variations,
)

DEFAULT_BUDGET = 20
DEFAULT_TIMEOUT = 60.0
API_KEY_ENV = "OPENAI_API_KEY"

# Why a catalogue entry cannot be checked by sending one request.
NOT_ONE_REQUEST: Mapping[str, str] = {
    "invalid_api_key": "depends on which keys the server accepts",
    "content_policy_image": "depends on which images the server blocks",
    "rate_limit_exceeded": "depends on the quota already spent, not on one request",
    "insufficient_quota": "depends on the account's billing",
    "billing_hard_limit_reached": "depends on the account's billing",
    "server_error": "a failure of the server, not of the request",
    "overloaded": "a failure of the server, not of the request",
    "bad_gateway": "a failure of the network, not of the request",
    "gateway_timeout": "a failure of the network, not of the request",
    "invalid_config": "the fake's control API, not the Images API",
    "admin_token_required": "the fake's control API, not the Images API",
    "control_not_local": "the fake's control API, not the Images API",
    "organization_must_be_verified": "depends on the organization's verification, not on one request",
    **{
        key: "a rule of today's models: the strategies break it once they build cases for every profile"
        for key in ("invalid_size", "size_not_wxh", "size_not_multiple", "size_ratio", "size_edge", "size_pixels",
                    "gif_size", "transparent_unsupported", "transparent_format", "compression_format",
                    "parameter_needs_format", "svg_n", "moderation_blocked")
    },
    **{
        key: "a rule of GPT edits' inputs (image[] parts, JSON image references): the strategies break it "
        "once they build GPT edit cases"
        for key in ("unsupported_file_mimetype", "invalid_image_file", "image_file_too_large", "image_too_many_pixels",
                    "mask_missing_alpha", "mask_size_mismatch_gpt", "mask_not_png", "invalid_image_url",
                    "invalid_data_url", "file_not_found", "image_ref_one_of", "array_below_min_length")
    },
    "parameter_needs_stream": "a rule of streamed answers: the strategies break it once they build stream cases",
    "stream_format": "a rule of streamed answers: the strategies break it once they build stream cases",
    "model_retired": "depends on the date the service is at (the fake's --as-of), not on one request",
}
REAL_HOST = urlsplit(REAL_BASE_URL).hostname
NOT_TO_THE_REAL_SERVICE: Mapping[str, str] = {
    "content_policy_prompt": "not sent to the real service: prompts with blocked words could flag the account",
}


# --- sending a case ---------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """A case as an HTTP request."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None


@dataclass(frozen=True)
class Answer:
    """What came back: status, headers and body (parsed when it is JSON)."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    body: Any = None  # the parsed JSON; None when the body is not JSON

    @property
    def is_json(self) -> bool:
        return self.body is not None

    def describe(self, limit: int = 1200) -> str:
        text = json.dumps(_shortened(self.body), ensure_ascii=False) if self.is_json else repr(self.content[:limit])
        if len(text) > limit:
            text = text[: limit - 1] + "…"
        return f"{self.status} {text}"


def _shortened(value: Any) -> Any:
    """A JSON value with long strings (base64 images, long messages) cut short."""
    if isinstance(value, str) and len(value) > 600:
        return f"{value[:60]}…({len(value)} characters)"
    if isinstance(value, dict):
        return {k: _shortened(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shortened(v) for v in value]
    return value


def outgoing(case: Case, *, base_url: str, api_key: str) -> Outgoing:
    """The HTTP request for ``case``: its method, URL, headers and body bytes."""
    headers = {"Accept": "application/json"}
    if case.authorization is not None:
        headers["Authorization"] = case.authorization.format(api_key=api_key)
    body: bytes | None = None
    if case.kind == "json":
        body = json.dumps(case.json).encode()
        headers["Content-Type"] = "application/json"
    elif case.kind == "multipart":
        parts: list[tuple[str, Any]] = list(case.fields)
        parts += [(p.field, (p.filename, p.data, p.content_type)) for p in case.files]
        body, headers["Content-Type"] = encode_multipart_formdata(parts)
    elif case.kind == "raw":
        body = case.raw
        if case.content_type is not None:
            headers["Content-Type"] = case.content_type
    return Outgoing(case.method, base_url.rstrip("/") + case.path, headers, body)


def send(session: requests.Session, case: Case, *, base_url: str, api_key: str,
         timeout: float = DEFAULT_TIMEOUT) -> Answer:
    """Send ``case`` with ``session`` and read the whole answer."""
    request = outgoing(case, base_url=base_url, api_key=api_key)
    response = session.request(request.method, request.url, headers=request.headers, data=request.body,
                               timeout=timeout, allow_redirects=False)
    with response:
        content = response.content
        try:
            body = json.loads(content) if content else None
        except ValueError:
            body = None
        return Answer(response.status_code, CaseInsensitiveDict(response.headers), content, body)


# --- the oracle ---------------------------------------------------------------------------


def expected_text(case: Case, era: str = CURRENT) -> str:
    """What the contract promises for ``case``, in one line."""
    if isinstance(case.expect, Success):
        e = case.expect
        return f"200 with {e.n} image(s) of {e.size} as {e.response_format}"
    return f"{case.expect.status} {json.dumps(case.expect.body(era), ensure_ascii=False)}"


def refusal_problems(expect: Refusal, answer: Answer, era: str = CURRENT) -> list[str]:
    """How ``answer`` differs from the catalogued error (empty when it is exactly that)."""
    found = []
    if answer.status != expect.status:
        found.append(f"status {answer.status}, expected {expect.status}")
    want = expect.body(era)
    got = answer.body
    if got == want:
        return found
    if not isinstance(got, dict) or not isinstance(got.get("error"), dict):
        return [*found, "the body is not an error envelope"]
    if set(got) != {"error"}:
        found.append(f"body keys {sorted(got)}, expected ['error']")
    for key in ERROR_KEYS:
        if got["error"].get(key, "(missing)") != want["error"][key]:
            found.append(f"error.{key} is {got['error'].get(key, '(missing)')!r}, expected {want['error'][key]!r}")
    extra = sorted(set(got["error"]) - set(ERROR_KEYS))
    if extra:
        found.append(f"error has extra keys {extra}")
    return found


def image_bytes(session: requests.Session, answer: Answer, response_format: str, *,
                timeout: float = DEFAULT_TIMEOUT) -> list[bytes]:
    """The images of a successful answer: base64 decoded, or downloaded (without the API key)."""
    images = []
    for item in answer.body["data"]:
        if response_format == "b64_json":
            images.append(base64.b64decode(item["b64_json"], validate=True))
        else:
            with session.get(item["url"], timeout=timeout) as response:
                response.raise_for_status()
                images.append(response.content)
    return images


def success_problems(session: requests.Session, expect: Success, answer: Answer, *,
                     timeout: float = DEFAULT_TIMEOUT, profile: ModelProfile = DALL_E_2) -> list[str]:
    """How ``answer`` differs from ``n`` whole PNGs of the size asked, in the format asked."""
    if answer.status != 200:
        return [f"status {answer.status}, expected 200"]
    found = images_response_problems(answer.body, n=expect.n, response_format=expect.response_format)
    if found:
        return found
    try:
        images = image_bytes(session, answer, expect.response_format, timeout=timeout)
    except (binascii.Error, ValueError, requests.RequestException) as exc:
        return [f"could not get the images: {exc}"]
    width, height = parse_size(expect.size)
    for index, data in enumerate(images):
        try:
            info = png.inspect(data, max_pixels=profile.uploads.max_pixels)
        except png.PngError as exc:
            found.append(f"image {index} is not a whole PNG: {exc}")
            continue
        if (info.width, info.height) != (width, height):
            found.append(f"image {index} is {info.size}, expected {expect.size}")
    return found


def problems(session: requests.Session, case: Case, answer: Answer, *, era: str = CURRENT,
             timeout: float = DEFAULT_TIMEOUT) -> list[str]:
    """How ``answer`` breaks the contract for ``case`` (empty when it keeps it)."""
    if isinstance(case.expect, Success):
        return success_problems(session, case.expect, answer, timeout=timeout)
    return refusal_problems(case.expect, answer, era)


def disagreement(session: requests.Session, case: Case, *, base_url: str, api_key: str, era: str = CURRENT,
                 timeout: float = DEFAULT_TIMEOUT) -> str | None:
    """Send ``case`` and compare: None when the endpoint agrees, else a report of the difference."""
    try:
        answer = send(session, case, base_url=base_url, api_key=api_key, timeout=timeout)
    except requests.RequestException as exc:
        return f"expected: {expected_text(case, era)}\ngot:      no answer ({type(exc).__name__}: {exc})"
    found = problems(session, case, answer, era=era, timeout=timeout)
    if not found:
        return None
    return (f"expected: {expected_text(case, era)}\ngot:      {answer.describe()}\n"
            f"why:      {'; '.join(found)}")


# --- the properties -----------------------------------------------------------------------


@dataclass(frozen=True)
class Property:
    """One line of the report: a claim of the contract and the cases that test it."""

    name: str
    claim: str
    strategy: CaseStrategy | None
    skipped: str | None = None  # why it is not checked


def properties(*, cheap: bool = False, skip: Mapping[str, str] | None = None,
               profile: ModelProfile = DALL_E_2) -> list[Property]:
    """The valid-request property of each endpoint, then one property per catalogue entry.

    ``cheap`` keeps successful requests cheap (one image of the smallest size, small
    uploads); ``skip`` maps property names to the reason they are left out.
    """
    skip = dict(skip or {})
    bounds: dict[str, Any] = {"profile": profile}
    upload_bounds: dict[str, Any] = {}
    if cheap:
        bounds.update(sizes=[profile.sizes[0]], max_n=profile.n_min)
        upload_bounds = {"max_side": 64}
    valid: dict[str, CaseStrategy] = {
        "generations": valid_generations(**bounds),
        "edits": valid_edits(**bounds, **upload_bounds),
        "variations": valid_variations(**bounds, **upload_bounds),
    }
    found = []
    for name in ENDPOINTS:
        if name in profile.endpoints:
            claim = "a valid request gets 200 and n images of the size asked, in the format asked"
            found.append(Property(name, claim, valid[name], skip.get(name)))
    for key, spec in CATALOGUE.items():
        claim = f"{spec.status} {spec.current.code or spec.type}"
        reason = skip.get(key) or NOT_ONE_REQUEST.get(key)
        if key not in RULES:
            found.append(Property(key, claim, None, reason or "no single request breaks this rule"))
        else:
            found.append(Property(key, claim, invalid_requests(profile=profile, rules=[key]), reason))
    return found


@dataclass(frozen=True)
class Outcome:
    prop: Property
    verdict: str  # "agree", "DISAGREE", "skip", "error"
    examples: int = 0
    request: str | None = None
    detail: str | None = None


def check_property(prop: Property, attempt: Callable[[Case], str | None], *, budget: int, seed: int,
                   shrink: bool = False) -> Outcome:
    if prop.strategy is None or prop.skipped:
        return Outcome(prop, "skip", detail=prop.skipped)
    found = search(prop.strategy, attempt, max_examples=budget, seed=seed, shrink=shrink)
    if found.failure is not None:
        case, detail = found.failure
        return Outcome(prop, "DISAGREE", found.examples, case.summary(), detail)
    if found.error is not None:
        return Outcome(prop, "error", found.examples, detail=found.error)
    return Outcome(prop, "agree", found.examples)


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
    session: requests.Session | None = None,
    out: TextIO = sys.stdout,
) -> list[Outcome]:
    """Check every property against ``base_url`` and print the report to ``out``."""
    seed = random.randrange(2**32) if seed is None else seed
    skips = dict(skip or {})
    if urlsplit(base_url).hostname == REAL_HOST:
        skips = {**NOT_TO_THE_REAL_SERVICE, **skips}
    http = session or requests.Session()

    def attempt(case: Case) -> str | None:
        return disagreement(http, case, base_url=base_url, api_key=api_key, era=era, timeout=timeout)

    print(f"Images API contract ({DALL_E_2.name}) against {base_url}: up to {budget} examples per property, "
          f"era {era}, seed {seed}", file=out)
    outcomes = []
    width = max(len(p.name) for p in properties())
    for prop in properties(cheap=cheap, skip=skips):
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
    if any("429" in (o.detail or "") and "rate_limit" in (o.detail or "") for o in outcomes):
        print("hint: the endpoint rate-limited this run; lower --budget, use --cheap, or start the fake "
              "with --rate-limit off", file=out)
    return outcomes


def main(argv: Sequence[str] | None = None, *, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m contracts verify",
        description="Check an Images API endpoint against the contract: one line per property, "
        "exit status 0 when every checked property agrees.",
    )
    parser.add_argument("--base-url", required=True, help="the API's base URL, e.g. http://127.0.0.1:5000/v1")
    parser.add_argument("--api-key", default=os.environ.get(API_KEY_ENV),
                        help=f"the API key (default: ${API_KEY_ENV})")
    parser.add_argument("--budget", type=int, default=DEFAULT_BUDGET,
                        help=f"most examples per property (default {DEFAULT_BUDGET})")
    parser.add_argument("--seed", type=int, default=None, help="seed of the examples (default: random, printed)")
    parser.add_argument("--era", choices=ERAS, default=CURRENT, help="error wording to expect (default current)")
    parser.add_argument("--cheap", action="store_true",
                        help="successful requests ask for one image of the smallest size (a paid endpoint)")
    parser.add_argument("--shrink", action="store_true",
                        help="shrink a disagreement to a smaller example (more requests)")
    parser.add_argument("--skip", action="append", default=[], metavar="PROPERTY",
                        help="leave a property out (repeatable): an endpoint or a catalogue key")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds to wait for an answer")
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
    if not args.api_key:
        parser.error(f"give --api-key or set {API_KEY_ENV}")
    if args.budget < 1:
        parser.error("--budget must be at least 1")
    known = {p.name for p in properties()}
    unknown = sorted(set(args.skip) - known)
    if unknown:
        parser.error(f"--skip {unknown[0]!r} is not a property; they are: {', '.join(sorted(known))}")
    outcomes = run(args.base_url, args.api_key, budget=args.budget, seed=args.seed, era=args.era,
                   cheap=args.cheap, shrink=args.shrink, skip=skip,
                   timeout=args.timeout, out=out)
    return 0 if all(o.verdict in ("agree", "skip") for o in outcomes) else 1
