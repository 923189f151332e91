"""Four-eyes decisions (审贷分离, 4.1; 核销 and 尽职免责, 2.1): what may be asked of a second
person, the states a request goes through, and the one rule every decision answers to: whoever
decides had no part in the subject or in the loans of its renewal/extension chain."""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from app.domain.rules import RuleResult, rule


class DecisionKind(StrEnum):
    """Every action that needs a second person."""

    application = "application"
    renewal = "renewal"
    extension = "extension"
    write_off = "write_off"
    exemption = "exemption"
    exemption_appeal = "exemption_appeal"
    reassignment = "reassignment"
    disbursement_cancel = "disbursement_cancel"
    disbursement_resend = "disbursement_resend"
    misuse_correction = "misuse_correction"
    class_override = "class_override"
    lpr_entry = "lpr_entry"
    subsidy_programme = "subsidy_programme"
    region_settings = "region_settings"
    suspension_lift = "suspension_lift"


class DecisionStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    declined = "declined"
    # the subject left the state it was asked in (loan paid off, renewed, written off) or the
    # asker took it back: nobody decided it
    withdrawn = "withdrawn"

    @classmethod
    def closed(cls) -> tuple[DecisionStatus, ...]:
        """Settled: a closed request is never decided again."""
        return (cls.approved, cls.declined, cls.withdrawn)


def check_independent(decider: str, involved: Collection[str]) -> RuleResult:
    """Clause 4.1 (贷前调查和贷中审查相分离) and 2.1: the decider is not anyone who acted on the
    subject or on the loans of its chain: the asker, the submitter, the owning officer now or
    before a reassignment, the investigator, the deciders of its application, renewals and
    extensions, whoever overrode its class, proposed or approved its write-off, or found or
    corrected its misuse. `involved` are those people's normalised identities."""
    ok = decider not in involved
    return rule(
        "maker_checker",
        "4.1",
        ok,
        "审批人与该事项及其贷款经办人员无关"
        if ok
        else "审批人经办过该事项或其贷款，应当回避（审贷分离）",
        "The decider had no part in the request or its loans"
        if ok
        else "The decider took part in the request or its loans and must stand aside "
        "(maker-checker)",
    )
