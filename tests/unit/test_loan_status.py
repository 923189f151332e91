"""A loan's states: groups and allowed moves, for Python and for SQL alike."""

from __future__ import annotations

import pytest

from app.domain.loan_status import TRANSITIONS, InvalidTransitionError, LoanStatus, sql_list
from app.loans.lifecycle import _move as move
from app.loans.models import OUTSTANDING, Loan

S = LoanStatus


def test_groups() -> None:
    # a written-off loan is still owed (账销案存): the household borrows again once it is
    # recovered
    assert S.outstanding() == (S.contracted, S.disbursing, S.active, S.written_off)
    assert S.ended() == (S.closed, S.renewed)
    assert set(S.outstanding()) | set(S.ended()) == set(S)
    assert sql_list(S.outstanding()) == "('contracted', 'disbursing', 'active', 'written_off')"
    # the partial unique indexes (1.1) filter on the same group
    assert OUTSTANDING == "status IN ('contracted', 'disbursing', 'active', 'written_off')"


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        (S.contracted, S.disbursing, True),
        (S.contracted, S.active, True),  # legacy imports and renewals are paid out at once
        (S.disbursing, S.active, True),
        (S.disbursing, S.contracted, True),  # core banking refused the transfer
        (S.active, S.closed, True),
        (S.active, S.renewed, True),
        (S.contracted, S.closed, False),
        (S.active, S.contracted, False),
        (S.closed, S.active, True),  # a reversed repayment that had paid it off (冲正)
        (S.renewed, S.active, False),
        (S.disbursing, S.renewed, False),
        (S.active, S.written_off, True),  # 核销, approved by a second person
        (S.written_off, S.closed, True),  # recovered in full
        (S.written_off, S.active, False),
        (S.contracted, S.written_off, False),
    ],
)
def test_moves(start: LoanStatus, to: LoanStatus, allowed: bool) -> None:
    assert start.may_become(to) is allowed
    loan = Loan(status=start.value)
    if allowed:
        move(loan, to)
        assert loan.status == to
    else:
        with pytest.raises(InvalidTransitionError, match=f"A {start.value} loan cannot become"):
            move(loan, to)
        assert loan.status == start


def test_ended_loans_go_nowhere_but_a_reopened_payoff() -> None:
    assert {s for s in S if not TRANSITIONS[s]} == {S.renewed}
    assert TRANSITIONS[S.closed] == {S.active}
