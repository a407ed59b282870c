"""Cassettes: recorded exchanges with the API, as files other tools read, and how a request is
matched against them.

**The format** is VCR.py's cassette format, version 1, with its JSON serializer: vcrpy and
pytest-recording replay our cassettes against the official SDK (httpx) without conversion, and a
person reads them. One cassette is one recording session (one run of ``python -m mockserver
--record DIR``, or one test), a file ``DIR/<name>.json``::

    {"version": 1, "interactions": [
      {"request": {"method": "POST", "uri": "https://…/v1/images/generations", "body": "{…}",
                   "headers": {"Content-Type": ["application/json"], "Authorization": ["[redacted]"]}},
       "response": {"status": {"code": 200, "message": "OK"}, "headers": {…: […]},
                    "body": {"string": "{…}"}},
       "mockserver": {"recorded_at": "2026-12-06T05:30:00Z", "redacted": […],
                      "form": […], "events_ms": […]}}]}

``request`` and ``response`` are exactly what vcrpy writes (headers as lists, the body as text).
What we need besides goes in the interaction's ``"mockserver"`` object, which vcrpy never reads:
when it was recorded, what was redacted, a multipart body's parts, and a stream's timing
(``events_ms``: when each server-sent event had arrived, in ms from the answer's start; the
events themselves are the body, split at their blank lines).

**Binary bodies.** vcrpy's JSON serializer cannot hold bytes that are not UTF-8 (it refuses to
write them), so a body is text whenever it is UTF-8 (every JSON body and every stream of the API,
``b64_json`` images included: those stay inline, because vcrpy must replay them byte for byte).
A multipart request's file parts (the uploaded images) are kept **beside** the cassette instead,
one file per distinct content, ``DIR/files/<sha256>.bin`` (content-addressed: an image uploaded a
hundred times is kept once, and the cassette stays small and readable). The request's ``body``
then shows the form with each file's bytes replaced by a line naming its file, digest and size,
and ``"form"`` lists the parts; reading the cassette rebuilds the body from them (same fields,
values, file bytes, order and boundary). Any other body that is not UTF-8 is kept whole beside
the cassette the same way (``"body_file"``). A vcrpy replay does not read request bodies (its
default matchers are method and URI), so it is not affected.

**Redaction** happens before anything is written: the values of ``Authorization``, ``api-key``,
``OpenAI-Organization``, ``OpenAI-Project``, ``Cookie`` and ``Set-Cookie`` (and of the
organization header of the answers, ``openai-organization``) become :data:`REDACTED`, and those
secrets (the API key, the organization and project ids) are replaced wherever else they appear:
the URI, other headers, bodies (a rate-limit message names the organization), stream events.
:class:`Redaction` adds header names and JSON field paths; the text values they redact are, in turn,
replaced wherever else they appear (an answer may echo a request's field under another name).
``"redacted"`` lists what was done.

**Writing** is atomic (a temporary file in DIR, then a rename): DIR never holds half a cassette.
A long session is cut into parts, each a whole cassette (:class:`CassetteWriter`), so that an
exchange's write costs one part's, not the whole session's.

**Matching** (:func:`differences`, :class:`Playback`) compares a request as the API reads it:
the method, the path (host and scheme ignored: a cassette recorded from one base URL replays at
another), the query as a set of pairs, and the body by its media type: JSON parsed (key order and
spacing ignored), a multipart form by field names, text values and file digests (SHA-256), the
boundary, the file names and the parts' headers ignored; any other body byte for byte. A recorded
value that redaction replaced (:data:`REDACTED`) matches any value.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

FORMAT_VERSION = 1  # VCR.py's cassette format version
EXTRA = "mockserver"  # the interaction's key for what vcrpy does not read
REDACTED = "[redacted]"  # what a redacted value is replaced by
FILES = "files"  # beside the cassettes: file parts and other binary bodies, by digest
# Never written: their values become REDACTED [the list; the SDKs send the first four].
DEFAULT_REDACTED_HEADERS: tuple[str, ...] = (
    "Authorization", "api-key", "OpenAI-Organization", "OpenAI-Project", "Cookie", "Set-Cookie",
)
# The answers' organization header: its value is a secret of the recording's owner.
RESPONSE_ORGANIZATION = "openai-organization"
# Of a connection, not of the exchange: never stored, never replayed (RFC 9110 7.6.1), and the
# body's length, which the replaying server sets (redaction may change a body's length).
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
                        "upgrade", "content-length"})
MAX_DEPTH = 64  # a JSON body nested deeper is compared byte for byte (as the API refuses it: json_too_deep)
MIN_SECRET = 4  # a "secret" shorter than this is not searched for in text (it would hit everywhere)
_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")


# --- the model --------------------------------------------------------------------------------


@dataclass(slots=True)
class Request:
    """A request as the client sent it: ``uri`` is the upstream's full URL, ``body`` the bytes."""

    method: str
    uri: str
    headers: list[tuple[str, str]]
    body: bytes = b""

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    @property
    def query(self) -> list[tuple[str, str]]:
        return sorted(parse_qsl(urlsplit(self.uri).query, keep_blank_values=True))

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), or None."""
        return _header(self.headers, name)

    @property
    def media_type(self) -> str:
        """The Content-Type's media type, lower case ("" when there is none)."""
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    def describe(self) -> str:
        """``METHOD /path``, for messages."""
        return f"{self.method} {self.path}"


@dataclass(slots=True)
class Response:
    """An answer as it was sent: its status line, headers (hop-by-hop ones left out), body; for
    a stream (``text/event-stream``), ``events_ms`` holds when each event had arrived."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    events_ms: list[float] | None = None

    def header(self, name: str) -> str | None:
        return _header(self.headers, name)

    @property
    def is_stream(self) -> bool:
        return (self.header("Content-Type") or "").split(";")[0].strip().lower() == "text/event-stream"

    def events(self) -> list[bytes]:
        """The body's server-sent events, each with the blank line that ends it (the body whole
        as one event when it is not a stream)."""
        return split_events(self.body) if self.is_stream else [self.body]


@dataclass(slots=True)
class Interaction:
    """One recorded exchange; ``source`` and ``index`` say where it was read from (for messages)."""

    request: Request
    response: Response
    recorded_at: str = ""
    redacted: list[str] = field(default_factory=list)
    source: str = ""
    index: int = 0

    def name(self) -> str:
        """How messages name it: ``cassette.json#3 POST /v1/images/edits``."""
        where = f"{self.source}#{self.index}" if self.source else f"#{self.index}"
        return f"{where} {self.request.describe()}"


def _header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    lower = name.lower()
    return next((v for k, v in headers if k.lower() == lower), None)


def split_events(body: bytes) -> list[bytes]:
    """A server-sent-events body cut into its events, each with the blank line that ends it;
    what follows the last blank line (an event cut short) is the last piece."""
    pieces, start = [], 0
    for match in _EVENT_END.finditer(body):
        pieces.append(body[start:match.end()])
        start = match.end()
    if start < len(body):
        pieces.append(body[start:])
    return pieces


def utc_now() -> str:
    """The time now, as ``recorded_at`` writes it (ISO 8601, UTC, seconds)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# --- multipart forms ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a multipart form: a text field (``filename`` None) or a file."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def is_file(self) -> bool:
        return self.filename is not None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def boundary_of(content_type: str | None) -> str | None:
    """The ``boundary`` parameter of a multipart Content-Type, or None."""
    if not content_type:
        return None
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "boundary" and value:
            return value.strip().strip('"')
    return None


def parse_form(body: bytes, content_type: str | None) -> list[Part] | None:
    """The parts of a multipart body, in order; None when it is not one that can be read."""
    boundary = boundary_of(content_type)
    if boundary is None:
        return None
    decoder = MultipartDecoder(boundary.encode("latin-1", "replace"))
    parts: list[Part] = []
    current: tuple[str, str | None, str | None] | None = None
    chunks: list[bytes] = []
    try:
        decoder.receive_data(body)
        decoder.receive_data(None)
        while True:
            event = decoder.next_event()
            if isinstance(event, (NeedData, Epilogue)):
                break
            if isinstance(event, File):
                current = (event.name, event.filename, event.headers.get("Content-Type"))
            elif isinstance(event, Field):
                current = (event.name, None, None)
            elif isinstance(event, Data) and current is not None:
                chunks.append(event.data)
                if not event.more_data:
                    name, filename, kind = current
                    parts.append(Part(name, b"".join(chunks), filename, kind))
                    current, chunks = None, []
    except ValueError:
        return None
    return parts


def build_form(parts: Sequence[Part], boundary: str) -> bytes:
    """A multipart body of ``parts`` with ``boundary`` (as the SDKs write one)."""
    out = bytearray()
    for part in parts:
        out += f"--{boundary}\r\n".encode("latin-1", "replace")
        disposition = f'form-data; name="{_quoted(part.name)}"'
        if part.filename is not None:
            disposition += f'; filename="{_quoted(part.filename)}"'
        out += f"Content-Disposition: {disposition}\r\n".encode()
        if part.content_type:
            out += f"Content-Type: {part.content_type}\r\n".encode()
        out += b"\r\n" + part.data + b"\r\n"
    out += f"--{boundary}--\r\n".encode("latin-1", "replace")
    return bytes(out)


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


# --- redaction ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Redaction:
    """What is redacted besides the defaults: more header names (any case), and JSON field paths
    (``user``, ``data.*.revised_prompt``: keys separated by dots, ``*`` any key or list item, a
    number a list's item) applied to JSON bodies, to each stream event's JSON and to a form's
    fields (a path of one key names a field)."""

    headers: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()

    def header_names(self) -> frozenset[str]:
        return frozenset(n.lower() for n in (*DEFAULT_REDACTED_HEADERS, *self.headers))


def secrets_of(request: Request, response: Response | None = None) -> list[str]:
    """The values that must appear nowhere in a cassette: the API key (of ``Authorization`` or
    ``api-key``), the organization and project ids the request names, and the organization the
    answer names."""
    found = []
    for name, value in request.headers:
        lower = name.lower()
        if lower == "authorization":
            scheme, _, credentials = value.strip().partition(" ")
            found.append(credentials.strip() if credentials else scheme)
        elif lower in ("api-key", "openai-organization", "openai-project"):
            found.append(value.strip())
    if response is not None:
        found += [v.strip() for k, v in response.headers if k.lower() == RESPONSE_ORGANIZATION]
    # the longest first, so that a secret containing another is replaced whole
    return sorted({s for s in found if len(s) >= MIN_SECRET and s != REDACTED}, key=len, reverse=True)


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _scrub_bytes(data: bytes, secrets: Sequence[str]) -> bytes:
    for secret in secrets:
        raw = secret.encode("utf-8", "surrogatepass")
        if raw in data:
            data = data.replace(raw, REDACTED.encode())
    return data


def redact_json(value: Any, paths: Sequence[str]) -> tuple[Any, list[str]]:
    """``value`` with the fields at ``paths`` replaced by REDACTED, and the paths that matched."""
    hit: list[str] = []
    for path in paths:
        value, found = _redact_path(value, path.split(".") if path else [])
        if found:
            hit.append(path)
    return value, hit


def _redact_path(value: Any, keys: list[str]) -> tuple[Any, bool]:
    if not keys:
        return REDACTED, True
    head, rest = keys[0], keys[1:]
    if isinstance(value, dict):
        found = False
        out = dict(value)
        for key in list(out):
            if head in ("*", key):
                out[key], hit = _redact_path(out[key], rest)
                found |= hit
        return out, found
    if isinstance(value, list):
        found = False
        items = list(value)
        for index in range(len(items)):
            if head in ("*", str(index)):
                items[index], hit = _redact_path(items[index], rest)
                found |= hit
        return items, found
    return value, False


def _redact_body(body: bytes, media_type: str, paths: Sequence[str]) -> tuple[bytes, list[str]]:
    """A JSON body (or each JSON event of a stream) with the field paths redacted."""
    if not paths or not body:
        return body, []
    if media_type == "text/event-stream":
        out: list[bytes] = []
        seen: set[str] = set()
        for event in split_events(body):
            new, found = _redact_event(event, paths)
            out.append(new)
            seen |= set(found)
        return b"".join(out), sorted(seen)
    try:
        value = load_json(body)
    except ValueError:
        return body, []
    value, hit = redact_json(value, paths)
    if not hit:
        return body, []
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), hit


def _redact_event(event: bytes, paths: Sequence[str]) -> tuple[bytes, list[str]]:
    lines = event.split(b"\n")
    hit: list[str] = []
    for number, line in enumerate(lines):
        if line.startswith(b"data:"):
            try:
                value = load_json(line[5:])
            except ValueError:
                continue
            value, found = redact_json(value, paths)
            if found:
                hit += found
                lines[number] = b"data: " + json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return b"\n".join(lines), hit


def redact(interaction: Interaction, redaction: Redaction = Redaction()) -> Interaction:
    """A copy of ``interaction`` with nothing secret left in it (see the module's docstring);
    ``redacted`` says what was replaced."""
    req, resp = interaction.request, interaction.response
    names = redaction.header_names()
    # The values redacted where they are named are secrets wherever else they appear too (the
    # fake, for one, echoes a request's `user` as `safety_identifier` in its answer).
    found = [v for k, v in (*req.headers, *resp.headers) if k.lower() in names and k.lower() != "authorization"]
    found += _field_values(req, redaction.fields)
    secrets = sorted({*secrets_of(req, resp), *(v.strip() for v in found if len(v.strip()) >= MIN_SECRET)}
                     - {REDACTED}, key=len, reverse=True)
    done: list[str] = list(interaction.redacted)

    def headers(items: list[tuple[str, str]], side: str, also: frozenset[str]) -> list[tuple[str, str]]:
        out = []
        for name, value in items:
            if name.lower() in names or name.lower() in also:
                if value != REDACTED:
                    done.append(f"{side} header {name}")
                out.append((name, REDACTED))
            else:
                out.append((name, _scrub(value, secrets)))
        return out

    def body(data: bytes, media_type: str, side: str) -> bytes:
        if media_type == "multipart/form-data":
            return data  # its fields are redacted part by part (_redact_form)
        data, hit = _redact_body(data, media_type, redaction.fields)
        done.extend(f"{side} field {path}" for path in hit)
        return _scrub_bytes(data, secrets)

    req_body = body(req.body, req.media_type, "request")
    if req.media_type == "multipart/form-data":
        req_body, hit = _redact_form(req, redaction.fields, secrets)
        done.extend(f"request field {name}" for name in hit)
    new_req = Request(req.method, _scrub(req.uri, secrets), headers(req.headers, "request", frozenset()), req_body)
    resp_type = (resp.header("Content-Type") or "").split(";")[0].strip().lower()
    new_resp = replace(resp, headers=headers(resp.headers, "response", frozenset({RESPONSE_ORGANIZATION})),
                       body=body(resp.body, resp_type, "response"))
    if resp.is_stream and resp.events_ms is not None and len(split_events(new_resp.body)) != len(resp.events_ms):
        new_resp.events_ms = None  # (cannot happen: redaction keeps the blank lines between events)
    if secrets:
        done.append("the API key, organization and project wherever they appeared")
    return replace(interaction, request=new_req, response=new_resp, redacted=sorted(set(done)))


def _field_values(req: Request, paths: Sequence[str]) -> list[str]:
    """The text values at ``paths`` in a request's JSON body or form (what redaction will replace)."""
    if not paths or not req.body:
        return []
    if req.media_type == "multipart/form-data":
        names = {p for p in paths if "." not in p}
        parts = parse_form(req.body, req.header("Content-Type")) or []
        return [p.data.decode("utf-8", "replace") for p in parts if not p.is_file and (p.name in names or "*" in names)]
    try:
        value = load_json(req.body)
    except ValueError:
        return []
    out: list[str] = []
    for path in paths:
        _collect(value, path.split("."), out)
    return out


def _collect(value: Any, keys: list[str], out: list[str]) -> None:
    if not keys:
        if isinstance(value, str):  # (a number is not searched for: it would hit every other number)
            out.append(value)
        return
    head, rest = keys[0], keys[1:]
    if isinstance(value, dict):
        for key, item in value.items():
            if head in ("*", key):
                _collect(item, rest, out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if head in ("*", str(index)):
                _collect(item, rest, out)


def _redact_form(req: Request, paths: Sequence[str], secrets: Sequence[str]) -> tuple[bytes, list[str]]:
    """A multipart body with the fields named by one-key paths redacted and the secrets scrubbed
    from its text fields (file bytes are left alone)."""
    parts = parse_form(req.body, req.header("Content-Type"))
    boundary = boundary_of(req.header("Content-Type"))
    if parts is None or boundary is None:
        return _scrub_bytes(req.body, secrets), []
    names = {p for p in paths if "." not in p}
    hit, out = [], []
    for part in parts:
        if part.is_file:
            out.append(part)
        elif part.name in names or "*" in names:
            hit.append(part.name)
            out.append(replace(part, data=REDACTED.encode()))
        else:
            out.append(replace(part, data=_scrub_bytes(part.data, secrets)))
    return build_form(out, boundary), sorted(set(hit))


# --- reading and writing -------------------------------------------------------------------------


def load_json(data: bytes | str) -> Any:
    """``data`` as JSON, or ValueError (for a body nested deeper than MAX_DEPTH too: the values
    compared here are walked recursively)."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise ValueError("nested too deep") from None
    level = [value]
    for _ in range(MAX_DEPTH + 1):  # one level of containers at a time (no recursion)
        level = [v for item in level if isinstance(item, (dict, list))
                 for v in (item.values() if isinstance(item, dict) else item)]
        if not level:
            return value
    raise ValueError(f"nested deeper than {MAX_DEPTH} levels")


def _text(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _keep_file(files: Path, data: bytes) -> str:
    """Keep ``data`` beside the cassettes (once per content); its path relative to them."""
    digest = hashlib.sha256(data).hexdigest()
    target = files / f"{digest}.bin"
    if not target.exists():
        files.mkdir(parents=True, exist_ok=True)
        _write_atomically(target, data)
    return f"{FILES}/{digest}.bin"


def _headers_json(headers: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in headers:
        if name.lower() in HOP_BY_HOP:
            continue
        key = next((k for k in out if k.lower() == name.lower()), name)
        out.setdefault(key, []).append(value)
    return out


def _headers_from(obj: dict[str, Any]) -> list[tuple[str, str]]:
    return [(name, str(v)) for name, values in obj.items()
            for v in (values if isinstance(values, list) else [values])]


def interaction_json(interaction: Interaction, directory: Path) -> dict[str, Any]:
    """``interaction`` (already redacted) as the cassette holds it; file parts and binary
    bodies are kept under ``directory/files/``."""
    req, resp = interaction.request, interaction.response
    extra: dict[str, Any] = {"recorded_at": interaction.recorded_at or utc_now(), "redacted": interaction.redacted}
    body_text: str | None
    parts = parse_form(req.body, req.header("Content-Type")) if req.media_type == "multipart/form-data" else None
    boundary = boundary_of(req.header("Content-Type"))
    if parts is not None and boundary is not None and any(_text(p.data) is None for p in parts):
        form = []
        shown = []
        for part in parts:
            if part.is_file:
                path = _keep_file(directory / FILES, part.data)
                form.append({"name": part.name, "filename": part.filename, "content_type": part.content_type,
                             "bytes": len(part.data), "sha256": part.sha256, "file": path})
                shown.append(replace(part, data=f"[{len(part.data)} bytes, sha256 {part.sha256}, in {path}]".encode()))
            else:
                form.append({"name": part.name, "value": part.data.decode("utf-8", "replace")})
                shown.append(part)
        extra["form"] = form
        body_text = build_form(shown, boundary).decode("utf-8", "replace")
    else:
        body_text = _text(req.body)
        if body_text is None:
            path = _keep_file(directory / FILES, req.body)
            extra["body_file"] = path
            body_text = f"[{len(req.body)} bytes, in {path}]"
    resp_text = _text(resp.body)
    if resp_text is None:
        path = _keep_file(directory / FILES, resp.body)
        extra["response_body_file"] = path
        resp_text = f"[{len(resp.body)} bytes, in {path}]"
    if resp.events_ms is not None:
        extra["events_ms"] = [round(ms, 1) for ms in resp.events_ms]
    return {
        "request": {"method": req.method, "uri": req.uri, "body": body_text, "headers": _headers_json(req.headers)},
        "response": {"status": {"code": resp.status, "message": resp.reason},
                     "headers": _headers_json(resp.headers), "body": {"string": resp_text}},
        EXTRA: extra,
    }


def interaction_from_json(obj: dict[str, Any], directory: Path, *, source: str = "", index: int = 0) -> Interaction:
    """An interaction of a cassette (ours, or one vcrpy wrote) read back, its bodies as they were
    sent (a form rebuilt from its parts, files read from ``directory/files/``)."""
    extra = obj.get(EXTRA) or {}
    raw_req, raw_resp = obj["request"], obj["response"]
    headers = _headers_from(raw_req.get("headers") or {})
    body = raw_req.get("body")
    content_type = _header(headers, "Content-Type")
    boundary = boundary_of(content_type)
    if "form" in extra and boundary is not None:
        parts = [Part(p["name"], (directory / p["file"]).read_bytes() if "file" in p else p["value"].encode(),
                      p.get("filename"), p.get("content_type")) for p in extra["form"]]
        req_body = build_form(parts, boundary)
    elif "body_file" in extra:
        req_body = (directory / extra["body_file"]).read_bytes()
    else:
        req_body = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    status = raw_resp.get("status") or {}
    text = (raw_resp.get("body") or {}).get("string")
    if "response_body_file" in extra:
        resp_body = (directory / extra["response_body_file"]).read_bytes()
    else:
        resp_body = text.encode("utf-8") if isinstance(text, str) else (text or b"")
    events = extra.get("events_ms")
    return Interaction(
        Request(raw_req["method"], raw_req["uri"], headers, req_body),
        Response(int(status.get("code", 200)), str(status.get("message") or ""),
                 _headers_from(raw_resp.get("headers") or {}), resp_body,
                 [float(ms) for ms in events] if isinstance(events, list) else None),
        recorded_at=str(extra.get("recorded_at", "")), redacted=list(extra.get("redacted", [])),
        source=source, index=index,
    )


def _write_atomically(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file in its directory and a rename: a
    reader sees the old file or the new one, never half of one, whenever the writing process is
    stopped (the rename is atomic; the kernel holds what was written). ``sync``: the file is
    flushed to the disk before the rename (fsync), so that the new file survives the machine
    stopping too (power loss, a kernel crash), which without it may leave an empty file on some
    file systems."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            if sync:
                out.flush()
                os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _sync(path: Path) -> None:
    """Flush ``path`` (a file, or a directory's entries: a rename) to the disk."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _entry_text(entry: dict[str, Any]) -> bytes:
    """One interaction as it stands in the cassette's list (what ``json.dumps(indent=2)`` of the
    whole cassette writes for it: JSON strings hold no raw line break, so lines can be indented)."""
    text = json.dumps(entry, indent=2, ensure_ascii=False)
    return ("\n".join("    " + line for line in text.split("\n"))).encode("utf-8")


def _cassette_text(entries: Sequence[bytes]) -> bytes:
    if not entries:
        return f'{{\n  "version": {FORMAT_VERSION},\n  "interactions": []\n}}\n'.encode()
    return (f'{{\n  "version": {FORMAT_VERSION},\n  "interactions": [\n'.encode()
            + b",\n".join(entries) + b"\n  ]\n}\n")


def write_cassette(path: Path, interactions: Sequence[Interaction], redaction: Redaction = Redaction()) -> None:
    """Write a whole cassette (each interaction redacted first), atomically."""
    _write_atomically(path, _cassette_text([_entry_text(interaction_json(redact(i, redaction), path.parent))
                                            for i in interactions]))


# A session's cassette is cut into parts of at most this many exchanges, or about this many bytes
# (the part's file is rewritten whole after each exchange: this bounds the cost of a write).
# ASSUMPTION: 100 exchanges (~200 KB of url answers, a write well under a millisecond) and 4 MB
# (two or three inline 1024x1024 images): what keeps each write short without scattering a
# session of a few dozen exchanges over many files.
PART_EXCHANGES = 100
PART_BYTES = 4 * 1024 * 1024


class CassetteWriter:
    """One recording session's cassette at ``path``, complete after every exchange that
    :meth:`add` is given: the file is rewritten whole (atomically) with it, each exchange
    serialized once. Thread-safe.

    A long session is cut into parts, each a whole cassette of its own: once the file holds
    ``part_exchanges`` exchanges, or ``part_bytes`` bytes, the next exchange starts
    ``<name>.part00002.json`` beside it, and so on (read in name order: the session's order). So
    an exchange costs a write of one part at most, never of the whole session: a session's
    writing grows with its length, not with its square.

    ASSUMPTION: a part is flushed to the disk (fsync) when it is full and at :meth:`close`, not
    after each exchange. The rename makes every write atomic against the recording process
    stopping (Ctrl-C, a CI timeout, ``kill -9``: what a recording meets); fsync guards only
    against the machine stopping, where the unsynced part may be lost or empty (a reader then
    says it is not a cassette; the rest of the session's parts are whole). A session a machine
    crash interrupted is recorded again anyway, and a fsync per exchange cost about 5 ms, a
    quarter of what the recorder added to a request."""

    def __init__(self, path: Path, redaction: Redaction = Redaction(), *, part_exchanges: int = PART_EXCHANGES,
                 part_bytes: int = PART_BYTES) -> None:
        self.path = path
        self.redaction = redaction
        self.part_exchanges = max(1, part_exchanges)
        self.part_bytes = part_bytes
        self.paths: list[Path] = []  # the parts written, in order (the first is ``path``)
        self._starts: list[int] = []  # the session's number of each part's first exchange
        self._written: list[bytes] = []  # the current part's exchanges
        self._size = 0
        self._count = 0
        self._lock = threading.Lock()

    def _part_path(self, number: int) -> Path:
        return self.path if number == 1 else self.path.with_name(f"{self.path.stem}.part{number:05d}{self.path.suffix}")

    def add(self, interaction: Interaction) -> int:
        """Redact ``interaction`` and write the cassette with it added; its number in the session
        (from 1; :meth:`location` says where it is). When the write fails (OSError), the
        cassette is as it was."""
        entry = _entry_text(interaction_json(redact(interaction, self.redaction), self.path.parent))
        with self._lock:
            full = bool(self._written) and (len(self._written) >= self.part_exchanges
                                            or self._size + len(entry) > self.part_bytes)
            written = [entry] if full or not self.paths else [*self._written, entry]
            target = self._part_path(len(self.paths) + 1) if full or not self.paths else self.paths[-1]
            if full:
                _sync(self.paths[-1])  # the finished part, for good (see the class's docstring)
            _write_atomically(target, _cassette_text(written), sync=False)
            if target != (self.paths[-1] if self.paths else None):
                self.paths.append(target)
                self._starts.append(self._count + 1)
                self._size = 0
            self._written = written
            self._size += len(entry)
            self._count += 1
            return self._count

    def location(self, number: int) -> str:
        """Where the session's exchange ``number`` is: ``session-….part00002.json#7``."""
        with self._lock:
            part = next(n for n in range(len(self._starts) - 1, -1, -1) if self._starts[n] <= number)
            return f"{self.paths[part].name}#{number - self._starts[part] + 1}"

    def close(self) -> None:
        """Flush the last part and the directory's renames to the disk (the recording ends)."""
        with self._lock:
            if self.paths:
                _sync(self.paths[-1])
                with contextlib.suppress(OSError):  # a directory cannot be opened everywhere (Windows)
                    _sync(self.path.parent)

    def __len__(self) -> int:
        return self._count


def new_cassette_path(directory: Path, prefix: str = "session") -> Path:
    """A new cassette's path in ``directory`` (made if missing): ``<prefix>-<UTC time>-<n>.json``,
    never an existing file's."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    for n in range(1, 10_000):
        path = directory / f"{prefix}-{stamp}-{n}.json"
        with contextlib.suppress(FileExistsError):
            path.touch(exist_ok=False)  # claimed (an empty file until its first exchange is written)
            path.unlink()
            return path
    raise FileExistsError(f"no free cassette name in {directory}")


class CassetteError(ValueError):
    """A file that is not a cassette (or names a file beside it that is missing)."""


def read_cassette(path: Path) -> list[Interaction]:
    """Every interaction of the cassette at ``path``, in order; CassetteError says what is wrong."""
    try:
        data = json.loads(path.read_bytes())
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            raise CassetteError(f"{path}: not a version {FORMAT_VERSION} VCR.py cassette")
        return [interaction_from_json(obj, path.parent, source=path.name, index=n)
                for n, obj in enumerate(data.get("interactions") or [], start=1)]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, CassetteError):
            raise
        raise CassetteError(f"{path}: cannot be read as a cassette: {exc}") from exc


def cassette_files(directory: Path) -> list[Path]:
    """The cassettes of ``directory`` (``*.json`` files, by name), its subdirectories' too."""
    return sorted(p for p in directory.rglob("*.json") if not p.name.startswith(".tmp-") and FILES not in
                  p.relative_to(directory).parts[:-1])


def read_directory(directory: Path) -> list[Interaction]:
    """Every interaction of every cassette in ``directory``, cassette by cassette (by name)."""
    found: list[Interaction] = []
    for path in cassette_files(directory):
        for interaction in read_cassette(path):
            interaction.source = str(path.relative_to(directory))
            found.append(interaction)
    return found


# --- matching ------------------------------------------------------------------------------------




def _body_value(req: Request) -> tuple[str, Any]:
    """The body as the API reads it: ("json", value), ("form", {name: [value or ("file", sha)]}),
    or ("bytes", body)."""
    if not req.body:
        return "empty", None
    media_type = req.media_type
    if media_type == "multipart/form-data":
        parts = parse_form(req.body, req.header("Content-Type"))
        if parts is not None:
            form: dict[str, list[Any]] = {}
            for part in parts:
                value = ("file", part.sha256) if part.is_file else part.data.decode("utf-8", "replace")
                form.setdefault(part.name, []).append(value)
            return "form", form
    if media_type in ("application/json", "") or media_type.endswith("+json"):
        try:
            return "json", load_json(req.body)
        except ValueError:
            pass
    return "bytes", req.body


def _short(value: Any) -> str:
    if isinstance(value, tuple) and value[:1] == ("file",):
        return f"a file of sha256 {value[1][:12]}…"
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, bytes) else f"{len(value)} bytes"
    return text if len(text) <= 60 else text[:57] + "…"


def _json_differences(recorded: Any, sent: Any, where: str) -> Iterator[str]:
    if recorded == REDACTED:
        return
    if isinstance(recorded, dict) and isinstance(sent, dict):
        for key in list(recorded) + [k for k in sent if k not in recorded]:
            here = f"{where}.{key}" if where else key
            if key not in sent:
                yield f"{here}: recorded {_short(recorded[key])}, not sent"
            elif key not in recorded:
                yield f"{here}: sent {_short(sent[key])}, not recorded"
            else:
                yield from _json_differences(recorded[key], sent[key], here)
        return
    if isinstance(recorded, list) and isinstance(sent, list) and len(recorded) == len(sent):
        for index, (a, b) in enumerate(zip(recorded, sent, strict=True)):
            yield from _json_differences(a, b, f"{where}.{index}" if where else str(index))
        return
    if recorded != sent or type(recorded) is not type(sent):
        yield f"{where or 'body'}: recorded {_short(recorded)}, sent {_short(sent)}"


@dataclass(frozen=True, slots=True)
class RequestView:
    """A request as the API reads it, what :func:`differences` compares (make it once with
    :func:`view` to compare one recorded request many times)."""

    method: str
    path: str
    query: list[tuple[str, str]]
    kind: str  # "empty", "json", "form" or "bytes"
    value: Any
    shown_path: str  # the path as sent, for messages


def view(req: Request | RequestView) -> RequestView:
    """``req`` as the API reads it."""
    if isinstance(req, RequestView):
        return req
    kind, value = _body_value(req)
    return RequestView(req.method.upper(), req.path.rstrip("/"), req.query, kind, value, req.path)


def differences(recorded: Request | RequestView, sent: Request | RequestView) -> list[str]:
    """What tells ``sent`` apart from ``recorded`` as the API reads them (see the module's
    docstring); [] when they match."""
    a_view, b_view = view(recorded), view(sent)
    found = []
    if a_view.method != b_view.method:
        found.append(f"method: recorded {a_view.method}, sent {b_view.method}")
    if a_view.path != b_view.path:
        found.append(f"path: recorded {a_view.shown_path}, sent {b_view.shown_path}")
    if a_view.query != b_view.query:
        found.append(f"query: recorded {a_view.query}, sent {b_view.query}")
    kind_a, a, kind_b, b = a_view.kind, a_view.value, b_view.kind, b_view.value
    if kind_a != kind_b:
        found.append(f"body: recorded {_kinds[kind_a]}, sent {_kinds[kind_b]}")
    elif a == b:
        pass
    elif kind_a == "json":
        found += [f"body.{d}" if not d.startswith("body") else d for d in _json_differences(a, b, "")]
    elif kind_a == "form":
        for name in list(a) + [n for n in b if n not in a]:
            if name not in b:
                found.append(f"form field {name}: recorded, not sent")
            elif name not in a:
                found.append(f"form field {name}: sent, not recorded")
            elif len(a[name]) != len(b[name]):
                found.append(f"form field {name}: recorded {len(a[name])} times, sent {len(b[name])}")
            else:
                for x, y in zip(a[name], b[name], strict=True):
                    if x != y and x != REDACTED:
                        found.append(f"form field {name}: recorded {_short(x)}, sent {_short(y)}")
    elif kind_a == "bytes":
        found.append(f"body: recorded {len(a)} bytes, sent {len(b)} other bytes")
    return found


_kinds = {"empty": "no body", "json": "a JSON body", "form": "a multipart form", "bytes": "a body of bytes"}


@dataclass(frozen=True, slots=True)
class NearMiss:
    """A recorded exchange close to a request that matched none, and what differs."""

    interaction: Interaction
    differences: list[str]

    def describe(self) -> str:
        return f"{self.interaction.name()} ({'; '.join(self.differences)})"

    def to_json(self) -> dict[str, Any]:
        return {"recorded": self.interaction.name(), "differences": self.differences}


def near_misses(sent: Request | RequestView, interactions: Sequence[Interaction], limit: int = 3, *,
                views: Sequence[RequestView] | None = None) -> list[NearMiss]:
    """The ``limit`` recorded exchanges nearest ``sent`` (the same path first, then the fewest
    differences), each with what differs; ``views``: the interactions' requests already viewed."""
    sent_view = view(sent)
    scored = []
    for order, interaction in enumerate(interactions):
        recorded = views[order] if views is not None else view(interaction.request)
        found = differences(recorded, sent_view)
        if not found:
            continue
        key = (recorded.path != sent_view.path, recorded.method != sent_view.method, len(found), order)
        scored.append((key, NearMiss(interaction, found)))
    scored.sort(key=lambda pair: pair[0])
    return [miss for _, miss in scored[:limit]]


def match_key(req: RequestView) -> tuple[tuple[Any, ...], bool]:
    """What ``req`` has in common with every request equal to it as the API reads it, as a
    hashable key: two views with the same key match (:func:`differences` finds nothing between
    them), and views with different keys do not, unless the recorded one holds a :data:`REDACTED`
    value (a wildcard): the second value says so. Numbers are compared as Python compares them
    (``1 == 1.0``), as :func:`differences` does."""
    frozen, wild = _frozen(req.value)
    return (req.method, req.path, tuple(req.query), req.kind, frozen), wild and req.kind in ("json", "form")


def _frozen(value: Any) -> tuple[Any, bool]:
    """``value`` (a body's JSON or form, at most MAX_DEPTH deep) as a hashable value, equal to
    another's exactly when the values are equal; and whether it holds REDACTED."""
    if isinstance(value, dict):
        items, wild = [], False
        for key, item in value.items():
            frozen, hit = _frozen(item)
            items.append((key, frozen))
            wild |= hit
        return frozenset(items), wild
    if isinstance(value, (list, tuple)):
        parts = [_frozen(item) for item in value]
        # (a form's file is a tuple, a JSON array a list: never equal, kept apart)
        return (isinstance(value, tuple), tuple(p for p, _ in parts)), any(hit for _, hit in parts)
    return value, isinstance(value, str) and value == REDACTED


class Playback:
    """Answers requests from recorded exchanges: the first unused match, in the order recorded,
    so that repeated identical requests get their recorded answers in turn. ASSUMPTION: once
    every match has been used, the last one answers again (as often as asked), so a retrying
    client or a test run twice still gets an answer. Thread-safe.

    Finding the answer costs the same whatever the cassettes' size: the recorded requests are
    indexed by :func:`match_key` (identical recorded requests share a queue, used in order), so
    a request is compared with at most one of them, plus those of its method and path whose
    recorded values were redacted (a :data:`REDACTED` value matches any value: they are compared
    one by one, and are few: redaction of request fields is asked for by name). Only a request
    that matches nothing is compared with every recorded one, for :meth:`near_misses`.
    ``compared`` counts the recorded requests :meth:`answer` has compared a request with."""

    def __init__(self, interactions: Sequence[Interaction]) -> None:
        self.interactions = list(interactions)
        self._views = [view(i.request) for i in self.interactions]  # each recorded body read once
        self._queues: dict[tuple[Any, ...], list[int]] = {}  # match key -> its numbers, in order
        self._wild: dict[tuple[str, str], list[int]] = {}  # (method, path) -> numbers holding REDACTED
        for number, recorded in enumerate(self._views):
            key, wild = match_key(recorded)
            if wild:
                self._wild.setdefault((recorded.method, recorded.path), []).append(number)
            else:
                self._queues.setdefault(key, []).append(number)
        self._next: dict[tuple[Any, ...], int] = {}  # match key -> place of its first unused number
        self._used: set[int] = set()  # the used numbers of _wild
        self._lock = threading.Lock()
        self.compared = 0

    def answer(self, sent: Request | RequestView) -> Interaction | None:
        """The recorded exchange that answers ``sent``, or None (then see :meth:`near_misses`)."""
        number = self.number_of(sent)
        return None if number is None else self.interactions[number]

    def number_of(self, sent: Request | RequestView) -> int | None:
        """:meth:`answer`, as the answer's place in :attr:`interactions`."""
        sent_view = view(sent)
        key, _ = match_key(sent_view)  # (a REDACTED value sent is a value like any other)
        with self._lock:
            first = last = None  # the first unused match's number, the last match's
            queue = self._queues.get(key)
            place = self._next.get(key, 0)
            if queue is not None:
                self.compared += 1
                first = queue[place] if place < len(queue) else None
                last = queue[-1]
            from_queue = first is not None
            for number in self._wild.get((sent_view.method, sent_view.path), ()):
                self.compared += 1
                if differences(self._views[number], sent_view):
                    continue
                if number not in self._used and (first is None or number < first):
                    first, from_queue = number, False
                last = number if last is None else max(last, number)
            if first is None:
                return last
            if from_queue:
                self._next[key] = place + 1
            else:
                self._used.add(first)
            return first

    def near_misses(self, sent: Request, limit: int = 3) -> list[NearMiss]:
        return near_misses(sent, self.interactions, limit, views=self._views)

    def rewind(self) -> None:
        """Forget which exchanges were used: the next requests start from the first answers again."""
        with self._lock:
            self._next.clear()
            self._used.clear()
