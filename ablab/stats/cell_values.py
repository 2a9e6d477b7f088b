"""The per-seed values a claim compares, read from stored rows rather than process memory.

A cell counts when any worker or process of this session stored it. A cell this session did
not store (reused, or not part of this run, e.g. under `pytest --lf` or `-m claim`) is read
from the latest stored row with the same cell identity: per variant, the `cell_key` of this
session's rows, else of the newest row of that variant in the same profile. Such borrowed
cells are named in `source`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ablab.stats.direction import direction
from ablab.store.base import RunRow

THIS_SESSION = "this session"


def metric_value(row: RunRow, metric: str) -> float | None:
    """The row's value of `metric`; `overfit_gap` is the last epoch's validation minus
    training loss, from the stored history."""
    direction(metric)
    if metric == "overfit_gap":
        history = row.history
        if not history:
            return None
        last = history[-1]
        if last.get("val_loss") is None or last.get("train_loss") is None:
            return None
        return float(last["val_loss"]) - float(last["train_loss"])
    value = row.metrics.get(metric)
    return None if value is None else float(value)


def row_profile(row: RunRow) -> str | None:
    """The profile the row ran in (rows from before `settings` kept it in the experiment)."""
    profile = row.settings.get("profile") or row.experiment.get("profile")
    return None if profile is None else str(profile)


@dataclass(frozen=True)
class Picked:
    """Per variant, seed -> value; the (variant, seed) cells without one; and where the
    values came from."""

    values: dict[str, dict[int, float]]
    missing: list[tuple[str, int]]
    borrowed: dict[str, list[str]]  # session id -> the cells read from it ("variant seed s")

    @property
    def source(self) -> str:
        if not self.borrowed:
            return THIS_SESSION
        parts = [f"{session} ({', '.join(cells)})" for session, cells in self.borrowed.items()]
        return ("not run in this session, read from the latest stored rows with the same cell "
                f"identity: {'; '.join(parts)}")


def pick_cells(
    rows: Sequence[RunRow], variants: Sequence[str], seeds: Sequence[int], *,
    session: str, metric: str, profile: str, failed_here: Collection[tuple[str, int]] = (),
) -> Picked:
    """`rows`: one study's rows, oldest first. A cell that failed in this run is missing even
    when an older row of it exists: the claim must not quietly fall back past a failure."""
    values: dict[str, dict[int, float]] = {}
    missing: list[tuple[str, int]] = []
    borrowed: dict[str, list[str]] = {}
    for variant in variants:
        mine, own = _of_variant(rows, variant, session, profile)
        identity = (own or mine)[-1].cell_key if (own or mine) else None
        values[variant] = {}
        for seed in seeds:
            found = _latest(own, seed) or _latest(
                [r for r in mine if r.cell_key == identity], seed)
            value = None if found is None else metric_value(found, metric)
            if value is None or (found is not None and found.session_id != session
                                 and (variant, seed) in failed_here):
                missing.append((variant, seed))
                continue
            values[variant][seed] = value
            if found is not None and found.session_id != session:
                borrowed.setdefault(found.session_id, []).append(f"{variant} seed {seed}")
    return Picked(values, missing, borrowed)


def _of_variant(
    rows: Sequence[RunRow], variant: str, session: str, profile: str
) -> tuple[list[RunRow], list[RunRow]]:
    """The variant's rows in the profile, and those of them this session stored."""
    mine = [r for r in rows if r.variant == variant and row_profile(r) in (profile, None)]
    return mine, [r for r in mine if r.session_id == session]


def identity_row(
    rows: Sequence[RunRow], variant: str, *, session: str, profile: str
) -> RunRow | None:
    """The row whose cell identity pick_cells reads the variant with: the newest of this
    session's rows of it, else the newest in the profile (a further seed trains its
    experiment with the seed replaced)."""
    mine, own = _of_variant(rows, variant, session, profile)
    return (own or mine)[-1] if (own or mine) else None


def _latest(rows: Sequence[RunRow], seed: int) -> RunRow | None:
    matching = [r for r in rows if r.seed == seed]
    return matching[-1] if matching else None
