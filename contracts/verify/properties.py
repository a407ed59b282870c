"""The properties: one line of the report each. Each endpoint's valid requests (one image
each), the valid requests for more than one image (the one property about ``n``, with few
examples), then one property per catalogue entry (a request that breaks only that rule gets
exactly the catalogued error), or the reason no single request can check it.

Images are spent sparingly: a request the contract refuses makes none, each endpoint's valid
requests ask for one image, and only the ``n`` property asks for more (at most
:data:`N_EXAMPLES` examples). :func:`plan` says what a run will send at most."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from contracts.errors import CATALOGUE
from contracts.models import GPT_IMAGE_2_5_SUNBURST, MODELS, ModelProfile
from contracts.spec import ENDPOINTS, REAL_BASE_URL
from contracts.strategies import (
    RULES,
    Case,
    CaseStrategy,
    invalid_requests,
    rules_of,
    search,
    valid_edits,
    valid_generations,
    valid_requests,
    valid_variations,
)

# Why a catalogue entry cannot be checked by sending one request.
NOT_ONE_REQUEST: Mapping[str, str] = {
    "invalid_api_key": "depends on which keys the server accepts",
    "content_policy_image": "depends on which images the server blocks",
    "rate_limit_exceeded": "depends on the quota already spent, not on one request",
    "insufficient_quota": "depends on the account's billing",
    "billing_hard_limit_reached": "depends on the account's billing",
    "server_error": "a failure of the server, not of the request",
    "overloaded": "a failure of the server, not of the request",
    "shared_state_unusable": "the fake's shared state, not the Images API",
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
    "json_too_deep": "the real parser's depth limit is not published (ASSUMPTION): the fake's guess, not a rule "
    "to hold another server to",
    "parameter_needs_stream": "a rule of streamed answers: the strategies break it once they build stream cases",
    "stream_format": "a rule of streamed answers: the strategies break it once they build stream cases",
    "model_retired": "depends on the date the service is at (the fake's --as-of), not on one request",
    "upstream_unreachable": "a recording proxy's own answer (python -m mockserver --record), not the Images API's",
    "upstream_timeout": "a recording proxy's own answer (python -m mockserver --record), not the Images API's",
    "no_recorded_match": "a replaying fake's own answer (python -m mockserver --replay), not the Images API's",
}
# The model checked by default: one the service serves today (no retirement date in the SDK's
# image_model.py), the one the SDK names to use instead of the shut-down gpt-image-1, and of those
# served today the one whose requests can break the most rules of the contract (free-form sizes,
# GIF and SVG output, xhigh and max quality). dall-e-2, the guide's model, was retired on
# 2026-05-12: most of its rules would be skipped, and the real API refuses it.
DEFAULT_MODEL = GPT_IMAGE_2_5_SUNBURST.name
REAL_HOST = urlsplit(REAL_BASE_URL).hostname
N_PROPERTY = "n"  # the property of valid requests for more than one image
N_EXAMPLES = 1  # its examples at most: one asks for up to the model's n_max images
NOT_TO_THE_REAL_SERVICE: Mapping[str, str] = {
    "content_policy_prompt": "not sent to the real service: prompts with blocked words could flag the account",
}


@dataclass(frozen=True)
class Property:
    """One line of the report: a claim of the contract and the cases that test it."""

    name: str
    claim: str
    strategy: CaseStrategy | None
    skipped: str | None = None  # why it is not checked
    examples: int | None = None  # the most examples it draws (None: the run's budget)
    images_each: int = 0  # the most images one of its examples asks for (0: it should be refused)

    def budget(self, budget: int) -> int:
        """How many examples it draws at most in a run of ``budget`` examples per property."""
        return budget if self.examples is None else min(budget, self.examples)


def cheap_bounds(profile: ModelProfile) -> dict[str, Any]:
    """The cheapest successful requests a model takes: one image of its first listed size, at
    its lowest quality when it has qualities (a paid endpoint)."""
    bounds: dict[str, Any] = {"sizes": [profile.sizes[0]], "max_n": profile.n_min}
    if profile.quality is not None:
        bounds["qualities"] = [profile.quality.values[0]]
    return bounds


def properties(*, cheap: bool = False, skip: Mapping[str, str] | None = None,
               profile: ModelProfile | None = None) -> list[Property]:
    """The valid-request property of each endpoint, the ``n`` property, then one property per
    catalogue entry.

    ``cheap`` keeps successful requests cheap (one image of the smallest size, the lowest
    quality, small uploads); ``skip`` maps property names to the reason they are left out.
    """
    skip = dict(skip or {})
    profile = profile or MODELS[DEFAULT_MODEL]
    bounds: dict[str, Any] = {"profile": profile, "max_n": profile.n_min}  # one image a request
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
        claim = f"a valid request gets 200 and {profile.n_min} image of the size asked, in the format asked"
        if name in profile.endpoints:
            found.append(Property(name, claim, valid[name](), skip.get(name), images_each=profile.n_min))
        else:
            found.append(Property(name, claim, None, f"{profile.name} does not serve {name}"))
    claim = "a valid request for n > 1 images gets 200 and n images"
    served = [e for e in ENDPOINTS if e in profile.endpoints and e not in skip]
    if profile.n_max < 2:
        found.append(Property(N_PROPERTY, claim, None, f"{profile.name} makes one image a request"))
    elif cheap:
        found.append(Property(N_PROPERTY, claim, None, "left out by --cheap (one image a request)"))
    elif not served:
        found.append(Property(N_PROPERTY, claim, None, "every endpoint is left out"))
    else:
        many = {**bounds, "max_n": profile.n_max}
        found.append(Property(
            N_PROPERTY, claim,
            valid_requests(**many, **upload_bounds, endpoints=served, min_n=min(profile.n_min + 1, profile.n_max)),
            skip.get(N_PROPERTY), examples=N_EXAMPLES, images_each=profile.n_max))
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
class Plan:
    """What a run sends at most (before 429s send an example again): its requests, and the
    images they ask for when the endpoint refuses what the contract refuses."""

    requests: int
    images: int


def plan(found: list[Property], budget: int) -> Plan:
    checked = [p for p in found if p.strategy is not None and not p.skipped]
    return Plan(sum(p.budget(budget) for p in checked), sum(p.budget(budget) * p.images_each for p in checked))


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
    found = search(prop.strategy, attempt, max_examples=prop.budget(budget), seed=seed, shrink=shrink)
    if found.failure is not None:
        case, detail = found.failure
        return Outcome(prop, "DISAGREE", found.examples, case.summary(), detail)
    if found.error is not None:
        return Outcome(prop, "error", found.examples, detail=found.error)
    return Outcome(prop, "agree", found.examples)
