"""Session ids and shards: parse `--ablab-session` / `--ablab-shard`, and split a session's
units (a variant with all its seeds, or any other test) into N shards of similar cost.

Pure: no torch, no pytest, no store; the plugin feeds it the collection and the costs."""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping
from dataclasses import dataclass

SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # fits the runs.session_id column


class ShardError(ValueError):
    """Bad --ablab-session or --ablab-shard input: one line naming what is allowed."""


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count`, both 1-based as written: `--ablab-shard 2/3`."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def check_session_id(text: str) -> str:
    if not SESSION_ID.fullmatch(text):
        raise ShardError(f"--ablab-session {text!r}: use 1-64 letters, digits, '.', '_' or '-', "
                         "starting with a letter or digit (e.g. a CI run id)")
    return text


def parse_shard(text: str) -> Shard:
    """`I/N` with 1 <= I <= N; anything else is a ShardError saying so."""
    index, slash, count = text.partition("/")
    if not (slash and index.isdigit() and count.isdigit()):
        raise ShardError(f"--ablab-shard {text!r}: write I/N with whole numbers, "
                         "e.g. 1/3 for the first of three shards")
    shard = Shard(int(index), int(count))
    if shard.count < 1 or not 1 <= shard.index <= shard.count:
        raise ShardError(f"--ablab-shard {text}: I must be 1..N (shards are numbered from 1; "
                         f"{shard.count} shards are 1/{shard.count} .. "
                         f"{max(shard.count, 1)}/{shard.count})")
    return shard


def plan(costs: Mapping[str, float | None], count: int) -> dict[str, int]:
    """Each unit's shard (1..count): longest first onto the least loaded shard (LPT), ties
    broken by name and shard number, so every machine computes the same plan from the same
    input. A unit of unknown cost (None) counts as the median known cost, or 1 when none is
    known, which makes the plan an equal count on a first run."""
    known = [c for c in costs.values() if c is not None]
    default = statistics.median(known) if known else 1.0
    filled = {unit: default if cost is None else cost for unit, cost in costs.items()}
    loads = [0.0] * count
    assigned: dict[str, int] = {}
    for unit in sorted(filled, key=lambda u: (-filled[u], u)):
        lightest = min(range(count), key=lambda s: (loads[s], s))
        loads[lightest] += filled[unit]
        assigned[unit] = lightest + 1
    return assigned
