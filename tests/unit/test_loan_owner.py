"""One owner for a loan's life (STYLE §3): only app/loans/lifecycle/ writes a loan's status,
balances, instalments and ledger entries in Python; only the end-of-day batch does in SQL.
(Which package may import which is import-linter's: see pyproject.toml.)"""

from __future__ import annotations

import ast
import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
OWNER = APP / "loans" / "lifecycle"  # the package, by concern
BATCH = APP / "batch" / "day.py"  # the batch's statements

# Created only by the owner.
LEDGER = {"Loan", "Instalment", "Repayment", "Accrual", "RiskClassChange", "LoanRecovery"}
# Fields of a loan or an instalment that only the owner assigns (names no other table uses).
OWNED = {
    "principal_outstanding",
    "overdue_principal",
    "overdue_interest",
    "oldest_overdue_due",
    "penalty_outstanding",
    "current_instalment",
    "current_due_date",
    "days_past_due",
    "risk_class",
    "risk_class_override",
    "interest_accrued",
    "central_accrued",
    "local_accrued",
    "penalty_accrued",
    "maturity_date",
    "closed_on",
    "principal_due",
    "interest_due",
    "principal_paid",
    "interest_paid",
    "prepaid_interest",
    "central_share",
    "local_share",
    "accrual_start",
    "misuse_since",
    "misuse_amount",
    "subsidy_forfeited_from",
    "restructured_on",
    "restructure_floor",
    "chain_actions",
    "extension_months",
    "extension_from",
    "last_visit_on",
}
# A `.status` assignment on these names is a loan's.
LOAN_NAMES = {"loan", "old", "new"}
SQL_WRITE = re.compile(r"\b(UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+(loans|instalments)\b", re.I)


def _targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        out: list[ast.expr] = []
        for target in node.targets:
            out.extend(target.elts if isinstance(target, ast.Tuple) else [target])
        return out
    if isinstance(node, ast.AugAssign | ast.AnnAssign):
        return [node.target]
    return []


def violations(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        for target in _targets(node):
            if not isinstance(target, ast.Attribute):
                continue
            owner = target.value.id if isinstance(target.value, ast.Name) else ""
            if target.attr in OWNED or (target.attr == "status" and owner in LOAN_NAMES):
                found.append(f"line {node.lineno}: assigns .{target.attr}")
        if isinstance(node, ast.Call):
            callee = node.func
            name = callee.id if isinstance(callee, ast.Name) else ""
            if name in LEDGER:
                found.append(f"line {node.lineno}: creates a {name}")
            if (
                name in ("update", "delete", "insert")
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id in LEDGER
            ):
                found.append(f"line {node.lineno}: {name}({node.args[0].id})")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = SQL_WRITE.search(node.value)
            if match:
                found.append(f"line {node.lineno}: SQL {match.group(0)}")
    return found


def test_only_the_lifecycle_module_writes_a_loan() -> None:
    offenders = {
        str(path.relative_to(APP.parent)): found
        for path in sorted(APP.rglob("*.py"))
        if path != BATCH
        and OWNER not in path.parents
        and path.parent.name != "migrations"
        and (found := violations(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_check_sees_each_kind_of_write() -> None:
    source = """
loan.status = "closed"
loan.principal_outstanding -= amount
row.principal_paid, row.interest_paid = a, b
session.add(Instalment(loan_id=x))
session.execute(update(Loan).values(risk_class="loss"))
session.execute(text("UPDATE loans SET days_past_due = 0"))
application.status = "approved"
disbursement.value_date = day
"""
    assert sorted(v.split(": ", 1)[1] for v in violations(source)) == sorted(
        [
            "assigns .status",
            "assigns .principal_outstanding",
            "assigns .principal_paid",
            "assigns .interest_paid",
            "creates a Instalment",
            "update(Loan)",
            "SQL UPDATE loans",
        ]
    )


def test_the_owner_is_where_the_check_exempts() -> None:
    """The exemption is the package that writes: it exists, and it does write."""
    written = [v for path in OWNER.glob("*.py") for v in violations(path.read_text())]
    assert OWNER.is_dir() and len(written) > 20


def test_the_batch_writes_only_what_the_owner_would() -> None:
    """The batch's SQL writes loans and instalments; it filters on the same status constant."""
    batch = BATCH.read_text(encoding="utf-8")
    assert SQL_WRITE.search(batch)
    assert "l.status = '{ACTIVE}'" in batch
