"""Within one session: seeds of a variant trained together, and no cell trained twice.

The session asks `SeedBatching.plan` which later seeds of a variant (the pytest seed axis
makes each seed its own test item) to train together with the first one; their results wait
in `pending` until their own item asks for them, and that item stores its own row. A cell whose
key already has a row in this session (any worker, any study) is not trained again: the new
study gets a reference row, a copy marked `shared` that names the trained row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ablab.spec import Experiment, RunResult
from ablab.store import RunRow, RunStore

AUTO_SEEDS = 16  # `auto`: every planned seed of a variant, up to this many per stack
MODES = ("auto", "off")


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
