"""The reference client of the Images API twin (DALL·E 2 contract), built on ``requests``.

    from client import ImagesClient
    with ImagesClient.from_env() as images:          # OPENAI_BASE_URL, OPENAI_API_KEY
        result = images.generate("a white siamese cat", n=2, size="512x512")
        paths = result.save_all("out", prefix="cat")

It retries as the official SDK does (408, 409, 429, >= 500 and connection
errors; ``x-should-retry``; ``retry-after-ms``/``retry-after``; else backoff).
``python -m client`` is its command line.

Exceptions:

    ImagesError
    ├── APIError
    │   ├── APIStatusError              an error status; .status .type .code .param .message
    │   │   │                            .request_id .body .headers
    │   │   ├── BadRequestError          400
    │   │   ├── AuthenticationError      401
    │   │   ├── PermissionDeniedError    403
    │   │   ├── NotFoundError            404
    │   │   ├── RateLimitError           429 (.retry_after)
    │   │   └── InternalServerError      >= 500
    │   ├── APIConnectionError           no answer
    │   │   └── APITimeoutError          no answer in time
    │   └── APIResponseValidationError   a 2xx body that is not an images response
    ├── ImageDownloadError               an image URL could not be fetched
    │   └── ImageURLExpiredError         ... because it is older than an hour
    └── InvalidImageError                bytes that are not a PNG of the expected size
"""

from client._client import ImagesClient
from client._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ImageDownloadError,
    ImagesError,
    ImageURLExpiredError,
    InternalServerError,
    InvalidImageError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from client._images import Picture, prepare_image
from client._results import ImageData, ImagesResult

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ImageData",
    "ImageDownloadError",
    "ImageURLExpiredError",
    "ImagesClient",
    "ImagesError",
    "ImagesResult",
    "InternalServerError",
    "InvalidImageError",
    "NotFoundError",
    "PermissionDeniedError",
    "Picture",
    "RateLimitError",
    "prepare_image",
]
