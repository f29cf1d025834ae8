"""Owner-only files for the local state: the SQLite store and the JWT secret hold secrets, link codes, chat
history and contacts, so their folder is 0700 and each file 0600 whatever the process umask is."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from infra.settings import STATE

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(folder: Path) -> None:
    """Create ``folder`` owner-only; the state folder (``.parley``) is closed up if it already exists. A folder
    the user chose for a store elsewhere keeps its own permissions: only what Parley creates is changed."""
    if not folder.exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another process made it first: it is closed up below
            folder.mkdir(mode=FOLDER_MODE)
        folder.chmod(FOLDER_MODE)  # mkdir's mode is cut by the umask
    elif folder.name == STATE:
        folder.chmod(FOLDER_MODE)


def private_file(path: Path) -> None:
    """Create ``path`` empty and owner-only if it is missing, else make it owner-only."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    path.chmod(FILE_MODE)
