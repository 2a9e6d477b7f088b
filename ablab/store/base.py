"""The store's contract: every backend appends whole rows and reads them back unchanged."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Self

from ablab.store.claim_rows import ClaimRow

# Rows written before the `control` column kept the study's CONTROL in params under this key.
LEGACY_CONTROL_PARAM = "_control"
METRIC_COLUMNS = ("accuracy", "f1_macro")  # test-split metrics that are also `runs` columns


class StoreError(RuntimeError):
    """The database cannot be reached or used; the message says which and why."""



def as_utc(moment: datetime) -> datetime:
    """`moment` with a time zone: a naive one is UTC (the store's rows are)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

@dataclass(frozen=True)
class RunRow:
    """One finished cell, as stored."""

    session_id: str
    study: str
    node_id: str
    variant: str
    params: dict[str, Any]
    seed: int
    experiment: dict[str, Any]
    key: str
    cell_key: str
    status: str
    metrics: dict[str, Any]
    history: list[dict[str, Any]]
    timings: dict[str, float]
    environment: dict[str, Any]
    data_fingerprint: str
    trial: int | None = None
    control: str | None = None  # the study's CONTROL variant (the report compares with it)
    # How it ran: device, profile, CUDA speed options, torch threads (not part of the key).
    settings: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: int | None = None  # set by the store; None for a row not stored yet

    def metric_columns(self) -> dict[str, Any]:
        """The metrics also kept as columns of their own, for SQL queries and dashboards."""
        return {name: self.metrics.get(name) for name in METRIC_COLUMNS}

    @classmethod
    def from_stored(cls, columns: dict[str, Any]) -> RunRow:
        """A row as read back. Columns that only repeat the row (the accuracy and F1 kept as
        columns for SQL queries) are dropped; older rows' missing columns get their defaults,
        and a CONTROL they kept in params becomes the control."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in columns.items() if k in names and v is not None}
        params = values.get("params") or {}
        if "control" not in values and LEGACY_CONTROL_PARAM in params:
            values["control"] = params[LEGACY_CONTROL_PARAM]
            values["params"] = {k: v for k, v in params.items() if k != LEGACY_CONTROL_PARAM}
        return cls(**values)


@dataclass(frozen=True)
class SessionManifest:
    """What one named session collects: its settings, its units (a variant's seeds, or one
    other test) with their node ids, and, when sharded, the shard count and each unit's shard.
    The first process that names the session stores it; every later one must match it."""

    session_id: str
    settings: dict[str, Any]
    units: dict[str, list[str]]
    shards: int | None = None
    plan: dict[str, int] = field(default_factory=dict)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class RunStore(ABC):
    """Append-only rows; a row is there whole or not at all."""

    url: str

    @abstractmethod
    def check(self, *, write: bool = True) -> None:
        """Raise StoreError when the database cannot be reached, is not ablab's or (with
        `write`) cannot be written; writes nothing that stays."""

    @abstractmethod
    def append(self, row: RunRow) -> int:
        """Store one row atomically; returns its id."""

    @abstractmethod
    def find(self, key: str, *, session: str | None = None) -> RunRow | None:
        """The newest row whose experiment key is `key` (of that session if given), or None."""

    @abstractmethod
    def rows(
        self, *, session: str | None = None, study: str | None = None
    ) -> list[RunRow]:
        """Rows in insertion order, optionally of one session and one study."""

    @abstractmethod
    def append_claim(self, row: ClaimRow) -> int:
        """Store one evaluated claim or finding; returns its id."""

    @abstractmethod
    def claims(
        self, *, sessions: Sequence[str] | None = None, study: str | None = None
    ) -> list[dict[str, Any]]:
        """Claim rows in insertion order, optionally of some sessions and one study."""

    @abstractmethod
    def has_table(self, name: str) -> bool:
        """Whether the database has table `name` (e.g. Optuna's); creates nothing."""

    @abstractmethod
    def sessions(self) -> list[str]:
        """Session ids, oldest first."""

    @abstractmethod
    def session_starts(self) -> dict[str, datetime]:
        """Session id -> when it started: the time of its first stored row (UTC)."""

    @abstractmethod
    def register(self, manifest: SessionManifest) -> SessionManifest:
        """Store `manifest` unless its session has one; return the stored one (first wins,
        also when several processes register at the same moment)."""

    @abstractmethod
    def manifest(self, session: str) -> SessionManifest | None:
        """The manifest a named session registered, or None (unnamed, or an older ablab)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
