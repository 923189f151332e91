"""Legacy loans (脱贫人口小额信贷) brought over from the bank's earlier system. They keep the
terms on their contract for life (5.2): amount, rate, subsidy shares, dates, the schedule's
state and the renewal/extension already used. Re-sending a contract changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.batch import calendar
from app.core import clock
from app.core.auth import Principal, Role, refuse_unless_national
from app.core.crypto import ACCOUNT, ID_NUMBER, PHONE, get_cipher
from app.core.db import get_sessionmaker
from app.core.i18n import Said, language_var, said_of
from app.core.identity import InvalidIdNumberError, parse_id_number
from app.core.masking import mask_account, mask_id_number, mask_phone
from app.core.problems import Problem, conflict, outside_regions, rows_in_error
from app.core.sheets import UnreadableFileError
from app.core.uploads import Upload
from app.decisions import service as decisions
from app.decisions.models import Decision
from app.domain.decisions import DecisionKind
from app.domain.loan_status import LifecycleError
from app.domain.policy import LEGACY_2021, LprQuote, legacy_contract_problems, lpr_in_force
from app.domain.subsidy import SubsidyTerms
from app.households.models import Household, Member
from app.jobs.models import JobKind
from app.jobs.service import Outcome, Run, handles
from app.legacy import schemas, sheets
from app.legacy.models import LprRate
from app.loans import lifecycle
from app.loans.models import Loan
from app.roster.models import RosterEntry


class Rejected(Exception):
    """A contract refused, with its reasons in both languages (the answer speaks the caller's)."""

    def __init__(self, *reasons: Said) -> None:
        super().__init__("; ".join(r.en for r in reasons))
        self.reasons = [r.in_(language_var.get()) for r in reasons]


def require_within_regions(principal: Principal, body: schemas.LegacyImportIn) -> None:
    """A contract in a county outside the caller's regions refuses the whole file (403)."""
    outside = [
        ("loans", i, "region_code")
        for i, item in enumerate(body.loans)
        if not principal.sees_region(item.region_code)
    ]
    if outside:
        raise outside_regions(Said("合同", "contracts"), outside)


def import_loans(
    session: Session,
    principal: Principal,
    body: schemas.LegacyImportIn,
    on_progress: Callable[[int, int], None] | None = None,
) -> schemas.LegacyImportOut:
    """Each contract in its own savepoint: accepted, unchanged (already imported) or rejected
    with its reasons. `on_progress(contracts done, contracts)` after each."""
    require_within_regions(principal, body)
    as_of = body.as_of or clock.today()
    quotes = lpr_quotes(session)
    result = schemas.LegacyImportOut(
        as_of=as_of, accepted=0, unchanged=0, rejected=0, rejections=[], loan_ids={}
    )
    for index, item in enumerate(body.loans):
        if on_progress is not None:
            on_progress(index, len(body.loans))
        existing = session.scalar(select(Loan.id).where(Loan.external_ref == item.external_ref))
        if existing is not None:
            result.unchanged += 1
            result.loan_ids[item.external_ref] = existing
            continue
        try:
            with session.begin_nested():
                loan = _import_one(session, principal, item, as_of, quotes)
        except Rejected as exc:
            result.rejected += 1
            result.rejections.append(
                schemas.LegacyRejection(
                    index=index, external_ref=item.external_ref, reasons=exc.reasons
                )
            )
            continue
        except IntegrityError:
            result.rejected += 1
            result.rejections.append(
                schemas.LegacyRejection(
                    index=index,
                    external_ref=item.external_ref,
                    reasons=[
                        Said(
                            "1.1 该户已有未结清的帮扶小额信贷",
                            "1.1 the household already has an outstanding assistance loan",
                        ).in_(language_var.get())
                    ],
                )
            )
            continue
        result.accepted += 1
        result.loan_ids[item.external_ref] = loan.id
    audit.record(
        session,
        principal,
        "legacy.import",
        "legacy_import",
        uuid.uuid4(),
        after={
            "accepted": result.accepted,
            "unchanged": result.unchanged,
            "rejected": result.rejected,
            "as_of": str(as_of),
        },
    )
    if on_progress is not None:
        on_progress(len(body.loans), len(body.loans))
    return result


@handles(JobKind.legacy_import)
def run_import_job(run: Run) -> Outcome:
    """A legacy import started with `Prefer: respond-async`: the same import, in a worker."""
    with run.upload() as upload:
        body = schemas.LegacyImportIn.model_validate_json(upload.read_all())
    with get_sessionmaker().begin() as session:
        result = import_loans(session, run.principal, body, run.progress)
    return Outcome(
        result=result.model_dump(mode="json", exclude={"rejections"}),
        row_errors=[r.model_dump(mode="json") for r in result.rejections],
    )


def lpr_rows(session: Session, statuses: tuple[str, ...] = ("in_force",)) -> list[LprRate]:
    """The LPR entries, newest first: those in force unless asked otherwise."""
    return list(
        session.scalars(
            select(LprRate)
            .where(LprRate.status.in_(statuses))
            .order_by(LprRate.effective_from.desc())
        )
    )


def lpr_quotes(session: Session) -> list[LprQuote]:
    return [LprQuote(r.effective_from, r.one_year, r.five_year) for r in lpr_rows(session)]


def record_lpr(session: Session, principal: Principal, body: schemas.LprRateIn) -> LprRate:
    """A new publication, recorded on its day by a national administrator; in force once a
    second administrator approves it."""
    refuse_unless_national(principal, Said("贷款市场报价利率（LPR）", "The LPR"))
    today = clock.today()
    if body.effective_from != today:
        raise conflict(
            Said(
                f"LPR 只能在公布当日（{today}）录入，不能补录过去或预录将来",
                f"An LPR is recorded on its publication day ({today}), never for the past or the "
                "future",
            ),
            slug="date-out-of-range",
        )
    standing = session.scalar(
        select(LprRate.id).where(
            LprRate.effective_from == body.effective_from,
            LprRate.status.in_(("pending", "in_force")),
        )
    )
    if standing is not None:
        raise conflict(
            Said(
                f"{body.effective_from} 公布的 LPR 已记录",
                f"The LPR published on {body.effective_from} is already recorded",
            )
        )
    row = LprRate(
        id=uuid.uuid4(), status="pending", **body.model_dump(), recorded_by=principal.subject
    )
    session.add(row)
    session.flush()
    decisions.ask(
        session,
        principal,
        DecisionKind.lpr_entry,
        row.id,
        asked_state="pending",
        region_code=None,
        summary=body.model_dump(mode="json"),
    )
    session.refresh(row)
    return row


def _lpr_approve(session: Session, principal: Principal, decision: Decision, _body: object) -> None:
    row = session.get(LprRate, decision.subject_id, with_for_update=True)
    assert row is not None
    row.status = "in_force"
    audit.record(
        session,
        principal,
        "lpr.record",
        "lpr_rate",
        str(row.effective_from),
        after={"one_year": str(row.one_year), "five_year": str(row.five_year)},
    )


decisions.handles(
    decisions.Handler(
        kind=DecisionKind.lpr_entry,
        requesters=frozenset({Role.admin}),
        deciders=frozenset({Role.admin}),
        state=decisions.status_of(LprRate, decisions.the_subject),
        approve=_lpr_approve,
        settle=decisions.mirror_status(LprRate),
    )
)


def _import_one(
    session: Session,
    principal: Principal,
    item: schemas.LegacyLoanIn,
    as_of: date,
    quotes: list[LprQuote],
) -> Loan:
    problems = legacy_contract_problems(
        item.signed_on,
        item.principal,
        item.term_months,
        item.annual_rate,
        item.central_subsidy_rate,
        item.local_subsidy_rate,
        item.subsidised_principal,
        lpr_in_force(item.signed_on, quotes),
    )
    if item.value_date < item.signed_on:
        problems.append(Said("起息日早于签约日", "the value date is before the signing date"))
    if problems:
        raise Rejected(*problems)
    household, member = _household(session, principal, item)
    day = calendar.ensure_open_from(session, item.region_code, as_of)
    loan = lifecycle.contract(
        session,
        lifecycle.Contract(
            household_id=household.id,
            borrower_member_id=member.id,
            region_code=item.region_code,
            policy_version=LEGACY_2021.code,
            principal=item.principal,
            annual_rate=item.annual_rate,
            term_months=item.term_months,
            repayment_method=item.repayment_method.value,
            purpose=item.purpose.value,
            large_production=False,
            terms=SubsidyTerms(
                annual_rate=item.annual_rate,
                central_rate=item.central_subsidy_rate,
                local_rate=item.local_subsidy_rate,
                principal=item.principal,
                subsidised_principal=item.subsidised_principal,
            ),
            roster_household=household.household_number,
            signed_on=item.signed_on,
            contracted_by=principal.subject,
            chain_actions=item.renewals_or_extensions,
            external_ref=item.external_ref,
        ),
    )
    session.flush()
    lifecycle.activate(session, loan, item.value_date)
    session.flush()
    try:
        lifecycle.take_over(session, loan, paid=item.instalments_paid, day=day)
    except LifecycleError as exc:
        raise Rejected(said_of(exc)) from exc
    audit.record(
        session,
        principal,
        "legacy.loan",
        "loan",
        loan.id,
        region_code=loan.region_code,
        after={
            "external_ref": item.external_ref,
            "policy_version": LEGACY_2021.code,
            "principal_outstanding": str(loan.principal_outstanding),
        },
    )
    return loan


def _household(
    session: Session, principal: Principal, item: schemas.LegacyLoanIn
) -> tuple[Household, Member]:
    cipher = get_cipher()
    try:
        person = parse_id_number(item.borrower.id_number)
    except InvalidIdNumberError as exc:
        raise Rejected(Said("borrower.id_number：", "borrower.id_number: ") + said_of(exc)) from exc
    id_hash = cipher.blind_index(person.value, ID_NUMBER)
    member = session.scalar(select(Member).where(Member.id_hash == id_hash))
    if member is not None:
        household = session.get(Household, member.household_id)
        assert household is not None
        if household.region_code != item.region_code:
            raise Rejected(
                Said("借款人已在其他地区登记", "the borrower is registered in another region")
            )
        return household, member
    phone = item.borrower.phone
    member = Member(
        id=uuid.uuid4(),
        name=item.borrower.name,
        relation="head",
        id_hash=id_hash,
        id_encrypted=cipher.encrypt(person.value, ID_NUMBER),
        id_masked=mask_id_number(person.value),
        phone_encrypted=cipher.encrypt(phone, PHONE) if phone else None,
        phone_masked=mask_phone(phone) if phone else None,
        birth_date=person.birth_date,
        # Not carried by the earlier system: unknown, and asked for by a renewal (1.9).
        full_civil_capacity=None,
        has_labor_skills=None,
    )
    household_number = session.scalar(
        select(RosterEntry.household_number).where(RosterEntry.id_hash == id_hash)
    )
    if household_number is not None and session.scalar(
        select(Household.id).where(Household.household_number == household_number)
    ):
        raise Rejected(
            Said(
                f"1.1 借款人所在名单户 {household_number} 已登记为另一农户",
                f"1.1 the borrower's roster household {household_number} is registered as another"
                " household",
            )
        )
    household = Household(
        id=uuid.uuid4(),
        region_code=item.region_code,
        address=item.address,
        household_number=household_number,
        account_encrypted=cipher.encrypt(item.disbursement_account, ACCOUNT),
        account_masked=mask_account(item.disbursement_account),
        created_by=principal.subject,
        members=[member],
    )
    session.add(household)
    session.flush()
    return household, member


MAX_SHEET_ROWS = 20_000


def import_sheet(
    session: Session,
    principal: Principal,
    upload: Upload,
    fmt: str,
    as_of: date | None,
    import_valid: bool,
) -> schemas.LegacySheetImportOut:
    """A sheet of contracts (app/legacy/sheets.py) through the same import as the JSON body; a
    row that is not a contract, or that the import rejects, is a row error by its line. The
    sheet is read until MAX_SHEET_ROWS rows, and refused at the next one."""
    rows: list[tuple[int, schemas.LegacyLoanIn | Said]] = []
    try:
        for row in sheets.contracts(upload, fmt):
            if len(rows) == MAX_SHEET_ROWS:
                raise Problem(
                    422,
                    Said(
                        f"一次最多导入 {MAX_SHEET_ROWS:,} 行，请分批导入",
                        f"At most {MAX_SHEET_ROWS:,} rows at a time; split the sheet",
                    ),
                    slug="validation-error",
                )
            rows.append(row)
    except UnreadableFileError as exc:
        raise Problem(422, said_of(exc), slug="validation-error") from exc
    language = language_var.get()
    valid = [(line, row) for line, row in rows if isinstance(row, schemas.LegacyLoanIn)]
    rejections = [
        schemas.LegacySheetRejection(line=line, external_ref=None, reasons=[row.in_(language)])
        for line, row in rows
        if isinstance(row, Said)
    ]
    result = schemas.LegacyImportOut(
        as_of=as_of or clock.today(),
        accepted=0,
        unchanged=0,
        rejected=0,
        rejections=[],
        loan_ids={},
    )
    if valid:
        contracts = schemas.LegacyImportIn(as_of=as_of, loans=[row for _, row in valid])
        result = import_loans(session, principal, contracts)
    rejections += [
        schemas.LegacySheetRejection(
            line=valid[r.index][0], external_ref=r.external_ref, reasons=r.reasons
        )
        for r in result.rejections
    ]
    rejections.sort(key=lambda r: r.line)
    if rejections and not import_valid:
        raise rows_in_error(
            len(rejections),
            [{"line": r.line, "reason": "; ".join(r.reasons)} for r in rejections],
        )
    return schemas.LegacySheetImportOut(
        as_of=result.as_of,
        lines=len(rows),
        accepted=result.accepted,
        unchanged=result.unchanged,
        rejected=len(rejections),
        rejections=rejections,
    )
