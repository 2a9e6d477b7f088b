"""A named session's collection: its units (all seeds of a variant together, or one other
test), what differs between two collections, and each unit's expected cost from earlier rows."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence

import pytest
from _pytest.fixtures import FixtureFunctionDefinition  # pytest >= 8.4 names no public type

from ablab import claim_fixtures
from ablab.batching import cell_seconds
from ablab.cells import cell_of
from ablab.scale.variants import variant_scope
from ablab.store import RunRow, RunStore, SessionManifest

# Every fixture ablab.claim_fixtures defines (claim, finding, their trends): a test using one
# compares cells across the session.
CLAIM_FIXTURES = frozenset(name for name, value in vars(claim_fixtures).items()
                           if isinstance(value, FixtureFunctionDefinition))
SHOWN = 3  # names a one-line error lists before "and N more"


def is_claim(item: pytest.Item) -> bool:
    """Claims read the whole session's cells: they run in the gather, not in a shard."""
    return bool(CLAIM_FIXTURES & set(getattr(item, "fixturenames", ())))


def unit_of(item: pytest.Item) -> str:
    """`study/variant` for a cell (its seeds stay together), else the test's node id without
    its seed (a seed-parametrised test that is no cell, such as S5's ensemble, keeps its seeds
    together too, as xdist's variant scheduling does)."""
    cell = cell_of(item)
    return variant_scope(item.nodeid) if cell is None else f"{cell[0]}/{cell[1]}"


def units(items: Iterable[pytest.Item]) -> dict[str, list[str]]:
    """Unit -> node ids, claims left out (they are no shard's work)."""
    found: dict[str, list[str]] = {}
    for item in items:
        if not is_claim(item):
            found.setdefault(unit_of(item), []).append(item.nodeid)
    return found


def difference(here: SessionManifest, there: SessionManifest) -> str:
    """What differs between two collections of one session, or "" when they match."""
    parts = [f"{name} {here.settings.get(name)!r} here, {there.settings.get(name)!r} there"
             for name in sorted({*here.settings, *there.settings})
             if here.settings.get(name) != there.settings.get(name)]
    mine = {n for ids in here.units.values() for n in ids}
    theirs = {n for ids in there.units.values() for n in ids}
    for label, names in (("only here", mine - theirs), ("only there", theirs - mine)):
        if names:
            parts.append(f"{len(names)} tests {label} ({_some(sorted(names))})")
    return "; ".join(parts)


def _some(names: Sequence[str]) -> str:
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def expected_costs(
    store: RunStore, manifest: SessionManifest
) -> dict[str, float | None]:
    """Per unit, the seconds its tests trained for in earlier sessions of the same profile:
    each node id's median over those rows, a seed without rows counted as its unit's mean;
    None for a unit no earlier row knows."""
    seconds = _seconds_by_node(store, manifest)
    costs: dict[str, float | None] = {}
    for unit, node_ids in manifest.units.items():
        known = [statistics.median(seconds[n]) for n in node_ids if seconds.get(n)]
        costs[unit] = statistics.fmean(known) * len(node_ids) if known else None
    return costs


def _seconds_by_node(store: RunStore, manifest: SessionManifest) -> dict[str, list[float]]:
    wanted = {n for ids in manifest.units.values() for n in ids}
    studies = {unit.partition("/")[0] for unit in manifest.units}
    found: dict[str, list[float]] = {}
    for study in sorted(studies):
        for row in store.rows(study=study):
            if _counts(row, manifest, wanted):
                # a test whose cell was shared costs its cell's seconds where it trains alone
                found.setdefault(row.node_id, []).append(cell_seconds(row.timings))
    return found


def _counts(row: RunRow, manifest: SessionManifest, wanted: set[str]) -> bool:
    return (row.node_id in wanted and row.session_id != manifest.session_id
            and row.experiment.get("profile") == manifest.settings.get("profile")
            and isinstance((row.timings or {}).get("train_seconds"), int | float))
