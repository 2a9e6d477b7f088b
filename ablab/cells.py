"""Which cells this session collected, which `-k`/`-m` deselected and which skipped: what a
claim says about a cell it needs and did not get a result for.

A claim over a missing cell is skipped only when the cell was deselected (or its study was not
collected at all, e.g. one claim selected by node id) or skipped itself (data unavailable); a
cell that was selected and left no result (it failed) or that no test of the study produces in
this profile (a misspelt or renamed variant) fails the claim.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from ablab.controls import ControlError, check_controls
from ablab.variant import SEED, variant_name

Cell = tuple[str, str, int]  # (study, variant, seed)


def study_name(module: Any) -> str:
    """A module's `STUDY`, else its file name without the `test_` prefix."""
    default = module.__name__.rpartition(".")[2].removeprefix("test_")
    return str(getattr(module, "STUDY", default))


def cell_of(item: pytest.Item) -> Cell | None:
    """The (study, variant, seed) a `run` test trains, or None for other items."""
    if "run" not in getattr(item, "fixturenames", ()):
        return None
    callspec: Any = getattr(item, "callspec", None)
    seed = callspec.params.get(SEED) if callspec is not None else None
    module = getattr(item, "module", None)
    if module is None or not isinstance(seed, int):
        return None
    return study_name(module), variant_name(item), seed


def control_error(module: Any, items: Iterable[Any]) -> str | None:
    """Why the module's CONTROL does not fit the variants its `run` tests collected (None when
    it does): the collection error of ablab.plugin.pytest_make_collect_report."""
    declared = getattr(module, "CONTROL", None)
    if declared is None:  # nothing to check (and most collected modules are not studies)
        return None
    variants = [cell[1] for cell in map(cell_of, items) if cell is not None]
    try:
        check_controls(declared, variants)
    except ControlError as error:
        return f"{study_name(module)}: {error}"
    return None


@dataclass(eq=False)  # registered as a plugin: hashed by identity
class Collected:
    """Cells by node id: selected for this session, deselected, and those that skipped."""

    selected: dict[Cell, str] = field(default_factory=dict)
    deselected: set[Cell] = field(default_factory=set)
    skipped: set[str] = field(default_factory=set)
    # node ids of cells that failed here (under variant scheduling a claim adds those that
    # failed on the other xdist workers: ablab.scale.waiting)
    failed: set[str] = field(default_factory=set)

    # pytest hooks (this object is registered as a plugin)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            cell = cell_of(item)
            if cell is not None:
                self.selected[cell] = item.nodeid

    def pytest_deselected(self, items: Iterable[pytest.Item]) -> None:
        self.deselected.update(c for c in map(cell_of, items) if c is not None)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped:  # e.g. data unavailable: a claim over the cell skips too
            self.skipped.add(report.nodeid)
        elif report.failed:  # a claim must not fall back to an older row of this cell
            self.failed.add(report.nodeid)

    def failed_cells(self, study: str) -> set[tuple[str, int]]:
        """(variant, seed) of the study's cells that failed in this session as far as this
        process knows (ablab.scale.waiting tells a claim's worker about the others)."""
        return {(v, seed) for (s, v, seed), node in self.selected.items()
                if s == study and node in self.failed}

    def variants(self, study: str) -> list[str]:
        cells = [*self.selected, *self.deselected]
        return sorted({variant for s, variant, _ in cells if s == study})

    def why_missing(self, cells: list[Cell]) -> tuple[str, str]:
        """('fail' | 'skip', reason) for cells a claim needs and has no result for."""
        study = cells[0][0]
        known = self.variants(study)
        unknown = sorted({v for _, v, _ in cells if known and v not in known})
        if unknown:
            return "fail", (f"claim names cells no test of {study} produces in this profile: "
                            f"{', '.join(unknown)}; its variants are {', '.join(known)}")
        failed = [c for c in cells if c in self.selected and self.selected[c] not in self.skipped]
        if failed:
            return "fail", f"claim's cells ran but left no result (failed): {_listed(failed)}"
        skipped = [c for c in cells if c in self.selected]
        if skipped:
            return "skip", f"claim's cells were skipped: {_listed(skipped)}"
        return "skip", f"claim needs cells this session did not run: {_listed(cells)}"


def _listed(cells: list[Cell]) -> str:
    seeds: dict[str, list[int]] = {}
    for _, variant, seed in cells:
        seeds.setdefault(variant, []).append(seed)
    return f"{cells[0][0]} " + "; ".join(f"{v} seeds {s}" for v, s in seeds.items())
