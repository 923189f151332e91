"""The owner of a loan's life: the only Python code that writes a loan's status, balances and
instalments, and the entries of its ledger (repayments, accruals, class history).

Feature services load and lock the loan, check what is theirs to check (scope, maker-checker,
eligibility), then ask this package to act with plain values, audit and return (STYLE §3). The
end-of-day batch (app/batch/eod.py) is the one other writer, in set-based SQL built from the same
constants (LoanStatus, the classification thresholds). tests/unit/test_loan_owner.py holds
every other module to this.

What is owed is derived from the instalments (`_settle_position`); a repayment is allocated by
app/domain/repayment.py; a prepayment re-amortises the rest of the schedule over the same term
and moves the current period's accrual basis to the value date, so the ledger stays exact.

The package, by concern: position (what the owner reads), status, classification, misuse,
repayment, reversal, chain, legacy, write_off."""

from __future__ import annotations

from app.domain.position import WrittenOff
from app.loans.lifecycle.chain import extend, renew
from app.loans.lifecycle.classification import override_class
from app.loans.lifecycle.legacy import take_over
from app.loans.lifecycle.misuse import correct_misuse, find_misuse, forfeit_subsidy, record_visit
from app.loans.lifecycle.position import _SCHEDULE_FIELDS, instalments, owed, terms_of
from app.loans.lifecycle.repayment import apply_repayment
from app.loans.lifecycle.reversal import reverse_repayment
from app.loans.lifecycle.status import (
    Contract,
    _close,
    _move,
    activate,
    contract,
    reassign_officer,
    return_to_contracted,
    start_disbursing,
)
from app.loans.lifecycle.write_off import record_recovery, write_off

__all__ = [
    "_SCHEDULE_FIELDS",
    "Contract",
    "WrittenOff",
    "_close",
    "_move",
    "activate",
    "apply_repayment",
    "contract",
    "correct_misuse",
    "extend",
    "find_misuse",
    "forfeit_subsidy",
    "instalments",
    "override_class",
    "owed",
    "reassign_officer",
    "record_recovery",
    "record_visit",
    "renew",
    "return_to_contracted",
    "reverse_repayment",
    "start_disbursing",
    "take_over",
    "terms_of",
    "write_off",
]
