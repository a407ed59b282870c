"""Hypothesis strategies for the Images API contract, built from the contract's data.

The one package of ``contracts`` that imports Hypothesis. Every strategy draws a
:class:`Case`: one request (a JSON body, multipart fields and files, or raw bytes)
and the outcome the contract promises for it, either a :class:`Success` (``n``
images of ``size`` in ``response_format``, encoded as ``output_format``, from
``model``) or a :class:`Refusal` (a catalogue
entry with its template filled from how the request was built; never by asking
:mod:`contracts.rules`, the code under test).

    valid_generations()   valid_edits()   valid_variations()   valid_requests()
    invalid_generations() invalid_edits() invalid_variations() invalid_uploads()
    invalid_routes()      invalid_requests(rules=...)          from_profile(profile)
    prompts()             pngs()                               search(strategy, check)
    rules_of(profile)

Sizes (listed and free-form), the ``n`` range, the prompt limit, the formats, today's
parameters (quality, background, output format and compression, moderation, fidelity,
GIF frames, ...) and the upload rules come from a :class:`~contracts.spec.ModelProfile`
(``profile=``, default dall-e-2; every model of ``contracts.spec.MODELS`` works); the
errors from :data:`~contracts.errors.CATALOGUE`. An invalid case breaks exactly one
rule, named by ``Refusal.rule``; :data:`RULES` lists the rules the strategies know
how to break, :func:`rules_of` those a model's requests can break. Bounds are
keyword-only and checked loudly (``InvalidArgument``).

The package, one concern a module:

    _case.py         what a case is: Case, Success, Refusal, Part; the API's wording of values
    _bounds.py       loud argument checks; the limits valid parts are drawn within
    _images.py       the image factory: PNGs made with Pillow (BUILD_MODES, Png, pngs)
    _valid.py        valid builders: prompts, parameters, uploads -> Success
    _breakers.py     the registry: @breaks(rule, *endpoints) registers a rule's breaker
    _break_*.py      the breakers, by what they break: params, bodies, uploads, routes, today
                     (today's sizes and combinations of fields)
    _invalid.py      RULES (derived from the registry) and the invalid_* strategies
    _search.py       search(): a property run without pytest, for ``verify``

To make a rule drawable, write ``@breaks("catalogue_key", GENERATIONS, ..., applies=...)`` over
a function ``(limits, endpoint) -> CaseStrategy`` in a ``_break_*`` module (``applies`` reads a
profile and says whether that model has the rule; default: every model): it joins :data:`RULES`
(in the catalogue's order), :func:`rules_of` of the models it applies to, and every ``invalid_*``
strategy of those endpoints. A new model needs no new breaker unless it has a new rule.
"""

from contracts.strategies._case import DEFAULT_AUTHORIZATION, Case, CaseStrategy, Part, Refusal, Success
from contracts.strategies._images import BUILD_MODES, Png, pngs
from contracts.strategies._invalid import (
    RULES,
    from_profile,
    invalid_edits,
    invalid_generations,
    invalid_requests,
    invalid_routes,
    invalid_uploads,
    invalid_variations,
    rules_of,
)
from contracts.strategies._search import Search, search
from contracts.strategies._valid import prompts, valid_edits, valid_generations, valid_requests, valid_variations

__all__ = [
    "BUILD_MODES",
    "DEFAULT_AUTHORIZATION",
    "RULES",
    "Case",
    "CaseStrategy",
    "Part",
    "Png",
    "Refusal",
    "Search",
    "Success",
    "from_profile",
    "invalid_edits",
    "invalid_generations",
    "invalid_requests",
    "invalid_routes",
    "invalid_uploads",
    "invalid_variations",
    "pngs",
    "prompts",
    "rules_of",
    "search",
    "valid_edits",
    "valid_generations",
    "valid_requests",
    "valid_variations",
]
