"""The test tiers, given by folder so nobody must remember a decorator: ``unit`` (fakes only, the inner loop),
``integration`` (real adapters: SQLite, DynamoDB under moto, handlers fed real events, recorded HTTP),
``e2e`` (the local platform), and ``aws`` on top for a test that runs AWS code under moto or reads the SAM
template. ``make test-fast`` runs ``unit and not aws``; tests/conftest.py applies these to every item."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
# Folder under tests/ -> its tier. None: collected only by its own command (`make bench`).
TIERS: dict[str, str | None] = {
    "unit": "unit",
    "extending": "unit",  # docs/extending.md done once per kind of addition, on fakes and the memory store
    "agent": "unit",  # the grammar and the agent over scripted fake chat models
    "integration": "integration",
    "functional": "integration",
    "brokers": "integration",
    "channels": "integration",
    "infra": "integration",
    "e2e": "e2e",
    "benchmarks": None,
}
AWS_PARAMETERS = frozenset({"dynamodb"})  # a store fixture's backend (tests/integration/conftest.py)

_AWS_IMPORT = re.compile(r"^[ \t]*(?:from|import)[ \t]+(?:moto|boto3|botocore)\b", re.MULTILINE)
_TEMPLATE_PATH = re.compile(r"/[ \t]*[\"']template\.yaml[\"']")  # ROOT / "template.yaml", not a comment naming it
_HELPER_IMPORT = re.compile(r"^[ \t]*from[ \t]+(tests(?:\.\w+)+)[ \t]+import\b", re.MULTILINE)


def tier_of(path: Path) -> str | None:
    """The tier of a test file from its first folder under tests/; a folder missing from TIERS is an error,
    so a new folder is given a tier when it is made."""
    resolved = path.resolve()
    if not resolved.is_relative_to(TESTS):
        return None
    folder = resolved.relative_to(TESTS).parts[0]
    if folder not in TIERS:
        raise pytest.UsageError(f"tests/{folder} has no tier: add it to TIERS in tests/markers.py")
    return TIERS[folder]


def touches_aws(source: str) -> bool:
    """Whether a test module's own source imports moto, boto3 or botocore, or reads the SAM template."""
    return bool(_AWS_IMPORT.search(source) or _TEMPLATE_PATH.search(source))


@cache
def module_touches_aws(path: Path) -> bool:
    """The module itself, or a helper module of tests/ it imports (one level down), touches AWS."""
    source = path.read_text(encoding="utf-8")
    if touches_aws(source):
        return True
    for helper in _HELPER_IMPORT.findall(source):
        file = TESTS.parent.joinpath(*helper.split(".")).with_suffix(".py")
        if file.is_file() and touches_aws(file.read_text(encoding="utf-8")):
            return True
    return False


def mark(items: list[pytest.Item]) -> None:
    """Add each item's tier, and ``aws`` where it applies."""
    for item in items:
        path = Path(item.path)
        tier = tier_of(path)
        if tier is not None:
            item.add_marker(tier)
        callspec = getattr(item, "callspec", None)
        parameters = {str(v) for v in callspec.params.values()} if callspec is not None else set()
        if module_touches_aws(path) or parameters & AWS_PARAMETERS:
            item.add_marker("aws")
