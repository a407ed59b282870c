"""The Flask app and request classes the fake runs on: Flask made cheaper per request, and
uploads that are closed even when their parsing was cut off."""

from __future__ import annotations

from collections.abc import Callable
from types import FunctionType
from typing import Any

from flask import Flask, Request

from mockserver.http import multipart


class App(Flask):
    """Flask, remembering which of its (fixed) hooks and views need no async wrapper:
    Flask asks ``inspect.iscoroutinefunction`` of each of them on every request."""

    def __init__(self, import_name: str) -> None:
        super().__init__(import_name)
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if not isinstance(func, FunctionType):  # e.g. a bound method: a new object each time
            return super().ensure_sync(func)
        found = self._sync.get(func)
        if found is None:
            found = self._sync[func] = super().ensure_sync(func)
        return found


class UploadsRequest(Request):
    """Flask's request, closing the upload files of a form whose parsing was cut off
    (a client too slow or gone): Werkzeug leaves them to the garbage collector. Its
    multipart parser compiles nothing per boundary (:mod:`mockserver.http.multipart`)."""

    form_data_parser_class = multipart.FormParser

    def _get_file_stream(
        self, total_content_length: int | None, content_type: str | None,
        filename: str | None = None, content_length: int | None = None,
    ) -> Any:
        stream = super()._get_file_stream(total_content_length, content_type, filename, content_length)
        self.__dict__.setdefault("_upload_streams", []).append(stream)
        return stream

    def close(self) -> None:
        for stream in self.__dict__.pop("_upload_streams", ()):
            stream.close()
        super().close()
