"""A region prefix as a range (app/core/scoping.within) selects exactly the codes a string
prefix would, in PostgreSQL's own collation: what region scope and every region filter rest on."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import column, select, values
from sqlalchemy.orm import Session
from sqlalchemy.types import String

from app.core.scoping import within

DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=12)


# a read-only query: one session for every example is right here
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(codes=st.lists(DIGITS, min_size=1, max_size=30), prefix=DIGITS)
@example(codes=["520102", "529999123", "53", "5", "52"], prefix="52")  # below a county, too
@example(codes=["520102", "5201021", "520103"], prefix="520102")
def test_a_prefix_range_is_the_prefix(session: Session, codes: list[str], prefix: str) -> None:
    table = values(column("code", String), name="codes").data([(c,) for c in codes])
    found = session.scalars(select(table.c.code).where(within(table.c.code, prefix))).all()
    assert sorted(found) == sorted(c for c in codes if c.startswith(prefix))
