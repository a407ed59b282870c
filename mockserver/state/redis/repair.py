"""The shared state as this fake expects to find it, and its repair when something else was left
there (a newer or older fake, a person with redis-cli, a half-finished migration).

Every key the pieces own is listed here with its Redis type (:data:`KEYS`, and the families of
keys named after a fault or an API key in :data:`FAMILIES`), and the state hash's fields with
what they hold (:data:`FIELDS`). :meth:`Repairer.check` looks at all of them in a few round
trips (TYPE of each key, a SCAN of the families, the state hash's fields); what is wrong it
repairs at once: the configuration from the running one, the state hash's fields from what the
pieces hold, and a piece whose key holds another type is emptied with the piece's own ``clear``
(the key deleted first). Each problem is reported once in the log (not per request).

It runs when the state is opened, before each reset (so a reset always works), and when a
request met data it could not use (a WRONGTYPE reply, a script's arithmetic on a value that is
no number, a field that does not parse): see :meth:`RedisState.trouble`. Keys under the prefix
that no piece owns, and fields of the state hash or of the configuration that this fake does
not know, are left alone: a newer fake may own them (forward compatible).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from mockserver.state.redis import faults, gallery, journal, quotas, store
from mockserver.state.redis.configuration import CONFIG, INITIAL, SECRET
from mockserver.state.redis.connection import STATE, Link

QUIET = 1.0  # seconds: after a check that found nothing, the checks a request asks for wait this long

# Each key a piece owns: its Redis type (as TYPE names it), and the piece.
KEYS: dict[str, tuple[str, str]] = {
    STATE: ("hash", "lifecycle"),
    CONFIG: ("string", "configuration"),
    INITIAL: ("string", "configuration"),
    SECRET: ("string", "configuration"),
    faults.QUEUE: ("list", "faults"),
    journal.ORDER: ("list", "journal"),
    journal.ENTRIES: ("hash", "journal"),
    store.IMAGES: ("hash", "store"),
    store.COSTS: ("hash", "store"),
    store.EXPIRY: ("zset", "store"),
    store.AGE: ("zset", "store"),
    store.PNGS: ("hash", "store"),
    store.PNG_ORDER: ("zset", "store"),
    store.SERIAL: ("string", "store"),
    gallery.GALLERY: ("hash", "gallery"),
    gallery.GALLERY_ORDER: ("zset", "gallery"),
    gallery.GALLERY_COSTS: ("hash", "gallery"),
    gallery.GALLERY_SERIAL + ":order": ("string", "gallery"),  # the add script's serial
    quotas.KEYS: ("zset", "quotas"),
    quotas.SERIAL: ("string", "quotas"),
    quotas.HORIZON: ("string", "quotas"),
}


def _family_type(key: str) -> str:
    if key.startswith(faults.FAULT):
        return "hash"
    return "string" if key.endswith(":total") else "zset"  # a quota's grants, and its count


# Families of keys named after a fault or a quota key: the SCAN pattern, the type of a key, the piece.
FAMILIES: tuple[tuple[str, Callable[[str], str], str], ...] = (
    (faults.FAULT + "*", _family_type, "faults"),
    (quotas.GRANTS + "*", _family_type, "quotas"),
)


def _integer(value: bytes) -> bool:
    try:
        int(value)
    except ValueError:
        return False
    return True


def _number(value: bytes) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return value.strip().lower() not in (b"nan", b"inf", b"+inf", b"-inf", b"infinity", b"-infinity")


def _instant(value: bytes) -> bool:
    return value == b"" or _number(value)


# The state hash's fields: what each must hold, and what a wrong one costs (the piece emptied, or
# the field rewritten). Fields absent are fine (the pieces read them as zero, or set them up).
FIELDS: dict[str, tuple[Callable[[bytes], bool], str, str]] = {
    "cv": (_integer, "an integer", "lifecycle"),
    "off": (_number, "a number", "clock"),
    "frz": (_instant, "a number or empty", "clock"),
    "nf": (_integer, "an integer", "faults"),
    "jc": (_integer, "an integer", "journal"),
    "jb": (_integer, "an integer", "journal"),  # the kept entries' bytes (HINCRBY)
    "sb": (_integer, "an integer", "store"),
    "gb": (_integer, "an integer", "gallery"),
}

# The string keys that count (INCR, or a number a script reads): a value that is no number is
# deleted (a count starts again; a serial only orders, and ordering starts again).
NUMBERS: dict[str, tuple[Callable[[bytes], bool], str, str]] = {
    store.SERIAL: (_integer, "an integer", "store"),
    gallery.GALLERY_SERIAL + ":order": (_integer, "an integer", "gallery"),
    quotas.SERIAL: (_integer, "an integer", "quotas"),
    quotas.HORIZON: (_number, "a number", "quotas"),
}

# A fault's hash: the fields the take script compares, and the fault's JSON.
_FAULT_FIELDS = ("endpoint", "stream", "after", "count", "probability", "seed", "seen", "fired", "spec")


def _fault_wrong(values: list[bytes | None]) -> str | None:
    """What is wrong with a fault's hash (its fields in ``_FAULT_FIELDS`` order), or None."""
    fields = dict(zip(_FAULT_FIELDS, values, strict=True))
    missing = [name for name, value in fields.items() if value is None]
    if missing:
        return f"no field {missing[0]}"
    checks = {"stream": lambda v: v in (b"0", b"1"), "after": _integer, "seen": _integer, "fired": _integer,
              "count": lambda v: v == b"" or _integer(v), "probability": _number}
    for name, valid in checks.items():
        value = fields[name]
        if value is not None and not valid(value):
            return f"{value[:40].decode('utf-8', 'replace')!r} in its field {name}"
    try:
        faults.decode_fault(fields["spec"] or b"", b"0", b"0")
    except ValueError as exc:
        return f"a field spec that is {exc}"
    return None


_ARTICLE = {"hash": "a hash", "list": "a list", "zset": "a sorted set", "string": "a string", "set": "a set",
            "stream": "a stream", "ReJSON-RL": "a JSON document"}


def _a(kind: str) -> str:
    return _ARTICLE.get(kind, f"a {kind}")


_EMPTIED = {"faults": "the fault queue was emptied", "journal": "the journal was emptied",
            "store": "the image store was emptied", "gallery": "the live view's gallery was emptied",
            "quotas": "every quota starts afresh", "clock": "the clock is back to real time"}


class Repairer:
    """Checks and repairs the shared state on ``link`` of ``owner`` (a :class:`RedisState`: its
    pieces are emptied with their own ``clear``, its configuration checks its own keys)."""

    def __init__(self, link: Link, owner: Any) -> None:
        self._link = link
        self._client = link.client
        self._owner = owner
        self._lock = threading.Lock()  # one check at a time in this process
        self._quiet_until = 0.0

    def check(self, *, force: bool = True) -> list[str]:
        """Look at every key and field this fake owns; repair what is wrong. What was found, as
        sentences, each logged once per process; [] when all is well. Redis errors propagate.
        Without ``force`` (a request met a refused command), a check within ``QUIET`` s of such a
        check that found nothing is skipped: a Redis refusing commands for another reason (out
        of memory) costs no check per request."""
        with self._lock:
            now = time.monotonic()
            if not force and now < self._quiet_until:
                return []
            problems = self._check()
            if not force:  # (asked for by a refused command: found nothing, the next ones wait)
                self._quiet_until = 0.0 if problems else now + QUIET
        for problem in problems:
            self._link.report(problem)
        return problems

    def _types(self, keys: list[str]) -> list[str]:
        with self._client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.type(key)
            return [k.decode() if isinstance(k, bytes) else str(k) for k in pipe.execute()]

    def _check(self) -> list[str]:
        client = self._client
        wrong: list[tuple[str, str, str, str]] = []  # key, type found, type expected, piece
        for key, kind in zip(KEYS, self._types(list(KEYS)), strict=True):
            expected, piece = KEYS[key]
            if kind not in ("none", expected):
                wrong.append((key, kind, expected, piece))
        totals = []  # the quota counts of the right type (their values are checked next)
        for pattern, type_of, piece in FAMILIES:
            keys = [k.decode() if isinstance(k, bytes) else str(k) for k in client.scan_iter(match=pattern, count=1000)]
            for key, kind in zip(keys, self._types(keys), strict=True):
                if kind not in ("none", type_of(key)):
                    wrong.append((key, kind, type_of(key), piece))
                elif kind == "string" and piece == "quotas":
                    totals.append(key)
        problems: list[str] = []
        pieces: set[str] = set()
        problems += self._values(wrong, totals, pieces)
        for key, kind, expected, piece in wrong:
            if piece == "configuration":
                repair = "rewritten from the running configuration"
            elif piece == "lifecycle":
                repair = "set up again from the running configuration; every piece starts afresh"
            else:
                repair = _EMPTIED[piece]
            problems.append(f"the shared state at key {key} holds {_a(kind)}, expected {_a(expected)} ({repair})")
            client.delete(key)
            pieces.add(piece)
        if "lifecycle" not in pieces:
            problems += self._fields(pieces)
        self._repair(pieces)
        # (a configuration key deleted above is rewritten here: said once, above)
        replaced = [f"at key {key} " for key, _, _, piece in wrong if piece == "configuration"]
        problems += [p for p in self._owner.configuration.check() if not any(r in p for r in replaced)]
        return problems

    def _values(self, wrong: list[tuple[str, str, str, str]], totals: list[str], pieces: set[str]) -> list[str]:
        """The values of the right type that hold what cannot be used: counts and serials that
        are no number (deleted: they start again), faults whose fields are malformed (removed
        from the queue). A few round trips, whatever the number of keys."""
        client = self._client
        problems = []
        skip = {key for key, *_ in wrong}
        numbers = {key: NUMBERS[key] for key in NUMBERS if key not in skip}
        numbers |= {key: (_integer, "an integer", "quotas") for key in totals}
        keys = list(numbers)
        for key, value in zip(keys, client.mget(keys) if keys else [], strict=True):
            valid, expected, piece = numbers[key]
            if value is not None and not valid(value):
                shown = value[:40].decode("utf-8", "replace")
                problems.append(f"the shared state at key {key} holds {shown!r}, expected {expected} "
                                f"({_EMPTIED[piece]})")
                client.delete(key)
                pieces.add(piece)
        ids = [] if faults.QUEUE in skip else [i.decode() for i in client.lrange(faults.QUEUE, 0, -1)]
        ids = [i for i in ids if faults.FAULT + i not in skip]
        with client.pipeline(transaction=False) as pipe:
            for fault_id in ids:
                pipe.hmget(faults.FAULT + fault_id, list(_FAULT_FIELDS))
            found = pipe.execute() if ids else []
        removed = 0
        for fault_id, values in zip(ids, found, strict=True):
            if all(value is None for value in values):
                continue  # queued, but gone (the scripts skip it)
            why = _fault_wrong(values)
            if why is not None:
                key = faults.FAULT + fault_id
                problems.append(f"the fault at key {key} holds {why} (the fault was removed from the queue)")
                client.lrem(faults.QUEUE, 0, fault_id)
                client.delete(key)
                removed += 1
        if removed:
            client.hset(STATE, "nf", client.llen(faults.QUEUE))
        return problems

    def _fields(self, pieces: set[str]) -> list[str]:
        """The state hash's fields: each that holds what its readers cannot use is repaired
        (the piece it counts for emptied, the clock back to real time, the version moved on)."""
        values = self._client.hmget(STATE, list(FIELDS))
        problems = []
        for (name, (valid, expected, piece)), value in zip(FIELDS.items(), values, strict=True):
            if value is None or valid(value):
                continue
            shown = value[:40].decode("utf-8", "replace")
            what = f"the field {name} of the shared state at key {STATE} holds {shown!r}, expected {expected}"
            if piece == "lifecycle":
                problems.append(f"{what} (the configuration's version moved on: every fake reads it again)")
                self._client.hset(STATE, "cv", self._owner.configuration.version + 1)
            elif piece == "clock":
                problems.append(f"{what} ({_EMPTIED[piece]})")
                self._client.hset(STATE, mapping={"off": 0, "frz": ""})
            elif piece == "faults":
                problems.append(f"{what} (counted again)")
                self._client.hset(STATE, "nf", self._client.llen(faults.QUEUE))
            else:
                problems.append(f"{what} ({_EMPTIED[piece]})")
                pieces.add(piece)
        return problems

    def _repair(self, pieces: set[str]) -> None:
        """Empty the pieces named (their wrong keys are deleted already); the state hash set up
        again if it was wrong (then every piece starts afresh)."""
        owner = self._owner
        if "lifecycle" in pieces:
            # The hash is gone: set it up as a first fake would (the configuration and URL key kept).
            self._client.hset(STATE, mapping={"cv": owner.configuration.version + 1, "off": 0, "frz": "", "nf": 0,
                                              "je": secrets.token_hex(4), "jc": 0, "sb": 0, "gb": 0})
            pieces |= {"faults", "journal", "store", "gallery", "quotas"}
        for piece in ("faults", "journal", "store", "gallery", "quotas"):
            if piece in pieces:
                getattr(owner, piece).clear()
        if "journal" in pieces:  # a new epoch (its clear): its count may start again
            self._client.hset(STATE, "jc", 0)
