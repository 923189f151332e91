"""Hostile files against a live server of its own (issue 26, findings 1 to 4): a few kilobytes
that ask the sheet reader for gigabytes are refused fast and the process stays up; a file up to
the body limit costs the server at most 200 MB and the memory comes back."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import xlsxwriter

from app.core.auth import Role
from app.core.sheets import XLSX_MEDIA_TYPE
from tests import hostile_files
from tests.api.factories import headers, own_county
from tests.conftest import _free_port
from tests.contract.test_processes import start_server, wait_ready

MB = 1 << 20
ASYNC = {"Prefer": "respond-async"}


class Server:
    def __init__(self, url: str, pid: int) -> None:
        self.url = url
        self.pid = pid

    def memory(self, field: str) -> int:
        """VmRSS (resident now) or VmHWM (the most since `reset_peak`), in bytes."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise AssertionError(field)

    def reset_peak(self) -> None:
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")

    def alive(self) -> bool:
        return httpx.get(f"{self.url}/health/ready", timeout=5).status_code == 200


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[Server]:
    port = _free_port()
    process = start_server(database_url, port, {"JOBS_WORKER_IN_PROCESS": "false"})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url)
        yield Server(url, process.pid)
        assert process.poll() is None, "the server died"
    finally:
        process.terminate()
        process.wait(timeout=20)


def _risk(region: str) -> dict[str, str]:
    return headers(Role.risk_manager, sub="red-team", regions=[region])


_WORKBOOKS = {
    "the sheet's last cell (XFD1048576)": (hostile_files.far_cell("XFD1048576"), 413),
    "a cell at Z1000000": (hostile_files.far_cell("Z1000000"), 413),
    "a declared dimension of the whole sheet": (hostile_files.declared("A1:XFD1048576"), 413),
    "100 MB of blanks in 100 KB": (hostile_files.whitespace_bomb(100), 413),
    "the same, its directory saying 100 bytes": (hostile_files.lying_sizes(100), 413),
    "a shared string in 100,000 cells": (hostile_files.shared_string_bomb(100_000, 30_000), 413),
    "an entity expansion": (hostile_files.with_doctype(), 422),
}


@pytest.mark.parametrize("name", list(_WORKBOOKS))
def test_a_hostile_workbook_is_refused_fast_and_the_server_stays_up(
    server: Server, name: str
) -> None:
    body, status = _WORKBOOKS[name]
    region = own_county("61")
    for path, extra in (
        ("/v1/roster/imports", {}),
        ("/v1/roster/imports", ASYNC),  # the job path is checked before a job is started
        ("/v1/legacy-loans/sheet-imports", {}),
    ):
        who = _risk(region) if "roster" in path else headers(Role.admin, sub="red-admin")
        began = time.monotonic()
        answer = httpx.post(
            server.url + path,
            content=body,
            headers={**who, **extra, "content-type": XLSX_MEDIA_TYPE, "accept-language": "zh"},
            timeout=60,
        )
        took = time.monotonic() - began
        assert answer.status_code == status, (path, extra, answer.text)
        problem = answer.json()
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in problem["detail"]), problem
        assert took < 5, f"{name} took {took:.1f} s"
        assert server.alive()


def test_a_workbook_within_the_limits_is_read(server: Server) -> None:
    """The limits leave an ordinary workbook alone: a header and a row, 422 for the row's
    content (an ID number that is not one), not for its shape."""
    body = hostile_files.far_cell("A2")
    answer = httpx.post(
        server.url + "/v1/roster/imports",
        content=body,
        headers={**_risk(own_county("61")), "content-type": XLSX_MEDIA_TYPE},
        timeout=60,
    )
    assert answer.status_code == 422, answer.text
    assert "表头缺少" in answer.json()["detail"]  # the file was read as far as its header


def _big_csv(path: Path, megabytes: int, tail: bytes) -> None:
    line = b"110101199003074477,name,5201020001,520102,monitoring_target,2025-03-01,\n"
    block = line * (MB // len(line))
    with path.open("wb") as out:
        out.write(
            b"id_number,name,household_number,region_code,category,listed_date,removed_date\n"
        )
        for _ in range(megabytes):
            out.write(block)
        out.write(tail)


def _post_file(server: Server, path: Path, region: str) -> httpx.Response:
    with path.open("rb") as file:
        return httpx.post(
            server.url + "/v1/roster/imports",
            content=file,
            headers={**_risk(region), "content-type": "text/csv", "accept-language": "zh"},
            timeout=300,
        )


def _settled(server: Server, baseline: int) -> int:
    """Resident memory once the request is over (a moment for threads to let go)."""
    deadline = time.monotonic() + 10
    rss = server.memory("VmRSS")
    while rss > baseline + 40 * MB and time.monotonic() < deadline:
        time.sleep(0.2)
        rss = server.memory("VmRSS")
    return rss


@pytest.mark.parametrize(
    ("what", "rows", "tail", "said"),
    [
        ("200 MB with a bad byte at the end", 200, b"\xff\xfe\n", "既不是 UTF-8 也不是 GB18030"),
        ("10 MB, then one line of 190 MB", 10, b"x" * (190 * MB), "个字符"),
    ],
)
def test_a_file_near_the_body_limit_costs_at_most_200_mb_and_gives_it_back(
    server: Server, tmp_path: Path, what: str, rows: int, tail: bytes, said: str
) -> None:
    path = tmp_path / "roster.csv"
    _big_csv(path, rows, tail)
    assert os.path.getsize(path) > 190 * MB  # finding 3's file: 200 MB
    assert server.alive()
    baseline = server.memory("VmRSS")
    server.reset_peak()
    answer = _post_file(server, path, own_county("61"))
    peak = server.memory("VmHWM")
    assert answer.status_code in (413, 422), answer.text
    assert said in answer.json()["detail"], answer.json()
    assert peak - baseline <= 200 * MB, f"{what}: grew by {(peak - baseline) / MB:.0f} MB"
    after = _settled(server, baseline)
    assert after - baseline <= 40 * MB, f"{what}: kept {(after - baseline) / MB:.0f} MB"
    assert server.alive()


def test_a_workbook_near_the_cell_limit_costs_at_most_200_mb_and_gives_it_back(
    server: Server, tmp_path: Path
) -> None:
    """140,000 rows of six text cells (840,000 cells of a 1,000,000 limit): read whole by the
    workbook reader, whose memory is handed back when the import ends."""
    path = tmp_path / "roster.xlsx"
    region = own_county("61")
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["身份证号", "姓名", "户编号", "行政区划代码", "人员类别", "纳入日期"])
    for row in range(1, 140_000):
        person = f"11010119900307{row:04d}"
        sheet.write_row(row, 0, [person, "张三", "5201020001", region, "监测对象", "2025-03-01"])
    book.close()
    baseline = server.memory("VmRSS")
    server.reset_peak()
    answer = httpx.post(
        server.url + "/v1/roster/imports",
        content=path.read_bytes(),
        headers={**_risk(region), "content-type": XLSX_MEDIA_TYPE},
        timeout=300,
    )
    peak = server.memory("VmHWM")
    assert answer.status_code == 422, answer.text  # read to the end: ID numbers out of check
    assert answer.json()["errors"], answer.json()
    assert peak - baseline <= 200 * MB, f"grew by {(peak - baseline) / MB:.0f} MB"
    after = _settled(server, baseline)
    assert after - baseline <= 40 * MB, f"kept {(after - baseline) / MB:.0f} MB"
