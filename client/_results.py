"""Typed results: an ``ImagesResponse`` as frozen dataclasses, with helpers to get the PNGs.

Each :class:`ImageData` remembers the size that was asked for, so
:meth:`ImageData.png_bytes` checks the picture it gets by default, and the client
that made it, so a URL is downloaded with the same session and retry settings.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import requests

from client._download import download_png
from client._errors import InvalidImageError
from contracts import png
from contracts.spec import DALL_E_2


class Downloader(Protocol):
    """Something that can fetch an image URL (an :class:`~client.ImagesClient`)."""

    def download(self, url: str) -> bytes: ...


Source = Downloader | requests.Session | None
Progress = Callable[[int, int], None]

# Generous: the largest picture any Images model returns is far below this.
_MAX_PIXELS = DALL_E_2.uploads.max_pixels


def check_png(data: bytes, expected_size: str | None) -> bytes:
    """``data`` if it is one whole PNG (of ``expected_size``, when given); else InvalidImageError."""
    try:
        info = png.inspect(data, max_pixels=_MAX_PIXELS)
    except png.PngError as exc:
        raise InvalidImageError(f"the image is not a valid PNG ({exc}); got {len(data)} bytes") from exc
    if expected_size is not None and info.size != expected_size:
        raise InvalidImageError(f"expected a {expected_size} image, got a {info.size} PNG")
    return data


@dataclass(frozen=True)
class ImageData:
    """One generated image: a URL (valid for an hour) or the PNG in base64."""

    url: str | None = None
    b64_json: str | None = None
    size: str | None = field(default=None, kw_only=True)  # the size asked for, checked by png_bytes()
    _downloader: Downloader | None = field(default=None, kw_only=True, repr=False, compare=False)

    def png_bytes(self, source: Source = None, expected_size: str | None = None) -> bytes:
        """The PNG, decoded or downloaded, checked to be a whole PNG of the expected size.

        ``source`` downloads a URL: a client, a ``requests.Session``, or by default the
        client that made this result. ``expected_size`` defaults to the size asked for.
        """
        if self.b64_json is not None:
            try:
                data = base64.b64decode(self.b64_json, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise InvalidImageError(f"b64_json is not valid base64: {exc}") from exc
        elif self.url is not None:
            data = self._fetch(self.url, source)
        else:
            raise InvalidImageError("the image has neither a url nor b64_json")
        return check_png(data, expected_size or self.size)

    def _fetch(self, url: str, source: Source) -> bytes:
        if isinstance(source, requests.Session):
            return download_png(source, url)
        downloader = source if source is not None else self._downloader
        if downloader is not None:
            return downloader.download(url)
        with requests.Session() as session:
            return download_png(session, url)

    def save(self, path: str | os.PathLike[str], source: Source = None, expected_size: str | None = None) -> Path:
        """Write the checked PNG to ``path`` (its folder is created) and return the path."""
        target = Path(path)
        data = self.png_bytes(source, expected_size)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target


@dataclass(frozen=True)
class ImagesResult:
    """An ``ImagesResponse``: when it was made, its images, and the request id."""

    created: int
    data: tuple[ImageData, ...]
    request_id: str | None = None
    size: str | None = field(default=None, kw_only=True)  # the size asked for, if known

    def save_all(
        self,
        directory: str | os.PathLike[str] = ".",
        prefix: str = "image",
        *,
        source: Source = None,
        progress: Progress | None = None,
    ) -> list[Path]:
        """Write every image as ``<directory>/<prefix>-<i>.png`` (i from 1); ``progress(i, total)`` before each."""
        folder = Path(directory)
        paths = []
        for index, item in enumerate(self.data, start=1):
            if progress is not None:
                progress(index, len(self.data))
            paths.append(item.save(folder / f"{prefix}-{index}.png", source))
        return paths

    @classmethod
    def from_body(
        cls,
        body: Mapping[str, Any],
        *,
        request_id: str | None = None,
        size: str | None = None,
        downloader: Downloader | None = None,
    ) -> ImagesResult:
        """Build a result from a body already checked against the images-response shape."""
        data = tuple(
            ImageData(item.get("url"), item.get("b64_json"), size=size, _downloader=downloader)
            for item in body["data"]
        )
        return cls(body["created"], data, request_id, size=size)
