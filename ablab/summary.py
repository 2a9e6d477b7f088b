"""The terminal summary: per study, a Markdown table of this session's cells."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from tabulate import tabulate

HEADERS = ["variant", "test accuracy", "macro F1", "n", "train s", "status"]


def mean_std(values: Sequence[float]) -> str:
    """`mean ± std` over seeds (std omitted for one value, `n/a` when nothing is finite)."""
    finite = [v for v in values if v is not None and v == v]
    if not finite:
        return "n/a"
    if len(finite) == 1:
        return f"{finite[0]:.3f}"
    return f"{statistics.fmean(finite):.3f} ± {statistics.stdev(finite):.3f}"


def _status(cells: list[dict[str, Any]]) -> str:
    counts = Counter(c["status"] for c in cells)
    text = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    reused = sum(c["reused"] for c in cells)
    return f"{text} ({reused} reused)" if reused else text


def study_tables(cells: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Study name -> Markdown table, one row per variant in first-seen order."""
    grouped: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for cell in cells:
        grouped[cell["study"]][cell["variant"]].append(cell)
    tables = {}
    for study, variants in grouped.items():
        rows = [
            [variant, mean_std([c["accuracy"] for c in group]),
             mean_std([c["f1_macro"] for c in group]), len(group),
             f"{statistics.fmean(c['train_seconds'] for c in group):.2f}", _status(group)]
            for variant, group in variants.items()
        ]
        tables[study] = tabulate(rows, HEADERS, tablefmt="github")
    return tables
