"""Builders for origination scenarios over HTTP: valid ID numbers, a roster, households,
ratings, applications, decisions and contracts."""

from __future__ import annotations

import itertools
import random
import threading
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import psycopg
from stdnum.cn import ric

from app.core import clock
from app.core.auth import Role, issue_token
from app.households.schemas import EXAMPLE_RATING

COUNTY = "520102"  # 贵阳市南明区, known to python-stdnum
_COUNTIES = itertools.count(random.randint(0, 5000))


def own_county(prefix: str) -> str:
    """A county code no other test in this run uses: its business dates are the test's own."""
    return f"{prefix}{next(_COUNTIES) % 10000:04d}"


_issued: set[str] = set()
_issuing = threading.Lock()


def id_number(region: str = COUNTY, birth: date | None = None) -> str:
    """A valid ID number not issued before in this process: a repeat is a real duplicate to
    the service (409), and at a few thousand numbers a random draw repeats often enough."""
    while True:
        born = birth or clock.today() - timedelta(days=365 * 40 + random.randint(0, 3000))
        body = f"{region}{born:%Y%m%d}{random.randint(0, 999):03d}"
        number = body + ric.calc_check_digit(body + "0")
        with _issuing:
            if number not in _issued:
                _issued.add(number)
                return number


def phone() -> str:
    return f"13{random.randint(0, 999_999_999):09d}"


def headers(*roles: Role, sub: str, regions: list[str] | None = None) -> dict[str, str]:
    token = issue_token(sub, roles, regions or ["*"])
    return {"Authorization": f"Bearer {token}"}


def roster_csv(rows: list[dict[str, str]]) -> str:
    columns = [
        "id_number",
        "name",
        "household_number",
        "region_code",
        "category",
        "listed_date",
        "removed_date",
    ]
    lines = [",".join(columns)]
    lines += [",".join(row.get(c, "") for c in columns) for row in rows]
    return "\n".join(lines) + "\n"


def approve_programme(client: httpx.Client, programme_id: str) -> None:
    """A second risk manager puts a recorded programme in force (the one decision mechanism)."""
    second = headers(Role.risk_manager, sub="risk-programmes")
    waiting = client.get(
        "/v1/decisions", params={"kind": "subsidy_programme", "limit": 200}, headers=second
    ).json()["items"]
    (request,) = [r for r in waiting if r["subject_id"] == programme_id]
    decided = client.post(
        f"/v1/decisions/{request['id']}/decision", headers=second, json={"outcome": "approve"}
    )
    assert decided.status_code == 200, decided.text


def decide_as_second_risk_manager(client: httpx.Client, response: httpx.Response) -> None:
    """A request answered 202 with its `Location`, approved by another risk manager."""
    assert response.status_code == 202, response.text
    decided = client.post(
        f"{response.headers['location']}/decision",
        headers=headers(Role.risk_manager, sub="risk-second"),
        json={"outcome": "approve"},
    )
    assert decided.status_code == 200, decided.text


@dataclass
class Person:
    id_number: str
    name: str = "张三"
    phone: str = field(default_factory=phone)


_programmes: set[str] = set()
_programmes_lock = threading.Lock()
LOCAL_SUBSIDY_POINTS = "0.01"  # the local programme every test county gets (1.6)


def application_body(household: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A submission for the household's first member."""
    return {
        "household_id": household["id"],
        "applicant_member_id": household["members"][0]["id"],
        "amount": "50000.00",
        "term_months": 12,
        "purpose": "livestock",
        "purpose_detail": "扩大肉牛养殖",
        "repayment_method": "equal_installment",
        **overrides,
    }


@dataclass
class Origination:
    """One scenario: officer A submits and signs, reviewer B decides."""

    client: httpx.Client
    region: str = COUNTY
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    # One roster household number per group of people (1.1: one bank household each).
    households: dict[str, str] = field(default_factory=dict)

    def roster_household(self, people: list[Person]) -> str:
        key = people[0].id_number
        return self.households.setdefault(key, f"HH{self.tag}-{len(self.households)}")

    def ensure_programme(self) -> None:
        """The county's local subsidy programme: a rate_points programme of 1 point."""
        with _programmes_lock:
            if self.region in _programmes:
                return
            response = self.client.post(
                "/v1/subsidy-programmes",
                headers=self.risk,
                json={
                    "region_prefix": self.region,
                    "name": "test county programme",
                    "basis": "rate_points",
                    "value": LOCAL_SUBSIDY_POINTS,
                    "effective_from": clock.today().isoformat(),
                    "reason": "tests",
                },
            )
            assert response.status_code == 201, response.text
            approve_programme(self.client, response.json()["id"])
            _programmes.add(self.region)

    @property
    def officer(self) -> dict[str, str]:
        return headers(Role.loan_officer, sub=f"officer-{self.tag}", regions=[self.region[:4]])

    @property
    def reviewer(self) -> dict[str, str]:
        return headers(Role.credit_reviewer, sub=f"reviewer-{self.tag}", regions=[self.region[:4]])

    @property
    def second_reviewer(self) -> dict[str, str]:
        """A reviewer who had no part in the loan (4.1): its application's reviewer may not
        decide its renewal or extension."""
        return headers(
            Role.credit_reviewer, sub=f"reviewer-2-{self.tag}", regions=[self.region[:4]]
        )

    @property
    def risk(self) -> dict[str, str]:
        return headers(Role.risk_manager, sub=f"risk-{self.tag}")

    def import_roster(
        self,
        people: list[Person],
        *,
        removed_on: date | None = None,
        category: str = "monitoring_target",
        household_number: str | None = None,
        one_household_each: bool = False,
    ) -> dict[str, Any]:
        """List `people` as one roster household (or, `one_household_each`, each as their own)."""
        number = household_number or self.roster_household(people)
        csv = roster_csv(
            [
                {
                    "id_number": p.id_number,
                    "name": p.name,
                    "household_number": self.roster_household([p])
                    if one_household_each
                    else number,
                    "region_code": self.region,
                    "category": category,
                    "listed_date": "2025-01-15",
                    "removed_date": removed_on.isoformat() if removed_on else "",
                }
                for p in people
            ]
        )
        response = self.client.post(
            "/v1/roster/imports",
            content=csv.encode(),
            headers={**self.risk, "content-type": "text/csv"},
        )
        assert response.status_code == 201, response.text
        return response.json()

    def household(self, people: list[Person]) -> dict[str, Any]:
        response = self.client.post(
            "/v1/households",
            headers=self.officer,
            json={
                "region_code": self.region,
                "address": "南明区某村3组12号",
                "disbursement_account": "6217001234567890123",
                "members": [
                    {
                        "name": p.name,
                        "id_number": p.id_number,
                        "phone": p.phone,
                        "relation": "head" if i == 0 else "spouse",
                    }
                    for i, p in enumerate(people)
                ],
            },
        )
        assert response.status_code == 201, response.text
        return response.json()

    def rate(self, household_id: str, **overrides: Any) -> dict[str, Any]:
        body = {**EXAMPLE_RATING, **overrides}
        response = self.client.post(
            f"/v1/households/{household_id}/ratings", json=body, headers=self.officer
        )
        assert response.status_code == 201, response.text
        return response.json()

    def apply(self, household: dict[str, Any], **overrides: Any) -> httpx.Response:
        body = application_body(household, **overrides)
        return self.client.post("/v1/applications", json=body, headers=self.officer)

    def investigate(self, application_id: str, **overrides: Any) -> httpx.Response:
        body = {
            "visited_on": clock.today().isoformat(),
            "investigators": ["李四", "王五"],
            "project_findings": "牛舍已建成，存栏5头",
            "need_is_genuine": True,
            "project_is_lawful": True,
            **overrides,
        }
        return self.client.post(
            f"/v1/applications/{application_id}/investigations", json=body, headers=self.officer
        )

    def approve(
        self, application_id: str, *, by: dict[str, str] | None = None, **overrides: Any
    ) -> httpx.Response:
        decision = {
            "outcome": "approve",
            "amount": "50000.00",
            "term_months": 12,
            "annual_rate": "0.0435",
            "repayment_method": "equal_installment",
            **overrides,
        }
        self.ensure_programme()
        return self.client.post(
            f"/v1/applications/{application_id}/decision",
            json={"decision": decision},
            headers=by or self.reviewer,
        )

    def sign(self, application_id: str) -> httpx.Response:
        return self.client.post(
            f"/v1/applications/{application_id}/contract", json={}, headers=self.officer
        )

    def ready_household(self, n_people: int = 1) -> tuple[list[Person], dict[str, Any]]:
        """Listed on the roster, registered and rated."""
        people = [Person(id_number(self.region)) for _ in range(n_people)]
        self.import_roster(people)
        household = self.household(people)
        self.rate(household["id"])
        return people, household

    def approved_application(self, household: dict[str, Any], **apply: Any) -> str:
        submitted = self.apply(household, **apply)
        assert submitted.status_code == 201, submitted.text
        application_id = submitted.json()["id"]
        assert self.investigate(application_id).status_code == 201
        approved = self.approve(
            application_id,
            amount=apply.get("amount", "50000.00"),
            term_months=apply.get("term_months", 12),
        )
        assert approved.status_code == 200, approved.text
        return str(application_id)


@dataclass
class Servicing:
    """A loan taken to `active`, and the batch and core banking acting on its region."""

    flow: Origination

    @property
    def client(self) -> httpx.Client:
        return self.flow.client

    @property
    def core(self) -> dict[str, str]:
        return headers(Role.core_banking, sub="core-banking")

    @property
    def admin(self) -> dict[str, str]:
        return headers(Role.admin, sub="ops")

    def contracted_loan(self, **approve: Any) -> dict[str, Any]:
        _, household = self.flow.ready_household()
        submitted = self.flow.apply(
            household,
            amount=approve.get("amount", "12000.00"),
            term_months=approve.get("term_months", 12),
        )
        application_id = submitted.json()["id"]
        assert self.flow.investigate(application_id).status_code == 201
        decided = self.flow.approve(application_id, **{"amount": "12000.00", **approve})
        assert decided.status_code == 200, decided.text
        signed = self.flow.sign(application_id)
        assert signed.status_code == 201, signed.text
        return dict(signed.json()["loan"])

    def disburse(self, loan_id: str, value_date: date) -> dict[str, Any]:
        requested = self.client.post(
            f"/v1/loans/{loan_id}/disbursements",
            headers={**self.flow.officer, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert requested.status_code == 201, requested.text
        confirmed = self.client.post(
            f"/v1/disbursements/{requested.json()['id']}/confirmation",
            headers=self.core,
            json={
                "status": "succeeded",
                "core_transaction_id": f"D-{uuid.uuid4()}",
                "value_date": value_date.isoformat(),
            },
        )
        assert confirmed.status_code == 200, confirmed.text
        return dict(confirmed.json())

    def active_loan(self, value_date: date | None = None, **approve: Any) -> dict[str, Any]:
        loan = self.contracted_loan(**approve)
        self.disburse(loan["id"], value_date or clock.today())
        return self.loan(loan["id"])

    def loan(self, loan_id: str) -> dict[str, Any]:
        response = self.client.get(f"/v1/loans/{loan_id}", headers=self.core)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def schedule(self, loan_id: str) -> list[dict[str, Any]]:
        response = self.client.get(f"/v1/loans/{loan_id}/schedule", headers=self.core)
        assert response.status_code == 200, response.text
        return list(response.json()["instalments"])

    def close_through(self, day: date) -> dict[str, Any]:
        response = self.client.post(
            "/v1/batches/eod",
            headers=self.admin,
            json={"business_date": day.isoformat(), "regions": [self.flow.region]},
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def repay(
        self, loan_id: str, amount: str, value_date: date, txn: str | None = None
    ) -> httpx.Response:
        return self.client.post(
            f"/v1/loans/{loan_id}/repayments",
            headers=self.core,
            json={
                "core_transaction_id": txn or f"R-{uuid.uuid4()}",
                "amount": amount,
                "value_date": value_date.isoformat(),
            },
        )


def applications_of(database_url: str, household_id: str) -> int:
    """How many applications the household has in the database."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM applications WHERE household_id = %s", (household_id,)
        ).fetchone()
    assert row is not None
    return int(row[0])
