"""Loans: the loan view, lists, the schedule, its disbursements, and a risk manager's class
override."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.core import clock, tables
from app.core.auth import LoanReader, Principal, Role, require
from app.core.deps import DbSession, on_the_loop
from app.core.identity import region_name
from app.core.problems import problem_responses
from app.core.settings import get_settings
from app.domain import position as arithmetic
from app.domain.classification import RiskClass
from app.domain.eligibility import RosterStatus
from app.domain.labels import labelled
from app.domain.loan_status import LoanStatus
from app.domain.money import ZERO
from app.households.service import borrower_names, households_matching
from app.loans import schemas, service, view
from app.loans.models import Loan

router = APIRouter(prefix="/v1", tags=["loans"])

Reader = LoanReader


def loan_out(
    loan: Loan,
    name: str | None,
    open_date: date | None,
    *,
    roster: RosterStatus | None = None,
    disbursement: schemas.DisbursementStateOut | None = None,
) -> schemas.LoanOut:
    """The loan, its borrower's `name` (households.borrower_names) and its county's open date
    (None before the county's calendar starts); the single loan view gives its borrower's
    `roster` status and its current `disbursement` too, all read with the loan
    (app/loans/view.py)."""
    position = service.position_on(loan, open_date)
    return schemas.LoanOut(
        **schemas.LoanSummaryOut.model_validate(loan).model_dump(exclude={"borrower_name"}),
        borrower_name=name,
        value_date=loan.value_date,
        maturity_date=loan.maturity_date,
        closed_on=loan.closed_on,
        business_date=position.as_of,
        principal_outstanding=loan.principal_outstanding,
        overdue_principal=position.overdue_principal,
        overdue_interest=position.overdue_interest,
        penalty_outstanding=position.penalty,
        next_due_date=position.next_due_date,
        days_past_due=loan.days_past_due,
        risk_class=RiskClass(loan.risk_class),
        interest_accrued=loan.interest_accrued,
        central_subsidy_to_date=loan.central_accrued,
        local_subsidy_to_date=loan.local_accrued,
        penalty_accrued=loan.penalty_accrued,
        renewals_or_extensions_used=loan.chain_actions,
        renewed_from_id=loan.renewed_from_id,
        extension_months=loan.extension_months,
        external_ref=loan.external_ref,
        last_visit_on=loan.last_visit_on,
        misuse_since=loan.misuse_since,
        subsidy_forfeited_from=loan.subsidy_forfeited_from,
        restructured_on=loan.restructured_on,
        observation_end=loan.observation_end,
        borrower_roster_status=roster,
        alerts=service.alerts(loan, position.as_of, roster),
        disbursement=disbursement,
    )


def _instalment_out(row: view.ScheduleLine, business_date: object) -> schemas.InstalmentOut:
    outstanding = arithmetic.unpaid_principal(row) + arithmetic.unpaid_interest(row)
    if outstanding == ZERO:
        status = "paid"
    elif business_date is not None and row.due_date < business_date:  # type: ignore[operator]
        status = "overdue"
    elif business_date == row.due_date:
        status = "due"
    else:
        status = "scheduled"
    return schemas.InstalmentOut(
        number=row.number,
        period_start=row.period_start,
        due_date=row.due_date,
        principal_due=row.principal_due,
        interest_due=row.interest_due,
        prepaid_interest=row.prepaid_interest,
        central_subsidy=row.central_share,
        local_subsidy=row.local_share,
        principal_paid=row.principal_paid,
        interest_paid=row.interest_paid,
        outstanding=outstanding,
        status=status,
    )


_LOAN_COLUMNS = (
    tables.Column("合同编号"),
    tables.Column("借款人"),
    tables.Column("县级区划代码"),
    tables.Column("县（市、区）"),
    tables.Column("状态"),
    tables.Column("风险分类"),
    tables.Column("客户经理"),
    tables.Column("政策版本"),
    tables.Column("合同金额（元）", "money"),
    tables.Column("年利率", "percent"),
    tables.Column("期限（月）", "whole"),
    tables.Column("还款方式"),
    tables.Column("签约日", "date"),
    tables.Column("起息日", "date"),
    tables.Column("到期日", "date"),
    tables.Column("本金余额（元）", "money"),
    tables.Column("逾期本金（元）", "money"),
    tables.Column("逾期利息（元）", "money"),
    tables.Column("逾期天数", "whole", summed=False),
    tables.Column("原系统合同号"),
    tables.Column("贷款编号"),
)


def _loan_row(loan: Loan, name: str | None) -> list[object]:
    return [
        loan.contract_number,
        name,
        loan.region_code,
        region_name(loan.region_code) or "",
        labelled("LoanStatus", loan.status),
        labelled("RiskClass", loan.risk_class),
        loan.officer,
        loan.policy_version,
        loan.principal,
        loan.annual_rate,
        loan.term_months,
        labelled("RepaymentMethod", loan.repayment_method),
        loan.signed_on,
        loan.value_date,
        loan.maturity_date,
        loan.principal_outstanding,
        loan.overdue_principal,
        loan.overdue_interest,
        loan.days_past_due,
        loan.external_ref,
        str(loan.id),
    ]


def _named_rows(
    session: Session, principal: Principal, loans: Iterator[Loan]
) -> Iterator[list[object]]:
    """The file's rows, the borrowers' names read a thousand loans at a time."""
    while batch := list(itertools.islice(loans, 1000)):
        names = borrower_names(session, principal, (loan.borrower_member_id for loan in batch))
        for loan in batch:
            yield _loan_row(loan, names.get(loan.borrower_member_id))


# How a loan is found (issue 28), and the list's sums on request.
ContractNumber = Annotated[
    str | None, Query(max_length=24, description="合同编号, e.g. 520102-2027-000123")
]
MemberName = Annotated[
    str | None,
    Query(min_length=1, max_length=100, description="a household member's name, its start"),
]
IdNumber = Annotated[
    str | None, Query(max_length=18, description="a household member's ID number (exact)")
]
HouseholdNumber = Annotated[
    str | None, Query(max_length=40, description="the roster household number (exact)")
]
LoanIds = Annotated[
    list[uuid.UUID] | None,
    Query(max_length=200, description="these loans (a reviewer's inbox names them)"),
]
WithSums = Annotated[
    bool, Query(description="also the sums over every loan that matches (reads them all)")
]


@router.get(
    "/loans",
    response_model=schemas.LoanPage,
    responses={**tables.FILE_RESPONSES, **problem_responses(403)},
)
def list_loans(
    request: Request,
    session: DbSession,
    principal: Reader,
    status: LoanStatus | None = None,
    region: Annotated[str | None, Query(pattern=r"^\d{2,12}$")] = None,
    risk_class: RiskClass | None = None,
    officer: Annotated[
        str | None, Query(max_length=200, description="the loan officer who looks after it")
    ] = None,
    external_ref: Annotated[
        str | None, Query(max_length=60, description="the earlier system's contract number")
    ] = None,
    core_transaction_id: Annotated[
        str | None, Query(max_length=100, description="core banking's disbursement reference")
    ] = None,
    household_id: Annotated[uuid.UUID | None, Query(description="one household's loans")] = None,
    contract_number: ContractNumber = None,
    name: MemberName = None,
    id_number: IdNumber = None,
    household_number: HouseholdNumber = None,
    id: LoanIds = None,
    sort: Annotated[
        Literal[service.SORT_CHOICES],  # type: ignore[valid-type]
        Query(description="a field to order by, `-` first for descending; then by id"),
    ] = "id",
    cursor: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    totals: WithSums = False,
    format: Annotated[tables.Format | None, Query(description=tables.FORMAT_HELP)] = None,
) -> schemas.LoanPage | Response:
    """贷款清单. Loans within the caller's regions; filter by status, region, class, officer,
    or the references the bank's other systems know them by; sort by the fields people sort
    by; find them by contract number, a member's name or ID number, or the household number.
    A page carries the total that match and their sums. As csv or xlsx (`format`, or
    `Accept`) the whole list (up to 100,000 loans) comes as one file with Chinese headers and
    labels, the borrowers' names and the totals."""
    where = service.LoanFilter(
        status=status,
        region=region,
        risk_class=risk_class.value if risk_class else None,
        external_ref=external_ref,
        core_transaction_id=core_transaction_id,
        officer=officer,
        household_id=household_id,
        contract_number=contract_number,
        ids=tuple(id or ()),
        households=households_matching(
            id_number=id_number, name=name, household_number=household_number
        ),
    )
    form = tables.wanted(request, format)
    if form != "json":
        return _loans_file(session, principal, where, sort, form)
    items, next_cursor, sums = service.list_page(
        session, principal, where, sort=sort, cursor=cursor, limit=limit, with_sums=totals
    )
    names = borrower_names(session, principal, (loan.borrower_member_id for loan in items))
    days = clock.open_dates(session, {loan.region_code for loan in items})
    return schemas.LoanPage(
        items=[
            loan_out(loan, names.get(loan.borrower_member_id), days.get(loan.region_code))
            for loan in items
        ],
        next_cursor=next_cursor,
        total=sums.loans,
        totals=schemas.LoanTotalsOut(
            principal=sums.principal,
            principal_outstanding=sums.principal_outstanding,
            overdue_principal=sums.overdue_principal,
            overdue_interest=sums.overdue_interest,
        )
        if totals
        else None,
    )


def _loans_file(
    session: Session,
    principal: Principal,
    where: service.LoanFilter,
    sort: str,
    form: tables.Format,
) -> Response:
    """The whole list as one file: the borrowers' names, the filing bank, the totals."""
    rows = _named_rows(session, principal, service.export_rows(session, principal, where, sort))
    table = tables.Table(
        "贷款清单",
        _LOAN_COLUMNS,
        rows,
        title="帮扶小额信贷贷款清单",
        notes=(
            f"填报银行：{get_settings().filing_bank}    截至：{clock.today().isoformat()}"
            "    金额单位：元",
        ),
        totals=True,
    )
    return tables.file_response(table, form, "loans")


@router.get(
    "/loans/{loan_id}", response_model=schemas.LoanOut, responses=problem_responses(403, 404)
)
@on_the_loop
def get_loan(loan_id: uuid.UUID, session: DbSession, principal: Reader) -> schemas.LoanOut:
    """Balances, days past due, risk class and subsidy to date."""
    found = view.viewed(session, principal, loan_id, whole=True)
    return loan_out(
        found.loan,
        found.borrower_name,
        found.open_date,
        roster=found.roster,
        disbursement=found.disbursement,
    )


@router.get(
    "/loans/{loan_id}/schedule",
    response_model=schemas.ScheduleOut,
    responses=problem_responses(403, 404),
)
@on_the_loop
def get_schedule(loan_id: uuid.UUID, session: DbSession, principal: Reader) -> schemas.ScheduleOut:
    """What is due, paid and overdue per instalment, as of the region's open business date."""
    as_of, rows = view.schedule(session, principal, loan_id)
    return schemas.ScheduleOut(
        loan_id=loan_id,
        business_date=as_of,
        instalments=[_instalment_out(r, as_of) for r in rows],
        total_principal=sum((r.principal_due for r in rows), ZERO),
        total_interest=sum((r.interest_due + r.prepaid_interest for r in rows), ZERO),
    )


@router.put(
    "/loans/{loan_id}/risk-class",
    response_model=schemas.LoanOut,
    responses={
        202: {"model": schemas.LoanOut, "description": "asked: a second risk manager decides"},
        **problem_responses(403, 404, 409),
    },
)
def worsen_risk_class(
    loan_id: uuid.UUID,
    body: schemas.RiskClassIn,
    session: DbSession,
    principal: Annotated[Principal, Depends(require(Role.risk_manager))],
    response: Response,
) -> schemas.LoanOut:
    """A risk manager sets the loan's class worse than the rules give, with a reason (kept as
    an override, audited). A better class is 409: only days past due and a completed
    restructuring observation improve a class (3.1). Doubtful or loss beyond what the days past
    due give needs `evidence` (409 `class_override_evidence` without) and a second risk
    manager: 202, the loan unchanged, `Location` naming the request to decide at
    POST /v1/decisions/{id}/decision."""
    loan, request = service.worsen_risk_class(session, principal, loan_id, body)
    if request is not None:
        response.status_code = 202
        response.headers["Location"] = f"/v1/decisions/{request.id}"
    name = borrower_names(session, principal, [loan.borrower_member_id])
    return loan_out(
        loan, name.get(loan.borrower_member_id), clock.open_date(session, loan.region_code)
    )


@router.get(
    "/loans/{loan_id}/disbursements",
    response_model=list[schemas.DisbursementStateOut],
    responses=problem_responses(403, 404),
)
def list_disbursements(
    loan_id: uuid.UUID, session: DbSession, principal: Reader
) -> list[schemas.DisbursementStateOut]:
    """The loan's disbursements, newest first: each request with core banking's answer (or
    none yet)."""
    return service.disbursements_of(session, principal, loan_id)


tables.file_twins(router, "/loans", list_loans)  # GET /v1/loans.xlsx and .csv
