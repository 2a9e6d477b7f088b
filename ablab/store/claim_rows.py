"""The `claims` table: one row per evaluation of a claim (asserted) or finding (reported),
beside the `runs` rows it was computed from. REPORT.md and the terminal summary read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

KINDS = ("comparison", "trend")


@dataclass(frozen=True)
class ClaimRow:
    """One evaluated claim or finding. For a trend, `a` is the ordered variants joined by
    ` < ` and `b` is empty; `diff` is then the slope per step. `passed` is the test's outcome
    for an asserted claim and None for a reported finding. `source` says which sessions'
    rows the values came from; `stop_reason` why no more seeds were asked for."""

    session_id: str
    study: str
    node_id: str
    kind: str
    a: str
    b: str
    metric: str
    direction: str
    n: int
    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    alpha: float
    verdict: str
    asserted: bool
    passed: bool | None
    text: str
    seeds: list[int]
    source: str = "this session"
    stop_reason: str = ""
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind={self.kind!r} is not allowed; choose one of {KINDS}")


def claims_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "claims", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(64), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("study", sa.String(128), nullable=False),
        sa.Column("node_id", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("a", sa.Text, nullable=False),
        sa.Column("b", sa.Text, nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("diff", sa.Float),
        sa.Column("ci_low", sa.Float),
        sa.Column("ci_high", sa.Float),
        sa.Column("p_value", sa.Float),
        sa.Column("alpha", sa.Float, nullable=False),
        sa.Column("verdict", sa.String(64), nullable=False),
        sa.Column("asserted", sa.Boolean, nullable=False),
        sa.Column("passed", sa.Boolean),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("seeds", sa.JSON, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("stop_reason", sa.Text, nullable=False),
    )


def claim_values(found: dict[str, Any], **row: Any) -> dict[str, Any]:
    """A Comparison's or Trend's `as_dict()` plus where it ran, as ClaimRow keywords."""
    trend = "variants" in found
    return {
        "kind": "trend" if trend else "comparison",
        "a": " < ".join(found["variants"]) if trend else found["a"],
        "b": "" if trend else found["b"],
        "diff": found["slope"] if trend else found["diff"],
        **{k: found[k] for k in ("metric", "direction", "n", "ci_low", "ci_high", "p_value",
                                 "alpha", "verdict", "text")},
        **row,
    }
