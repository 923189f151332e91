"""Answers unchanged, byte for byte (issue 29): a loan's life through the API, from the roster to
collections and the reports, with every answer compared with the one recorded before the
service was made faster (tests/api/recorded/answers.json).

What varies from run to run is replaced before comparing, and nothing else: ids (numbered by
first appearance), timestamps, and the per-request ids a problem carries. Everything else
(field order, number formatting, every amount, every date, every list's order) must be the
recorded bytes. `RECORD_ANSWERS=1` records them anew, only when a change of an answer is meant.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date, timedelta
from pathlib import Path

import httpx
from stdnum.cn import ric

from app.core.auth import Role
from tests.api.factories import Origination, Person, Servicing, headers

RECORDED = Path(__file__).with_name("recorded") / "answers.json"
COUNTY = "569901"
START = date(2027, 3, 10)

_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIMESTAMP = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)?")
# how long the batch took, in its answer
_SECONDS = re.compile(rb'"seconds":[0-9.e-]+')


def _id_number(born: date, sequence: int) -> str:
    body = f"{COUNTY}{born:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


class Recorder:
    """Every answer the client receives, with what varies replaced by stable names."""

    def __init__(self) -> None:
        self.answers: list[dict[str, object]] = []
        self._ids: dict[bytes, bytes] = {}

    def _named(self, found: re.Match[bytes]) -> bytes:
        return self._ids.setdefault(found.group(0), b"<id %d>" % (len(self._ids) + 1))

    def normalised(self, raw: bytes) -> str:
        text = _UUID.sub(self._named, raw)
        text = _SECONDS.sub(b'"seconds":"<seconds>"', text)
        return _TIMESTAMP.sub(b"<timestamp>", text).decode()

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        if response.request.url.path == "/v1/decisions":
            return  # the programme's approval looks it up among every pending decision
        self.answers.append(
            {
                "request": response.request.method
                + " "
                + self.normalised(bytes(response.request.url.raw_path)),
                "status": response.status_code,
                "type": response.headers.get("content-type", ""),
                "body": self.normalised(response.content),
            }
        )


def a_loans_life(client: httpx.Client) -> None:
    """From the roster to a case in collections, with the reads people make on the way."""
    flow = Origination(client, region=COUNTY, tag="rec29")
    svc = Servicing(flow)
    auditor = headers(Role.auditor, sub="auditor-rec29")
    people = [Person(_id_number(date(1985, 5, 10), 101), "王秀英", "13800000001")]
    flow.import_roster(people)
    household = flow.household(people)
    flow.rate(household["id"])
    client.get(f"/v1/households/{household['id']}", headers=flow.officer)
    application_id = flow.approved_application(household, amount="30000.00")
    client.get(f"/v1/applications/{application_id}", headers=flow.officer)
    signed = flow.sign(application_id)
    loan_id = signed.json()["loan"]["id"]
    number = signed.json()["loan"]["contract_number"]
    svc.disburse(loan_id, START)

    def reads() -> None:
        client.get(f"/v1/loans/{loan_id}", headers=flow.officer)
        client.get(f"/v1/loans/{loan_id}/schedule", headers=flow.officer)
        client.get(f"/v1/loans/{loan_id}", headers=auditor)
        client.get("/v1/loans", params={"contract_number": number}, headers=auditor)
        client.get("/v1/loans", params={"region": COUNTY, "totals": "true"}, headers=auditor)
        client.get(
            "/v1/loans",
            params={"region": COUNTY, "status": "active", "sort": "-principal_outstanding"},
            headers=flow.officer,
        )
        client.get(f"/v1/loans/{loan_id}/repayments", headers=flow.officer)
        client.get(f"/v1/regions/{COUNTY}", headers=flow.officer)

    reads()
    svc.close_through(START)
    assert svc.repay(loan_id, "1000.00", date(2027, 3, 11), txn="R-rec29-1").status_code == 201
    reads()
    first_due = date.fromisoformat(svc.schedule(loan_id)[0]["due_date"])
    svc.close_through(first_due + timedelta(days=3))  # the first instalment is past due
    reads()
    client.get("/v1/collection-cases", params={"loan_id": loan_id}, headers=flow.officer)
    client.get("/v1/collections/work-queue", headers=flow.officer)
    client.get(f"/v1/collections/counties/{COUNTY}", headers=flow.officer)
    client.get(
        "/v1/reports/portfolio-quality",
        params={"as_of": first_due.isoformat(), "region": COUNTY},
        headers=auditor,
    )
    client.get(
        "/v1/reports/subsidy-claims",
        params={"period": "2027-03", "region": COUNTY},
        headers=auditor,
    )


def test_every_answer_is_the_recorded_one(client: httpx.Client) -> None:
    recorder = Recorder()
    client.event_hooks["response"].append(recorder)
    try:
        a_loans_life(client)
    finally:
        client.event_hooks["response"].remove(recorder)
    if os.environ.get("RECORD_ANSWERS"):
        RECORDED.parent.mkdir(exist_ok=True)
        RECORDED.write_text(json.dumps(recorder.answers, ensure_ascii=False, indent=1) + "\n")
    recorded = json.loads(RECORDED.read_text())
    assert len(recorder.answers) == len(recorded)
    for now, then in zip(recorder.answers, recorded, strict=True):
        assert now == then
