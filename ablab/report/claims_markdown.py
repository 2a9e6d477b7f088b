"""A study's claims (asserted) and findings (reported) as a Markdown table, from the rows of
the `claims` table; the newest evaluation of each wins when a report spans sessions."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from ablab.stats.sequential import is_sequential

HEADERS = ["", "comparison", "verdict", "diff", "CI", "p", "seeds", "outcome"]


def _what(row: dict[str, Any]) -> str:
    if row["kind"] == "trend":
        return f"trend of {row['metric']} over {row['a']} (slope/step)"
    return f"{row['a']} vs {row['b']} on {row['metric']} ({row['direction']} is better)"


def _outcome(row: dict[str, Any]) -> str:
    if not row["asserted"]:
        return "reported"
    return "passed" if row["passed"] else "**FAILED**"


def _number(value: float | None, spec: str) -> str:
    """A stored number; `n/a` for null (the store keeps NaN as null: no test without spread)."""
    return "n/a" if value is None or math.isnan(value) else format(value, spec)


def _interval(row: dict[str, Any]) -> str:
    low, high = (_number(row[k], "+.3f") for k in ("ci_low", "ci_high"))
    return "n/a" if "n/a" in (low, high) else f"[{low}, {high}]"


def latest(claims: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (test, comparison): the newest evaluation, in first-seen order."""
    newest: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for row in sorted(claims, key=lambda r: r["id"]):
        newest[(row["node_id"], row["a"], row["b"], row["metric"])] = row
    return sorted(newest.values(), key=lambda r: r["id"])


def claims_markdown(study: str, claims: Sequence[dict[str, Any]]) -> str:
    """The study's claims and findings, or "" when it has none."""
    rows = latest([c for c in claims if c["study"] == study])
    if not rows:
        return ""
    level = round(100 * (1 - float(rows[0]["alpha"])))
    table = [[
        "claim" if r["asserted"] else "finding", _what(r), r["verdict"],
        _number(r["diff"], "+.3f"), _interval(r), _number(r["p_value"], ".3g"),
        f"{r['n']}" + (f" ({r['stop_reason']})" if r.get("stop_reason") else ""), _outcome(r),
    ] for r in rows]
    borrowed = [r for r in rows if r["source"] != "this session"]
    note = (f"\n\n{len(borrowed)} of these read cells not run in their session: "
            + "; ".join(f"{_what(r)}: {r['source']}" for r in borrowed)) if borrowed else ""
    if any(is_sequential(r.get("stop_reason") or "") for r in rows):
        note += (f"\n\nSeeds until decisive (--ablab-seeds MIN..MAX): a row that was decided "
                 f"or reached the maximum shows the repeated CI of the group-sequential design "
                 f"(all looks together cover at {level}%) and the nominal p at its last look, "
                 "judged against that look's stricter level (docs/studies.md).")
    return (f"### {study}: claims and findings ({level}% CI, paired t-test over seeds)\n\n"
            + tabulate(table, HEADERS, tablefmt="github", disable_numparse=True) + note)
