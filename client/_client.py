"""``ImagesClient``: the three Images API endpoints over ``requests``, with the SDK's retries."""

from __future__ import annotations

import json
import os
import random as _random
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, cast, overload

import requests

from client._download import DEFAULT_TIMEOUT, Timeout, download_png
from client._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    ImagesError,
    status_error,
)
from client._images import ImageRef, Picture, upload_part
from client._results import ImagesResult
from client._retry import DEFAULT_MAX_RETRIES, send_with_retries
from client._stream import ImageStream
from contracts.auth import SCHEME
from contracts.headers import AUTHORIZATION, REQUEST_ID
from contracts.media import JSON
from contracts.models import EDITS, GENERATIONS, GPT_SPECIFIC_PARAMETERS, MODELS, VARIATIONS, ModelProfile
from contracts.shapes import readable_response_problems
from contracts.spec import ENDPOINTS, REAL_BASE_URL
from contracts.streaming import MEDIA_TYPE as EVENT_STREAM

USER_AGENT = "images-api-twin-client/0.1.0"
BASE_URL_ENV = "OPENAI_BASE_URL"
API_KEY_ENV = "OPENAI_API_KEY"


Size = str | tuple[int, int]


def _given(**values: object) -> dict[str, object]:
    """Only the arguments the caller gave: None means "not sent", so the server's default applies."""
    return {name: value for name, value in values.items() if value is not None}


def _size(size: Size | None) -> str | None:
    """``(1536, 864)`` as ``"1536x864"``; a string as it is."""
    if isinstance(size, tuple):
        width, height = size
        return f"{width}x{height}"
    return size


def _ref(picture: Picture | ImageRef) -> ImageRef:
    return picture if isinstance(picture, ImageRef) else ImageRef.of(picture)


def _profile_for(endpoint: str, params: Mapping[str, object]) -> ModelProfile | None:
    """The profile of the model that will answer: the named one, else the endpoint's default,
    which is the GPT default when a GPT-specific parameter is sent [spec] (the contract's data).
    None for a model the contract does not know: then the answer is checked only for what every
    model promises."""
    named = params.get("model")
    if named is not None:
        return MODELS.get(str(named))
    default = ENDPOINTS[endpoint]
    if default.gpt_default_model is not None and any(name in GPT_SPECIFIC_PARAMETERS for name in params):
        return MODELS.get(default.gpt_default_model)
    return MODELS.get(default.default_model)


def _form_value(value: object) -> str:
    """A multipart text part, as the SDK writes it: booleans as ``true``/``false``."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


class ImagesClient:
    """A client for the Images API (every model of the contract): generate, edit, create_variation."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = REAL_BASE_URL,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
    ) -> None:
        if not isinstance(api_key, str) or not api_key:
            raise ImagesError(f"api_key must be a non-empty string; set it or the {API_KEY_ENV} environment variable")
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be a non-negative integer, not {max_retries!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self._api_key = api_key
        self._own_session = session is None
        self._session = session if session is not None else requests.Session()
        self._sleep = sleep
        self._random = random

    @classmethod
    def from_env(cls, *, environ: Mapping[str, str] | None = None, **options: Any) -> ImagesClient:
        """A client configured by ``OPENAI_BASE_URL`` (default: the real API) and ``OPENAI_API_KEY``.

        ``options`` are other constructor arguments; ``base_url`` and ``api_key`` given
        here win over the environment.
        """
        env = os.environ if environ is None else environ
        options.setdefault("base_url", env.get(BASE_URL_ENV) or REAL_BASE_URL)
        api_key = options.pop("api_key", None) or env.get(API_KEY_ENV)
        if not api_key:
            raise ImagesError(f"no API key: pass api_key or set the {API_KEY_ENV} environment variable")
        return cls(api_key=api_key, **options)

    def __repr__(self) -> str:
        return f"ImagesClient(base_url={self.base_url!r}, max_retries={self.max_retries})"

    # --- the three endpoints ----------------------------------------------------

    @overload
    def generate(
        self,
        prompt: str,
        *,
        model: str | None = None,
        n: int | None = None,
        size: Size | None = None,
        quality: str | None = None,
        response_format: str | None = None,
        style: str | None = None,
        background: str | None = None,
        output_format: str | None = None,
        output_compression: int | None = None,
        moderation: str | None = None,
        user: str | None = None,
        safety_identifier: str | None = None,
        frame_count: int | None = None,
        frame_duration_ms: int | None = None,
        extra_body: Mapping[str, object] | None = None,
        stream: Literal[False] = False,
        partial_images: int | None = None,
    ) -> ImagesResult: ...

    @overload
    def generate(
        self,
        prompt: str,
        *,
        model: str | None = None,
        n: int | None = None,
        size: Size | None = None,
        quality: str | None = None,
        response_format: str | None = None,
        style: str | None = None,
        background: str | None = None,
        output_format: str | None = None,
        output_compression: int | None = None,
        moderation: str | None = None,
        user: str | None = None,
        safety_identifier: str | None = None,
        frame_count: int | None = None,
        frame_duration_ms: int | None = None,
        extra_body: Mapping[str, object] | None = None,
        stream: Literal[True],
        partial_images: int | None = None,
    ) -> ImageStream: ...

    def generate(
        self,
        prompt: str,
        *,
        model: str | None = None,
        n: int | None = None,
        size: Size | None = None,
        quality: str | None = None,
        response_format: str | None = None,
        style: str | None = None,
        background: str | None = None,
        output_format: str | None = None,
        output_compression: int | None = None,
        moderation: str | None = None,
        user: str | None = None,
        safety_identifier: str | None = None,
        frame_count: int | None = None,
        frame_duration_ms: int | None = None,
        extra_body: Mapping[str, object] | None = None,
        stream: bool = False,
        partial_images: int | None = None,
    ) -> ImagesResult | ImageStream:
        """``POST /images/generations``: ``n`` new images for ``prompt``.

        Only the arguments given are sent (None: the server's default applies); which ones a
        model takes is the server's to say. ``size`` may be ``"1536x864"`` or ``(1536, 864)``.
        ``extra_body`` adds fields this client does not name yet.

        ``stream=True`` (GPT image models) answers an :class:`ImageStream` of typed events
        instead: ``partial_images`` (0-3) :class:`PartialImageEvent` per image, then its
        :class:`CompletedEvent` with the usage. The retries apply to opening the stream only.
        """
        body = _given(prompt=prompt, model=model, n=n, size=_size(size), quality=quality,
                      response_format=response_format, style=style, background=background,
                      output_format=output_format, output_compression=output_compression, moderation=moderation,
                      user=user, safety_identifier=safety_identifier, frame_count=frame_count,
                      frame_duration_ms=frame_duration_ms, stream=stream or None,
                      partial_images=partial_images, **(extra_body or {}))
        return self._request(GENERATIONS, body, files=None, stream=stream)

    @overload
    def edit(
        self,
        image: Picture | ImageRef | Sequence[Picture | ImageRef],
        *,
        prompt: str,
        mask: Picture | ImageRef | None = None,
        model: str | None = None,
        n: int | None = None,
        size: Size | None = None,
        quality: str | None = None,
        response_format: str | None = None,
        background: str | None = None,
        output_format: str | None = None,
        output_compression: int | None = None,
        moderation: str | None = None,
        input_fidelity: str | None = None,
        user: str | None = None,
        safety_identifier: str | None = None,
        frame_count: int | None = None,
        frame_duration_ms: int | None = None,
        extra_body: Mapping[str, object] | None = None,
        stream: Literal[False] = False,
        partial_images: int | None = None,
    ) -> ImagesResult: ...

    @overload
    def edit(
        self,
        image: Picture | ImageRef | Sequence[Picture | ImageRef],
        *,
        prompt: str,
        mask: Picture | ImageRef | None = None,
        model: str | None = None,
        n: int | None = None,
        size: Size | None = None,
        quality: str | None = None,
        response_format: str | None = None,
        background: str | None = None,
        output_format: str | None = None,
        output_compression: int | None = None,
        moderation: str | None = None,
        input_fidelity: str | None = None,
        user: str | None = None,
        safety_identifier: str | None = None,
        frame_count: int | None = None,
        frame_duration_ms: int | None = None,
        extra_body: Mapping[str, object] | None = None,
        stream: Literal[True],
        partial_images: int | None = None,
    ) -> ImageStream: ...

    def edit(
        self,
        image: Picture | ImageRef | Sequence[Picture | ImageRef],
        *,
        prompt: str,
        mask: Picture | ImageRef | None = None,
        model: str | None = None,
        n: int | None = None,
        size: Size | None = None,
        quality: str | None = None,
        response_format: str | None = None,
        background: str | None = None,
        output_format: str | None = None,
        output_compression: int | None = None,
        moderation: str | None = None,
        input_fidelity: str | None = None,
        user: str | None = None,
        safety_identifier: str | None = None,
        frame_count: int | None = None,
        frame_duration_ms: int | None = None,
        extra_body: Mapping[str, object] | None = None,
        stream: bool = False,
        partial_images: int | None = None,
    ) -> ImagesResult | ImageStream:
        """``POST /images/edits``: repaint ``image`` (where it, or ``mask``, is transparent).

        One picture is sent as the multipart part ``image``; a list or tuple of them as
        repeated ``image[]`` parts, as the official SDK does (GPT image models take up to 16;
        the mask applies to the first). When an image or the mask is an :class:`ImageRef`
        (a URL, a ``data:`` URL or a file id), the edit is sent as JSON instead
        (``{"images": [{"image_url": ...}], ...}``), pictures inlined as ``data:`` URLs.
        ``stream=True`` answers an :class:`ImageStream`, as for :meth:`generate`.
        """
        fields = _given(prompt=prompt, model=model, n=n, size=_size(size), quality=quality,
                        response_format=response_format, background=background, output_format=output_format,
                        output_compression=output_compression, moderation=moderation,
                        input_fidelity=input_fidelity, user=user, safety_identifier=safety_identifier,
                        frame_count=frame_count, frame_duration_ms=frame_duration_ms, stream=stream or None,
                        partial_images=partial_images, **(extra_body or {}))
        several = isinstance(image, list | tuple)
        pictures = list(image) if isinstance(image, list | tuple) else [cast(Picture | ImageRef, image)]
        if not pictures:
            raise ValueError("edit() needs at least one image")
        if any(isinstance(p, ImageRef) for p in [*pictures, mask]):
            body: dict[str, object] = {"images": [_ref(p).as_json() for p in pictures], **fields}
            if mask is not None:
                body["mask"] = _ref(mask).as_json()
            return self._request(EDITS, body, files=None, stream=stream)
        name = "image[]" if several else "image"
        files = [(name, upload_part(cast(Picture, p))) for p in pictures]
        if mask is not None:
            files.append(("mask", upload_part(cast(Picture, mask))))
        return self._request(EDITS, fields, files=files, stream=stream)

    def create_variation(
        self,
        image: Picture,
        *,
        model: str | None = None,
        n: int | None = None,
        size: Size | None = None,
        response_format: str | None = None,
        user: str | None = None,
        extra_body: Mapping[str, object] | None = None,
    ) -> ImagesResult:
        """``POST /images/variations``: ``n`` variations of ``image`` (dall-e-2 only)."""
        fields = _given(model=model, n=n, size=_size(size), response_format=response_format, user=user,
                        **(extra_body or {}))
        return cast(ImagesResult, self._request(VARIATIONS, fields, files=[("image", upload_part(image))]))

    def download(self, url: str) -> bytes:
        """The bytes behind an image URL, fetched with this client's session, timeout and retries.

        The API key is not sent: image URLs live on blob storage, not on the API.
        """
        return download_png(
            self._session,
            url,
            timeout=self.timeout,
            max_retries=self.max_retries,
            sleep=self._sleep,
            random=self._random,
        )

    # --- plumbing -------------------------------------------------------------------

    def _headers(self, retries_taken: int) -> dict[str, str]:
        return {
            AUTHORIZATION: f"{SCHEME} {self._api_key}",
            "Accept": JSON,
            "User-Agent": USER_AGENT,
            "x-stainless-retry-count": str(retries_taken),
        }

    def _request(
        self,
        endpoint: str,
        params: dict[str, object],
        *,
        files: list[tuple[str, tuple[str, bytes, str]]] | None,
        stream: bool = False,
    ) -> ImagesResult | ImageStream:
        url = self.base_url + ENDPOINTS[endpoint].path

        def send(retries_taken: int) -> requests.Response:
            headers = self._headers(retries_taken)
            if files is None:
                return self._session.post(url, json=params, headers=headers, timeout=self.timeout, stream=stream)
            # Multipart text parts are strings; requests puts them before the file parts, as the SDK does.
            fields = {name: _form_value(value) for name, value in params.items()}
            return self._session.post(url, data=fields, files=files, headers=headers, timeout=self.timeout,
                                      stream=stream)

        try:
            response = send_with_retries(send, max_retries=self.max_retries, sleep=self._sleep, random=self._random)
        except requests.Timeout as exc:
            raise APITimeoutError(f"Request timed out: POST {url}", url=url) from exc
        except requests.RequestException as exc:
            raise APIConnectionError(f"Connection error: POST {url}: {exc}", url=url) from exc
        if stream and response.status_code < 300:
            if response.headers.get("content-type", "").split(";")[0].strip() == EVENT_STREAM:
                return ImageStream(response, url=url)
            with response:
                raise APIResponseValidationError(
                    f"HTTP {response.status_code} answer to stream=true is not {EVENT_STREAM}: "
                    f"{response.headers.get('content-type')!r}",
                    status=response.status_code, body=response.text, headers=response.headers,
                )
        with response:
            if response.status_code >= 300:
                raise status_error(response)
            return self._result(endpoint, params, response)

    def _result(self, endpoint: str, params: Mapping[str, object], response: requests.Response) -> ImagesResult:
        status, headers = response.status_code, response.headers
        try:
            body = json.loads(response.content)
        except ValueError as exc:
            raise APIResponseValidationError(
                f"HTTP {status} answer is not valid JSON ({exc}): {response.text[:200]!r}",
                status=status,
                body=response.text,
                headers=headers,
            ) from exc
        profile = _profile_for(endpoint, params)
        response_format = params.get("response_format") or (profile.default_response_format if profile else None)
        n = params.get("n")
        if not isinstance(n, int):
            n = profile.default_n if profile else None
        problems = readable_response_problems(
            body, n=n, response_format=str(response_format) if response_format else None)
        if problems:
            raise APIResponseValidationError(
                f"HTTP {status} answer is not an images response: {'; '.join(problems)}",
                status=status,
                body=body,
                headers=headers,
            )
        size = params.get("size") or (profile.default_size if profile else None)
        output_format = params.get("output_format")
        if output_format is None and profile is not None and profile.output_format is not None:
            output_format = profile.output_format.default
        return ImagesResult.from_body(
            body,
            request_id=headers.get(REQUEST_ID),
            size=str(size) if size is not None else None,
            output_format=str(output_format) if output_format is not None else None,
            downloader=self,
        )

    # --- lifetime ---------------------------------------------------------------------

    def close(self) -> None:
        """Close the session, if this client opened it."""
        if self._own_session:
            self._session.close()

    def __enter__(self) -> ImagesClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
