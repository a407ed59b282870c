"""The client's exceptions: one class per HTTP status, as in the official SDK.

Every failure the client raises is an :class:`ImagesError`. An answer with an
error status becomes an :class:`APIStatusError` subclass carrying the API's
``error`` envelope (``type``, ``code``, ``param``, ``message``, and for a GPT image
model's moderation refusal ``moderation_details``), the request id and the raw body;
:func:`status_error` picks the class.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict

from contracts.headers import REQUEST_ID
from contracts.ratelimits import retry_after_seconds

# [guide] the type of the errors a person fixes by changing the input (moderation, a bad mask,
# an unsupported background): not to be retried as they are.
USER_ERROR_TYPE = "image_generation_user_error"


@dataclass(frozen=True)
class ModerationDetails:
    """Why a GPT image model's safety system refused: at which stage (``input``, ``output``
    or ``unknown``) and for which categories."""

    moderation_stage: str | None
    categories: tuple[str, ...]


def _moderation_details(envelope: Mapping[str, Any]) -> ModerationDetails | None:
    details = envelope.get("moderation_details")
    if not isinstance(details, Mapping):
        return None
    stage = details.get("moderation_stage")
    categories = details.get("categories")
    return ModerationDetails(
        stage if isinstance(stage, str) else None,
        tuple(str(c) for c in categories) if isinstance(categories, list) else (),
    )


class ImagesError(Exception):
    """Base of everything this client raises."""


class APIError(ImagesError):
    """A request to the Images API failed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class APIConnectionError(APIError):
    """The API could not be reached, or the connection broke before an answer came."""

    def __init__(self, message: str = "Connection error.", *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class APITimeoutError(APIConnectionError):
    """The API did not answer in time."""

    def __init__(self, message: str = "Request timed out.", *, url: str | None = None) -> None:
        super().__init__(message, url=url)


class APIResponseValidationError(APIError):
    """A successful answer whose body is not what the contract promises."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        body: object,
        headers: Mapping[str, str],
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.headers: Mapping[str, str] = CaseInsensitiveDict(headers)
        self.request_id: str | None = self.headers.get(REQUEST_ID)


class APIStatusError(APIError):
    """The API answered with an error status; the base for the per-status classes."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        body: object,
        headers: Mapping[str, str],
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.headers: Mapping[str, str] = CaseInsensitiveDict(headers)
        self.type = type
        self.code = code
        self.param = param
        self.request_id: str | None = self.headers.get(REQUEST_ID)
        envelope = body.get("error") if isinstance(body, dict) else None
        # The whole ``error`` object, fields this client does not know included.
        self.error: Mapping[str, Any] = envelope if isinstance(envelope, dict) else {}
        self.moderation_details: ModerationDetails | None = _moderation_details(self.error)

    @property
    def is_user_error(self) -> bool:
        """Whether the API says the input must change (``image_generation_user_error``):
        a moderation refusal, a bad mask, an unsupported background. Not worth retrying as is."""
        return self.type == USER_ERROR_TYPE

    def __str__(self) -> str:
        # One line a person can act on: status, what kind, which field, the API's words, the id.
        text = str(self.status)
        kind = self.code or self.type
        if kind:
            text += f" {kind}"
        if self.param:
            text += f" (param {self.param})"
        text += f": {self.message}"
        if self.request_id:
            text += f" [request {self.request_id}]"
        return text


class BadRequestError(APIStatusError):
    """400: the request broke a rule (bad size, n out of range, not a PNG, ...), or the content
    policy refused it (``code`` ``content_policy_violation``, or ``moderation_blocked`` with
    ``moderation_details`` from GPT image models)."""


class AuthenticationError(APIStatusError):
    """401: no API key, or a wrong one."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this: an organization that must be verified to use a GPT image
    model (``code`` ``organization_must_be_verified``), or a region."""


class NotFoundError(APIStatusError):
    """404: no such path (often a base URL without ``/v1``)."""


class RateLimitError(APIStatusError):
    """429: too many requests, or no quota left; ``retry_after`` is the server's hint in seconds."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after: float | None = retry_after_seconds(self.headers)


class InternalServerError(APIStatusError):
    """500 or above: the service failed or is overloaded."""


class ImageDownloadError(ImagesError):
    """An image URL could not be downloaded."""

    def __init__(self, message: str, *, url: str, status: int | None = None, body: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.status = status
        self.body = body


class ImageURLExpiredError(ImageDownloadError):
    """An image URL outlived its validity (one hour after ``created``)."""


class InvalidImageError(ImagesError):
    """Image bytes that are not a whole PNG, or not of the size that was asked for."""


_BY_STATUS: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def status_error(response: requests.Response) -> APIStatusError:
    """The exception for an error answer; a body that is not the JSON envelope is kept as text."""
    status = response.status_code
    headers = response.headers
    text = response.text
    body: object = text
    fields: dict[str, Any] = {}
    message = text or f"HTTP {status} {response.reason or ''}".rstrip()
    try:
        body = json.loads(text)
    except ValueError:
        pass
    else:
        envelope = body.get("error") if isinstance(body, dict) else None
        if isinstance(envelope, dict):
            if isinstance(envelope.get("message"), str):
                message = envelope["message"]
            for key in ("type", "code", "param"):
                value = envelope.get(key)
                # A non-string value (never seen, but not ours to trust) is shown, not dropped.
                fields[key] = value if value is None or isinstance(value, str) else str(value)
    cls = InternalServerError if status >= 500 else _BY_STATUS.get(status, APIStatusError)
    return cls(message, status=status, body=body, headers=headers, **fields)
