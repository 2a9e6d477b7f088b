"""The results database: append-only `runs` and `claims` tables; SQLite or any SQLAlchemy URL."""

from ablab.store.base import RunRow, RunStore, SessionManifest, StoreError
from ablab.store.claim_rows import ClaimRow
from ablab.store.sql import DEFAULT_URL, SqlStore, open_store, resolve_url

__all__ = ["DEFAULT_URL", "ClaimRow", "RunRow", "RunStore", "SessionManifest", "SqlStore",
           "StoreError", "open_store", "resolve_url"]
