"""The API document is written for a person and stays stable for generated clients (issue 18):
operation ids pinned, a Chinese summary and a description on every operation, a description
on every tag, an example for every JSON body."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from app.main import create_app

PINNED = Path(__file__).with_name("operation_ids.json")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    document: dict[str, Any] = create_app().openapi()
    return document


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, o) for p, ms in spec["paths"].items() for m, o in ms.items()]


def test_operation_ids_are_stable(spec: dict[str, Any]) -> None:
    """An operation's id is what a generated client calls it: renaming one breaks integrators.
    Change it on purpose with UPDATE_OPERATION_IDS=1 and say so in the release notes."""
    found = {o["operationId"]: f"{m} {p}" for m, p, o in _operations(spec)}
    assert len(found) == len(_operations(spec))  # unique
    if os.environ.get("UPDATE_OPERATION_IDS"):
        PINNED.write_text(json.dumps(found, indent=1, ensure_ascii=False) + "\n")
    pinned = json.loads(PINNED.read_text())
    removed_or_renamed = {k: v for k, v in pinned.items() if found.get(k) != v}
    assert removed_or_renamed == {}
    assert set(found) == set(pinned), "a new operation: pin it (UPDATE_OPERATION_IDS=1)"


def test_every_operation_is_described_for_a_person(spec: dict[str, Any]) -> None:
    for method, path, operation in _operations(spec):
        where = f"{method} {path}"
        assert CJK.search(operation["summary"]), where
        assert len(operation.get("description", "")) > 40, where
        assert re.fullmatch(r"[a-z][a-z0-9_]*", operation["operationId"]), where


def test_every_tag_says_what_it_covers(spec: dict[str, Any]) -> None:
    described = {t["name"]: t.get("description", "") for t in spec["tags"]}
    used = {t for _, _, o in _operations(spec) for t in o.get("tags", [])}
    assert used == set(described)
    assert all(CJK.search(text) for text in described.values())


def test_every_json_body_has_an_example(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]

    def exemplified(schema: dict[str, Any]) -> bool:
        target = schemas[schema["$ref"].split("/")[-1]] if "$ref" in schema else schema
        if "example" in target or "examples" in target:
            return True
        return any("example" in p or "examples" in p for p in target.get("properties", {}).values())

    missing = [
        f"{method} {path}"
        for method, path, operation in _operations(spec)
        if (body := operation.get("requestBody", {}).get("content", {}).get("application/json"))
        and not (exemplified(body["schema"]) or "example" in body or "examples" in body)
    ]
    assert missing == []
