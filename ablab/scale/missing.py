"""Cells a named session registered that no process wrote a row for: what the gather's report
and gate name as missing (a shard that died, or was never started)."""

from __future__ import annotations

from ablab.store import RunStore


def untrained(store: RunStore, session: str) -> list[str]:
    """Node ids of the session's registered cells without a row in that session; [] for a
    session that registered no collection (unnamed, or from before --ablab-session)."""
    manifest = store.manifest(session)
    if manifest is None:
        return []
    written = {row.node_id for row in store.rows(session=session)}
    # Units named by a node id ("path::test") are tests that write no row; cells are
    # "study/variant" units, and each of their node ids should have a row.
    expected = [n for unit, ids in manifest.units.items() if "::" not in unit for n in ids]
    return sorted(n for n in expected if n not in written)


def untrained_markdown(store: RunStore, session: str) -> str:
    """A Markdown section listing them, or "" when every registered cell has its row."""
    missing = untrained(store, session)
    if not missing:
        return ""
    lines = [f"## Cells no process trained ({len(missing)} of session {session})", "",
             *(f"- `{n}`" for n in missing)]
    return "\n".join(lines) + "\n"
