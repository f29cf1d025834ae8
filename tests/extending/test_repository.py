"""docs/extending.md, "A repository", done once: a toy port (trader notes) as an ABC over a pydantic record, its
in-memory implementation on the memory backend's shared machinery (``Repo``, a table in ``Db``, rows kept as
JSON), and a contract test written over a factory so the SQLite and DynamoDB implementations join it as further
parameters, as tests/integration/test_store_contract_<group>.py runs every adapter through the ``store`` fixture."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from pydantic import AwareDatetime, BaseModel, ConfigDict

from core.errors import AlreadyExists, NotFound
from infra.stores.memory.base import Db, Repo, UnitLog, as_row
from infra.stores.memory.unit import MemoryStore

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    account_id: str
    text: str
    created_at: AwareDatetime


class NoteRepository(ABC):
    """The port, as it would sit in the group module of core/ports/store/ that fits it."""

    @abstractmethod
    def add(self, note: Note) -> Note:
        """Store ``note``; AlreadyExists if its id is taken."""

    @abstractmethod
    def get(self, note_id: str) -> Note:
        """NotFound if there is no such note."""

    @abstractmethod
    def list_for_account(self, account_id: str) -> list[Note]:
        """Oldest first."""


class MemoryNotes(Repo, NoteRepository):
    """The memory backend's implementation, as it would sit in the module of the same name in infra/stores/memory/."""

    TABLE = "notes"

    def __init__(self, db: Db, unit: UnitLog | None = None) -> None:
        super().__init__(db, unit)
        db.tables.setdefault(self.TABLE, {})  # a real repository names its table in base.Db instead

    def add(self, note: Note) -> Note:
        row = as_row(note)
        with self._writing():
            if note.id in self.db.tables[self.TABLE]:
                raise AlreadyExists(f"Note {note.id} already exists.", note_id=note.id)
            self._set(self.TABLE, note.id, row)
        return row.fresh()

    def get(self, note_id: str) -> Note:
        with self.db.lock:
            row = self.db.tables[self.TABLE].get(note_id)
        if row is None:
            raise NotFound(f"Note {note_id} not found.", note_id=note_id)
        return row.fresh()

    def list_for_account(self, account_id: str) -> list[Note]:
        return self._select(self.TABLE, lambda note: note.account_id == account_id, lambda note: note.created_at)


@pytest.fixture(params=["memory"])
def backend(request: pytest.FixtureRequest) -> tuple[MemoryStore, Callable[..., NoteRepository]]:
    """A store and the repository over it, on its own (each write commits) or inside a unit (``notes(unit)``)."""
    store = MemoryStore()
    return store, lambda unit=None: MemoryNotes(store.db, unit)  # type: ignore[arg-type]


def note(note_id: str = "n1", *, account_id: str = "alice", minute: int = 0) -> Note:
    return Note(id=note_id, account_id=account_id, text=f"note {note_id}",
                created_at=NOW.replace(minute=minute))


def test_an_added_note_is_read_back_as_a_fresh_copy(backend) -> None:
    _, notes = backend
    added = note()
    stored = notes().add(added)
    assert stored == added and stored is not added
    assert notes().get("n1") == added and notes().get("n1") is not notes().get("n1")


def test_adding_a_note_twice_raises_already_exists_and_keeps_the_first(backend) -> None:
    _, notes = backend
    notes().add(note())
    with pytest.raises(AlreadyExists):
        notes().add(note().model_copy(update={"text": "other"}))
    assert notes().get("n1").text == "note n1"


def test_getting_a_missing_note_raises_not_found(backend) -> None:
    _, notes = backend
    with pytest.raises(NotFound):
        notes().get("nobody")


def test_an_accounts_notes_are_listed_oldest_first_and_only_its_own(backend) -> None:
    _, notes = backend
    for note_id, account, minute in (("b", "alice", 2), ("x", "bob", 1), ("a", "alice", 1)):
        notes().add(note(note_id, account_id=account, minute=minute))
    assert [n.id for n in notes().list_for_account("alice")] == ["a", "b"]


def test_a_note_written_through_a_unit_of_work_is_kept_on_commit(backend) -> None:
    store, notes = backend
    with store.unit() as unit:
        notes(unit).add(note())
        unit.commit()
    assert notes().get("n1") == note()


def test_a_note_written_through_a_unit_of_work_is_gone_on_rollback(backend) -> None:
    store, notes = backend
    with store.unit() as unit:
        notes(unit).add(note())
        unit.rollback()
    with pytest.raises(NotFound):
        notes().get("n1")
