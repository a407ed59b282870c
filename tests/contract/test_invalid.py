"""An invalid request (one rule broken) gets exactly the catalogued error: status, type,
code, param and message, as raw HTTP; and through the reference client, when it can say
the request, the exception class for that status carrying the same fields."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from client import APIStatusError
from contracts.strategies import RULES, Case, Refusal, invalid_requests
from contracts.verify import NOT_TO_THE_REAL_SERVICE, refusal_problems
from tests.contract import targets
from tests.contract.calls import assert_raised_as, client_call
from tests.contract.targets import Target

SPEC = targets.current()
CHECKED = [rule for rule in RULES if not (SPEC.kind == "live" and rule in NOT_TO_THE_REAL_SERVICE)]
CASES = {rule: invalid_requests(rules=[rule]) for rule in CHECKED}


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
