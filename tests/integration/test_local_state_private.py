"""The local state folder holds signal-source secrets, live link codes, chat history, contacts and the JWT
secret: the folder is owner-only (0700) and every file in it owner-only (0600), whatever the umask, and a
store left readable by an older version is closed up when it is opened again."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.secrets import jwt_secret
from infra.settings import Settings
from infra.stores.sqlite import open_sqlite_store
from tests.integration.test_store_records import make_account


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # the usual default, under which files come out world-readable
    yield
    os.umask(previous)


def modes(folder: Path) -> dict[str, int]:
    return {path.name: path.stat().st_mode & 0o777 for path in folder.iterdir()}


def test_the_store_folder_and_every_file_sqlite_writes_in_it_are_owner_only(tmp_path: Path, open_umask) -> None:
    state = tmp_path / ".parley"
    store = open_sqlite_store(str(state / "parley.db"))
    try:
        store.accounts.add(make_account())  # a write: the -wal and -shm files exist now
        jwt_secret(Settings(store_url=f"sqlite:///{state / 'parley.db'}", state_dir=state))
        assert state.stat().st_mode & 0o777 == 0o700
        files = modes(state)
        assert {"parley.db", "parley.db-wal", "parley.db-shm", "jwt-secret"} <= set(files)
        assert files == dict.fromkeys(files, 0o600)
    finally:
        store.close()


def test_a_store_left_world_readable_is_made_owner_only_when_opened(tmp_path: Path, open_umask) -> None:
    state = tmp_path / ".parley"
    open_sqlite_store(str(state / "parley.db")).close()
    state.chmod(0o755)
    (state / "parley.db").chmod(0o644)
    store = open_sqlite_store(str(state / "parley.db"))
    try:
        store.accounts.add(make_account())
        assert state.stat().st_mode & 0o777 == 0o700
        assert set(modes(state).values()) == {0o600}
    finally:
        store.close()


def test_a_store_in_a_folder_of_the_users_choosing_leaves_that_folder_alone(tmp_path: Path, open_umask) -> None:
    tmp_path.chmod(0o755)
    store = open_sqlite_store(str(tmp_path / "mine.db"))
    try:
        assert tmp_path.stat().st_mode & 0o777 == 0o755
        assert (tmp_path / "mine.db").stat().st_mode & 0o777 == 0o600
    finally:
        store.close()
