"""An invalid request (one rule broken), to any model whose profile has the rule, gets exactly
the catalogued error: status, type, code, param and message, as raw HTTP; and through the
reference client, when it can say the request, the exception class for that status carrying
the same fields."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client import APIStatusError
from contracts.models import MODELS
from contracts.strategies import RULES, Case, CaseStrategy, Refusal, invalid_requests, rules_of
from contracts.verify import NOT_TO_THE_REAL_SERVICE, refusal_problems
from tests.endpoint_suite import targets
from tests.endpoint_suite.calls import assert_raised_as, client_call
from tests.endpoint_suite.targets import Target

SPEC = targets.current()
# A paid endpoint serves today's models only: its requests name the suite's model; the fake
# is asked about every model of the contract (dall-e-2 first).
PROFILES = [targets.model()] if SPEC.cheap else sorted(MODELS.values(), key=lambda p: p.name != "dall-e-2")
CHECKED = [rule for rule in RULES if not (SPEC.kind == "live" and rule in NOT_TO_THE_REAL_SERVICE)
           and any(rule in rules_of(p) for p in PROFILES)]


def cases(rule: str) -> CaseStrategy:
    """Requests breaking ``rule``, to every model (of PROFILES) whose profile has the rule."""
    return st.one_of([invalid_requests(profile=p, rules=[rule]) for p in PROFILES if rule in rules_of(p)])


CASES = {rule: cases(rule) for rule in CHECKED}


def assert_refused(target: Target, case: Case) -> None:
    expect = case.expect
    assert isinstance(expect, Refusal)
    answer = target.send(case)
    found = refusal_problems(expect, answer, target.era)
    assert not found, f"{answer.describe()}\n" + "\n".join(found)
    call = client_call(case)
    if call is None:
        return
    target.forget_calls()
    with pytest.raises(APIStatusError) as caught:
        call(target.client())
    assert_raised_as(caught.value, expect, expect.body(target.era))


@pytest.mark.parametrize("rule", CHECKED)
@targets.budget(0.7)
@given(data=st.data())
def test_refused_with_the_catalogued_error(target: Target, rule: str, data: st.DataObject) -> None:
    case = data.draw(CASES[rule], label="case")
    assert isinstance(case.expect, Refusal) and case.expect.rule == rule
    assert_refused(target, case)
