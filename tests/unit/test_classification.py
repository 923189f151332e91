"""Risk classification from days past due, overrides and the restructuring floor."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.classification import (
    Restructuring,
    RiskClass,
    check_class_change,
    classify,
    floor_from_days_past_due,
)

ON = date(2026, 9, 1)


@pytest.mark.parametrize(
    ("dpd", "expected"),
    [
        (0, RiskClass.normal),
        (1, RiskClass.special_mention),
        (90, RiskClass.special_mention),
        (91, RiskClass.substandard),
        (270, RiskClass.substandard),
        (271, RiskClass.doubtful),
        (360, RiskClass.doubtful),
        (361, RiskClass.loss),
    ],
)
def test_floor_from_days_past_due(dpd: int, expected: RiskClass) -> None:
    assert floor_from_days_past_due(dpd) is expected


def test_npl_classes() -> None:
    assert [c.non_performing for c in RiskClass] == [False, False, True, True, True]


def test_an_override_may_only_make_it_worse() -> None:
    assert classify(0, ON, override=RiskClass.doubtful) is RiskClass.doubtful
    assert classify(100, ON, override=RiskClass.normal) is RiskClass.substandard
    assert check_class_change(RiskClass.doubtful, RiskClass.substandard).passed
    assert check_class_change(RiskClass.substandard, RiskClass.substandard).passed
    refused = check_class_change(RiskClass.special_mention, RiskClass.substandard)
    assert (refused.passed, refused.code, refused.clause) == (False, "class_only_worsened", "3.1")


def test_restructuring_floor_holds_through_the_observation_period() -> None:
    restructured = Restructuring(
        class_before=RiskClass.special_mention,
        observation_start=date(2026, 2, 10),
        observation_end=date(2027, 2, 10),
    )
    assert classify(0, date(2027, 2, 10), restructuring=restructured) is RiskClass.special_mention
    assert classify(0, date(2027, 2, 11), restructuring=restructured) is RiskClass.normal
    assert classify(95, date(2026, 6, 1), restructuring=restructured) is RiskClass.substandard


@pytest.mark.parametrize(
    ("previous", "override"),
    [
        (RiskClass.normal, None),
        (RiskClass.special_mention, None),
        (RiskClass.substandard, RiskClass.substandard),
        (RiskClass.loss, None),
    ],
)
def test_clause_3_1_renewal_keeps_the_class(
    previous: RiskClass, override: RiskClass | None
) -> None:
    from app.domain.classification import carried_by_renewal

    assert carried_by_renewal(previous, override) == (previous, override)
