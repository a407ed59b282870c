"""Where the contract suite runs: one switch, ``pytest --target=inprocess|http|live|URL``.

    inprocess  the fake in this process; every ``requests`` call to ``http://fake.test`` (the
               client's and the raw ones) is routed into the Flask app by ``responses``: no
               sockets. The default.
    http       the fake over real HTTP on a free port (``LiveServer``).
    live       the real API (``contracts.spec.REAL_BASE_URL``) with ``OPENAI_API_KEY``; every
               test of the suite is skipped when the key is not set. Tiny budget, cheap requests.
    URL        any base URL, e.g. ``http://127.0.0.1:5000/v1`` (key: ``OPENAI_API_KEY`` or a
               dummy). When it answers the fake's control API, fake-only tests run too.

The tests read the target through the ``target`` fixture (a :class:`Target`) and their
Hypothesis budget through :func:`budget`, which scales the settings profile of the target
(registered in ``conftest.py``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
import responses
from flask import Flask
from hypothesis import settings

from client import ImagesClient
from contracts.envelope import CURRENT
from contracts.models import DALL_E_2, GPT_DEFAULT_MODEL, MODELS, ModelProfile
from contracts.spec import REAL_BASE_URL
from contracts.strategies import Case
from contracts.verify import Answer, image_bytes, problems, send
from mockserver.testing.handle import ControlError, FakeHandle

KINDS = ("inprocess", "http", "live")
API_KEY_ENV = "OPENAI_API_KEY"
DUMMY_KEY = "sk-contract-suite-0000000000000000000000000000"
# What the settings profile of each target is called (see conftest.py).
PROFILES = {"inprocess": "contract-inprocess", "http": "contract-http", "live": "contract-live"}
# How many examples the "live" profile allows a property, at most.
LIVE_CAP = 5
# The model a paid endpoint's valid requests ask for (default: today's GPT default model).
MODEL_ENV = "IMAGES_CONTRACT_MODEL"


def model() -> ModelProfile:
    """The model of the suite's default valid requests: dall-e-2 (the seed contract) on the fake;
    on a paid endpoint, which retired dall-e-2, ``$IMAGES_CONTRACT_MODEL`` or today's default
    GPT model."""
    if not current().cheap:
        return DALL_E_2
    name = os.environ.get(MODEL_ENV) or GPT_DEFAULT_MODEL
    if name not in MODELS:
        raise ValueError(f"{MODEL_ENV}={name!r} is not a model of the contract: {', '.join(MODELS)}")
    return MODELS[name]


@dataclass(frozen=True)
class TargetSpec:
    """What ``--target`` asked for, resolved."""

    name: str  # as given: inprocess, http, live, or the URL
    kind: str  # inprocess, http, live or url
    base_url: str | None  # None: a fake made by the suite
    api_key: str
    has_control: bool  # the fake's control API (/_mock/) answers
    skip_reason: str | None = None  # why nothing can run (live without a key)

    @property
    def profile(self) -> str:
        if self.kind == "url":
            return PROFILES["http" if self.has_control else "live"]
        return PROFILES[self.kind]

    @property
    def cheap(self) -> bool:
        """Whether successful requests must stay cheap (they may cost money)."""
        return self.profile == PROFILES["live"]


def control_root(base_url: str) -> str:
    return base_url.rstrip("/").removesuffix("/v1")


def has_control_plane(base_url: str, timeout: float = 3.0) -> bool:
    """Whether ``base_url`` is a fake: its control API (``/_mock/config``) answers with a configuration."""
    try:
        with FakeHandle.over_http(base_url, timeout=timeout) as fake:
            config: Any = fake.config()  # (from a server that is not the fake: whatever it answered)
    except (ControlError, requests.RequestException):
        return False
    return isinstance(config, dict) and "rate_limits" in config


def resolve(option: str, environ: Mapping[str, str] = os.environ) -> TargetSpec:
    """``--target``'s value as a :class:`TargetSpec`; ValueError for a value that is neither."""
    key = environ.get(API_KEY_ENV) or ""
    if option in ("inprocess", "http"):
        return TargetSpec(option, option, None, "sk-contract-suite-" + "0" * 30, has_control=True)
    if option == "live":
        reason = None if key else f"--target=live needs {API_KEY_ENV}: the whole contract suite is skipped"
        return TargetSpec(option, "live", REAL_BASE_URL, key, has_control=False, skip_reason=reason)
    if re.match(r"https?://", option):
        return TargetSpec(option, "url", option.rstrip("/"), key or DUMMY_KEY, has_control_plane(option))
    raise ValueError(f"--target must be inprocess, http, live or a base URL like http://127.0.0.1:5000/v1, "
                     f"not {option!r}")


_current: TargetSpec | None = None


def select(spec: TargetSpec) -> None:
    """Make ``spec`` the suite's target (conftest does this at configure time)."""
    global _current
    _current = spec


def current() -> TargetSpec:
    return _current if _current is not None else resolve("inprocess")


def budget(share: float = 1.0) -> settings:
    """The target's Hypothesis settings for a property worth ``share`` times its profile's
    examples (in-process: the session's profile's, dev or ci); on a live target never more
    than the profile's (tiny) number."""
    profile = settings.get_profile(current().profile)
    examples = settings.default.max_examples if current().profile == PROFILES["inprocess"] else profile.max_examples
    if current().profile == PROFILES["live"]:
        share = min(share, 1.0)
    return settings(profile, max_examples=max(1, round(examples * share)))


# --- the running target ---------------------------------------------------------------------


@dataclass(repr=False)
class Target:
    """The endpoint under test, and what the suite can do with it."""

    spec: TargetSpec
    base_url: str
    session: requests.Session
    fake: FakeHandle | None = None  # the control plane, when there is one
    app: Flask | None = None  # the fake's app, when it lives in this process
    era: str = CURRENT
    mock: responses.RequestsMock | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"Target({self.spec.name}: {self.base_url})"

    @property
    def api_key(self) -> str:
        return self.spec.api_key

    def client(self) -> ImagesClient:
        """The reference client on this target's session: no retries, so the first answer counts."""
        return ImagesClient(base_url=self.base_url, api_key=self.api_key, session=self.session, max_retries=0,
                            sleep=lambda _: None)

    def send(self, case: Case) -> Answer:
        """``case`` as raw HTTP, with the client's session."""
        self.forget_calls()
        return send(self.session, case, base_url=self.base_url, api_key=self.api_key)

    def problems(self, case: Case, answer: Answer) -> list[str]:
        return problems(self.session, case, answer, era=self.era)

    def images(self, answer: Answer, response_format: str) -> list[bytes]:
        return image_bytes(self.session, answer, response_format)

    def forget_calls(self) -> None:
        """``responses`` keeps every call (bodies of many MB included); the suite needs none."""
        if self.mock is not None:
            self.mock.calls.reset()
            for registered in self.mock.registered():
                registered.calls.reset()

    @contextmanager
    def configured(self, **changes: Any) -> Iterator[Target]:
        """The fake with ``changes`` to its configuration while the block runs."""
        assert self.fake is not None, "configured() needs the fake's control plane"
        before = self.fake.config()
        self.fake.configure(**changes)
        try:
            yield self
        finally:
            self.fake.configure(**{name: before[name] for name in changes})


def era_of(fake: FakeHandle | None) -> str:
    return str(fake.config()["error_era"]) if fake is not None else CURRENT

