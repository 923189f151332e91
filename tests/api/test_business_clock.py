"""Issue 15 (in part): one business clock. Ratings, visits, investigations, eligibility and the
loan view take the county's business date, never the wall clock: a 12-month loan can be
renewed at maturity under simulated dates."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from app.core import clock
from tests.api.factories import Origination, Person, Servicing, id_number, own_county


@pytest.fixture()
def svc(client: httpx.Client) -> Servicing:
    return Servicing(Origination(client, region=own_county("51")))


def test_a_twelve_month_loan_is_renewed_at_maturity_on_the_countys_date(svc: Servicing) -> None:
    loan = svc.active_loan(
        clock.today(), term_months=12, repayment_method="interest_then_principal"
    )
    rows = svc.schedule(loan["id"])
    for row in rows:
        due = date.fromisoformat(row["due_date"])
        svc.close_through(due - timedelta(days=1))
        assert svc.repay(loan["id"], row["interest_due"], due).status_code == 201
    maturity = date.fromisoformat(rows[-1]["due_date"])
    assert svc.loan(loan["id"])["business_date"] == maturity.isoformat()

    # a year on, the rating has lapsed; the new one runs from the county's date
    rating = svc.flow.rate(loan["household_id"])
    assert rating["valid_from"] == maturity.isoformat()
    # a visit on the county's date (a year after the wall clock's) is not "in the future"
    visit = svc.client.post(
        f"/v1/loans/{loan['id']}/monitoring-visits",
        headers=svc.flow.officer,
        json={"visited_on": maturity.isoformat(), "finding": "as_declared"},
    )
    assert visit.status_code == 201, visit.text
    asked = svc.client.post(
        f"/v1/loans/{loan['id']}/renewal",
        headers=svc.flow.officer,
        json={"term_months": 12, "repayment_method": "interest_then_principal", "reason": "续养"},
    )
    assert asked.status_code == 201, asked.text
    decided = svc.client.post(
        f"/v1/loans/{loan['id']}/renewal/decision",
        headers=svc.flow.second_reviewer,
        json={"outcome": "approve", "annual_rate": "0.04"},
    )
    assert decided.status_code == 200, decided.text
    new = svc.loan(decided.json()["new_loan_id"])
    assert (new["signed_on"], new["value_date"]) == (maturity.isoformat(), maturity.isoformat())


def test_an_application_is_dated_by_its_countys_business_date(svc: Servicing) -> None:
    svc.active_loan(clock.today())  # the county's calendar starts today
    svc.close_through(clock.today() + timedelta(days=40))
    _, household = svc.flow.ready_household()
    submitted = svc.flow.apply(household)
    assert submitted.status_code == 201, submitted.text
    county_day = (clock.today() + timedelta(days=41)).isoformat()
    assert submitted.json()["application_date"] == county_day
    assert submitted.json()["eligibility"]["evaluated_on"] == county_day


def test_the_consoles_forms_default_to_the_countys_business_date(
    svc: Servicing, live_server: str
) -> None:
    """Issue 27: with the county's date ahead of the nation's, the console's visit and
    investigation forms offer the county's day, not the wall clock's."""
    loan = svc.active_loan(clock.today())
    ahead = clock.today() + timedelta(days=40)
    svc.close_through(ahead - timedelta(days=1))
    assert svc.loan(loan["id"])["business_date"] == ahead.isoformat()
    desk = httpx.Client(base_url=live_server, follow_redirects=False)
    signed = desk.post(
        "/console/sign-in/development",
        data={"subject": "officer-clock", "role": ["loan_officer"], "regions": svc.flow.region},
        headers={"Origin": live_server},
    )
    assert signed.status_code == 303
    page = desk.get(f"/console/loans/{loan['id']}")
    # a text field (dates as people write them), filled with the county's business date
    assert f'name="visited_on" required value="{ahead.isoformat()}"' in page.text
    people = [Person(id_number(svc.flow.region))]
    svc.flow.import_roster(people)
    household = svc.flow.household(people)
    svc.flow.rate(household["id"])
    application = svc.flow.apply(household)
    assert application.status_code == 201, application.text
    page = desk.get(f"/console/applications/{application.json()['id']}")
    assert f'value="{ahead.isoformat()}"' in page.text
    desk.close()
