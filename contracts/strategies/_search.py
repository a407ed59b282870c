"""Driving a property without pytest: what ``python -m contracts verify`` runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as use_seed
from hypothesis.errors import InvalidArgument

from contracts.strategies._case import Case, CaseStrategy


@dataclass(frozen=True)
class Search:
    """What :func:`search` found: how many cases it tried, and the first that failed the check."""

    examples: int
    failure: tuple[Case, str] | None = None
    error: str | None = None  # the strategy itself could not run


class _Disagreement(Exception):
    pass


def search(
    strategy: CaseStrategy,
    check: Callable[[Case], str | None],
    *,
    max_examples: int,
    seed: int | None = None,
    shrink: bool = False,
) -> Search:
    """Run ``check`` (a problem, or None) on up to ``max_examples`` drawn cases; stop at the
    first problem (shrunk to a smaller case when ``shrink``). No database, no deadline."""
    if max_examples < 1:
        raise InvalidArgument(f"max_examples must be at least 1, not {max_examples}")
    tried = 0
    failures: list[tuple[Case, str]] = []
    phases = [Phase.explicit, Phase.generate, *([Phase.shrink] if shrink else [])]

    @settings(max_examples=max_examples, database=None, deadline=None, phases=phases, derandomize=False,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False, verbosity=Verbosity.quiet,
              print_blob=False)
    @given(strategy)
    def run(case: Case) -> None:
        nonlocal tried
        tried += 1
        problem = check(case)
        if problem is not None:
            failures.append((case, problem))
            raise _Disagreement(problem)

    runner = use_seed(seed)(run) if seed is not None else run
    try:
        runner()
    except Exception as exc:  # the disagreement itself, or Hypothesis on a flaky endpoint
        if failures:
            return Search(tried, failures[-1])  # the last one is the replayed (shrunk) example
        return Search(tried, None, f"{type(exc).__name__}: {exc}")
    return Search(tried)

