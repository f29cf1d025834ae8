"""The messaging use cases write through the unit of work, as the trading ones do (docs/architecture.md): no
direct ``deps.store.<repository>.<write>`` outside a unit. Idempotency claims stand on their own by design
(core/ports/store/unit.py), so they are the one exception; reads from the store stay allowed."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

MESSAGING = Path(__file__).resolve().parents[2] / "core" / "usecases" / "messaging"
WRITES = {"add", "save", "update", "take", "mark_sent", "delete", "put", "remove"}
OWN_ATOMIC = {"idempotency"}


def direct_store_writes(source: str) -> list[str]:
    """``deps.store.<repository>.<write>(...)`` calls, as written."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES):
            continue
        repository = node.func.value
        if (isinstance(repository, ast.Attribute) and repository.attr not in OWN_ATOMIC
                and isinstance(repository.value, ast.Attribute) and repository.value.attr == "store"):
            found.append(ast.unparse(node.func))
    return found


def test_the_checker_sees_a_direct_store_write_and_not_a_unit_write_or_a_claim():
    assert direct_store_writes("deps.store.contacts.save(contact)") == ["deps.store.contacts.save"]
    assert direct_store_writes("uow.contacts.save(contact)\ndeps.store.idempotency.claim(key)") == []
    assert direct_store_writes("deps.store.messages.get(message_id)") == []


@pytest.mark.parametrize("path", sorted(MESSAGING.glob("*.py")), ids=lambda path: path.name)
def test_a_messaging_use_case_writes_only_through_a_unit_of_work(path):
    assert direct_store_writes(path.read_text(encoding="utf-8")) == []
