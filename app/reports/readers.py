"""Who reads the aggregate reports: the bank's report readers, and the departments it shares
data with (3.4 信息共享, 5.3), whose every read is audited before it is answered."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.audit import service as audit
from app.core.auth import DEPARTMENTS, NATIONAL_SCOPE, Principal, Role, require


def _report_reader(
    request: Request,
    principal: Annotated[
        Principal,
        Depends(require(Role.risk_manager, Role.auditor, Role.admin, *sorted(DEPARTMENTS))),
    ],
) -> Principal:
    """The report's readers, and the departments (3.4, 5.3): a department's every read is
    audited (who, what, with which filters) before it is answered."""
    if principal.is_department:
        query = dict(request.query_params)
        # the event's region: the one asked for, else the department's own (a national
        # department's events are national)
        own = principal.regions[0] if len(principal.regions) == 1 else None
        audit.record_read(
            principal,
            request.url.path,
            region_code=query.get("region") or (None if own == NATIONAL_SCOPE else own),
            query=query,
        )
    return principal


# The aggregate reports (county totals, ratios, the claim's form) a department may read too.
ReportReader = Annotated[Principal, Depends(_report_reader)]
