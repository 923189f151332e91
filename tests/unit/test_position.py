"""What a loan owes, from its instalments (app/domain/position.py, issue 27): properties over any
schedule and any payments, and the edges by example."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from app.domain.accrual import BASIS_FIELDS, Basis, accrued_on_basis
from app.domain.money import ZERO
from app.domain.position import (
    current,
    days_past_due,
    has_unpaid,
    maturing_principal,
    oldest_first,
    owed,
    position,
    unpaid_interest,
    unpaid_interest_through,
    unpaid_principal,
    written_off,
)

START = date(2026, 3, 1)
D = Decimal


@dataclass(frozen=True)
class Row:
    number: int
    period_start: date
    due_date: date
    principal_due: Decimal
    principal_paid: Decimal
    interest_due: Decimal
    interest_paid: Decimal


cents = st.integers(min_value=0, max_value=5_000_000).map(lambda c: D(c) / 100)


@st.composite
def schedules(draw: st.DrawFn) -> list[Row]:
    n = draw(st.integers(min_value=1, max_value=36))
    rows, start = [], START
    for k in range(1, n + 1):
        due = start + timedelta(days=draw(st.integers(min_value=28, max_value=31)))
        principal, interest = draw(cents), draw(cents)
        paid_p = draw(st.integers(min_value=0, max_value=int(principal * 100))) / D(100)
        paid_i = draw(st.integers(min_value=0, max_value=int(interest * 100))) / D(100)
        rows.append(Row(k, start, due, principal, paid_p, interest, paid_i))
        start = due
    return rows


@given(schedules(), st.integers(min_value=0, max_value=1200))
def test_a_position_adds_up_and_nothing_is_negative(rows: list[Row], offset: int) -> None:
    day = START + timedelta(days=offset)
    found = position(rows, day)
    assert found.principal_outstanding == sum((unpaid_principal(r) for r in rows), ZERO)
    assert ZERO <= found.overdue_principal <= found.principal_outstanding
    assert found.overdue_interest >= ZERO
    unpaid_past = [r.due_date for r in rows if r.due_date < day and has_unpaid(r)]
    assert found.oldest_overdue_due == (min(unpaid_past) if unpaid_past else None)
    upcoming = [r for r in rows if r.due_date >= day]
    assert found.current_due_date == (upcoming[0].due_date if upcoming else None)
    assert found.current_instalment == (upcoming[0].number if upcoming else None)


@given(schedules(), st.integers(min_value=0, max_value=1200), cents)
def test_what_is_owed_is_the_position_split_by_when_it_falls_due(
    rows: list[Row], offset: int, penalty: Decimal
) -> None:
    day = START + timedelta(days=offset)
    found, due = position(rows, day), owed(rows, day, penalty, D("0.0435"))
    assert due.penalty == penalty and due.annual_rate == D("0.0435")
    assert due.overdue_principal == found.overdue_principal
    assert due.overdue_interest == found.overdue_interest
    assert due.overdue_principal + due.principal_due + due.future_principal == (
        found.principal_outstanding
    )
    period = current(rows, day)
    if period is None:
        assert due.days_into_period == 0
    else:
        assert 0 <= due.days_into_period < (period.due_date - period.period_start).days
        assert period.period_start <= day < period.due_date


def _row(number: int, due: date, principal: str, paid: str, interest: str, ipaid: str) -> Row:
    return Row(number, due - timedelta(days=30), due, D(principal), D(paid), D(interest), D(ipaid))


def test_the_edges_by_example() -> None:
    first = _row(1, date(2026, 4, 1), "100", "100", "10", "4")
    second = _row(2, date(2026, 5, 1), "100", "30", "8", "0")
    rows = [first, second]
    assert (unpaid_principal(first), unpaid_interest(first)) == (D("0"), D("6"))
    assert has_unpaid(first) and not has_unpaid(_row(3, date(2026, 6, 1), "1", "1", "0", "0"))
    # on the due date the instalment is due, not overdue; the day after it is
    on_due = position(rows, date(2026, 4, 1))
    assert on_due.overdue_interest == ZERO and on_due.current_instalment == 1
    after = position(rows, date(2026, 4, 2))
    assert after.overdue_interest == D("6") and after.oldest_overdue_due == date(2026, 4, 1)
    assert after.current_instalment == 2 and after.principal_outstanding == D("70")
    done = position(rows, date(2026, 6, 1))
    assert done.current_instalment is None and done.overdue_principal == D("70")
    assert unpaid_interest_through(rows, date(2026, 4, 1)) == D("6")
    assert unpaid_interest_through(rows, date(2026, 5, 1)) == D("14")
    assert unpaid_interest_through(rows, date(2026, 3, 31)) == ZERO
    assert maturing_principal(rows, date(2026, 5, 1), date(2026, 5, 1)) == D("70")
    assert maturing_principal(rows, date(2026, 5, 1), date(2026, 4, 30)) == ZERO
    assert maturing_principal(rows, date(2026, 4, 1), date(2026, 5, 1)) == ZERO
    assert current(rows, date(2026, 4, 1)) is second and current(rows, date(2026, 3, 2)) is first
    assert current(rows, date(2026, 5, 1)) is None
    due = owed(rows, date(2026, 4, 1), D("1.5"), D("0.04"))
    assert (due.interest_due, due.principal_due, due.future_principal) == (D("6"), ZERO, D("70"))
    assert due.days_into_period == 0  # the first day of the second period


def test_days_past_due_count_from_the_oldest_unpaid_due_date() -> None:
    due = date(2026, 4, 1)
    assert days_past_due(None, date(2026, 5, 1)) == 0
    assert days_past_due(due, due) == 0
    assert days_past_due(due, date(2026, 4, 2)) == 1
    assert days_past_due(due, date(2026, 3, 31)) == 0  # never negative
    assert days_past_due(due, date(2026, 7, 1)) == 91


@given(st.lists(cents, max_size=12), cents)
def test_a_payment_takes_the_oldest_first_and_never_more_than_is_owed(
    unpaid: list[Decimal], amount: Decimal
) -> None:
    taken = oldest_first(unpaid, amount)
    assert len(taken) == len(unpaid)
    assert all(ZERO <= t <= u for t, u in zip(taken, unpaid, strict=True))
    assert sum(taken, ZERO) == min(amount, sum(unpaid, ZERO))
    # an amount is only left on a later row once every earlier one is paid in full
    for k, t in enumerate(taken):
        if t > 0:
            assert all(taken[j] == unpaid[j] for j in range(k))


def test_oldest_first_by_example() -> None:
    assert oldest_first([D("5"), D("3"), D("4")], D("7")) == [D("5"), D("2"), D("0")]
    assert oldest_first([D("5")], D("0")) == [D("0")]
    assert oldest_first([], D("9")) == []


def test_what_a_written_off_loan_still_owes() -> None:
    rows = [
        _row(1, date(2026, 4, 1), "100", "0", "10", "0"),
        _row(2, date(2026, 5, 1), "100", "0", "9", "0"),
    ]
    due = owed(rows, date(2026, 4, 16), D("2.50"), D("0.0365"))
    gone = written_off(D("200"), due)
    assert gone.principal == D("200") and gone.penalty == D("2.50")
    assert gone.interest == D("10") + due.payoff_interest and due.payoff_interest > 0
    assert gone.claim == gone.principal + gone.interest + gone.penalty


def _basis(**changes: object) -> Basis:
    base = {
        "due_date": date(2026, 5, 1),
        "interest_due": D("30.00"),
        "prepaid_interest": D("0"),
        "central_share": D("9.00"),
        "local_share": D("3.00"),
        "accrual_start": date(2026, 4, 1),
        "accrued_interest_before": D("0"),
        "accrued_central_before": D("0"),
        "accrued_local_before": D("0"),
    }
    return Basis(**{**base, **changes})  # type: ignore[arg-type]


def test_a_period_accrues_evenly_from_its_start_to_its_due_date() -> None:
    basis = _basis()
    assert accrued_on_basis(basis, date(2026, 3, 31)) == (D("0.00"), D("0.00"), D("0.00"))
    assert accrued_on_basis(basis, date(2026, 4, 30)) == (D("30.00"), D("9.00"), D("3.00"))
    half = accrued_on_basis(basis, date(2026, 4, 15))
    assert half == (D("15.00"), D("4.50"), D("1.50"))
    assert BASIS_FIELDS[0] == "due_date" and len(BASIS_FIELDS) == 9


def test_a_moved_start_keeps_what_was_accrued_before_it() -> None:
    # a prepayment on 04-16 moved the start: 15 days had accrued 15.00 of interest
    basis = _basis(
        accrual_start=date(2026, 4, 16),
        interest_due=D("20.00"),
        prepaid_interest=D("0"),
        accrued_interest_before=D("15.00"),
        accrued_central_before=D("4.50"),
        accrued_local_before=D("1.50"),
    )
    assert accrued_on_basis(basis, date(2026, 4, 15)) == (D("15.00"), D("4.50"), D("1.50"))
    assert accrued_on_basis(basis, date(2026, 4, 30)) == (D("20.00"), D("9.00"), D("3.00"))
    paid_off = _basis(accrual_start=date(2026, 5, 1), accrued_interest_before=D("18.00"))
    assert accrued_on_basis(paid_off, date(2026, 4, 20))[0] == D("18.00")


def test_the_edges_that_a_mutant_would_move() -> None:
    """What the property tests could pass by luck: a fraction of a yuan unpaid, a row due on
    the day itself, sums over nothing (a Decimal, not the integer 0)."""
    cent = _row(1, date(2026, 4, 1), "0.50", "0", "1", "1")
    assert has_unpaid(cent) and unpaid_principal(cent) == D("0.50")
    interest_only = _row(1, date(2026, 4, 1), "1", "1", "0.50", "0")
    assert has_unpaid(interest_only)
    rows = [_row(1, date(2026, 4, 1), "100", "0", "10", "0")]
    due = owed(rows, date(2026, 4, 1), ZERO, D("0.04"))  # due today: due, not overdue
    assert (due.overdue_principal, due.overdue_interest) == (ZERO, ZERO)
    assert (due.principal_due, due.interest_due) == (D("100"), D("10"))
    gone = written_off(D("100"), due)
    assert gone.interest == D("10") + due.payoff_interest
    for total in (
        position([], date(2026, 4, 1)).overdue_principal,
        position([], date(2026, 4, 1)).overdue_interest,
        position([], date(2026, 4, 1)).principal_outstanding,
        owed([], date(2026, 4, 1), ZERO, D("0.04")).overdue_interest,
        owed([], date(2026, 4, 1), ZERO, D("0.04")).overdue_principal,
        owed([], date(2026, 4, 1), ZERO, D("0.04")).interest_due,
        owed([], date(2026, 4, 1), ZERO, D("0.04")).principal_due,
        owed([], date(2026, 4, 1), ZERO, D("0.04")).future_principal,
        unpaid_interest_through([], date(2026, 4, 1)),
        maturing_principal([], date(2026, 4, 1), date(2026, 4, 1)),
    ):
        assert isinstance(total, Decimal) and total == ZERO
