"""Within one session: seeds of a variant trained together, and no cell trained twice.

The session asks `SeedBatching.plan` which later seeds of a variant (the pytest seed axis
makes each seed its own test item) to train together with the first one; their results wait
in `pending` until their own item asks for them, and that item stores its own row. A cell whose
key already has a row in this session (any worker, any study) is not trained again: the new
study gets a reference row, a copy marked `shared` that names the trained row. The reference
row spent no time: its `train_seconds` and `eval_seconds` are 0, so a session's rows sum to
the time it really trained; the trained row's seconds stay beside them as `shared_*`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ablab.spec import Experiment, RunResult
from ablab.store import RunRow, RunStore

AUTO_SEEDS = 16  # `auto`: every planned seed of a variant, up to this many per stack
MODES = ("auto", "off")
SPENT = ("train_seconds", "eval_seconds")  # the timings a reference row did not spend


def parse_seed_batch(text: str) -> int:
    """`auto` (AUTO_SEEDS), `off` (1) or K >= 1: the most seeds trained as one stack."""
    if text == "auto":
        return AUTO_SEEDS
    if text == "off":
        return 1
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"seed batch {text!r} is not allowed; give auto, off or an integer "
                         ">= 1")
    return int(text)


@dataclass
class SeedBatching:
    """At most `limit` seeds per stack (1: off) and the results waiting for their items."""

    limit: int = AUTO_SEEDS
    pending: dict[str, RunResult] = field(default_factory=dict)

    def take(self, key: str) -> RunResult | None:
        """The result of `key` trained with an earlier seed of its variant, once."""
        return self.pending.pop(key, None)

    def keep(self, results: Sequence[RunResult]) -> None:
        self.pending.update({r.key: r for r in results})

    def plan(self, exp: Experiment, seeds: Sequence[int]) -> list[Experiment]:
        """The variants of `exp` with the later `seeds`, up to the limit less `exp` itself."""
        later = [s for s in dict.fromkeys(seeds) if s != exp.seed][: self.limit - 1]
        return [dataclasses.replace(exp, seed=s) for s in later]

    def off_reason(self) -> str:
        return "seed batching off" if self.limit == 1 else "one seed to train"


def trained_row(store: RunStore, session_id: str, key: str) -> RunRow | None:
    """The row of `key` this session already wrote (trained or shared), or None. Within one
    session every row ran with the same settings, so it is this cell's result."""
    return store.find(key, session=session_id)


def shared_record(row: RunRow) -> dict[str, Any]:
    """metrics["training"] of a reference row: which row of this session trained the cell."""
    origin = row.metrics.get("training", {}).get("row", row.id)
    return {"mode": "shared", "seeds": 1, "row": origin,
            "reason": f"trained in this session by {row.node_id or row.study}"}


def shared_timings(row: RunRow) -> dict[str, float]:
    """timings of a reference row to `row`: the cell's own (samples per second, epochs run),
    but 0 seconds spent, with the trained row's seconds under `shared_<name>` (kept through
    `row` when it is itself a reference row)."""
    timings = dict(row.timings)
    for name in SPENT:
        timings[f"shared_{name}"] = float(timings.get(f"shared_{name}", timings.get(name, 0.0)))
        timings[name] = 0.0
    return timings


def cell_seconds(timings: Mapping[str, float]) -> float:
    """How long the cell took to train: a row's own train_seconds, or for a reference row
    those of the row that trained it (what the terminal table and the shard plan want)."""
    return float(timings.get("shared_train_seconds", timings.get("train_seconds", 0.0)))
