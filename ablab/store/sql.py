"""SQLAlchemy Core backend: SQLite (WAL, busy timeout) by default, PostgreSQL for sharing."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
)

from ablab.extras import missing_extra
from ablab.store.base import RunRow, RunStore, SessionManifest, StoreError, as_utc
from ablab.store.check import check_store
from ablab.store.claim_rows import ClaimRow, claims_table
from ablab.store.jsonsafe import dumps, finite

DEFAULT_URL = "sqlite:///results/ablab.db"
CREATE_TRIES = 5  # tables created by several processes at once: see SqlStore._create_tables
SQLITE_BUSY_MS = 60_000  # several pytest-xdist workers append at once; wait rather than fail

metadata = sa.MetaData()
runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("session_id", sa.String(64), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("study", sa.String(128), nullable=False, index=True),
    sa.Column("node_id", sa.Text, nullable=False),
    sa.Column("variant", sa.String(256), nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("seed", sa.Integer, nullable=False),
    sa.Column("experiment", sa.JSON, nullable=False),
    sa.Column("key", sa.String(64), nullable=False, index=True),
    sa.Column("cell_key", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("accuracy", sa.Float),
    sa.Column("f1_macro", sa.Float),
    sa.Column("metrics", sa.JSON, nullable=False),
    sa.Column("history", sa.JSON, nullable=False),
    sa.Column("timings", sa.JSON, nullable=False),
    sa.Column("environment", sa.JSON, nullable=False),
    sa.Column("data_fingerprint", sa.String(64), nullable=False),
    sa.Column("trial", sa.Integer),
    sa.Column("control", sa.String(256)),
    sa.Column("settings", sa.JSON),
)
claims = claims_table(metadata)
# One row per named session (--ablab-session): its collection and shard plan (ablab.scale).
sessions = sa.Table(
    "sessions", metadata,
    sa.Column("session_id", sa.String(64), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("settings", sa.JSON, nullable=False),
    sa.Column("units", sa.JSON, nullable=False),
    sa.Column("shards", sa.Integer),
    sa.Column("plan", sa.JSON, nullable=False),
)


def resolve_url(url: str | None) -> str:
    """`url`, else `ABLAB_DB`, else SQLite in results/."""
    return url or os.environ.get("ABLAB_DB") or DEFAULT_URL


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cursor.close()


class SqlStore(RunStore):
    """The `runs` table behind any SQLAlchemy URL. The table is created on first write."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            parsed = make_url(url)
            self._sqlite_path = parsed.database if parsed.get_backend_name() == "sqlite" else None
            self.engine: Engine = sa.create_engine(
                parsed, json_serializer=dumps, pool_pre_ping=True,
                connect_args={"timeout": SQLITE_BUSY_MS / 1000} if self._sqlite_path else {},
            )
        except ImportError as error:  # the driver of an optional extra (psycopg)
            raise StoreError(f"database {url!r}: {missing_extra(error) or error}") from None
        except (ArgumentError, NoSuchModuleError, ValueError) as error:
            raise StoreError(f"database URL {url!r} is not usable: {error}; give a SQLAlchemy "
                             "URL such as sqlite:///results/ablab.db or "
                             "postgresql://user@host/db") from error
        if self._sqlite_path is not None:
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self._ready = False

    def _safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def check(self, *, write: bool = True) -> None:
        required = [c.name for c in runs.columns if not c.nullable]
        check_store(self.engine, self._safe_url(), self._sqlite_path, required, write=write)

    def _ensure_table(self) -> None:
        if self._ready:
            return
        if self._sqlite_path not in (None, "", ":memory:"):
            Path(str(self._sqlite_path)).parent.mkdir(parents=True, exist_ok=True)
        self._create_tables()
        self._add_missing_columns()
        self._ready = True

    def _create_tables(self) -> None:
        """Create the tables that are missing. Another process (an xdist worker, a shard) may
        create one between our check and our CREATE, and may still be creating the next table
        when we look again, so a failed CREATE is retried: each try skips the tables that
        exist by then."""
        for attempt in range(CREATE_TRIES):
            try:
                metadata.create_all(self.engine, checkfirst=True)
                return
            except DBAPIError:
                if all(sa.inspect(self.engine).has_table(t) for t in metadata.tables):
                    return
                if attempt == CREATE_TRIES - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def _add_missing_columns(self) -> None:
        """A table made by an older ablab gains the nullable columns added since."""
        present = {c["name"] for c in sa.inspect(self.engine).get_columns("runs")}
        missing = [c for c in runs.columns if c.name not in present]
        for column in missing:
            if not column.nullable:
                raise StoreError(f"table runs in {self._safe_url()} lacks required column "
                                 f"{column.name!r}; use a new database")
            kind = column.type.compile(dialect=self.engine.dialect)
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        sa.text(f'ALTER TABLE runs ADD COLUMN "{column.name}" {kind}'))
            except DBAPIError:  # another process added it first
                columns = sa.inspect(self.engine).get_columns("runs")
                if column.name not in {c["name"] for c in columns}:
                    raise

    def append(self, row: RunRow) -> int:
        self._ensure_table()
        values = asdict(row)
        del values["id"]  # the database assigns it
        values.update(finite(row.metric_columns()))
        with self.engine.begin() as connection:  # one transaction: the whole row or nothing
            inserted = connection.execute(runs.insert().values(**values)).inserted_primary_key
        assert inserted is not None
        return int(inserted[0])

    def append_claim(self, row: ClaimRow) -> int:
        self._ensure_table()
        values = {k: finite(v) for k, v in asdict(row).items()}
        with self.engine.begin() as connection:
            inserted = connection.execute(claims.insert().values(**values)).inserted_primary_key
        assert inserted is not None
        return int(inserted[0])

    def claims(
        self, *, sessions: Sequence[str] | None = None, study: str | None = None
    ) -> list[dict[str, Any]]:
        if not (self._ready or self.has_table("claims")):
            return []
        query = claims.select().order_by(claims.c.id)
        if sessions is not None:
            query = query.where(claims.c.session_id.in_(list(sessions)))
        if study is not None:
            query = query.where(claims.c.study == study)
        with self.engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(query)]

    def _select(self, query: sa.Select[Any]) -> list[dict[str, Any]]:
        if not self._exists():
            return []
        absent: dict[str, None] = {}
        if query.selected_columns.keys() == runs.columns.keys() and not self._ready:
            # Reading never alters the table: an older one's missing columns read as None.
            present = {c["name"] for c in sa.inspect(self.engine).get_columns("runs")}
            query = query.with_only_columns(*(c for c in runs.columns if c.name in present))
            absent = dict.fromkeys(c.name for c in runs.columns if c.name not in present)
        with self.engine.connect() as connection:
            return [absent | dict(r._mapping) for r in connection.execute(query)]

    def _exists(self) -> bool:
        return self._ready or self.has_table("runs")

    def has_table(self, name: str) -> bool:
        """Whether the database has table `name`; a missing SQLite file is not created."""
        if self._sqlite_path not in (None, "", ":memory:") and not Path(
            str(self._sqlite_path)
        ).exists():
            return False
        return sa.inspect(self.engine).has_table(name)

    def find(self, key: str, *, session: str | None = None) -> RunRow | None:
        query = runs.select().where(runs.c.key == key)
        if session is not None:
            query = query.where(runs.c.session_id == session)
        found = self._select(query.order_by(runs.c.id.desc()).limit(1))
        return RunRow.from_stored(found[0]) if found else None

    def rows(
        self, *, session: str | None = None, study: str | None = None
    ) -> list[RunRow]:
        query = runs.select().order_by(runs.c.id)
        if session is not None:
            query = query.where(runs.c.session_id == session)
        if study is not None:
            query = query.where(runs.c.study == study)
        return [RunRow.from_stored(columns) for columns in self._select(query)]

    def sessions(self) -> list[str]:
        query = (sa.select(runs.c.session_id).group_by(runs.c.session_id)
                 .order_by(sa.func.min(runs.c.id)))
        return [row["session_id"] for row in self._select(query)]

    def session_starts(self) -> dict[str, datetime]:
        query = (sa.select(runs.c.session_id, sa.func.min(runs.c.created_at).label("start"))
                 .group_by(runs.c.session_id))
        # SQLite hands back naive datetimes; every row was written in UTC.
        return {row["session_id"]: as_utc(row["start"]) for row in self._select(query)}

    def register(self, manifest: SessionManifest) -> SessionManifest:
        self._ensure_table()
        try:
            with self.engine.begin() as connection:
                connection.execute(sessions.insert().values(**asdict(manifest)))
        except IntegrityError:  # another process registered the session first: its one holds
            pass
        stored = self.manifest(manifest.session_id)
        assert stored is not None
        return stored

    def manifest(self, session: str) -> SessionManifest | None:
        if not (self._ready or self.has_table("sessions")):
            return None
        query = sessions.select().where(sessions.c.session_id == session)
        with self.engine.connect() as connection:
            found = connection.execute(query).first()
        return None if found is None else SessionManifest(**found._mapping)

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str | None = None) -> SqlStore:
    """The store at `url` (or `ABLAB_DB`, or the default SQLite file)."""
    return SqlStore(resolve_url(url))

