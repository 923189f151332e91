"""The door's judgement of a JSON body's text (app/core/middleware.py): a body is parsed only
when it could hold a NUL or a lone surrogate, and that shortcut never changes the verdict."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.core.middleware import _unstorable_text, _walk_strings

SCOPE: dict[str, Any] = {
    "method": "POST",
    "path": "/v1/households",
    "query_string": b"",
    "headers": [(b"content-type", b"application/json")],
}

# Text from the whole of Unicode, surrogates and NUL included, and the characters an
# escape is made of, so that near-misses ("\\u0000" as text, "\\ud7ff") are tried too.
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec=None, exclude_categories=()),
        st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff", "\ud7ff", "\ue000"]),
        st.sampled_from(["\\", "u", "0", "d", "D", "8", "f", "F"]),
    ),
    max_size=12,
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


@given(value=JSON, ensure_ascii=st.booleans())
def test_the_verdict_is_the_whole_walks(value: Any, ensure_ascii: bool) -> None:
    body = json.dumps(value, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")
    expected = b"\x00" in body or _walk_strings(json.loads(body))
    assert _unstorable_text(SCOPE, body) is expected
    assert expected is _walk_strings(value)


def test_a_body_that_needs_no_parse_is_not_parsed() -> None:
    # malformed JSON that no shortcut could judge: only a parse would find it bad, and none
    # is made, so the validation layer answers it (422) as any malformed body
    assert _unstorable_text(SCOPE, b'{"address": "x"') is False
    assert _unstorable_text(SCOPE, b'{"address": "\\ud800"') is False
    assert _unstorable_text(SCOPE, b'{"address": "\\ud800"}') is True
