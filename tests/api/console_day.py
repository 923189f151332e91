"""A county bank's day for the console's tests (issue 28): one county with a loan past due and
its collection case, an application waiting for a reviewer, a contracted loan waiting for its
disbursement, a reassignment waiting for a second person; and a way to sign in as anyone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx

from app.core import clock
from app.core.auth import Role
from tests.api.factories import (
    Origination,
    Person,
    Servicing,
    headers,
    id_number,
    own_county,
)


@dataclass
class Day:
    svc: Servicing
    county: str
    overdue: dict[str, Any]  # the loan past due
    case: dict[str, Any]  # its collection case
    contracted: dict[str, Any]  # signed, not disbursed
    application: str  # submitted and investigated: a reviewer decides it
    household: dict[str, Any]
    person: Person
    officer: str  # the officer's subject

    @property
    def client(self) -> httpx.Client:
        return self.svc.client


def a_county_day(client: httpx.Client) -> Day:
    flow = Origination(client, region=own_county("54"))
    svc = Servicing(flow)
    overdue = svc.active_loan(clock.today())
    contracted = svc.contracted_loan()
    person = Person(id_number(flow.region), name="孙丽华")
    flow.import_roster([person])
    household = flow.household([person])
    flow.rate(household["id"])
    application = flow.apply(household, amount="30000.00", term_months=24).json()["id"]
    assert flow.investigate(application).status_code == 201
    # a month on: the first loan's first instalment is three days past due
    due = date.fromisoformat(svc.schedule(overdue["id"])[0]["due_date"])
    svc.close_through(due + timedelta(days=3))
    cases = client.get(
        "/v1/collection-cases", params={"loan_id": overdue["id"]}, headers=flow.officer
    ).json()["items"]
    colleague = Origination(client, region=flow.region)
    colleague.rate(household["id"])  # an officer the service knows, to take the loans over
    asked = client.post(
        "/v1/officer-reassignments",
        headers=headers(Role.risk_manager, sub=f"risk-{flow.tag}", regions=[flow.region]),
        json={
            "from_officer": f"officer-{flow.tag}",
            "to_officer": f"officer-{colleague.tag}",
            "reason": "客户经理调岗",
        },
    )
    assert asked.status_code in (201, 202), asked.text
    return Day(
        svc=svc,
        county=flow.region,
        overdue=client.get(f"/v1/loans/{overdue['id']}", headers=flow.officer).json(),
        case=cases[0],
        contracted=contracted,
        application=application,
        household=household,
        person=person,
        officer=f"officer-{flow.tag}",
    )


@contextmanager
def signed_in(base: str, subject: str, roles: list[str], regions: str) -> Iterator[httpx.Client]:
    """An HTTP client holding a console session (the development sign-in)."""
    with httpx.Client(base_url=base, timeout=60, headers={"Origin": base}) as browser:
        answer = browser.post(
            "/console/sign-in/development",
            data={"subject": subject, "role": roles, "regions": regions},
        )
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/console/"
        yield browser
