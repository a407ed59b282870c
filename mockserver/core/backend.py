"""The fake's state and behaviour, with no HTTP in it.

A :class:`Backend` owns one fake's clock, configuration, image store, URL
signer, quota ledger, fault queue and journal. Views parse a request into a
:class:`contracts.ImageRequest`, hand it here, and serialise what comes back.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
import hashlib
import logging
import random
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from contracts import uploads
from contracts.auth import bearer_token, mask_key
from contracts.errors import FAULT_ERRORS, ApiError, error
from contracts.models import GENERATIONS, GPT_ANSWER, MODELS, ModelProfile
from contracts.policy import STAGE_INPUT, blocked_pattern, category, find_blocked
from contracts.ratelimits import Window, retry_headers
from contracts.rules import ImageRequest
from contracts.spec import ENDPOINTS, parse_size
from contracts.streaming import EVENTS, event
from contracts.usage import revised_prompt, svg_usage, usage
from mockserver.core.exchange import ClientGone
from mockserver.core.renders import RenderSlots
from mockserver.core.urls import UrlSigner, image_path, new_image_id, own_image
from mockserver.render import Recipe, UnreadableInput, holding_inputs, render, render_progressive
from mockserver.settings.config import Config, family_windows
from mockserver.state import Clock, State, open_state
from mockserver.state.faults import Fault
from mockserver.state.quotas import rate_headers

_log = logging.getLogger("mockserver")  # Flask's app.logger, as the pipeline's


class Backend:
    """The fake's behaviour on its :class:`mockserver.state.State` (:func:`mockserver.state.open_state`):
    with ``state`` (a ``redis://`` URL) shared by every Backend given the same URL; without it,
    in this object's memory (driven by ``clock`` if given). The state's pieces are attributes
    (``clock``, ``store``, ``quotas``, ``faults``, ``journal``, ``gallery``), and nothing here
    knows which backend keeps them.

    Around each request: :meth:`begin_request` first, then ``state.end_request()`` once the
    answer is final, or ``state.discard()`` when an exception of ``state.lost`` escaped."""

    def __init__(self, config: Config, *, clock: Clock | None = None, state: str | None = None) -> None:
        config.validate()
        self._lock = threading.Lock()
        self.state: State = open_state(config, url=state, clock=clock)
        self.clock = self.state.clock
        self.store = self.state.store
        self.quotas = self.state.quotas
        self.faults = self.state.faults
        self.journal = self.state.journal
        self.gallery = self.state.gallery  # the images the journal's entries refer to
        self.renders = RenderSlots()  # this process's turns to render (render_slots)
        self.signer = UrlSigner(config.secret or self.state.url_secret)
        self._config = self.state.configuration.current
        self._apply(self._config)
        self.on_close: list[Callable[[], None]] = []  # what else the fake holds open (a recorder's connections)

    def begin_request(self) -> None:
        """A request starts: bring this fake's view of the state up to date (on Redis one round
        trip, which may bring a changed configuration; in memory nothing)."""
        new = self.state.begin_request()
        if new is not None:
            with self._lock:
                self._config = new
                self._apply(new)

    def close(self) -> None:
        """Release the state's connections (nothing to do in memory), and whatever else was
        registered in ``on_close``."""
        for release in self.on_close:
            release()
        self.state.close()

    @property
    def config(self) -> Config:
        return self._config

    def _apply(self, config: Config) -> None:
        """Derive what the running fake needs from a (new) configuration."""
        self._blocked: re.Pattern[str] | None = blocked_pattern(config.blocked_terms)
        self._family_windows = family_windows(config.family_rate_limits)
        self._latency_rng = random.Random(config.latency_seed)
        self.store.max_images = config.store_max_images
        self.store.max_bytes = config.store_max_bytes
        self.journal.resize(config.journal_size, config.journal_bytes)

    def configure(self, changes: Mapping[str, Any]) -> Config:
        """Swap in a changed configuration (JSON values); ConfigError changes nothing."""
        with self._lock:
            new = self._config = self.state.configure(changes)
            self._apply(new)
            return new

    def reset(self, *, config: bool = False) -> None:
        """Forget images, quota counters, the journal and faults; the clock returns to real
        time. The configuration is kept, unless ``config``: then it returns to the one the
        fake started with (with a shared state: the one the first fake on it started with)."""
        new = self.state.reset(config=config)
        with self._lock:
            self._config = new
            self._apply(new)

    # --- the API's decisions ---------------------------------------------------------

    def authenticate(self, authorization: str | None) -> str:
        """The API key of an ``Authorization`` header, or the catalogued 401."""
        key = bearer_token(authorization)
        if key is None:
            raise error("missing_api_key")
        allowed = self._config.api_keys
        if allowed and key not in allowed:
            raise error("invalid_api_key", masked_key=mask_key(key))
        return key

    def latency(self) -> float:
        """Seconds to hold this answer back (configured latency plus seeded jitter)."""
        config = self._config
        if not config.latency_ms and not config.latency_jitter_ms:
            return 0.0
        with self._lock:
            jitter = self._latency_rng.uniform(0, config.latency_jitter_ms)
        return (config.latency_ms + jitter) / 1000

    def fault_error(self, fault: Fault, api_key: str) -> ApiError:
        """The error a ``status`` fault answers with: the real body for its status."""
        headers = retry_headers(fault.retry_after) if fault.retry_after is not None else {}
        windows = self._config.rate_limits
        window = windows[0] if windows else None
        return error(
            FAULT_ERRORS.get(fault.status or 500, "server_error"),
            status=fault.status,
            headers=headers,
            organization=self._config.organization,
            limit=window.limit if window else 0,
            current=(window.limit + 1) if window else 1,
            window=window.label if window else "1min",
            masked_key=mask_key(api_key),
        )

    def check_access(self, req: ImageRequest) -> None:
        """The 403 of an organization that must be verified to use this model (a setting)."""
        if req.model.name in self._config.verification_required_models:
            raise error("organization_must_be_verified", model=req.model.name)

    def check_policy(self, req: ImageRequest, request_id: str = "") -> None:
        """Refuse a prompt with a blocked term, or an upload whose SHA-256 is blocked, with the
        refusal the model's profile names (content_policy_violation or moderation_blocked)."""
        on_prompt, on_image = req.model.policy_errors
        term = find_blocked(req.prompt, self._blocked) if req.prompt is not None else None
        if term is not None:
            raise self._refusal(on_prompt, request_id, category(term))
        blocked = self._config.blocked_image_sha256
        if blocked:
            for data in (req.image, *req.extra_images, req.mask):
                if data is not None and hashlib.sha256(data).hexdigest() in blocked:
                    raise self._refusal(on_image, request_id, None)

    @staticmethod
    def _refusal(key: str, request_id: str, found: str | None) -> ApiError:
        # ASSUMPTION: a blocked image (no term to classify) is reported as "other".
        categories = [found or category("")]
        return error(
            key,
            request_id=request_id,
            violations=", ".join(categories),
            moderation_details={"moderation_stage": STAGE_INPUT, "categories": categories},
        )

    def windows(self, model: ModelProfile) -> tuple[Window, ...]:
        """The images-per-minute windows of the model's quota family."""
        return self.family_windows(model.quota_family)

    def family_windows(self, family: str) -> tuple[Window, ...]:
        """The images-per-minute windows of one quota family."""
        return self._family_windows.get(family, self._config.rate_limits)

    def spend(self, api_key: str, n: int, model: ModelProfile | None = None) -> dict[str, str]:
        """Charge ``n`` images to ``api_key``'s quota for the model's family (the endpoint's default
        model when none is given), or raise the 429; returns the rate-limit headers."""
        config = self._config
        if config.quota_mode == "insufficient_quota":
            raise error("insufficient_quota")
        if config.quota_mode == "billing_hard_limit_reached":
            raise error("billing_hard_limit_reached")
        model = model or _DEFAULT_MODEL
        windows = self.windows(model)
        refusal, states = self.quotas.spend((api_key, model.quota_family), n, windows, self.clock.now())
        headers = rate_headers(states)
        if refusal is not None:
            raise error(
                "rate_limit_exceeded",
                headers={**headers, **refusal.headers()},
                organization=config.organization,
                limit=refusal.window.limit,
                current=refusal.current,
                window=refusal.window.label,
            )
        return headers

    def rate_limit_headers(self, api_key: str, model: ModelProfile | None = None) -> dict[str, str]:
        model = model or _DEFAULT_MODEL
        return rate_headers(self.quotas.states((api_key, model.quota_family), self.windows(model), self.clock.now()))

    def fetch_own_image(self, url: str) -> bytes | None:
        """What a fetch of ``url`` would get if it is one of this fake's live image URLs; None
        for any other URL (the fake never makes a network call)."""
        with self.render_turn(deadline=True):  # the store may render it
            return own_image(url, signer=self.signer, store=self.store, now=self.clock.now())

    def render_turn(self, *, deadline: bool = False) -> contextlib.AbstractContextManager[None]:
        """One of the ``render_slots`` turns to render (:mod:`mockserver.core.renders`); with
        ``deadline``, the API's 503 ``overloaded`` past ``queue_timeout_ms`` instead of waiting on."""
        config = self._config
        return self.renders.turn(self.renders.capacity(config.render_slots),
                                 config.queue_timeout_ms / 1000 if deadline else None)

    def _render(self, recipe: Recipe, gone: Callable[[], bool] | None = None) -> bytes:
        """``render(recipe)`` in a render turn, unless the client has gone (asked before every image
        but the first, which a client that is still there is waiting for): then ClientGone, and no
        more images are made."""
        if recipe.index and gone is not None and gone():
            raise ClientGone
        with self.render_turn():
            return render(recipe)

    def create_images(
        self, req: ImageRequest, *, api_key: str, base_url: str, shown: list[dict[str, Any]] | None = None,
        gone: Callable[[], bool] | None = None,
    ) -> dict[str, object]:
        """Answer a valid request: ``{"created": ..., "data": [...]}`` with ``n`` images, in the
        shape of the model's profile (today's GPT answers add background, output_format, size,
        quality and usage, and always carry b64_json).

        With ``shown`` (the journal is on), each image's recipe is kept in the gallery and
        its reference appended there, for the journal entry."""
        config = self._config
        created = int(self.clock.now())
        width, height = parse_size(req.resolved_size)
        recipes = [_recipe(req, i, width, height) for i in range(req.n)]
        gpt = req.model.answer == GPT_ANSWER
        if gpt or req.response_format == "b64_json":
            try:
                with _holding(req):
                    data: list[dict[str, str]] = [
                        {"b64_json": base64.b64encode(self._render(r, gone)).decode("ascii")} for r in recipes]
            except UnreadableInput:  # an input the checks let through and the renderer cannot read: a 400
                _log.warning("an accepted upload could not be decoded by the renderer", exc_info=True)
                raise uploads.unreadable(req.model.uploads) from None
            if shown is not None:
                shown.extend(self.gallery.add_many([(r, None, None) for r in recipes]))
        else:
            base = (config.public_base_url or base_url).rstrip("/")
            data = []
            expires_at = created + config.url_ttl
            kept = [(new_image_id(), recipe, float(expires_at)) for recipe in recipes]
            self.store.add_many(kept, now=self.clock.now())
            if shown is not None:
                shown.extend(self.gallery.add_many([(recipe, image_id, expires_at) for image_id, recipe, _ in kept]))
            for image_id, _, _ in kept:
                path = image_path(config.organization, api_key, image_id)
                data.append({"url": f"{base}{path}?{self.signer.sign(path, created, config.url_ttl)}"})
        if req.model.revised_prompt and req.prompt is not None:
            revised = revised_prompt(req.prompt, req.style)
            data = [{"revised_prompt": revised, **item} for item in data]
        if not gpt:
            return {"created": created, "data": data}
        body: dict[str, object] = {
            "created": created,
            "data": data,
            "background": req.resolved_background,
            "output_format": req.output_format,
            "size": req.resolved_size,
            "quality": req.resolved_quality or "",
            "usage": _usage(req, width, height, output_details=True),
        }
        safety_identifier = req.effective_safety_identifier
        if safety_identifier is not None:
            body["safety_identifier"] = safety_identifier  # [sdk-py] ImagesResponse.safety_identifier
        if req.output_format == "svg":
            body["svg_usage"] = _svg_usage(req)  # [sdk-py] ImagesResponse.svg_usage
        return body

    def stream_events(self, req: ImageRequest) -> Iterator[dict[str, Any]]:
        """The events of a streamed answer (:mod:`contracts.streaming`), each image rendered
        only when its event is asked for: per image, ``partial_images`` less finished versions
        (``render_partial``), then the image itself with the request's usage."""
        width, height = parse_size(req.resolved_size)
        kinds = EVENTS[req.endpoint]
        shown = functools.partial(event, size=req.resolved_size, quality=req.resolved_quality or "",
                                  background=req.resolved_background or "", output_format=req.output_format)
        safety_identifier = req.effective_safety_identifier
        total_usage = _usage(req, width, height)
        steps = req.partial_images
        with _holding(req):
            for index in range(req.n):
                output_index = index if req.n > 1 else None
                images = render_progressive(_recipe(req, index, width, height), steps)
                for step in range(steps):
                    with self.render_turn():
                        partial_png = next(images)
                    partial = base64.b64encode(partial_png).decode("ascii")
                    yield shown(kinds.partial, b64_json=partial, created_at=int(self.clock.now()),
                                partial_image_index=step, output_index=output_index)
                with self.render_turn():
                    final_png = next(images)
                final = base64.b64encode(final_png).decode("ascii")
                yield shown(kinds.completed, b64_json=final, created_at=int(self.clock.now()), usage=total_usage,
                            output_index=output_index, safety_identifier=safety_identifier)


def _holding(req: ImageRequest) -> contextlib.AbstractContextManager[None]:
    """For an edit or a variation, its inputs held while its images are rendered (the n images share
    one decode of them, however large); nothing for a generation."""
    return holding_inputs() if req.image is not None else contextlib.nullcontext()


def _usage(req: ImageRequest, width: int, height: int, *, output_details: bool = False) -> dict[str, Any]:
    """The usage block of a GPT answer (streamed or not: partial images add their tokens; an answer's has
    ``output_tokens_details``, a stream event's not)."""
    inputs = [(info.width, info.height) for info in req.inputs]
    return usage(prompt=req.prompt, quality=req.resolved_quality or "", width=width, height=height, n=req.n,
                 input_images=inputs, input_fidelity=req.input_fidelity, partial_images=req.partial_images,
                 output_details=output_details)


def _svg_usage(req: ImageRequest) -> dict[str, Any]:
    """The svg_usage block of an SVG answer: the author named by ``svg.model``, else the image model."""
    svg = req.svg or {}
    reasoning = svg.get("reasoning") or {}
    complexity = req.complexity or (req.model.complexity.default if req.model.complexity else "medium")
    return svg_usage(prompt=req.prompt, author=svg.get("model") or req.model.name, complexity=complexity,
                     effort=reasoning.get("effort"))


_DEFAULT_MODEL = MODELS[ENDPOINTS[GENERATIONS].default_model]
_RECIPE_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Recipe)}


def _recipe(req: ImageRequest, index: int, width: int, height: int) -> Recipe:
    """What determines image ``index`` of the answer. Fields a DALL·E request leaves at their
    defaults are not passed, so its recipe (and its bytes) stay today's."""
    extra: dict[str, Any] = {}
    if req.model.answer == GPT_ANSWER:
        gif = req.model.gif
        extra = {
            "output_format": req.output_format,
            "background": req.resolved_background or "opaque",
            "compression": req.output_compression,
            "quality": req.resolved_quality or "",
        }
        if req.output_format == "gif" and gif is not None:
            extra["frame_count"] = req.frame_count or gif.frame_count_default
            extra["frame_duration_ms"] = gif.delay(req.frame_duration_ms or gif.frame_duration_default)
    elif req.resolved_quality:
        extra["quality"] = req.resolved_quality
    extra = {k: v for k, v in extra.items() if _RECIPE_DEFAULTS[k] != v}
    if req.extra_images:
        extra["extra_images"] = req.extra_images
    if req.markup is not None:
        extra["markup"] = req.markup
    return Recipe(endpoint=req.endpoint, model=req.model.name, prompt=req.prompt, width=width, height=height,
                  index=index, n=req.n, image=req.image, mask=req.mask, **extra)
