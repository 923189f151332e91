"""A loan's states, their groups and the moves between them: one vocabulary for Python and for
the SQL that filters on status (partial indexes included), so no state is typed twice."""

from __future__ import annotations

from enum import StrEnum

from app.domain.wording import Said


class LoanStatus(StrEnum):
    contracted = "contracted"  # signed, not yet paid out
    disbursing = "disbursing"  # the instruction is with core banking
    active = "active"  # paid out: serviced, accruing
    closed = "closed"  # repaid
    renewed = "renewed"  # replaced by its renewal (2.3)
    # off the balance sheet (2.1 核销), the claim kept (账销案存): recoveries are recorded
    # against it, and the last one closes it
    written_off = "written_off"

    @classmethod
    def outstanding(cls) -> tuple[LoanStatus, ...]:
        """The household's one loan at a time (1.1): signed and not yet repaid or replaced. A
        written-off loan is still owed (账销案存): no new loan until it is recovered."""
        return (cls.contracted, cls.disbursing, cls.active, cls.written_off)

    @classmethod
    def ended(cls) -> tuple[LoanStatus, ...]:
        return (cls.closed, cls.renewed)

    def may_become(self, to: LoanStatus) -> bool:
        return to in TRANSITIONS[self]


TRANSITIONS: dict[LoanStatus, frozenset[LoanStatus]] = {
    LoanStatus.contracted: frozenset({LoanStatus.disbursing, LoanStatus.active}),
    # core banking's answer: paid out, or failed (back to contracted)
    LoanStatus.disbursing: frozenset({LoanStatus.active, LoanStatus.contracted}),
    LoanStatus.active: frozenset({LoanStatus.closed, LoanStatus.renewed, LoanStatus.written_off}),
    # recovered in full
    LoanStatus.written_off: frozenset({LoanStatus.closed}),
    # a reversed repayment (冲正) that had paid the loan off reopens it
    LoanStatus.closed: frozenset({LoanStatus.active}),
    LoanStatus.renewed: frozenset(),
}


class InvalidTransitionError(ValueError):
    pass


class LifecycleError(ValueError):
    """A change the loan's state does not allow (app/loans/lifecycle/): answered 409 with
    its slug wherever it rises."""

    def __init__(self, message: Said, slug: str = "conflict") -> None:
        super().__init__(message)
        self.slug = slug


def sql_list(statuses: tuple[StrEnum, ...]) -> str:
    """`('contracted', 'disbursing', 'active')`: for SQL built from code constants only."""
    return "(" + ", ".join(f"'{s.value}'" for s in statuses) + ")"
