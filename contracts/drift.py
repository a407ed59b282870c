"""``python -m contracts drift``: what the installed official SDK's image types and the contract
do not share.

The SDK's types are read by importing them and looking inside (``typing.get_type_hints`` and
``get_args`` for the request TypedDicts, pydantic's ``model_fields`` for the answers), never by
reading their text:

- the ``ImageModel`` names (``types/image_model.py``) against :data:`contracts.models.MODELS`;
- each request TypedDict's keys and their ``Literal`` values, nested ones included (``svg``,
  ``svg.reasoning``, ``svg.reasoning.effort``), for generations (``image_generate_params.py``)
  and edits (``image_edit_params.py``), against the parameters and choices of every profile;
- the fields of ``ImagesResponse``, ``Image``, ``Usage`` and its token details and ``SvgUsage``
  (``images_response.py``, ``image.py``) against :mod:`contracts.shapes`;
- the stream events (``image_gen_*_event.py``, ``image_edit_*_event.py``): their fields, their
  ``usage``, and their ``type`` against :mod:`contracts.streaming`.

Every name found on one side only is listed with where it was found (the SDK's module and class,
or the contract's). Exit status 0 when the contract misses nothing the SDK has, 1 otherwise
(what the contract knows beyond the SDK is listed, never a failure), 2 when ``openai`` is not
installed. ``--sdk-types DIR`` reads the type files from DIR instead (a copy of
``openai/types``, or of its ``image*`` files), with the installed ``openai`` for what they import.

Run it after upgrading ``openai``: a new model, parameter, value or field shows here first.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import types
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from typing_extensions import is_typeddict

from contracts import shapes, streaming
from contracts.models import EDITS, GENERATIONS, MODELS, SVG_KEYS, SVG_REASONING_KEYS, Choice, ModelProfile
from contracts.version import program, version

EXIT_MISSING = 1
EXIT_NO_SDK = 2

# What the SDK names and the contract knowingly does not take, each with the reason: listed
# apart, never a failure.
ACKNOWLEDGED: Mapping[str, str] = {
    "edits: quality=standard": "[sdk-py] deprecated: 'only supported by retired DALL·E models'; the seed "
    "contract's dall-e-2 edits take no quality (refused as unknown_parameter), kept",
}

# The SDK's modules read, by what they hold. Each request's params are the union of the classes
# a call may take (the streaming and non-streaming variants of one base).
PARAMS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    GENERATIONS: ("image_generate_params", ("ImageGenerateParamsNonStreaming", "ImageGenerateParamsStreaming")),
    EDITS: ("image_edit_params", ("ImageEditParamsNonStreaming", "ImageEditParamsStreaming")),
}
EVENTS: Mapping[str, Mapping[str, tuple[str, str]]] = {
    GENERATIONS: {"partial": ("image_gen_partial_image_event", "ImageGenPartialImageEvent"),
                  "completed": ("image_gen_completed_event", "ImageGenCompletedEvent")},
    EDITS: {"partial": ("image_edit_partial_image_event", "ImageEditPartialImageEvent"),
            "completed": ("image_edit_completed_event", "ImageEditCompletedEvent")},
}


@dataclass(frozen=True, order=True)
class Item:
    """One model, parameter, value or field, and where it was found."""

    kind: str  # "model", "parameter", "value", "field"
    name: str  # e.g. "edits: markup", "generations: quality=max", "ImagesResponse.svg_usage"
    where: str  # the SDK's module and class, or the contract's module and name


@dataclass(frozen=True)
class Drift:
    missing: list[Item]  # in the SDK, not in the contract
    acknowledged: list[Item]  # in the SDK, knowingly not in the contract (ACKNOWLEDGED)
    beyond: list[Item]  # in the contract, not in the SDK (listed, not failed)
    sdk_version: str


# --- the SDK's side ---------------------------------------------------------------------------


class SdkTypes:
    """The SDK's image type modules: the installed ones, or those of a directory of copies."""

    def __init__(self, directory: Path | None = None) -> None:
        import openai  # the copies' relative imports (openai._models, ...) resolve in it

        self.version = str(getattr(openai, "__version__", "?"))
        self.package = "openai.types"
        if directory is not None:
            # A package of our own whose files are the copies; `..` in them is the installed openai.
            self.package = "openai._drift_types"
            for name in [n for n in sys.modules if n == self.package or n.startswith(self.package + ".")]:
                del sys.modules[name]
            spec = importlib.util.spec_from_loader(self.package, loader=None, is_package=True)
            assert spec is not None
            package = importlib.util.module_from_spec(spec)
            package.__path__ = [str(directory)]
            sys.modules[self.package] = package
            self.version += f" (types from {directory})"

    def module(self, name: str) -> types.ModuleType:
        return importlib.import_module(f"{self.package}.{name}")

    def where(self, module: str, cls: str) -> str:
        return f"openai.types.{module}.{cls}"


def _unwrap(annotation: Any) -> Iterator[Any]:
    """The types inside an annotation: Required, NotRequired, Annotated, Optional, Union and list
    opened."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        yield from _unwrap(args[0])
    elif origin in (typing.Required, typing.NotRequired, typing.Union, types.UnionType, list):
        for arg in args:
            yield from _unwrap(arg)
    else:
        yield annotation


def literal_values(annotation: Any) -> tuple[str, ...]:
    """The string ``Literal`` values an annotation allows (booleans and free strings left out)."""
    found: list[str] = []
    for t in _unwrap(annotation):
        if typing.get_origin(t) is typing.Literal:
            found += [v for v in typing.get_args(t) if isinstance(v, str) and v not in found]
    return tuple(found)


def _nested(annotation: Any) -> list[Any]:
    """The TypedDicts and pydantic models an annotation holds."""
    return [t for t in _unwrap(annotation) if isinstance(t, type) and (is_typeddict(t) or _is_model(t))]


def _is_model(cls: type) -> bool:
    return hasattr(cls, "model_fields")


def typeddict_keys(classes: Iterable[Any]) -> dict[str, tuple[Any, str]]:
    """key -> (annotation, the class that declares it), over several TypedDicts (a key inherited
    from a base is named with the base: the TypedDict of that module with the fewest keys)."""
    classes = list(classes)
    found: dict[str, tuple[Any, str]] = {}
    for cls in classes:
        peers = [c for c in vars(sys.modules[cls.__module__]).values()
                 if isinstance(c, type) and is_typeddict(c)] or [cls]
        for key, annotation in typing.get_type_hints(cls, include_extras=True).items():
            owner = min((c for c in peers if key in c.__annotations__), key=lambda c: len(c.__annotations__),
                        default=cls)
            found.setdefault(key, (annotation, owner.__name__))
    return found


def model_fields(cls: Any) -> dict[str, Any]:
    """A pydantic model's fields (by the name they travel under) and their annotations."""
    return {(f.alias or name): f.annotation for name, f in cls.model_fields.items()}


# --- the contract's side ----------------------------------------------------------------------


def _choices(profile: ModelProfile) -> Mapping[str, Choice | None]:
    return {"background": profile.background, "complexity": profile.complexity,
            "input_fidelity": profile.input_fidelity, "moderation": profile.moderation,
            "output_format": profile.output_format, "quality": profile.quality, "style": profile.style}


def contract_values(endpoint: str, parameter: str) -> tuple[set[str], str] | None:
    """The string values the contract takes for a parameter of an endpoint, over every profile
    that takes it, and where they are written; None when the contract lists no values for it."""
    profiles = [p for p in MODELS.values() if endpoint in p.endpoints]
    if parameter == "size":
        return {s for p in profiles for s in p.sizes}, "contracts.models ModelProfile.sizes"
    if parameter == "response_format":
        return {f for p in profiles for f in p.response_formats}, "contracts.models ModelProfile.response_formats"
    if parameter == "svg.reasoning.effort":
        # SvgRules.efforts (absent: no values known)
        return ({e for p in profiles if p.svg is not None for e in getattr(p.svg, "efforts", ())},
                "contracts.models SvgRules.efforts")
    if parameter in _choices(profiles[0]):
        return ({v for p in profiles if (c := _choices(p)[parameter]) is not None for v in c.values},
                f"contracts.models ModelProfile.{parameter}")
    return None


def contract_parameters(endpoint: str) -> set[str]:
    found = {k for p in MODELS.values() for k in p.parameters.get(endpoint, ())}
    if any(p.svg is not None and p.accepts(endpoint, "svg") for p in MODELS.values()):
        found |= {f"svg.{k}" for k in SVG_KEYS} | {f"svg.reasoning.{k}" for k in SVG_REASONING_KEYS}
    return found


def _known(module: Any, name: str) -> tuple[str, ...]:
    """Names the contract writes in ``module.name`` (absent: none known yet)."""
    value = getattr(module, name, ())
    return (value,) if isinstance(value, str) else tuple(value)


def contract_fields() -> Mapping[str, tuple[set[str], str]]:
    """What the contract knows of each SDK answer class: its field names, and where."""
    usage = {*shapes.USAGE_COUNTS, *shapes.USAGE_DETAILS}
    response = set(shapes.GPT_RESPONSE_KEYS | shapes.GPT_OPTIONAL_KEYS | shapes.DALL_E_RESPONSE_KEYS)
    completed_optional = _known(streaming, "SAFETY_IDENTIFIER_FIELD")
    return {
        "ImagesResponse": (response, "contracts.shapes GPT_RESPONSE_KEYS, GPT_OPTIONAL_KEYS"),
        "Image": ({*shapes.IMAGE_KINDS, shapes.REVISED_PROMPT}, "contracts.shapes IMAGE_KINDS, REVISED_PROMPT"),
        "Usage": (usage, "contracts.shapes USAGE_COUNTS, USAGE_DETAILS"),
        "UsageInputTokensDetails": (set(shapes.USAGE_DETAIL_FIELDS), "contracts.shapes USAGE_DETAIL_FIELDS"),
        "UsageOutputTokensDetails": (set(shapes.USAGE_DETAIL_FIELDS), "contracts.shapes USAGE_DETAIL_FIELDS"),
        "SvgUsage": (set(_known(shapes, "SVG_USAGE_KEYS")), "contracts.shapes SVG_USAGE_KEYS"),
        "partial": ({*streaming.PARTIAL_FIELDS, streaming.IMAGE_INDEX_FIELD},
                    "contracts.streaming PARTIAL_FIELDS, IMAGE_INDEX_FIELD"),
        "completed": ({*streaming.COMPLETED_FIELDS, streaming.IMAGE_INDEX_FIELD, *completed_optional},
                      "contracts.streaming COMPLETED_FIELDS, IMAGE_INDEX_FIELD, SAFETY_IDENTIFIER_FIELD"),
    }


# --- the comparison ---------------------------------------------------------------------------


class _Diff:
    def __init__(self) -> None:
        self.missing: set[Item] = set()
        self.beyond: set[Item] = set()

    def names(self, kind: str, sdk: Iterable[str], ours: Iterable[str], *, label: str, sdk_where: str,
              our_where: str) -> None:
        sdk_set, our_set = set(sdk), set(ours)
        self.missing |= {Item(kind, label.format(n), sdk_where) for n in sdk_set - our_set}
        self.beyond |= {Item(kind, label.format(n), our_where) for n in our_set - sdk_set}


def _params(sdk: SdkTypes, diff: _Diff, endpoint: str) -> None:
    module_name, class_names = PARAMS[endpoint]
    module = sdk.module(module_name)
    keys = typeddict_keys(getattr(module, c) for c in class_names)
    # The nested TypedDicts (svg, svg.reasoning) as dotted keys.
    todo = list(keys.items())
    flat: dict[str, tuple[Any, str]] = {}
    while todo:
        key, (annotation, owner) = todo.pop()
        flat[key] = (annotation, owner)
        for inner in _nested(annotation):
            if is_typeddict(inner):
                todo += [(f"{key}.{k}", v) for k, v in typeddict_keys([inner]).items()]
    ours = contract_parameters(endpoint)
    for key in sorted(set(flat) - ours):
        diff.missing.add(Item("parameter", f"{endpoint}: {key}", sdk.where(module_name, flat[key][1])))
    for key in sorted(ours - set(flat)):
        diff.beyond.add(Item("parameter", f"{endpoint}: {key}", "contracts.models ModelProfile.parameters"))
    for key, (annotation, owner) in sorted(flat.items()):
        values = literal_values(annotation)
        known = contract_values(endpoint, key)
        if not values or key == "model" or key not in ours:
            continue
        if known is None:
            known = (set(), "contracts (no values listed)")
        diff.names("value", values, known[0], label=f"{endpoint}: {key}={{}}",
                   sdk_where=sdk.where(module_name, owner), our_where=known[1])


def _fields(sdk: SdkTypes, diff: _Diff) -> None:
    ours = contract_fields()
    response = sdk.module("images_response")
    image = sdk.module("image")
    classes = [("images_response", response, n) for n in
               ("ImagesResponse", "Usage", "UsageInputTokensDetails", "UsageOutputTokensDetails", "SvgUsage")]
    classes.append(("image", image, "Image"))
    for module_name, module, cls_name in classes:
        cls = getattr(module, cls_name, None)
        if cls is None:
            continue
        known, where = ours[cls_name]
        diff.names("field", model_fields(cls), known, label=f"{cls_name}.{{}}",
                   sdk_where=sdk.where(module_name, cls_name), our_where=where)
    for endpoint, kinds in EVENTS.items():
        for kind, (module_name, cls_name) in kinds.items():
            cls = getattr(sdk.module(module_name), cls_name)
            fields = model_fields(cls)
            known, where = ours[kind]
            diff.names("field", fields, known, label=f"{cls_name}.{{}}",
                       sdk_where=sdk.where(module_name, cls_name), our_where=where)
            ours_type = getattr(streaming.EVENTS[endpoint], kind)
            diff.names("value", literal_values(fields.get("type")), [ours_type], label=f"{cls_name}.type={{}}",
                       sdk_where=sdk.where(module_name, cls_name), our_where="contracts.streaming EVENTS")
            for inner in _nested(fields.get("usage")):
                diff.names("field", model_fields(inner), ours["Usage"][0], label=f"{cls_name}.usage.{{}}",
                           sdk_where=sdk.where(module_name, inner.__name__), our_where=ours["Usage"][1])


def drift(directory: Path | None = None) -> Drift:
    """Compare the SDK's image types (installed, or the copies in ``directory``) with the contract.
    Raises ModuleNotFoundError when ``openai`` is not installed."""
    sdk = SdkTypes(directory)
    diff = _Diff()
    model_module = sdk.module("image_model")
    diff.names("model", literal_values(model_module.ImageModel), MODELS, label="{}",
               sdk_where=sdk.where("image_model", "ImageModel"), our_where="contracts.models MODELS")
    for endpoint in PARAMS:
        _params(sdk, diff, endpoint)
    _fields(sdk, diff)
    acknowledged = {i for i in diff.missing if i.name in ACKNOWLEDGED}
    return Drift(sorted(diff.missing - acknowledged), sorted(acknowledged), sorted(diff.beyond), sdk.version)


def report(found: Drift, out: TextIO) -> None:
    print(f"The official SDK's image types (openai {found.sdk_version}) against the contract:", file=out)
    for title, items in (("missing in the contract (the SDK has them)", found.missing),
                         ("in the SDK, knowingly not taken (contracts.drift.ACKNOWLEDGED)", found.acknowledged),
                         ("in the contract only (listed, not a failure)", found.beyond)):
        print(f"{title}: {len(items) or 'none'}", file=out)
        width = max((len(i.name) for i in items), default=0)
        for i in items:
            print(f"  {i.kind:<9} {i.name:<{width}}  {i.where}", file=out)
            if i in found.acknowledged:
                print(f"            {ACKNOWLEDGED[i.name]}", file=out)
    if found.missing:
        print("The contract misses what the SDK names: add it to contracts/ (models.py, shapes.py, streaming.py) "
              "with its source.", file=out)
    else:
        print("Nothing the SDK names is missing from the contract.", file=out)


def main(argv: Sequence[str] | None = None, *, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(
        prog=program("python -m contracts drift"),
        description="List every model, parameter, value and field that the installed openai package's "
        "image types and the contract do not share. Exit 0 when the contract misses nothing the SDK "
        "names, 1 when it does, 2 when openai is not installed. Run it after upgrading openai.",
    )
    parser.add_argument("--version", action="version", version=version())
    parser.add_argument("--sdk-types", type=Path, default=None, metavar="DIR",
                        help="read the SDK's type files from DIR (a copy of openai/types) instead of the "
                        "installed package")
    args = parser.parse_args(argv)
    if args.sdk_types is not None and not (args.sdk_types / "image_model.py").is_file():
        parser.error(f"--sdk-types {str(args.sdk_types)!r} holds no image_model.py")
    try:
        found = drift(args.sdk_types)
    except ModuleNotFoundError as exc:
        if exc.name != "openai":
            raise
        print("python -m contracts drift reads the official SDK's types: pip install openai", file=sys.stderr)
        return EXIT_NO_SDK
    report(found, out)
    return EXIT_MISSING if found.missing else 0


if __name__ == "__main__":
    sys.exit(main())
