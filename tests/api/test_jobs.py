"""Long work as jobs: a request answers 202 with the job's URL; a worker runs it; the job shows
status, progress, timings, the result and row errors, and who started it."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from typing import Any

import httpx
import psycopg

from app.cli import _load_job_handlers
from app.core import clock
from app.core.auth import Role
from app.jobs import queue
from app.reports.periods import parse
from tests.api.factories import (
    Origination,
    Servicing,
    headers,
    id_number,
    own_county,
    roster_csv,
)
from tests.api.test_foundation import assert_problem

ASYNC = {"Prefer": "respond-async"}

# A job's file as stored: its number of sealed parts, and the parts end to end.
_SEALED_FILE = """
SELECT payload_parts,
       (SELECT string_agg(sealed, ''::bytea ORDER BY part) FROM job_payload_parts p
        WHERE p.job_id = jobs.id)
FROM jobs WHERE id = %s
"""


def run_queued_jobs() -> None:
    """What `bangfu jobs --until-idle` does: run every queued job, then return."""
    _load_job_handlers()
    queue.work(until_idle=True, install_signal_handlers=False)


def started(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["location"] == body["url"] == f"/v1/jobs/{body['id']}"
    assert response.headers["preference-applied"] == "respond-async"
    assert body["status"] == "queued" and body["started_at"] is None
    return body


def roster_rows(region: str, good: int) -> list[dict[str, str]]:
    return [
        {
            "id_number": id_number(region),
            "name": f"户主{i}",
            "household_number": f"HH-{uuid.uuid4().hex[:10]}",
            "region_code": region,
            "category": "monitoring_target",
            "listed_date": "2025-01-15",
        }
        for i in range(good)
    ]


def test_a_roster_import_as_a_job_shows_progress_result_and_row_errors(
    client: httpx.Client, database_url: str
) -> None:
    region = own_county("52")
    rows = roster_rows(region, 2500)
    rows[10]["category"] = "rich"  # line 12
    rows[2000]["listed_date"] = "not a date"  # line 2002
    file = roster_csv(rows).encode()
    risk = headers(Role.risk_manager, sub="risk-jobs", regions=[region])
    job = started(
        client.post(
            "/v1/roster/imports?on_errors=import_valid",
            content=file,
            headers={**risk, **ASYNC, "content-type": "text/csv"},
        )
    )
    assert job["kind"] == "roster_import" and job["started_by"] == "risk-jobs"
    assert job["progress"] == {"done": 0, "total": 2500, "unit": "rows", "percent": 0.0}
    # Waiting in the queue: nothing imported yet, and the file is not kept in the clear.
    with psycopg.connect(database_url) as conn:
        listed = conn.execute(
            "SELECT count(*) FROM roster_entries WHERE region_code = %s", (region,)
        ).fetchone()
        sealed = conn.execute(_SEALED_FILE, (job["id"],)).fetchone()
    assert listed == (0,)
    assert sealed is not None and sealed[0] == 1  # a small file: one part of a megabyte
    assert rows[0]["id_number"].encode() not in bytes(sealed[1])
    assert client.get(job["url"], headers=risk).json()["status"] == "queued"

    run_queued_jobs()

    done = client.get(job["url"], headers=risk).json()
    assert done["status"] == "succeeded", done
    assert done["progress"] == {"done": 2500, "total": 2500, "unit": "rows", "percent": 100.0}
    assert done["attempts"] == 1
    assert done["waited_seconds"] >= 0 and done["ran_seconds"] > 0
    assert done["finished_at"] >= done["started_at"] >= done["created_at"]
    assert done["result"]["accepted"] == 2498 and done["result"]["rejected"] == 2
    assert done["row_error_count"] == 2
    assert [e["line"] for e in done["row_errors"]] == [12, 2002]
    assert all(e["reason"] for e in done["row_errors"])
    with psycopg.connect(database_url) as conn:
        listed = conn.execute(
            "SELECT count(*) FROM roster_entries WHERE region_code = %s", (region,)
        ).fetchone()
        payload = conn.execute(_SEALED_FILE, (job["id"],)).fetchone()
    assert listed == (2498,)
    assert payload == (None, None)  # the upload is dropped once the job has ended

    sheet = client.get(f"{job['url']}/row-errors", headers=risk)
    assert sheet.status_code == 200 and sheet.content.startswith("\ufeff".encode())
    lines = list(csv.DictReader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert [int(x["行号"]) for x in lines] == [12, 2002]  # headers in Chinese
    assert all(x["原因"] for x in lines)


def test_who_sees_a_job(client: httpx.Client) -> None:
    region = own_county("52")
    risk = headers(Role.risk_manager, sub="risk-owner", regions=[region])
    job = started(
        client.post(
            "/v1/roster/imports",
            content=roster_csv(roster_rows(region, 1)).encode(),
            headers={**risk, **ASYNC, "content-type": "text/csv"},
        )
    )
    other_risk = headers(Role.risk_manager, sub="risk-other", regions=[region])
    assert_problem(client.get(job["url"], headers=other_risk), 404)
    assert job["id"] not in [
        j["id"] for j in client.get("/v1/jobs", headers=other_risk).json()["items"]
    ]
    national_auditor = headers(Role.auditor, sub="audit-national")
    assert client.get(job["url"], headers=national_auditor).status_code == 200
    provincial_auditor = headers(Role.auditor, sub="audit-52", regions=["52"])
    assert client.get(job["url"], headers=provincial_auditor).status_code == 200
    elsewhere_auditor = headers(Role.auditor, sub="audit-53", regions=["53"])
    assert_problem(client.get(job["url"], headers=elsewhere_auditor), 404)
    mine = client.get("/v1/jobs", params={"kind": "roster_import"}, headers=risk).json()
    assert [j["id"] for j in mine["items"]] == [job["id"]]
    assert_problem(client.get(f"/v1/jobs/{uuid.uuid4()}", headers=risk), 404)
    assert_problem(client.get(f"{job['url']}/output", headers=risk), 409)
    run_queued_jobs()


def test_a_job_refused_by_its_rules_fails_with_the_reasons(client: httpx.Client) -> None:
    region = own_county("52")
    risk = headers(Role.risk_manager, sub="risk-scope", regions=[region])
    rows = roster_rows(region, 3)
    rows[1]["region_code"] = own_county("53")  # outside the caller's regions: all refused
    job = started(
        client.post(
            "/v1/roster/imports",
            content=roster_csv(rows).encode(),
            headers={**risk, **ASYNC, "content-type": "text/csv"},
        )
    )
    run_queued_jobs()
    failed = client.get(job["url"], headers=risk).json()
    assert failed["status"] == "failed" and failed["result"] is None
    assert "不在您的管辖地区内" in failed["failure"]  # in the starter's language (the default)
    assert failed["row_error_count"] == 1 and "line 3" in str(failed["row_errors"])


def test_the_batch_and_a_legacy_import_as_jobs(client: httpx.Client, database_url: str) -> None:
    svc = Servicing(Origination(client, region=own_county("53")))
    start = clock.today()
    svc.active_loan(start)
    through = start + timedelta(days=3)
    body = {"business_date": through.isoformat(), "regions": [svc.flow.region]}
    regional = headers(Role.admin, sub="admin-52", regions=["52"])
    assert_problem(client.post("/v1/batches/eod", headers={**regional, **ASYNC}, json=body), 403)
    job = started(client.post("/v1/batches/eod", headers={**svc.admin, **ASYNC}, json=body))
    assert job["kind"] == "eod" and job["progress"]["unit"] == "counties"
    run_queued_jobs()
    done = client.get(job["url"], headers=svc.admin).json()
    assert done["status"] == "succeeded", done
    assert done["result"]["region_days"] == 4 and done["progress"]["done"] == 1
    with psycopg.connect(database_url) as conn:
        opened = conn.execute(
            "SELECT open_date FROM region_business_dates WHERE region_code = %s",
            (svc.flow.region,),
        ).fetchone()
    assert opened == (through + timedelta(days=1),)

    legacy = client.post(
        "/v1/legacy-loans/imports",
        headers={**svc.admin, **ASYNC},
        json={"loans": [{"external_ref": "X"}]},
    )
    assert_problem(legacy, 422)  # a malformed body is refused at once, not queued


def test_a_province_claim_export_is_a_job_with_a_file(client: httpx.Client) -> None:
    svc = Servicing(Origination(client, region=own_county("53")))
    for _ in range(2):
        svc.active_loan(clock.today())
    period = parse(f"{clock.today().year}Q{(clock.today().month - 1) // 3 + 1}")
    reader = headers(Role.risk_manager, sub="finance-export", regions=[svc.flow.region])
    body = {"period": period.code, "region": svc.flow.region}
    assert_problem(
        client.post("/v1/reports/subsidy-claims/exports", headers=reader, json=body), 409
    )
    svc.close_through(period.end)
    job = started(client.post("/v1/reports/subsidy-claims/exports", headers=reader, json=body))
    assert job["progress"] == {"done": 0, "total": 1, "unit": "counties", "percent": 0.0}
    run_queued_jobs()
    done = client.get(job["url"], headers=reader).json()
    assert done["status"] == "succeeded", done
    assert done["result"]["counties"] == 1 and done["result"]["loans"] == 2
    file = client.get(done["output_url"], headers=reader)
    assert file.status_code == 200 and file.headers["content-type"].startswith("text/csv")
    at_once = client.get(
        "/v1/reports/subsidy-claims",
        params={"period": period.code, "region": svc.flow.region},
        headers={**reader, "Accept": "text/csv"},
    )
    assert file.content == at_once.content  # the same lines as the answer given at once
    assert file.content.startswith("\ufeffregion_code,".encode())  # UTF-8 with a BOM, for Excel
    assert (
        f'filename="subsidy-claims-{period.code}-{svc.flow.region}.csv"'
        in file.headers["content-disposition"]
    )


def test_jobs_by_state_in_the_metrics(client: httpx.Client) -> None:
    region = own_county("52")
    risk = headers(Role.risk_manager, sub="risk-metrics", regions=[region])
    started(
        client.post(
            "/v1/roster/imports",
            content=roster_csv(roster_rows(region, 1)).encode(),
            headers={**risk, **ASYNC, "content-type": "text/csv"},
        )
    )
    admin = headers(Role.admin, sub="ops")

    def queued_imports() -> float:
        text = client.get("/metrics", headers=admin).text
        for line in text.splitlines():
            if line.startswith('bangfu_jobs{kind="roster_import",status="queued"}'):
                return float(line.split()[-1])
        return 0.0

    assert queued_imports() >= 1
    run_queued_jobs()
    assert queued_imports() == 0
    assert (
        'bangfu_jobs{kind="roster_import",status="succeeded"}'
        in client.get("/metrics", headers=admin).text
    )


def test_a_roster_file_sent_as_bytes_with_its_format(client: httpx.Client) -> None:
    """What a generated client sends: `application/octet-stream` and `format`."""
    import json

    region = own_county("52")
    risk = headers(Role.risk_manager, sub="risk-bytes", regions=[region])
    rows = roster_rows(region, 2)
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    sent = client.post(
        "/v1/roster/imports",
        params={"format": "jsonl"},
        content=lines,
        headers={**risk, "content-type": "application/octet-stream"},
    )
    assert sent.status_code == 201, sent.text
    assert (sent.json()["lines"], sent.json()["accepted"]) == (2, 2)
    as_csv = client.post(
        "/v1/roster/imports",
        content=roster_csv(roster_rows(region, 1)).encode(),
        headers={**risk, "content-type": "application/octet-stream"},
    )
    assert as_csv.status_code == 201 and as_csv.json()["accepted"] == 1  # csv by default


def test_a_roster_from_excel_on_chinese_windows(client: httpx.Client) -> None:
    """GB18030 (what Excel writes there), Chinese headers and Chinese category names."""
    region = own_county("52")
    risk = headers(Role.risk_manager, sub="risk-gbk", regions=[region])
    rows = roster_rows(region, 2)
    sheet = "身份证号,姓名,户编号,行政区划代码,人员类别,纳入日期,退出日期\n" + "".join(
        f"{r['id_number']},{r['name']},{r['household_number']},{region},{cat},2025-01-15,\n"
        for r, cat in zip(rows, ("防止返贫致贫对象", "脱贫人口"), strict=True)
    )
    sent = client.post(
        "/v1/roster/imports",
        content=sheet.encode("gb18030"),
        headers={**risk, "content-type": "text/csv"},
    )
    assert sent.status_code == 201, sent.text
    assert (sent.json()["accepted"], sent.json()["rejected"]) == (2, 0)
    with_bom = client.post(
        "/v1/roster/imports",
        content="\ufeff".encode() + sheet.encode("utf-8"),
        headers={**risk, "content-type": "text/csv"},
    )
    assert with_bom.status_code == 201 and with_bom.json()["unchanged"] == 2  # the same people
    garbage = client.post(
        "/v1/roster/imports",
        content=b"\xff\xfe\xfa\xff,\x80\n",
        headers={**risk, "content-type": "text/csv"},
    )
    assert garbage.status_code == 422 and "GB18030" in garbage.text
