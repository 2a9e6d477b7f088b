"""The results database: one append-only `runs` table, SQLite by default, any SQLAlchemy URL."""

from ablab.store.base import RunRow, RunStore, SessionManifest, StoreError
from ablab.store.sql import DEFAULT_URL, SqlStore, open_store, resolve_url

__all__ = ["DEFAULT_URL", "RunRow", "RunStore", "SessionManifest", "SqlStore", "StoreError",
           "open_store", "resolve_url"]
