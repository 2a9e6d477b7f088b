"""The terminal summary: per study, a Markdown table of this session's cells, and the claims
and findings the `claims` table holds for the session."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from tabulate import tabulate

from ablab.stash import CELL_PROPERTY, RECORDS_KEY, SESSION_KEY, from_property
from ablab.stats.spread import over_seeds

REPORT_DIR = Path("results")
# `train s`: mean over seeds of the seconds one cell took to train; a shared row counts the
# seconds of the row that trained its cell (its own stored train_seconds is 0, ablab.batching).
HEADERS = ["variant", "test accuracy", "macro F1", "n", "train s", "status"]


def mean_std(values: Sequence[float | None]) -> str:
    """`mean ± std` over seeds (std omitted for one value, `n/a` when nothing is finite)."""
    found = over_seeds(values)
    if found.n == 0:
        return "n/a"
    if found.n == 1:
        return f"{found.mean:.3f}"
    return f"{found.mean:.3f} ± {found.sd:.3f}"


def _status(cells: list[dict[str, Any]]) -> str:
    counts = Counter(c["status"] for c in cells)
    text = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    at_chance = sum(bool(c.get("at_chance")) for c in cells)  # beside the status, not one
    if at_chance:
        text += f"; {at_chance} at chance"
    shared = sum(c.get("training") == "shared" for c in cells)  # trained for another study
    reused = sum(c["reused"] for c in cells) - shared
    notes = [f"{n} {what}" for n, what in ((reused, "reused"), (shared, "shared")) if n]
    return f"{text} ({', '.join(notes)})" if notes else text


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


def claim_line(found: dict[str, Any]) -> str:
    """`[study] asserted, passed: <text>` for a stored claim row; its source when borrowed."""
    kind = "reported" if not found["asserted"] else (
        "asserted, passed" if found["passed"] else "asserted, FAILED")
    line = f"[{found['study']}] {kind}: {found['text']}"
    if found.get("stop_reason"):
        line += f"; {found['stop_reason']}"
    return line if found["source"] == "this session" else f"{line}; cells {found['source']}"


class SummaryReporter:
    """Collects cell and claim records from reports (user_properties cross pytest-xdist) and
    prints the session's tables at the end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.records = config.stash[RECORDS_KEY]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        for name, value in report.user_properties:
            record = from_property(value) if name == CELL_PROPERTY else None
            if record is not None:
                self.records.cells.append(record)

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int) -> None:
        if hasattr(self.config, "workerinput"):
            return
        if exitstatus == pytest.ExitCode.USAGE_ERROR:
            # A run refused at start-up (e.g. a named session's collection differs, or a bad
            # --ablab-set found after collection) trained nothing: its one-line error is all
            # it says, not the session's stored claims from earlier runs.
            return
        session = self.config.stash[SESSION_KEY]
        claims = session.store.claims(sessions=[session.session_id])
        if not (self.records.cells or claims):
            return
        write = terminalreporter.write_line
        terminalreporter.write_sep("-", f"ablab session {session.session_id}")
        for study, table in study_tables(self.records.cells).items():
            write(f"\n### {study}\n")
            write(table)
        if claims:
            write("\nClaims (asserted) and findings (reported), from the claims table:")
            for found in claims:
                write(f"- {claim_line(found)}")
        write(f"\nrows in {session.store.url} (session {session.session_id})")
        if self.config.getoption("ablab_report"):
            from ablab.report.write import (
                write_report,  # matplotlib only when a report is asked for
            )

            command = " ".join(["pytest", *self.config.invocation_params.args])
            try:
                path = write_report(session.store, [session.session_id], REPORT_DIR, command)
            except ValueError as error:  # e.g. every cell of the session was reused: no rows
                write(f"report: not written: {error}")
            else:
                write(f"report: {path}")
