"""One path for operator input: every setting and control-body field described once, as data.

An operator gives the fake values four ways: command-line flags, ``MOCKSERVER_*``
environment variables, ``create_app(**settings)`` and the control API's JSON bodies
(``PATCH /_mock/config``, ``POST /_mock/faults``, ``POST /_mock/clock``). Each value is
a field of a dataclass (:class:`mockserver.settings.config.Config`, :class:`~mockserver.faults.Fault`,
...) whose metadata holds a :class:`Setting`: its :class:`Kind` (type, bounds, shape,
how it is shown), its help text, and where it may be given. The readers below walk
those fields; nothing else validates operator input, so a bound is written once and
the CLI, the environment, the control API and the docs' configuration reference all obey it.

A field is described with :func:`setting` (default, help sentence, kind, then where)::

    url_ttl: int = setting(3600, "Seconds an image URL stays valid.", Integer(1, 315_360_000),
                           flag="--url-ttl")

That one line gives ``--url-ttl`` (help with the accepted values, the default and the
variable), ``MOCKSERVER_URL_TTL``, ``create_app(url_ttl=...)``, ``url_ttl`` in ``GET``/``PATCH
/_mock/config`` and a row of the docs' configuration reference (the docs build writes it from
``config.reference_table()``). Kinds:
:class:`Integer` (min, max), :class:`Number` (finite; min, max, ``above``), :class:`Boolean`
(``--flag`` with no value; ``1/0/true/false/yes/no/on/off`` in the environment),
:class:`Text` (length, no control characters or lone surrogates, optional ``pattern`` and its
``shape`` words), :class:`Choice`, :class:`Optional` (or null), :class:`List` (a repeatable
flag, a comma-separated variable) and :class:`Windows`. ``where``: ``flag`` (None: JSON body
only), ``patchable=False`` (fixed at start), ``secret=True`` (shown as ``********``),
``extends_default=True`` (the flag adds to the default list).

A bad value raises :class:`InputError` naming the field; the control API turns it
into a 400 that changes nothing, the command line into exit status 2.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts.ratelimits import PRESETS, Window, parse_windows

ENV_PREFIX = "MOCKSERVER_"
PIPE = "\\|"  # a literal | inside a Markdown table cell
METADATA_KEY = "setting"


class InputError(ValueError):
    """An operator-given value is wrong; ``name`` says which field, ``message`` what is wrong."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def _shown(value: Any) -> str:
    """A rejected value in an error message: repr, cut, surrogates and control characters escaped."""
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return text.encode("ascii", "backslashreplace").decode("ascii")


# --- kinds: what one value may be ---------------------------------------------------------


class Kind:
    """How one value is read (from JSON, and from command-line or environment text),
    checked, shown (as JSON) and documented."""

    many = False  # a list: a repeatable flag, a comma-separated environment variable

    def read(self, value: Any) -> Any:
        """The JSON value (or an already-read value) as the field holds it; ValueError says why not."""
        raise NotImplementedError

    def parse(self, text: str) -> Any:
        """Command-line or environment text as a JSON-like value, for :meth:`read`."""
        return text

    def show(self, value: Any) -> Any:
        """The held value as JSON."""
        return value

    def describe(self) -> str:
        """What is accepted, for the docs and ``--help``."""
        raise NotImplementedError

    def text(self, value: Any) -> str:
        """The held value as the command line writes it (the docs' default column)."""
        return str(value)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Integer(Kind):
    minimum: int
    maximum: int

    def read(self, value: Any) -> int:
        if not _is_int(value) or not self.minimum <= value <= self.maximum:
            raise ValueError(f"must be an integer from {self.minimum} to {self.maximum}, not {_shown(value)}")
        return int(value)

    def parse(self, text: str) -> Any:
        try:
            return int(text.strip())
        except ValueError:
            return text

    def describe(self) -> str:
        return f"integer, {self.minimum} to {self.maximum}"


@dataclass(frozen=True)
class Number(Kind):
    """A finite number; ``above`` (instead of ``minimum``) excludes the lower bound."""

    minimum: float
    maximum: float
    above: bool = False

    def read(self, value: Any) -> float:
        if not (_is_int(value) or isinstance(value, float)):
            raise ValueError(f"must be a number, not {_shown(value)}")
        number = float(value) if not isinstance(value, int) or abs(value) < 2**63 else math.inf
        low_ok = number > self.minimum if self.above else number >= self.minimum
        if not (math.isfinite(number) and low_ok and number <= self.maximum):
            bracket = "(" if self.above else "["
            raise ValueError(f"must be a finite number in {bracket}{_num(self.minimum)}, {_num(self.maximum)}], "
                             f"not {_shown(value)}")
        return value if _is_int(value) else number

    def parse(self, text: str) -> Any:
        try:
            return float(text.strip())
        except ValueError:
            return text

    def describe(self) -> str:
        low = f"above {_num(self.minimum)}" if self.above else _num(self.minimum)
        return f"number, {low} to {_num(self.maximum)}"


@dataclass(frozen=True)
class Boolean(Kind):
    """true or false; ``only=True`` (a switch that can only be thrown) accepts just ``true``."""

    only: bool | None = None

    def read(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, not {_shown(value)}")
        if self.only is not None and value is not self.only:
            raise ValueError(f"must be {self.text(self.only)}, not {self.text(value)}")
        return value

    def parse(self, text: str) -> Any:
        words = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False,
                 "off": False}
        return words.get(text.strip().lower(), text)

    def describe(self) -> str:
        return "true or false" if self.only is None else self.text(self.only)

    def text(self, value: Any) -> str:
        return "true" if value else "false"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True)
class Text(Kind):
    """A string of ``min_length`` to ``max_length`` characters, never with control characters
    or lone surrogates; ``pattern`` (described by ``shape``) must match it whole, after
    ``lower`` folds it when asked."""

    max_length: int = 200
    min_length: int = 1
    pattern: str | None = None
    shape: str = ""
    lower: bool = False

    def read(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"must be a string, not {_shown(value)}")
        if not self.min_length <= len(value) <= self.max_length:
            if not value:
                raise ValueError("must not be empty")
            raise ValueError(f"must be {self.min_length} to {self.max_length} characters, not {len(value)}")
        if _CONTROL.search(value):
            raise ValueError(f"must not hold control characters or lone surrogates: {_shown(value)}")
        text: str = value.lower() if self.lower else value
        if self.pattern is not None and not re.fullmatch(self.pattern, text):
            raise ValueError(f"must be {self.shape}, not {_shown(text)}")
        return text

    def describe(self) -> str:
        if self.shape:
            return self.shape
        return f"text, {self.min_length} to {self.max_length} characters"


@dataclass(frozen=True)
class Choice(Kind):
    values: tuple[str, ...]

    def read(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.values:
            raise ValueError(f"must be one of {list(self.values)}, not {_shown(value)}")
        return value

    def describe(self) -> str:
        return "one of " + ", ".join(f"`{v}`" for v in self.values)


@dataclass(frozen=True)
class Optional(Kind):
    """``inner``, or null (``None``)."""

    inner: Kind

    def read(self, value: Any) -> Any:
        return None if value is None else self.inner.read(value)

    def parse(self, text: str) -> Any:
        return self.inner.parse(text)

    def show(self, value: Any) -> Any:
        return None if value is None else self.inner.show(value)

    def describe(self) -> str:
        return self.inner.describe() + ", or null"

    def text(self, value: Any) -> str:
        return "(none)" if value is None else self.inner.text(value)


@dataclass(frozen=True)
class List(Kind):
    """Up to ``max_items`` values of ``item``, held as a tuple."""

    item: Kind
    max_items: int = 1000
    many = True

    def read(self, value: Any) -> tuple[Any, ...]:
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, list):
            raise ValueError(f"must be a list, not {_shown(value)}")
        if len(value) > self.max_items:
            raise ValueError(f"must hold at most {self.max_items} items, not {len(value)}")
        items = []
        for i, item in enumerate(value):
            try:
                items.append(self.item.read(item))
            except ValueError as exc:
                raise ValueError(f"item {i}: {exc}") from None
        return tuple(items)

    def parse(self, text: str) -> Any:
        return [self.item.parse(t.strip()) for t in text.split(",") if t.strip()]

    def show(self, value: Any) -> Any:
        return [self.item.show(v) for v in value]

    def describe(self) -> str:
        return f"list of up to {self.max_items}: {self.item.describe()}"

    def text(self, value: Any) -> str:
        return ", ".join(self.item.text(v) for v in value) if value else "(none)"


@dataclass(frozen=True)
class Windows(Kind):
    """Rate-limit windows: ``"20/1m,50/5m"``, a list of such strings, or a preset name."""

    max_windows: int = 10
    max_limit: int = 1_000_000
    max_seconds: int = 7 * 86400

    def read(self, value: Any) -> tuple[Window, ...]:
        if isinstance(value, tuple) and all(isinstance(w, Window) for w in value):
            windows = value
        else:
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                value = ",".join(value) if value else "off"
            if not isinstance(value, str):
                raise ValueError(f"must be a string like '20/1m,50/5m' or a list of them, not {_shown(value)}")
            if len(value) > 1000 or _CONTROL.search(value):
                raise ValueError(f"is not a rate limit like '20/1m,50/5m': {_shown(value)}")
            windows = parse_windows(value)  # ValueError says what is wrong
        if len(windows) > self.max_windows:
            raise ValueError(f"must be at most {self.max_windows} windows, not {len(windows)}")
        for w in windows:
            if not (1 <= w.limit <= self.max_limit and 1 <= w.seconds <= self.max_seconds):
                raise ValueError(f"window {str(w)!r}: the limit must be 1 to {self.max_limit} images and "
                                 f"the window 1 second to {self.max_seconds // 86400} days")
        return windows

    def show(self, value: Any) -> Any:
        return [str(w) for w in value]

    def describe(self) -> str:
        return f"`LIMIT/WINDOW` list (units s, m, h), or a preset: {', '.join(f'`{p}`' for p in PRESETS)}"

    def text(self, value: Any) -> str:
        return ",".join(str(w) for w in value) if value else "off"


# --- settings: a kind plus where the value may come from ------------------------------


@dataclass(frozen=True)
class Setting:
    """A field's description: what it accepts and where it can be given.

    ``flag``: its command-line flag (and, from it, its ``MOCKSERVER_*`` variable); None when
    only a JSON body sets it. ``patchable``: ``PATCH /_mock/config`` may change it (settings
    that are not are "fixed at start"). ``secret``: shown as ``********``. ``extends_default``:
    the flag and variable add to the default list instead of replacing it.
    """

    kind: Kind
    help: str
    flag: str | None = None
    patchable: bool = True
    secret: bool = False
    extends_default: bool = False

    @property
    def env(self) -> str | None:
        """``--rate-limit`` -> ``MOCKSERVER_RATE_LIMIT``."""
        if self.flag is None:
            return None
        return ENV_PREFIX + self.flag.removeprefix("--").replace("-", "_").upper()


def setting(default: Any, help: str, kind: Kind, **where: Any) -> Any:
    """A dataclass field described by a :class:`Setting` (``where``: its other fields)."""
    description = Setting(kind, help, **where)
    if isinstance(default, (list, dict, set)):
        raise TypeError("mutable defaults: use a tuple")
    return field(default=default, metadata={METADATA_KEY: description})


def described(cls: Any) -> list[tuple[dataclasses.Field[Any], Setting]]:
    """The described fields of dataclass ``cls``, in order."""
    return [(f, f.metadata[METADATA_KEY]) for f in dataclasses.fields(cls) if METADATA_KEY in f.metadata]


def read_value(name: str, described_as: Setting, value: Any, error: type[InputError] = InputError) -> Any:
    """One value read by its kind; ``error`` (an InputError) names the field."""
    try:
        return described_as.kind.read(value)
    except ValueError as exc:
        raise error(name, str(exc)) from None


def read_fields(
    cls: Any, body: Any, *, accept: Callable[[Setting], bool] = lambda s: True, what: str = "field",
    error: type[InputError] = InputError,
) -> dict[str, Any]:
    """The fields of ``cls`` given in JSON object ``body``, each read by its kind.

    InputError names the first unknown (or not accepted) key, or the first bad value.
    """
    if not isinstance(body, Mapping):
        raise error(what, "the body must be a JSON object")
    fields = {f.name: s for f, s in described(cls)}
    values = {}
    for name, value in body.items():
        description = fields.get(name)
        if description is None or not accept(description):
            known = ", ".join(n for n, s in fields.items() if accept(s))
            shown = name[:100] if isinstance(name, str) and not _CONTROL.search(name) else _shown(name)
            raise error(shown, f"is not a {what} that can be given; these can: {known}")
        values[name] = read_value(name, description, value, error)
    return values


def check_fields(obj: Any, error: type[InputError] = InputError) -> None:
    """Raise ``error`` naming the first described field of ``obj`` whose value its kind refuses."""
    for f, description in described(type(obj)):
        read_value(f.name, description, getattr(obj, f.name), error)


def to_json(obj: Any) -> dict[str, Any]:
    """The described fields of ``obj`` as JSON, secrets hidden."""
    out = {}
    for f, description in described(type(obj)):
        value = getattr(obj, f.name)
        if description.secret:
            out[f.name] = None if value is None else "********"
        else:
            out[f.name] = description.kind.show(value)
    return out


# --- the command line and the environment ------------------------------------------------


def add_flags(parser: Any, cls: Any) -> None:
    """One argparse option per flagged field of ``cls``, its help saying the default and the variable."""
    for f, s in described(cls):
        if s.flag is None:
            continue
        extra = f" Accepts: {s.kind.describe().replace('`', '')}. Default: {s.kind.text(f.default)}; env {s.env}."
        if s.kind.many:
            extra = " Repeatable" + (", adding to the default list" if s.extends_default else "") + "." + extra
        help_text = (s.help + extra).replace("%", "%%")
        metavar = s.flag.removeprefix("--").replace("-", "_").upper()
        if isinstance(s.kind, Boolean):
            parser.add_argument(s.flag, dest=f.name, action="store_const", const="true", help=help_text)
        elif s.kind.many:
            parser.add_argument(s.flag, dest=f.name, action="append", metavar=metavar, help=help_text)
        else:
            parser.add_argument(s.flag, dest=f.name, metavar=metavar, help=help_text)


def given(cls: Any, args: Any, environ: Mapping[str, str]) -> dict[str, Any]:
    """The values of ``cls``'s flagged fields given on the command line (``args``, an
    argparse namespace) or, failing that, in ``MOCKSERVER_*`` variables: flags win. Each is
    read by its kind; InputError names the flag or the variable."""
    values: dict[str, Any] = {}
    for f, s in described(cls):
        if s.flag is None:
            continue
        raw = getattr(args, f.name, None)
        source = s.flag
        if raw is None and s.env is not None and s.env in environ:
            raw, source = environ[s.env], s.env
            parsed = s.kind.parse(raw)
        elif raw is None:
            continue
        elif s.kind.many:
            parsed = [s.kind.item.parse(t) for t in raw] if isinstance(s.kind, List) else ",".join(raw)
        else:
            parsed = s.kind.parse(raw)
        if s.extends_default and isinstance(parsed, list):
            default: Any = f.default
            parsed = [*default, *parsed]
        try:
            values[f.name] = s.kind.read(parsed)
        except ValueError as exc:
            raise InputError(f.name, f"{exc} (from {source})") from None
    return values


# --- the docs -----------------------------------------------------------------------------


def reference_rows(cls: Any, *, where: Callable[[Setting], str]) -> Iterable[str]:
    """Markdown table rows for ``cls``'s fields: flag, variable, name, default, accepted values, help."""
    for f, s in described(cls):
        flag = f"`{s.flag}`" if s.flag else ""
        env = f"`{s.env}`" if s.env else ""
        default = s.kind.text(f.default).replace("|", PIPE)
        accepts = s.kind.describe().replace("|", PIPE)
        adds = f" {flag} and {env} add to the default list." if s.extends_default and s.flag else ""
        yield f"| {flag} | {env} | `{f.name}` | `{default}` | {accepts} | {s.help}{adds}{where(s)} |"


def body_table(cls: Any) -> str:
    """A control-API body's fields as a Markdown table: field, default, accepted values, help."""
    rows = ["| field | default | accepts | what it does |", "| --- | --- | --- | --- |"]
    for f, s in described(cls):
        default = s.kind.show(f.default)
        shown = json.dumps(default)
        rows.append(f"| `{f.name}` | `{shown}` | {s.kind.describe().replace('|', PIPE)} | {s.help} |")
    return "\n".join(rows)
