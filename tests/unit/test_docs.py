"""The documentation holds together (issue 27): README fits on a screen or two, and every link
between README and docs/ leads to a page, and to a heading of that page, that exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\[[^\]]+\]\(([^)\s]+)\)")
_FENCE = re.compile(r"```.*?```", re.S)


def _anchor(heading: str) -> str:
    """A heading's anchor as GitHub writes it: lower case, punctuation gone, spaces to -."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = _FENCE.sub("", page.read_text())
    return {_anchor(m) for m in re.findall(r"^#+ (.+)$", text, re.M)}


def test_readme_fits_on_a_screen_or_two() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= 300


def test_every_link_between_the_pages_leads_somewhere() -> None:
    dead = []
    for page in PAGES:
        for target in _LINK.findall(_FENCE.sub("", page.read_text())):
            if re.match(r"[a-z]+:", target):  # http:, mailto: … : not ours to check here
                continue
            path, _, anchor = target.partition("#")
            goal = (page.parent / path).resolve() if path else page
            if not goal.exists():
                dead.append(f"{page.name}: {target}")
            elif anchor and goal.suffix == ".md" and anchor not in _anchors(goal):
                dead.append(f"{page.name}: {target} (no such heading)")
    assert dead == []


def test_every_page_is_reachable_from_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for page in PAGES[1:]:
        assert f"docs/{page.name}" in readme, page.name


def test_the_data_model_page_names_every_table() -> None:
    import app.models  # noqa: F401  (every feature's tables)
    from app.core.db import Base

    page = (ROOT / "docs" / "data-model.md").read_text()
    assert [t for t in sorted(Base.metadata.tables) if f"| `{t}` |" not in page] == []
