"""`bangfu demo`: one household's loan from the roster to its statement, against a running
server (`make run`) and the core banking simulator (started here if none answers).

Every step prints what it sent and what came back. Business dates move forward through the
end-of-day batch, so the server must allow simulated dates (`make run` does)."""

from __future__ import annotations

import random
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
from stdnum.cn import ric

from app.core import clock
from app.core.auth import Role, issue_token
from app.core.settings import get_settings
from app.households.schemas import EXAMPLE_RATING


class DemoError(RuntimeError):
    pass


class Demo:
    def __init__(self, base_url: str, core_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=120)
        self.core_url = core_url
        self.region = f"52{random.randint(9000, 9999)}"  # a county of the demo's own  # noqa: S311
        self.step = 0

    def token(self, role: Role, sub: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(sub, [role], ['*'])}"}

    def call(
        self,
        title: str,
        method: str,
        path: str,
        who: tuple[Role, str],
        expect: int = 200,
        **kwargs: Any,
    ) -> Any:
        self.step += 1
        answer = self.http.request(
            method, path, headers={**self.token(*who), **kwargs.pop("headers", {})}, **kwargs
        )
        print(
            f"\n[{self.step:02d}] {title}\n     {method} {path} as {who[1]} ({who[0]})"
            f" → {answer.status_code}"
        )
        if answer.status_code != expect:
            raise DemoError(f"expected {expect}: {answer.text[:800]}")
        body = answer.json()
        return body

    def show(self, **fields: Any) -> None:
        for name, value in fields.items():
            print(f"     {name}: {value}")


OFFICER = (Role.loan_officer, "officer-li")
REVIEWER = (Role.credit_reviewer, "reviewer-wang")
# a reviewer with no part in the loan: its application's reviewer may not decide its extension
SECOND_REVIEWER = (Role.credit_reviewer, "reviewer-chen")
RISK = (Role.risk_manager, "risk-zhao")
SECOND_RISK = (Role.risk_manager, "risk-sun")
CORE = (Role.core_banking, "core-banking")
ADMIN = (Role.admin, "ops")


def _id_number(region: str) -> str:
    body = f"{region}19850315{random.randint(100, 999)}"  # noqa: S311
    return body + ric.calc_check_digit(body + "0")


def _ensure_simulator(url: str, spawn: bool) -> subprocess.Popen[bytes] | None:
    try:
        if httpx.get(f"{url}/health", timeout=2).status_code == 200:
            return None
    except httpx.HTTPError:
        pass
    if not spawn:
        raise DemoError(f"no core banking simulator at {url}; run `bangfu core-sim`")
    port = url.rsplit(":", 1)[-1].split("/")[0]
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "core-sim", "--port", port])
    for _ in range(100):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                print(f"started the core banking simulator on {url}")
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    raise DemoError("the simulator did not start")


def run_demo(base_url: str, core_url: str | None, *, spawn_simulator: bool = True) -> int:
    core_url = core_url or get_settings().core_banking_url
    simulator = _ensure_simulator(core_url, spawn_simulator)
    try:
        print(f"server {base_url}, core banking {core_url}")
        _walk(Demo(base_url, core_url))
    except (DemoError, httpx.HTTPError) as exc:
        print(f"\ndemo stopped: {exc}", file=sys.stderr)
        return 1
    finally:
        if simulator is not None:
            simulator.terminate()
            simulator.wait(timeout=10)
    print("\ndemo finished")
    return 0


CONFIRMATION_WAIT_SECONDS = 15


def _await_confirmation(d: Demo, loan_id: str, disbursement_id: str) -> None:
    """Wait for core banking's answer; if it does not come, say why rather than wait on."""
    deadline = time.monotonic() + CONFIRMATION_WAIT_SECONDS
    while time.monotonic() < deadline:
        loan = d.http.get(f"/v1/loans/{loan_id}", headers=d.token(*OFFICER)).json()
        if loan["status"] == "active":
            return
        time.sleep(0.2)
    state = d.http.get(f"/v1/disbursements/{disbursement_id}", headers=d.token(*OFFICER)).json()
    raise DemoError(_why_unconfirmed(state, d.core_url))


def _why_unconfirmed(state: dict[str, Any], core_url: str) -> str:
    delivery, attempts = state.get("delivery_status"), state.get("delivery_attempts", 0)
    if delivery == "pending" and not attempts:
        return (
            "the instruction was never sent: no outbox worker is running"
            " (`make run` runs one in the server; otherwise start `bangfu worker`)"
        )
    if delivery in ("pending", "failed"):
        return (
            f"core banking at {core_url} did not take the instruction after {attempts}"
            f" attempt(s): {state.get('last_error')} (CORE_BANKING_URL)"
        )
    transfer = next(
        (t for t in _simulator_transfers(core_url) if t.get("instruction_id") == state.get("id")),
        None,
    )
    if transfer is not None and transfer.get("callback_error"):
        return (
            "core banking made the transfer, but its confirmation could not reach the server at"
            f" {transfer.get('callback_url')} ({transfer['callback_error']}): the server's"
            " PUBLIC_BASE_URL must be an address core banking can call"
        )
    return (
        f"core banking took the instruction ({delivery}) but no confirmation has arrived in"
        f" {CONFIRMATION_WAIT_SECONDS} s; see GET {core_url}/transfers"
    )


def _simulator_transfers(core_url: str) -> list[dict[str, Any]]:
    try:
        return list(httpx.get(f"{core_url}/transfers", timeout=2).json()["transfers"])
    except (httpx.HTTPError, ValueError, KeyError):
        return []


def _walk(d: Demo) -> None:
    """A household's loan from the roster to its statement, chapter by chapter."""
    today = clock.today()
    person = _id_number(d.region)
    print(f"Bangfu guided demo: county {d.region}, business date {today}")
    _roster_and_programme(d, today, person)
    loan = _origination(d, today, person)
    second = _disbursement_and_first_instalment(d, loan)
    second_due = _late_and_collected(d, loan, second)
    _monitoring_and_extension(d, loan, second_due)
    _statement(d, loan)


def _roster_and_programme(d: Demo, today: date, person: str) -> None:
    csv = (
        "id_number,name,household_number,region_code,category,listed_date,removed_date\n"
        f"{person},张三,HH{d.region}01,{d.region},monitoring_target,2025-01-15,\n"
    )
    imported = d.call(
        "Import the roster (the agriculture department's list)",
        "POST",
        "/v1/roster/imports",
        RISK,
        201,
        content=csv.encode(),
        headers={"content-type": "text/csv"},
    )
    d.show(accepted=imported["accepted"], warnings=len(imported["warnings"]))
    programme = d.call(
        "The county's local subsidy programme (1.6): contracts take it, never a typed figure",
        "POST",
        "/v1/subsidy-programmes",
        RISK,
        201,
        json={
            "region_prefix": d.region,
            "name": "县级帮扶小额信贷地方贴息",
            "basis": "rate_points",
            "value": "0.01",
            "effective_from": today.isoformat(),
            "reason": "县财政局贴息文件（演示）",
        },
    )
    waiting = d.call(
        "It moves money, so it waits for a second risk manager",
        "GET",
        "/v1/decisions?kind=subsidy_programme&limit=200",
        SECOND_RISK,
    )
    (request,) = [r for r in waiting["items"] if r["subject_id"] == programme["id"]]
    d.call(
        "The second risk manager puts it in force (four eyes, 1.6)",
        "POST",
        f"/v1/decisions/{request['id']}/decision",
        SECOND_RISK,
        json={"outcome": "approve", "note": "与县财政局文件一致"},
    )
    d.show(local_subsidy=f"{programme['value']} ({programme['basis']})")


def _registered_and_rated(d: Demo, person: str) -> dict[str, Any]:
    """The household registered (its members masked) and rated with its reasons."""
    household = d.call(
        "Register the household (ID numbers are encrypted, shown masked)",
        "POST",
        "/v1/households",
        OFFICER,
        201,
        json={
            "region_code": d.region,
            "address": "某乡某村3组12号",
            "disbursement_account": "6217001234567890123",
            "members": [
                {"name": "张三", "id_number": person, "relation": "head", "phone": "13812345678"}
            ],
        },
    )
    d.show(roster_status=household["roster_status"], member=household["members"][0]["id_number"])

    rating = d.call(
        "Rate the household (scorecard with reasons)",
        "POST",
        f"/v1/households/{household['id']}/ratings",
        OFFICER,
        201,
        json=EXAMPLE_RATING,
    )
    d.show(grade=rating["grade"], score=rating["score"], credit_limit=rating["credit_limit"])
    return dict(household)


def _origination(d: Demo, today: date, person: str) -> dict[str, Any]:
    """Register, rate, apply, investigate, decide, sign: the loan as signed."""
    household = _registered_and_rated(d, person)
    application = d.call(
        "Apply: 30,000 for 12 months to raise cattle",
        "POST",
        "/v1/applications",
        OFFICER,
        201,
        json={
            "household_id": household["id"],
            "applicant_member_id": household["members"][0]["id"],
            "amount": "30000.00",
            "term_months": 12,
            "purpose": "livestock",
            "purpose_detail": "购入西门塔尔牛5头",
            "repayment_method": "equal_installment",
        },
    )
    d.show(
        eligible=application["eligibility"]["eligible"],
        rules=", ".join(f"{r['code']}({r['clause']})" for r in application["eligibility"]["rules"]),
    )
    d.call(
        "Pre-loan investigation (clause 4.1)",
        "POST",
        f"/v1/applications/{application['id']}/investigations",
        OFFICER,
        201,
        json={
            "visited_on": today.isoformat(),
            "investigators": ["李四", "王五"],
            "project_findings": "牛舍已建成",
            "need_is_genuine": True,
            "project_is_lawful": True,
        },
    )
    decided = d.call(
        "Decision by a second person (maker-checker)",
        "POST",
        f"/v1/applications/{application['id']}/decision",
        REVIEWER,
        json={
            "decision": {
                "outcome": "approve",
                "amount": "30000.00",
                "term_months": 12,
                "annual_rate": "0.0435",
                "repayment_method": "equal_installment",
            }
        },
    )
    d.show(status=decided["status"])
    contract = d.call(
        "Sign the contract: rate and subsidy fixed for life",
        "POST",
        f"/v1/applications/{application['id']}/contract",
        OFFICER,
        201,
        json={},
    )
    loan = contract["loan"]
    d.show(
        loan=loan["id"],
        central_subsidy_rate=loan["central_subsidy_rate"],
        local_subsidy_rate=loan["local_subsidy_rate"],
        first_payment=contract["schedule_preview"][0]["payment"],
    )
    return dict(loan)


def _disbursement_and_first_instalment(d: Demo, loan: dict[str, Any]) -> dict[str, Any]:
    """Paid out through core banking, the schedule fixed, the first instalment paid on time;
    the second instalment's row."""
    disbursement = d.call(
        "Disburse through core banking (outbox, Idempotency-Key)",
        "POST",
        f"/v1/loans/{loan['id']}/disbursements",
        OFFICER,
        201,
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    d.show(disbursement=disbursement["status"])
    _await_confirmation(d, loan["id"], disbursement["id"])
    state = d.call(
        "Core banking confirmed: the loan is active", "GET", f"/v1/loans/{loan['id']}", OFFICER
    )
    d.show(status=state["status"], value_date=state["value_date"])

    schedule = d.call(
        "The schedule fixed from the value date", "GET", f"/v1/loans/{loan['id']}/schedule", OFFICER
    )["instalments"]
    first, second = schedule[0], schedule[1]
    first_due = date.fromisoformat(first["due_date"])
    _close(d, first_due - timedelta(days=1))
    paid = d.call(
        "Core banking posts the first instalment on its due date",
        "POST",
        f"/v1/loans/{loan['id']}/repayments",
        CORE,
        201,
        json={
            "core_transaction_id": f"CBS-{uuid.uuid4().hex[:12]}",
            "amount": f"{Decimal(first['principal_due']) + Decimal(first['interest_due']):.2f}",
            "value_date": first["due_date"],
        },
    )
    d.show(interest=paid["interest_due"], principal=paid["principal_due"])
    return dict(second)


def _late_and_collected(d: Demo, loan: dict[str, Any], second: dict[str, Any]) -> date:
    """Five days late on the second instalment: the collection case, a promise, the payment;
    the second instalment's due date."""
    second_due = date.fromisoformat(second["due_date"])
    _close(d, second_due + timedelta(days=5))
    late = d.call(
        "Five days late on the second instalment", "GET", f"/v1/loans/{loan['id']}", OFFICER
    )
    d.show(
        days_past_due=late["days_past_due"],
        risk_class=late["risk_class"],
        penalty=late["penalty_outstanding"],
    )
    owed = (
        Decimal(late["penalty_outstanding"])
        + Decimal(late["overdue_principal"])
        + Decimal(late["overdue_interest"])
    )
    queue = d.call(
        "The officer's work queue: the overdue loan's collection case (4.3)",
        "GET",
        "/v1/collections/work-queue",
        OFFICER,
    )
    (work,) = [i for i in queue["items"] if i["case"]["loan_id"] == loan["id"]]
    case_id = work["case"]["id"]
    d.show(bucket=work["case"]["bucket"], why=work["reasons"], do=work["case"]["suggested_actions"])
    d.call(
        "A visit with the village committee; the borrower promises to pay tomorrow",
        "POST",
        f"/v1/collection-cases/{case_id}/actions",
        OFFICER,
        201,
        json={
            "kind": "village_committee",
            "participants": [
                {"role": "borrower", "name": "王某"},
                {"role": "village_committee", "name": "村支书刘某"},
            ],
            "findings": ["hardship", "willing_to_pay"],
            "notes": "饲料款周转紧张，明日卖牛后还款",
            "next_step": "次日确认到账",
        },
    )
    d.call(
        "The promise to pay, recorded",
        "POST",
        f"/v1/collection-cases/{case_id}/promises",
        OFFICER,
        201,
        json={"promised_on": late["business_date"], "amount": f"{owed:.2f}"},
    )
    d.call(
        "Core banking posts it with the penalty",
        "POST",
        f"/v1/loans/{loan['id']}/repayments",
        CORE,
        201,
        json={
            "core_transaction_id": f"CBS-{uuid.uuid4().hex[:12]}",
            "amount": f"{owed:.2f}",
            "value_date": (second_due + timedelta(days=6)).isoformat(),
        },
    )
    _close(d, second_due + timedelta(days=6))
    case = d.call(
        "Paid: the batch keeps the promise and closes the case",
        "GET",
        f"/v1/collection-cases/{case_id}",
        OFFICER,
    )
    d.show(
        closed_on=case["closed_on"],
        close_reason=case["close_reason"],
        promise=case["promises"][0]["status"],
    )
    return second_due


def _monitoring_and_extension(d: Demo, loan: dict[str, Any], second_due: date) -> None:
    d.call(
        "Post-loan monitoring visit (clause 4.2)",
        "POST",
        f"/v1/loans/{loan['id']}/monitoring-visits",
        OFFICER,
        201,
        json={
            "visited_on": (second_due + timedelta(days=6)).isoformat(),
            "finding": "as_declared",
            "notes": "存栏7头，长势良好",
        },
    )
    d.call(
        "The officer asks for a 6-month extension",
        "POST",
        f"/v1/loans/{loan['id']}/extension",
        OFFICER,
        201,
        json={"months": 6, "reason": "牛价下行，延后出栏"},
    )
    extended = d.call(
        "A reviewer who had no part in the loan grants it (once per loan, 2.3; 4.1)",
        "POST",
        f"/v1/loans/{loan['id']}/extension/decision",
        SECOND_REVIEWER,
        json={"outcome": "approve"},
    )
    d.show(status=extended["status"], restructuring=extended["restructuring"])
    _close(d, second_due + timedelta(days=30))


def _statement(d: Demo, loan: dict[str, Any]) -> None:
    statement = d.call("Statement", "GET", f"/v1/loans/{loan['id']}", OFFICER)
    d.show(
        **{
            k: statement[k]
            for k in (
                "status",
                "principal",
                "principal_outstanding",
                "maturity_date",
                "days_past_due",
                "risk_class",
                "interest_accrued",
                "central_subsidy_to_date",
                "local_subsidy_to_date",
                "penalty_accrued",
                "business_date",
            )
        }
    )
    rows = d.call("Schedule", "GET", f"/v1/loans/{loan['id']}/schedule", OFFICER)
    for row in rows["instalments"]:
        print(
            f"     {row['number']:>2} {row['due_date']} principal {row['principal_due']:>9}"
            f" interest {row['interest_due']:>7} principal paid {row['principal_paid']:>9}"
            f" {row['status']}"
        )
    region = d.call("The county's figures (clause 4.3)", "GET", f"/v1/regions/{d.region}", RISK)
    d.show(figures=region["figures"], alert=region["alert"])


def _close(d: Demo, day: date) -> None:
    result = d.call(
        f"End of day through {day}",
        "POST",
        "/v1/batches/eod",
        ADMIN,
        json={"business_date": day.isoformat(), "regions": [d.region]},
    )
    d.show(region_days=result["region_days"], seconds=result["seconds"])
