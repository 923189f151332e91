"""Chinese first (issue 18): refusals and rule verdicts speak Simplified Chinese unless the
client asks for English; codes, slugs and field names never change with the language."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from app.core.auth import Role
from tests.api.test_foundation import assert_problem
from tests.api.test_policy_trials import ELIGIBLE


@pytest.fixture()
def officer(auth) -> dict[str, str]:
    return auth(Role.loan_officer, regions=["5201"])


@pytest.mark.parametrize(
    ("accept", "language"),
    [
        (None, "zh"),
        ("zh-CN", "zh"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en;q=0.5,zh;q=0.6", "zh"),
        ("fr-FR", "zh"),
        ("fr,en;q=0.3", "en"),
        ("*", "zh"),
        ("en;q=bogus", "zh"),
    ],
)
def test_a_refusal_speaks_the_language_asked_for(
    client: httpx.Client, officer: dict[str, str], accept: str | None, language: str
) -> None:
    headers = {**officer, **({"Accept-Language": accept} if accept else {})}
    body = assert_problem(client.get(f"/v1/loans/{uuid.uuid4()}", headers=headers), 404)
    assert body["type"] == "urn:bangfu:problem:not-found"  # the code never changes
    if language == "zh":
        assert (body["title"], body["detail"]) == ("未找到", "未找到该贷款")
    else:
        assert (body["title"], body["detail"]) == ("Not Found", "Loan not found")


def test_a_malformed_request_names_each_field_in_chinese(
    client: httpx.Client, officer: dict[str, str]
) -> None:
    body = {**ELIGIBLE, "loan": {**ELIGIBLE["loan"], "term_months": 601}}
    del body["application_date"]
    refused = client.post("/v1/policy/eligibility", json=body, headers=officer)
    problem = assert_problem(refused, 422)
    assert refused.headers["content-language"] == "zh-CN"
    assert problem["detail"] == "请求内容有误，详见 errors。"
    said = {tuple(e["loc"]): (e["msg"], e["type"]) for e in problem["errors"]}
    assert said[("body", "application_date")] == ("必填", "missing")
    assert said[("body", "loan", "term_months")][1] == "less_than_equal"
    assert said[("body", "loan", "term_months")][0] == "应小于或等于 600"
    english = client.post(
        "/v1/policy/eligibility", json=body, headers={**officer, "Accept-Language": "en"}
    )
    assert {e["msg"] for e in assert_problem(english, 422)["errors"]} >= {"Field required"}


def test_rule_verdicts_carry_both_languages_and_speak_the_one_asked_for(
    client: httpx.Client, officer: dict[str, str]
) -> None:
    body = {**ELIGIBLE, "loan": {**ELIGIBLE["loan"], "amount": "100000.01"}}
    chinese = client.post("/v1/policy/eligibility", json=body, headers=officer).json()
    english = client.post(
        "/v1/policy/eligibility", json=body, headers={**officer, "Accept-Language": "en"}
    ).json()
    for zh, en in zip(chinese["rules"], english["rules"], strict=True):
        assert (zh["code"], zh["clause"], zh["passed"]) == (en["code"], en["clause"], en["passed"])
        assert zh["message"] == zh["message_zh"] == en["message_zh"]
        assert en["message"] == en["message_en"] == zh["message_en"]
        assert zh["message"] != en["message"]
    (cap,) = [r for r in chinese["rules"] if r["code"] == "amount_within_cap"]
    assert not cap["passed"] and re.search(r"[\u4e00-\u9fff]", cap["message"])


def test_a_role_refusal_is_in_chinese_with_the_role_codes(
    client: httpx.Client, auth, officer: dict[str, str]
) -> None:
    # an administrator is not a credit reviewer: 403 with the roles allowed, in Chinese
    admin = auth(Role.admin, regions=["5201"])
    body = assert_problem(
        client.post(f"/v1/applications/{uuid.uuid4()}/decision", json={}, headers=admin), 403
    )
    assert body["detail"].startswith("您的角色无权执行此操作；允许的角色：")
    assert "credit_reviewer" in body["detail"]  # role codes stay codes


def test_the_api_document_labels_every_enum_code_in_chinese(client: httpx.Client) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    loan_status = schemas["LoanStatus"]
    assert loan_status["enum"] == [
        "contracted",
        "disbursing",
        "active",
        "closed",
        "renewed",
        "written_off",
    ]
    assert "- `written_off`：已核销" in loan_status["description"]
    assert "- `loss`：损失" in schemas["RiskClass"]["description"]
    unlabelled = [
        name
        for name, schema in schemas.items()
        if "enum" in schema and "：" not in schema.get("description", "")
    ]
    assert unlabelled == []
