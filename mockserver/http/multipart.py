"""Werkzeug's multipart parser, without compiling two regular expressions per boundary.

Werkzeug's ``MultipartDecoder`` compiles a pattern for the preamble and one for the
boundaries of every body it parses, each holding the boundary itself. The official SDKs
send a new random boundary with every request (httpx: 32 hex digits), so Python's own
cache of compiled patterns never hits, and compiling them cost more than parsing a small
form. Here each of the two is replaced by :class:`BoundarySearch`, which finds the same
match (same start, end and group) with ``bytes.find`` for the boundary and one pattern,
compiled once, for what may follow it. Everything else is Werkzeug's: the events, the
limits (``max_form_memory_size``, ``max_form_parts``, raising ``RequestEntityTooLarge``
from the same methods), the line-break leniency and the errors on a broken body.

A search for the boundary literal is also faster than the pattern, which cannot skip
ahead (it starts with an optional line break), on a large upload.
"""

from __future__ import annotations

import re
import typing as t

from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser, MultiPartParser, _chunk_iter
from werkzeug.sansio.multipart import (
    LINE_BREAK,
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
    NeedData,
    State,
)

# What Werkzeug's patterns accept after "--" + boundary ([^\S\n\r] is horizontal white space):
# the closing "--" (white space and a line break optional), or white space and a line break.
_AFTER_BOUNDARY = re.compile(rb"(--[^\S\n\r]*%s?|[^\S\n\r]*%s)" % (LINE_BREAK, LINE_BREAK), re.MULTILINE)
_CR, _LF = 13, 10


class BoundaryMatch:
    """The part of ``re.Match`` that Werkzeug's decoder reads."""

    __slots__ = ("_end", "_group", "_start")

    def __init__(self, start: int, end: int, group: bytes) -> None:
        self._start, self._end, self._group = start, end, group

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end

    def group(self, index: int) -> bytes:
        if index != 1:
            raise IndexError(index)
        return self._group


class BoundarySearch:
    """Finds what ``re.compile(rb"LB--<boundary>(...)")`` finds (``LB?`` when the line break
    before the boundary is optional: Werkzeug's preamble pattern), with the same leftmost match.

    A boundary comes from a header value, so it holds no CR or LF: the line break before an
    occurrence can never overlap an earlier occurrence, and the leftmost occurrence followed
    by an acceptable ending is the leftmost match.
    """

    __slots__ = ("_needle", "_optional_break")

    def __init__(self, boundary: bytes, *, optional_break: bool) -> None:
        self._needle = b"--" + boundary
        self._optional_break = optional_break

    def search(self, data: bytes | bytearray, pos: int = 0) -> BoundaryMatch | None:
        needle = self._needle
        at = data.find(needle, pos)
        while at >= 0:
            after = _AFTER_BOUNDARY.match(data, at + len(needle))
            if after is not None:
                # The line break before it: CRLF, or a lone CR or LF, never before pos.
                if at - 2 >= pos and data[at - 2] == _CR and data[at - 1] == _LF:
                    start: int | None = at - 2
                elif at - 1 >= pos and data[at - 1] in (_CR, _LF):
                    start = at - 1
                else:
                    start = at if self._optional_break else None
                if start is not None:
                    return BoundaryMatch(start, after.end(), after.group(1))
            at = data.find(needle, at + 1)
        return None


class Decoder(MultipartDecoder):
    """Werkzeug's decoder with :class:`BoundarySearch` in place of its two compiled patterns."""

    def __init__(
        self, boundary: bytes, max_form_memory_size: int | None = None, *, max_parts: int | None = None
    ) -> None:
        # The state Werkzeug's __init__ sets (tests/mockserver/http/test_multipart.py checks that it
        # still sets no other), less the compiling.
        self.buffer = bytearray()
        self.complete = False
        self.max_form_memory_size = max_form_memory_size
        self.max_parts = max_parts
        self.state = State.PREAMBLE
        self.boundary = boundary
        self.preamble_re = BoundarySearch(boundary, optional_break=True)  # type: ignore[assignment]
        self.boundary_re = BoundarySearch(boundary, optional_break=False)  # type: ignore[assignment]
        self._search_position = 0
        self._parts_decoded = 0


class Parser(MultiPartParser):
    def parse(
        self, stream: t.IO[bytes], boundary: bytes, content_length: int | None
    ) -> tuple[MultiDict[str, str], MultiDict[str, FileStorage]]:
        """Werkzeug's ``MultiPartParser.parse`` (3.1), with :class:`Decoder`. Its name matters:
        ``mockserver.api.images`` tells a field over its size limit by the frame that raised."""
        current_part: Field | File
        field_size: int | None = None
        container: t.IO[bytes] | list[bytes]
        _write: t.Callable[[bytes], t.Any]

        parser = Decoder(boundary, max_form_memory_size=self.max_form_memory_size, max_parts=self.max_form_parts)
        fields = []
        files = []

        for data in _chunk_iter(stream.read, self.buffer_size):
            parser.receive_data(data)
            event = parser.next_event()
            while not isinstance(event, (Epilogue, NeedData)):
                if isinstance(event, Field):
                    current_part = event
                    field_size = 0
                    container = []
                    _write = container.append
                elif isinstance(event, File):
                    current_part = event
                    field_size = None
                    container = self.start_file_streaming(event, content_length)
                    _write = container.write
                elif isinstance(event, Data):
                    if self.max_form_memory_size is not None and field_size is not None:
                        # Ensure that accumulated data events do not exceed limit.
                        field_size += len(event.data)
                        if field_size > self.max_form_memory_size:
                            raise RequestEntityTooLarge()
                    _write(event.data)
                    if not event.more_data:
                        if isinstance(current_part, Field):
                            value = b"".join(t.cast(list[bytes], container)).decode(
                                self.get_part_charset(current_part.headers), "replace"
                            )
                            fields.append((current_part.name, value))
                        else:
                            container = t.cast(t.IO[bytes], container)
                            container.seek(0)
                            files.append((
                                current_part.name,
                                FileStorage(container, current_part.filename, current_part.name,
                                            headers=current_part.headers),
                            ))
                event = parser.next_event()

        return self.cls(fields), self.cls(files)


class FormParser(FormDataParser):
    """Flask's form parser, multipart bodies going through :class:`Parser`."""

    def _parse_multipart(
        self, stream: t.IO[bytes], mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> tuple[t.IO[bytes], MultiDict[str, str], MultiDict[str, FileStorage]]:
        parser = Parser(
            stream_factory=self.stream_factory,
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts,
            cls=self.cls,
        )
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files
