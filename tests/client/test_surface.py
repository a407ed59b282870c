"""The public surface is pinned, and the exception tree in the docstring is the real one."""

from __future__ import annotations

import re

import client

PUBLIC = [
    "APIConnectionError", "APIError", "APIResponseValidationError", "APIStatusError", "APITimeoutError",
    "AuthenticationError", "BadRequestError", "ImageData", "ImageDownloadError", "ImageURLExpiredError",
    "ImagesClient", "ImagesError", "ImagesResult", "InternalServerError", "InvalidImageError", "NotFoundError",
    "PermissionDeniedError", "Picture", "RateLimitError", "prepare_image",
    "DecodedImage", "ImageRef", "ModerationDetails", "TokenDetails", "Usage",
    "CompletedEvent", "ImageEvent", "ImageStream", "PartialImageEvent",
]


def test_all_is_pinned() -> None:
    assert sorted(client.__all__) == sorted(PUBLIC)
    for name in client.__all__:
        assert hasattr(client, name), name


def drawn_tree() -> dict[str, str | None]:
    """{class name: parent name} as the module docstring draws it."""
    doc = client.__doc__ or ""
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in doc.split("Exceptions:", 1)[1].splitlines():
        match = re.match(r"^(\s*(?:[│ ]   )*)(?:[├└]── )?([A-Z][A-Za-z]+)\b", line)
        if not match:
            continue
        depth = len(match.group(1)) // 4 + (1 if "──" in line else 0)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[match.group(2)] = stack[-1][1] if stack else None
        stack.append((depth, match.group(2)))
    return parents


def test_the_drawn_exception_tree_is_true() -> None:
    tree = drawn_tree()
    exceptions = {name for name in client.__all__ if isinstance(getattr(client, name), type)
                  and issubclass(getattr(client, name), Exception)}
    assert set(tree) == exceptions
    for name, parent in tree.items():
        cls = getattr(client, name)
        if parent is None:
            assert cls.__bases__ == (Exception,)
        else:
            assert cls.__bases__ == (getattr(client, parent),), f"{name} is drawn under {parent}"

