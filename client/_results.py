"""Typed results: an ``ImagesResponse`` as frozen dataclasses, with helpers to get the images.

Each :class:`ImageData` remembers the size and format that were asked for (or that the
answer reports), so :meth:`ImageData.decode` checks the picture it gets, and the client
that made it, so a URL is downloaded with the same session and retry settings.

Parsing is lenient where the API may grow: a field this client does not know is ignored
(and kept in ``raw``); a known field of the wrong shape is an
:class:`~client.APIResponseValidationError` (the shape is :mod:`contracts.shapes`', read
"readably").
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import requests

from client._download import download_png
from client._errors import InvalidImageError
from client._formats import PNG, raster_size, sniff, with_extension
from contracts import png
from contracts.media import FORMATS, ImageFormat
from contracts.models import DALL_E_2


class Downloader(Protocol):
    """Something that can fetch an image URL (an :class:`~client.ImagesClient`)."""

    def download(self, url: str) -> bytes: ...


Source = Downloader | requests.Session | None
Progress = Callable[[int, int], None]

# Generous: the largest picture any Images model returns is far below this.
_MAX_PIXELS = DALL_E_2.uploads.max_pixels
_WXH = re.compile(r"[1-9][0-9]*x[1-9][0-9]*")


def _png_size(data: bytes, expected_size: str | None) -> str:
    try:
        info = png.inspect(data, max_pixels=_MAX_PIXELS)
    except png.PngError as exc:
        raise InvalidImageError(f"the image is not a valid PNG ({exc}); got {len(data)} bytes") from exc
    if expected_size is not None and info.size != expected_size:
        raise InvalidImageError(f"expected a {expected_size} image, got a {info.size} PNG")
    return info.size


def check_png(data: bytes, expected_size: str | None) -> bytes:
    """``data`` if it is one whole PNG (of ``expected_size``, when given); else InvalidImageError."""
    _png_size(data, expected_size)
    return data


def _pixel_size(value: str | None) -> str | None:
    """``value`` when it names pixels (``1536x864``); None for ``auto`` or nothing."""
    return value if value is not None and _WXH.fullmatch(value) else None


@dataclass(frozen=True)
class DecodedImage:
    """An image's bytes, checked, and the format they are in."""

    data: bytes = field(repr=False)
    format: ImageFormat
    size: str | None = None  # WIDTHxHEIGHT as read from the image (None for SVG)

    @property
    def media_type(self) -> str:
        return self.format.media_type

    @property
    def extension(self) -> str:
        return self.format.extension

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the image to ``path`` with the format's extension (added when missing,
        replaced when it names another format); its folder is created. Returns the path written."""
        target = Path(path)
        target = target.with_name(with_extension(target.name, self.format))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(self.data)
        return target

    def __repr__(self) -> str:
        size = f" {self.size}" if self.size else ""
        return f"DecodedImage({self.format.name}{size}, {len(self.data)} bytes)"


def decode_image(data: bytes, *, expected_format: str | None, expected_size: str | None) -> DecodedImage:
    """``data`` checked to be a whole image in ``expected_format`` of ``expected_size`` (when given)."""
    found = sniff(data)
    if found is None:
        wanted = f"a {expected_format} image" if expected_format else "an image"
        raise InvalidImageError(f"expected {wanted}, got {len(data)} bytes of no known image format: {data[:16]!r}")
    if expected_format is not None and found.name != expected_format:
        raise InvalidImageError(f"expected a {expected_format} image, got {found.name}")
    if found is PNG:
        return DecodedImage(data, found, _png_size(data, expected_size))
    if found.name == "svg":
        return DecodedImage(data, found)
    dimensions = raster_size(data)
    if dimensions is None:
        raise InvalidImageError(f"the {found.name} image cannot be read; got {len(data)} bytes")
    size = f"{dimensions[0]}x{dimensions[1]}"
    if expected_size is not None and size != expected_size:
        raise InvalidImageError(f"expected a {expected_size} image, got a {size} {found.name}")
    return DecodedImage(data, found, size)


@dataclass(frozen=True)
class ImageData:
    """One generated image: a URL (valid for an hour) or the image in base64, and for models
    that rewrite prompts (dall-e-3) the ``revised_prompt`` they drew."""

    url: str | None = None
    b64_json: str | None = None
    revised_prompt: str | None = None
    size: str | None = field(default=None, kw_only=True)  # the expected size, checked by decode()
    output_format: str | None = field(default=None, kw_only=True)  # the expected format, if known
    _downloader: Downloader | None = field(default=None, kw_only=True, repr=False, compare=False)

    @property
    def format(self) -> ImageFormat:
        """The image's format: the one the answer reported or the request asked for; else read
        from the first bytes of ``b64_json``; else PNG (what a DALL·E URL serves)."""
        if self.output_format is not None and self.output_format in FORMATS:
            return FORMATS[self.output_format]
        if self.b64_json:
            try:
                head = base64.b64decode(self.b64_json[:64], validate=True)
            except (binascii.Error, ValueError):
                head = b""
            found = sniff(head)
            if found is not None:
                return found
        return PNG

    @property
    def media_type(self) -> str:
        return self.format.media_type

    @property
    def extension(self) -> str:
        return self.format.extension

    def raw_bytes(self, source: Source = None) -> bytes:
        """The bytes as given (decoded from base64, or downloaded), unchecked."""
        if self.b64_json is not None:
            try:
                return base64.b64decode(self.b64_json, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise InvalidImageError(f"b64_json is not valid base64: {exc}") from exc
        if self.url is not None:
            return self._fetch(self.url, source)
        raise InvalidImageError("the image has neither a url nor b64_json")

    def decode(self, source: Source = None, expected_size: str | None = None) -> DecodedImage:
        """The image, decoded or downloaded, checked to be whole, in the expected format and of
        the expected size (``expected_size`` defaults to the one asked for or answered).

        ``source`` downloads a URL: a client, a ``requests.Session``, or by default the
        client that made this result.
        """
        data = self.raw_bytes(source)
        return decode_image(data, expected_format=self.output_format if self.output_format in FORMATS else None,
                            expected_size=_pixel_size(expected_size or self.size))

    def png_bytes(self, source: Source = None, expected_size: str | None = None) -> bytes:
        """The PNG, decoded or downloaded, checked to be a whole PNG of the expected size."""
        return check_png(self.raw_bytes(source), _pixel_size(expected_size or self.size))

    def image_bytes(self, source: Source = None, expected_size: str | None = None) -> bytes:
        """The checked bytes of :meth:`decode`, in whatever format was asked for."""
        return self.decode(source, expected_size).data

    def _fetch(self, url: str, source: Source) -> bytes:
        if isinstance(source, requests.Session):
            return download_png(source, url)
        downloader = source if source is not None else self._downloader
        if downloader is not None:
            return downloader.download(url)
        with requests.Session() as session:
            return download_png(session, url)

    def save(self, path: str | os.PathLike[str], source: Source = None, expected_size: str | None = None) -> Path:
        """Write the checked image to ``path`` with its format's extension (see
        :meth:`DecodedImage.save`); its folder is created. Returns the path written."""
        return self.decode(source, expected_size).save(path)


@dataclass(frozen=True)
class TokenDetails:
    """How many of some tokens were text and how many image."""

    text_tokens: int
    image_tokens: int


@dataclass(frozen=True)
class Usage:
    """Token usage of a GPT image model's answer."""

    input_tokens: int
    output_tokens: int
    total_tokens: int
    input_tokens_details: TokenDetails | None = None
    output_tokens_details: TokenDetails | None = None


@dataclass(frozen=True)
class ImagesResult:
    """An ``ImagesResponse``: when it was made, its images, the request id and, from GPT
    image models, the resolved ``background``, ``output_format``, ``quality``, ``size`` and
    the token ``usage``. ``raw`` is the whole body, fields this client does not know included."""

    created: int
    data: tuple[ImageData, ...]
    request_id: str | None = None
    size: str | None = field(default=None, kw_only=True)  # answered, else the size asked for
    background: str | None = field(default=None, kw_only=True)
    output_format: str | None = field(default=None, kw_only=True)
    quality: str | None = field(default=None, kw_only=True)
    usage: Usage | None = field(default=None, kw_only=True)
    raw: Mapping[str, Any] = field(default_factory=dict, kw_only=True, repr=False, compare=False)

    def save_all(
        self,
        directory: str | os.PathLike[str] = ".",
        prefix: str = "image",
        *,
        source: Source = None,
        progress: Progress | None = None,
    ) -> list[Path]:
        """Write every image as ``<directory>/<prefix>-<i>.<ext>`` (i from 1, the extension of
        its format); ``progress(i, total)`` before each."""
        folder = Path(directory)
        paths = []
        for index, item in enumerate(self.data, start=1):
            if progress is not None:
                progress(index, len(self.data))
            paths.append(item.save(folder / f"{prefix}-{index}", source))
        return paths

    @classmethod
    def from_body(
        cls,
        body: Mapping[str, Any],
        *,
        request_id: str | None = None,
        size: str | None = None,
        output_format: str | None = None,
        downloader: Downloader | None = None,
    ) -> ImagesResult:
        """Build a result from a body :func:`contracts.shapes.readable_response_problems` found
        nothing wrong with.

        ``size`` and ``output_format`` are what was asked for; what the answer reports wins."""
        answered_size = body.get("size")
        answered_format = body.get("output_format")
        item_size = _pixel_size(answered_size) or _pixel_size(size)
        item_format = answered_format if isinstance(answered_format, str) else output_format
        data = tuple(
            ImageData(item.get("url"), item.get("b64_json"), item.get("revised_prompt"), size=item_size,
                      output_format=item_format, _downloader=downloader)
            for item in body["data"]
        )
        usage = body.get("usage")
        return cls(
            body["created"],
            data,
            request_id,
            size=answered_size if isinstance(answered_size, str) else size,
            background=body.get("background"),
            output_format=answered_format,
            quality=body.get("quality"),
            usage=_usage(usage) if isinstance(usage, Mapping) else None,
            raw=body,
        )


def _details(value: Any) -> TokenDetails | None:
    if not isinstance(value, Mapping):
        return None
    return TokenDetails(value["text_tokens"], value["image_tokens"])


def _usage(value: Mapping[str, Any]) -> Usage:
    return Usage(value["input_tokens"], value["output_tokens"], value["total_tokens"],
                 _details(value.get("input_tokens_details")), _details(value.get("output_tokens_details")))
