"""`db.jsonb`: a CompiledStatement's JSONB written by pydantic-core instead of json.dumps."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.core.db import jsonb


@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )
)
def test_jsonb_text_is_the_same_value_json_dumps_wrote(value: Any) -> None:
    """`db.jsonb` writes a CompiledStatement's JSONB with pydantic-core instead of json.dumps:
    the text differs (no spaces, no escapes), the value it stands for does not."""
    assert json.loads(jsonb(value).dumps(value)) == json.loads(json.dumps(value))
