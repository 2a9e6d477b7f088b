"""The start-up check of a results database: open it, read its schema, test that it can be
written, before any cell trains. Every failure is one StoreError line naming the database and
what to do; the check writes nothing that stays (a missing SQLite file is not created).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Collection
from contextlib import closing
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from ablab.store.base import StoreError
from ablab.writable import NotWritable, check_folder

WRITE_PROBE = "ablab_write_check"  # created and rolled back inside one transaction


def check_store(
    engine: Engine, shown: str, sqlite_path: str | None, required: Collection[str],
    *, write: bool = True,
) -> None:
    """Raise StoreError unless the database at `engine` can hold ablab's `runs` table:
    reachable, not corrupt, no foreign `runs` table (one lacking a `required` column) and,
    with `write`, writable. `shown` is the URL without its password."""
    if sqlite_path not in (None, "", ":memory:"):
        assert sqlite_path is not None
        _check_sqlite(Path(sqlite_path), shown, required, write)
        return
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            if inspector.has_table("runs"):
                columns = {c["name"] for c in inspector.get_columns("runs")}
                _check_columns(columns, shown, required)
            if write:
                _write_probe(connection)
    except SQLAlchemyError as error:
        raise StoreError(f"cannot reach database {shown}: {_reason(error)}") from error


def _check_sqlite(path: Path, shown: str, required: Collection[str], write: bool) -> None:
    """A SQLite file is read through a read-only connection (the store's own would switch it
    to WAL mode: a write), so checking a foreign or damaged file leaves it as it was."""
    if path.is_dir():
        raise StoreError(f"database {shown}: {path} is a folder; give a file path such as "
                         f"{path / 'ablab.db'}")
    if write:  # SQLite's WAL mode writes `-wal` and `-shm` files beside the database
        _probe_folder(path.resolve().parent, shown)
    if not path.exists():
        return  # its folder can be made; the table is created on the first write
    if write and not os.access(path, os.W_OK):
        raise StoreError(f"database {shown}: {path} is not writable")
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            # quick_check reads every page: a file that is not SQLite, or a damaged one,
            # fails here rather than when the first cell's row is appended.
            found = db.execute("PRAGMA quick_check(1)").fetchone()[0]
            columns = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
    except sqlite3.Error as error:
        raise StoreError(f"cannot reach database {shown}: {error}") from None
    if found != "ok":
        raise StoreError(f"database {shown} is damaged ({found}); give another file")
    if columns:
        _check_columns(columns, shown, required)


def _check_columns(present: set[str], shown: str, required: Collection[str]) -> None:
    missing = sorted(set(required) - present)
    if missing:
        raise StoreError(f"database {shown}: its table runs is not ablab's (no column "
                         f"{', '.join(missing)}); give another database")


def _probe_folder(folder: Path, shown: str) -> None:
    """The folder can be made and written (ablab.writable: the only test that holds for root
    too, for whom os.access says yes to /proc); nothing stays behind."""
    try:
        check_folder(folder, f"database {shown}")
    except NotWritable as error:
        raise StoreError(str(error)) from None


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
