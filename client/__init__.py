"""The reference client of the Images API twin, built on ``requests``.

    from client import ImagesClient, ImageRef
    with ImagesClient.from_env() as images:          # OPENAI_BASE_URL, OPENAI_API_KEY
        result = images.generate("a white siamese cat", n=2, size="512x512")
        paths = result.save_all("out", prefix="cat")   # out/cat-1.png, out/cat-2.png

        result = images.generate("a cat", model="gpt-image-1.5", quality="low", output_format="jpeg")
        result.usage.total_tokens, result.quality, result.size   # typed usage, resolved settings
        picture = result.data[0].decode()              # bytes, .media_type "image/jpeg", .extension ".jpg"
        picture.save("out/cat")                        # out/cat.jpg

        images.edit(["a.png", "b.jpg"], prompt="...", model="gpt-image-1.5")    # image[] parts
        images.edit(ImageRef.url("data:image/png;base64,..."), prompt="...")    # a JSON edit

        with images.generate("a cat", model="gpt-image-1.5", stream=True, partial_images=2) as events:
            for event in events:                       # PartialImageEvent x2, then CompletedEvent
                event.decode().save(f"out/cat-{getattr(event, 'partial_image_index', 'final')}")

It retries as the official SDK does (408, 409, 429, >= 500 and connection
errors; ``x-should-retry``; ``retry-after-ms``/``retry-after``; else backoff); a stream
is retried only while it opens: a connection cut after it began raises APIConnectionError.
``python -m client`` is its command line.

Exceptions:

    ImagesError
    ├── APIError
    │   ├── APIStatusError              an error status; .status .type .code .param .message
    │   │   │                            .request_id .body .headers
    │   │   ├── BadRequestError          400 (.moderation_details, .is_user_error)
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
    └── InvalidImageError                bytes not an image of the expected format and size
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
    ModerationDetails,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from client._images import ImageRef, Picture, prepare_image
from client._results import DecodedImage, ImageData, ImagesResult, TokenDetails, Usage
from client._stream import CompletedEvent, ImageEvent, ImageStream, PartialImageEvent

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CompletedEvent",
    "DecodedImage",
    "ImageData",
    "ImageDownloadError",
    "ImageEvent",
    "ImageRef",
    "ImageStream",
    "ImageURLExpiredError",
    "ImagesClient",
    "ImagesError",
    "ImagesResult",
    "InternalServerError",
    "InvalidImageError",
    "ModerationDetails",
    "NotFoundError",
    "PartialImageEvent",
    "PermissionDeniedError",
    "Picture",
    "RateLimitError",
    "TokenDetails",
    "Usage",
    "prepare_image",
]
