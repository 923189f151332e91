"""Rate guidance at application and decision (1.4): the suggestion and its parts for the
household's grade; a rate outside the band needs a reason, which the decision keeps."""

from __future__ import annotations

from decimal import Decimal

import httpx

from tests.api.factories import Origination, own_county
from tests.api.test_foundation import assert_problem


def test_a_rate_outside_the_band_needs_a_reason(client: httpx.Client) -> None:
    flow = Origination(client, region=own_county("52"))
    _, household = flow.ready_household()
    application = flow.apply(household).json()
    guidance = client.get(
        f"/v1/applications/{application['id']}/rate-guidance", headers=flow.officer
    )
    assert guidance.status_code == 200, guidance.text
    found = guidance.json()
    assert Decimal(found["suggested_rate"]) == sum(Decimal(p["rate"]) for p in found["parts"])
    assert found["grade"] in {"AAA", "AA", "A", "B"}
    assert Decimal(found["highest"]) - Decimal(found["suggested_rate"]) == Decimal("0.01")
    assert flow.investigate(application["id"]).status_code == 201

    too_high = str(Decimal(found["highest"]) + Decimal("0.0001"))
    refused = assert_problem(flow.approve(application["id"], annual_rate=too_high), 409)
    assert [r["code"] for r in refused["rules"]] == ["rate_guidance"]  # type: ignore[union-attr]
    assert refused["rules"][0]["clause"] == "1.4"  # type: ignore[index]

    approved = flow.approve(
        application["id"], annual_rate=too_high, rate_reason="项目周期长、风险高，经审批上浮"
    )
    assert approved.status_code == 200, approved.text
    decision = approved.json()["decision"]
    assert decision["suggested_rate"] == found["suggested_rate"]
    assert decision["rate_reason"] == "项目周期长、风险高，经审批上浮"
    assert decision["annual_rate"] == too_high
