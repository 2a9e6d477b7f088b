"""The start-up check of a results database: open it, read its schema, test that it can be
written, before any cell trains. Every failure is one StoreError line naming the database and
what to do; the check writes nothing that stays (a missing SQLite file is not created).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Collection
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from ablab.store.base import StoreError

WRITE_PROBE = "ablab_write_check"  # created and rolled back inside one transaction


def check_store(
    engine: Engine, shown: str, sqlite_path: str | None, required: Collection[str]
) -> None:
    """Raise StoreError unless the database at `engine` can hold ablab's `runs` table:
    reachable, not corrupt, no foreign `runs` table (one lacking a `required` column) and
    writable. `shown` is the URL without its password."""
    if sqlite_path not in (None, "", ":memory:"):
        assert sqlite_path is not None
        if not _check_sqlite_file(Path(sqlite_path), shown):
            return  # no file yet: its folder can be created, the table is made on first write
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                _sqlite_integrity(connection, shown)
            present = _runs_columns(connection)
            if present is not None:
                missing = sorted(set(required) - present)
                if missing:
                    raise StoreError(f"database {shown}: its table runs is not ablab's (no "
                                     f"column {', '.join(missing)}); give another database")
            if engine.dialect.name != "sqlite":  # SQLite's writability is the file's mode
                _write_probe(connection)
    except SQLAlchemyError as error:
        raise StoreError(f"cannot reach database {shown}: {_reason(error)}") from error


def _check_sqlite_file(path: Path, shown: str) -> bool:
    """Whether the file exists (False: it can be created); StoreError when neither holds."""
    if path.is_dir():
        raise StoreError(f"database {shown}: {path} is a folder; give a file path such as "
                         f"{path / 'ablab.db'}")
    if not path.exists():
        _probe_folder(path.resolve().parent, shown)
        return False
    # SQLite's WAL mode writes `-wal` and `-shm` files beside the database.
    if not os.access(path, os.W_OK):
        raise StoreError(f"database {shown}: {path} is not writable")
    _probe_folder(path.resolve().parent, shown)
    return True


def _probe_folder(folder: Path, shown: str) -> None:
    """Create `folder` (as the first write will) and a file in it, then remove both: the only
    test that holds for root too (os.access says yes to /proc). Nothing stays behind."""
    made: list[Path] = []
    try:
        for step in reversed([folder, *folder.parents]):
            if not step.exists():
                step.mkdir()
                made.append(step)
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".ablab-write-check-")
        os.close(handle)
        Path(probe).unlink()
    except OSError as error:
        raise StoreError(f"database {shown}: cannot create folder {folder} or a file in it "
                         f"({error.strerror or error}); give a writable path") from None
    finally:
        for step in reversed(made):
            step.rmdir()


def _sqlite_integrity(connection: sa.Connection, shown: str) -> None:
    """`PRAGMA quick_check` reads every page: a file that is not SQLite, or a damaged one,
    fails here rather than when the first cell's row is appended."""
    found = connection.execute(sa.text("PRAGMA quick_check(1)")).scalar()
    if found != "ok":
        raise StoreError(f"database {shown} is damaged ({found}); give another file")


def _runs_columns(connection: sa.Connection) -> set[str] | None:
    inspector = sa.inspect(connection)
    if not inspector.has_table("runs"):
        return None
    return {c["name"] for c in inspector.get_columns("runs")}


def _write_probe(connection: sa.Connection) -> None:
    """Create a table inside a transaction and roll it back: proves the right to write
    (PostgreSQL's DDL is transactional, so nothing stays)."""
    connection.rollback()  # end the read transaction the schema check began
    transaction = connection.begin()
    try:
        connection.execute(sa.text(f"CREATE TABLE {WRITE_PROBE} (x INTEGER)"))
    finally:
        transaction.rollback()


def _reason(error: SQLAlchemyError) -> str:
    lines = str(getattr(error, "orig", error)).strip().splitlines()
    return lines[0] if lines else type(error).__name__
