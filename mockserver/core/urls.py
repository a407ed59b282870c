"""Image URLs: their path, id and signed query, and whether one is good now.

They have the real URLs' shape (an Azure Blob Storage user-delegation SAS:
``/private/org-…/user-…/img-….png?st=…&se=…&sp=r&…&sig=…``) and behave the same:
a valid fetch is a 200 ``image/png``; after ``se`` it is a 403 with Azure's
``AuthenticationFailed`` XML; a tampered signature is a 403 too, and an unknown
blob (after a reset, or evicted) a 404 ``BlobNotFound``. The signature is an
HMAC-SHA256 over the path and every SAS field, checked in constant time."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
import string
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, unquote, urlsplit

from contracts.auth import CACHED_KEY_LENGTH
from contracts.media import MEDIA_TYPES, PNG

if TYPE_CHECKING:
    from mockserver.state.store import ImageStore

# The SAS fields in the order the real URLs carry them [obs]; `sig` comes last.
SAS_FIELDS = ("st", "se", "sp", "sv", "sr", "rscd", "rsct", "skoid", "sktid", "skt", "ske", "sks", "skv")
STORAGE_VERSION = "2021-08-06"  # [obs] sv/skv of the captured URLs
SAS_START_BEFORE = 3600  # [obs] st (and skt) are an hour before `created`
DELEGATION_KEY_LIFE = 86400  # [obs] ske is about a day after skt
_ALNUM = string.ascii_letters + string.digits
# The image URLs' path, in one place: built by image_path, routed and parsed by blob().
PREFIX = "/private/"


def image_path(organization: str, api_key: str, image_id: str) -> str:
    """``/private/org-…/user-…/img-….png``: the path of one image URL."""
    return f"{PREFIX}{organization}/user-{user_segment(api_key)}/img-{image_id}.png"


def new_image_id() -> str:
    """24 random letters and digits, as in ``img-<24>.png``.

    One read of the system's random source, not 24: each byte picks a character
    (mod 62 leans slightly towards the first eight; over 140 bits remain unguessable).
    """
    return secrets.token_bytes(24).translate(_ALNUM_OF_BYTE).decode("ascii")


# Byte b -> _ALNUM[b % 62], for new_image_id (one translate instead of 24 lookups).
_ALNUM_OF_BYTE = bytes(ord(_ALNUM[b % 62]) for b in range(256))


def user_segment(api_key: str) -> str:
    """A stable ``user-<24>`` segment derived from the caller's key."""
    return _cached_segment(api_key) if len(api_key) <= CACHED_KEY_LENGTH else _segment(api_key)


def _segment(api_key: str) -> str:
    digest = hashlib.sha256(api_key.encode("utf-8", "surrogateescape")).digest()
    return "".join(_ALNUM[b % len(_ALNUM)] for b in digest[:24])


_cached_segment = functools.lru_cache(maxsize=4096)(_segment)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(text: str) -> float | None:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def _http_date(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


class UrlSigner:
    """Makes and checks the signed query of image URLs."""

    def __init__(self, secret: str | None) -> None:
        self._key = (secret or secrets.token_hex(32)).encode()
        # The delegation key's ids are fixed per signer, as they are per storage account.
        seed = hashlib.sha256(self._key).digest()
        self._skoid = str(uuid.UUID(bytes=seed[:16]))
        self._sktid = str(uuid.UUID(bytes=seed[16:]))

    def _signature(self, path: str, fields_text: str) -> str:
        text = path + "\n" + fields_text
        return base64.b64encode(hmac.digest(self._key, text.encode("utf-8", "surrogateescape"), "sha256")).decode()

    def sign(self, path: str, created: float, ttl: int) -> str:
        """The query string for ``path``: valid from SAS_START_BEFORE before ``created`` to ``ttl`` after."""
        query, fields_text = self._fields(int(created), ttl)
        # quote(signature, safe=""): of the base64 alphabet only "+", "/" and "=" are escaped.
        sig = self._signature(path, fields_text).replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
        return f"{query}&sig={sig}"

    @functools.lru_cache(maxsize=64)  # noqa: B019 - a signer lives as long as its fake
    def _fields(self, created: int, ttl: int) -> tuple[str, str]:
        """The SAS fields of every URL made in the second ``created``: the query string
        without ``sig``, and the text they contribute to the signature."""
        fields = {
            "st": iso(created - SAS_START_BEFORE),
            "se": iso(created + ttl),
            "sp": "r",
            "sv": STORAGE_VERSION,
            "sr": "b",
            "rscd": "inline",
            "rsct": MEDIA_TYPES[PNG],
            "skoid": self._skoid,
            "sktid": self._sktid,
            "skt": iso(created - SAS_START_BEFORE),
            "ske": iso(created - SAS_START_BEFORE + DELEGATION_KEY_LIFE),
            "sks": "b",
            "skv": STORAGE_VERSION,
        }
        query = "&".join(f"{k}={quote(v, safe='/' if k == 'rsct' else '')}" for k, v in fields.items())
        return query, "\n".join(fields[name] for name in SAS_FIELDS)

    def verify(self, path: str, args: dict[str, str]) -> bool:
        given = args.get("sig", "")
        expected = self._signature(path, "\n".join(args.get(name, "") for name in SAS_FIELDS))
        return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())


_BLOB_PATH = re.compile(re.escape(PREFIX) + r"[^/]+/[^/]+/img-(?P<id>[A-Za-z0-9]+)\.png")


def _refusal(path: str, args: dict[str, str], signer: UrlSigner, now: float) -> str | None:
    """Why a fetch of ``path`` with these SAS fields is refused now (Azure's
    AuthenticationErrorDetail), or None when the URL is good."""
    if not args["sig"] or not args["se"] or not args["st"]:
        return "Signature fields not well formed."
    if not signer.verify(path, args):
        return "Signature did not match. String to sign used was r"
    start, expiry = _parse_iso(args["st"]), _parse_iso(args["se"])
    if start is None or expiry is None or not start <= now <= expiry:
        return (
            "Signature not valid in the specified time frame: "
            f"Start [{_http_date(start or 0)}] - Expiry [{_http_date(expiry or 0)}] - "
            f"Current [{_http_date(now)}]"
        )
    return None


def own_image(url: str, *, signer: UrlSigner, store: ImageStore, now: float) -> bytes | None:
    """The bytes behind one of the fake's own image URLs, whatever its host, if a fetch of
    it would succeed now (signature valid, not expired, still stored); else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    path = unquote(parts.path)
    match = _BLOB_PATH.fullmatch(path)
    if match is None:
        return None
    query = parse_qs(parts.query, keep_blank_values=True)
    args = {k: query.get(k, [""])[0] for k in (*SAS_FIELDS, "sig")}
    if _refusal(path, args, signer, now) is not None:
        return None
    return store.png(match.group("id"))
