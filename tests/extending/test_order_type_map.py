"""docs/extending.md, "An order type": the branches on ``OrderType`` are not gathered in one place, so the guide
lists every file that has one. This keeps the list true: a file that starts branching on an order type without
being named in the guide fails here, and so does a file the guide names that no longer exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "extending.md").read_text()
SECTION = GUIDE.split("## An order type", 1)[1].split("\n## ", 1)[0]
BRANCH = re.compile(r"\bOrderType\.[A-Z_]+\b")
FLOORS = ("core", "agent", "channels", "infra", "functions", "local")


def branching_files() -> set[str]:
    return {
        path.relative_to(ROOT).as_posix()
        for floor in FLOORS
        for path in (ROOT / floor).rglob("*.py")
        if BRANCH.search(path.read_text())
    }


def test_every_file_that_branches_on_an_order_type_is_named_in_the_guide() -> None:
    missing = sorted(path for path in branching_files() if f"`{path}`" not in SECTION)
    assert missing == []


def test_every_file_the_guides_order_type_section_names_exists() -> None:
    named = set(re.findall(r"`((?:core|agent|channels|infra|functions|local)/[\w/]+\.py)`", SECTION))
    assert named and sorted(path for path in named if not (ROOT / path).exists()) == []
