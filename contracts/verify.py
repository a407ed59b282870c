"""The conformance report: the contract's properties, run against any endpoint.

    python -m contracts verify --base-url http://127.0.0.1:5000/v1 --api-key sk-test --budget 20

One line per property: each endpoint's valid requests (200, ``n`` images of the
size asked, in the format asked) and each rule of the error catalogue (a request
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
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import email.utils
import io
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO
from urllib.parse import urlsplit

import requests
from PIL import Image
from requests.structures import CaseInsensitiveDict
from urllib3 import encode_multipart_formdata

from contracts import png, timeline
from contracts.errors import CATALOGUE, CURRENT, ERAS
from contracts.models import GPT_ANSWER
from contracts.shapes import ERROR_KEYS, images_response_problems
from contracts.spec import (
    DALL_E_2,
    ENDPOINT_NAMES,
    ENDPOINTS,
    GPT_DEFAULT_MODEL,
    MODELS,
    REAL_BASE_URL,
    ModelProfile,
    parse_size,
)
from contracts.strategies import (
    RULES,
    Case,
    CaseStrategy,
    Refusal,
    Success,
    invalid_requests,
    rules_of,
    search,
    valid_edits,
    valid_generations,
    valid_variations,
)

DEFAULT_BUDGET = 20
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_WAIT = 120.0  # seconds one example may wait, in all, on 429s that pace the run
EXIT_UNREACHABLE = 2
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
    "transparent_unsupported": "no model of the contract takes a background but no transparent format",
    # ASSUMPTION-free oracle impossible: the message quotes the request id the server made up.
    "moderation_blocked": "its message names the request's id, which only the answer knows",
    **{
        key: "a rule of GPT edits' inputs (image[] parts, JSON image references): the strategies break it "
        "once they build GPT edit cases"
        for key in ("unsupported_file_mimetype", "invalid_image_file", "image_file_too_large", "image_too_many_pixels",
                    "mask_missing_alpha", "mask_size_mismatch_gpt", "mask_not_png", "invalid_image_url",
                    "invalid_data_url", "file_not_found", "image_ref_one_of", "array_below_min_length")
    },
    "malformed_request": "the HTTP layer: a broken request line or header no HTTP library sends",
    "request_timeout": "the HTTP layer: a client too slow, not the request's content",
    "request_line_too_long": "the HTTP layer: the edge's limits are not known (ASSUMPTION)",
    "headers_too_large": "the HTTP layer: the edge's limits are not known (ASSUMPTION)",
    "http_version_not_supported": "the HTTP layer: the real edge speaks HTTP/2 over TLS",
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


# --- pacing: a 429 of the quota is the endpoint's pace, not an answer to the example ----------

# The headers that say when to come back, in the order they are believed.
_RESET_HEADERS = ("x-ratelimit-reset-images", "x-ratelimit-reset-requests")
_GO_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?"
                          r"(?:(\d+(?:\.\d+)?)ms)?")
FALLBACK_WAIT = 1.0  # when a 429 says nothing of when to come back: 1 s, doubling


class Unreachable(Exception):
    """Nothing answers at the base URL (connection refused, unknown host, no route)."""


def probe(session: requests.Session, base_url: str, *, timeout: float) -> None:
    """Raise :class:`Unreachable` unless something answers HTTP at ``base_url`` (any status)."""
    try:
        session.get(base_url.rstrip("/") + "/models", timeout=min(timeout, 10.0), allow_redirects=False).close()
    except (requests.ConnectionError, requests.Timeout) as exc:
        reason = exc.args[0] if exc.args else exc
        reason = getattr(reason, "reason", reason)
        raise Unreachable(f"{type(exc).__name__}: {reason}") from None


class Paced(Exception):
    """The endpoint kept answering 429 longer than the run may wait."""


def wait_asked(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds a 429's headers ask the client to wait (``retry-after-ms``, then ``retry-after``
    as seconds or an HTTP date, then the ``x-ratelimit-reset-*`` durations), or None."""
    value = headers.get("retry-after-ms")
    if value is not None:
        with contextlib.suppress(ValueError):
            return max(0.0, float(value) / 1000)
    value = headers.get("retry-after")
    if value is not None:
        try:
            return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_tz(value)
            if parsed is not None:
                return max(0.0, email.utils.mktime_tz(parsed) - (time.time() if now is None else now))
    for name in _RESET_HEADERS:
        value = headers.get(name)
        match = _GO_DURATION.fullmatch(value.strip()) if value else None
        if match and any(match.groups()):
            h, m, sec, ms = (float(g or 0) for g in match.groups())
            return h * 3600 + m * 60 + sec + ms / 1000
    return None


def is_pacing(case: Case, answer: Answer) -> bool:
    """A 429 that is the endpoint's quota speaking, where the contract expects no 429."""
    if answer.status != 429 or (isinstance(case.expect, Refusal) and case.expect.status == 429):
        return False
    error = answer.body.get("error") if isinstance(answer.body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code in (None, "rate_limit_exceeded")


@dataclass
class Pacer:
    """Waits out the 429s that pace a run, saying so on ``out``; at most ``max_wait`` seconds
    per example in all (more raises :class:`Paced`)."""

    max_wait: float = DEFAULT_MAX_WAIT
    out: TextIO | None = None
    sleep: Callable[[float], None] = time.sleep
    waited: float = 0.0  # over the whole run
    waits: int = 0

    def send(self, session: requests.Session, case: Case, *, base_url: str, api_key: str,
             timeout: float = DEFAULT_TIMEOUT) -> Answer:
        spent, fallback = 0.0, FALLBACK_WAIT
        while True:
            answer = send(session, case, base_url=base_url, api_key=api_key, timeout=timeout)
            if not is_pacing(case, answer):
                return answer
            asked = wait_asked(answer.headers)
            delay = fallback if asked is None else asked + 0.05  # a little past the second it fits
            fallback *= 2
            if spent + delay > self.max_wait:
                raise Paced(f"the endpoint answered 429 (rate limited) and asked for {delay:.1f}s more after "
                            f"{spent:.1f}s of waiting for this example; --max-wait is {self.max_wait:g}s")
            if self.out is not None:
                said = "as its retry headers ask" if asked is not None else "(it named no time; backing off)"
                print(f"    ... 429 rate limited: waiting {delay:.1f}s {said} (--max-wait {self.max_wait:g}s)",
                      file=self.out, flush=True)
            self.sleep(delay)
            spent += delay
            self.waited += delay
            self.waits += 1


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
        return f"200 with {e.n} {e.output_format} image(s) of {e.size} as {e.response_format} from {e.model}"
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
                     timeout: float = DEFAULT_TIMEOUT, profile: ModelProfile | None = None) -> list[str]:
    """How ``answer`` differs from ``n`` whole images of the size asked, in the format asked, in
    the shape of the answering model's answers (``expect.model``'s profile)."""
    if answer.status != 200:
        return [f"status {answer.status}, expected 200"]
    profile = profile or MODELS.get(expect.model, DALL_E_2)
    gpt = profile.answer == GPT_ANSWER
    found = images_response_problems(answer.body, n=expect.n, response_format=expect.response_format, gpt=gpt,
                                     revised_prompt=profile.revised_prompt)
    if gpt and not found:
        found = reported_problems(answer.body, expect)
    if found:
        return found
    try:
        images = image_bytes(session, answer, expect.response_format, timeout=timeout)
    except (binascii.Error, ValueError, requests.RequestException) as exc:
        return [f"could not get the images: {exc}"]
    for index, data in enumerate(images):
        found += [f"image {index} {problem}" for problem in image_problems(data, expect, profile)]
    return found


# The file format Pillow names for each output format; SVG is text, checked apart.
_PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF"}


def image_problems(data: bytes, expect: Success, profile: ModelProfile) -> list[str]:
    """How one image differs from a whole picture of ``expect.size`` in ``expect.output_format``."""
    width, height = parse_size(expect.size)
    if expect.output_format == "png":
        try:
            info = png.inspect(data, max_pixels=profile.uploads.max_pixels)
        except png.PngError as exc:
            return [f"is not a whole PNG: {exc}"]
        return [] if (info.width, info.height) == (width, height) else [f"is {info.size}, expected {expect.size}"]
    if expect.output_format == "svg":
        head = data[:4096].lstrip()
        return [] if head.startswith((b"<svg", b"<?xml")) and b"<svg" in head else ["is not an SVG document"]
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            kind, size = image.format, image.size
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        return [f"is not a whole image: {exc}"]
    found = []
    if kind != _PILLOW_FORMATS.get(expect.output_format):
        found.append(f"is {kind}, expected {expect.output_format}")
    if size != (width, height):
        found.append(f"is {size[0]}x{size[1]}, expected {expect.size}")
    return found


def reported_problems(body: dict[str, Any], expect: Success) -> list[str]:
    """How the settings a GPT answer reports differ from those asked for, resolved."""
    reported = {"size": expect.size, "output_format": expect.output_format, "quality": expect.quality,
                "background": expect.background}
    return [f"{key} is {body.get(key)!r}, expected {want!r}" for key, want in reported.items()
            if want is not None and body.get(key) != want]


def problems(session: requests.Session, case: Case, answer: Answer, *, era: str = CURRENT,
             timeout: float = DEFAULT_TIMEOUT) -> list[str]:
    """How ``answer`` breaks the contract for ``case`` (empty when it keeps it)."""
    if isinstance(case.expect, Success):
        return success_problems(session, case.expect, answer, timeout=timeout)
    return refusal_problems(case.expect, answer, era)


def disagreement(session: requests.Session, case: Case, *, base_url: str, api_key: str, era: str = CURRENT,
                 timeout: float = DEFAULT_TIMEOUT, pacer: Pacer | None = None) -> str | None:
    """Send ``case`` and compare: None when the endpoint agrees, else a report of the difference.
    With a ``pacer``, a 429 of the endpoint's quota is waited out and the case sent again."""
    try:
        if pacer is not None:
            answer = pacer.send(session, case, base_url=base_url, api_key=api_key, timeout=timeout)
        else:
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


def cheap_bounds(profile: ModelProfile) -> dict[str, Any]:
    """The cheapest successful requests a model takes: one image of its first listed size, at
    its lowest quality when it has qualities (a paid endpoint)."""
    bounds: dict[str, Any] = {"sizes": [profile.sizes[0]], "max_n": profile.n_min}
    if profile.quality is not None:
        bounds["qualities"] = [profile.quality.values[0]]
    return bounds


def properties(*, cheap: bool = False, skip: Mapping[str, str] | None = None,
               profile: ModelProfile = DALL_E_2) -> list[Property]:
    """The valid-request property of each endpoint, then one property per catalogue entry.

    ``cheap`` keeps successful requests cheap (one image of the smallest size, the lowest
    quality, small uploads); ``skip`` maps property names to the reason they are left out.
    """
    skip = dict(skip or {})
    bounds: dict[str, Any] = {"profile": profile}
    upload_bounds: dict[str, Any] = {}
    if cheap:
        bounds.update(cheap_bounds(profile))
        upload_bounds = {"max_side": 64}
    valid: dict[str, Callable[[], CaseStrategy]] = {
        "generations": lambda: valid_generations(**bounds),
        "edits": lambda: valid_edits(**bounds, **upload_bounds),
        "variations": lambda: valid_variations(**bounds, **upload_bounds),
    }
    found = []
    for name in ENDPOINTS:
        claim = "a valid request gets 200 and n images of the size asked, in the format asked"
        if name in profile.endpoints:
            found.append(Property(name, claim, valid[name](), skip.get(name)))
        else:
            found.append(Property(name, claim, None, f"{profile.name} does not serve {name}"))
    breakable = rules_of(profile)
    for key, spec in CATALOGUE.items():
        claim = f"{spec.status} {spec.current.code or spec.type}"
        reason = skip.get(key) or NOT_ONE_REQUEST.get(key)
        if key not in RULES:
            found.append(Property(key, claim, None, reason or "no single request breaks this rule"))
        elif key not in breakable:
            found.append(Property(key, claim, None, reason or f"no request to {profile.name} can break it"))
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
    max_wait: float = DEFAULT_MAX_WAIT,
    session: requests.Session | None = None,
    out: TextIO = sys.stdout,
    sleep: Callable[[float], None] = time.sleep,
    profile: ModelProfile = DALL_E_2,
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
    outcomes = []
    width = max(len(p.name) for p in properties())
    for prop in properties(cheap=cheap, skip=skips, profile=profile):
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
        prog="python -m contracts verify",
        description="Check an Images API endpoint against the contract: one line per property, "
        "exit status 0 when every checked property agrees, 1 when one does not, 2 when the endpoint "
        "cannot be reached. A 429 of the endpoint's quota is waited out (see --max-wait), never a "
        "disagreement.",
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
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds to wait for an answer (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--max-wait", type=float, default=DEFAULT_MAX_WAIT, metavar="SECONDS",
                        help="most seconds one example may wait, in all, when the endpoint answers 429 "
                        f"(rate limited); past it the property is reported as an error (default {DEFAULT_MAX_WAIT:g})")
    parser.add_argument("--model", default=DALL_E_2.name, choices=list(MODELS), metavar="MODEL",
                        help=f"the model whose contract to check (default {DALL_E_2.name}; today's default "
                        f"GPT model is {GPT_DEFAULT_MODEL}): one of {', '.join(MODELS)}")
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
