"""pytest-xdist within one machine: the unit of distribution is a variant with all its seeds
(seed batching stacks them on one worker), not the study file, and a claim runs after the
cells it compares, whichever worker trains them (docs/scale-out.md, "Within one machine").

Under `-n` with xdist's `load` or `worksteal`, ablab schedules with `VariantScheduling`:
xdist's LoadScopeScheduling with the variant as the scope. Each worker moves the claims to the
end of its collection (plugin.pytest_collection_modifyitems), and a claim is a scope of its
own. LoadScopeScheduling.schedule() queues the scopes in collection order, or stably sorted by
size (`--loadscope-reorder`, the default), so a one-test claim scope stays behind every cell
scope either way; `_assign_work_unit` pops the queue from the front, so no claim is handed
out while a cell is still queued, and each worker runs the tests it was sent in order
(xdist.remote: `torun` is a FIFO). Hence on every worker all its cells come before all its
claims: a claim never waits for a cell queued behind it on its own worker, and since cells
wait for nothing, every cell a claim waits for on another worker finishes. (A crash requeues
the dead worker's tests at the back of the queue, behind claims; after one, claims stop
waiting: ablab.scale.waiting.) The controller publishes which cells run where to a state
file the claims read.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

from ablab.cells import Collected
from ablab.scale.waiting import STATE_INPUT, CellState, write_state

SEED_ID = re.compile(r"seed\d+")  # ablab names each seed's parameter id `seed<N>` (plugin)


def variant_scope(nodeid: str) -> str:
    """The scheduling unit of a node id: the id without its seed's part (`t.py::t[seed0-a]`
    -> `t.py::t[a]`), so a variant's seeds share one; any other test is a unit of its own.
    The controller sees node ids only, no items; tests/test_xdist_units.py checks that this
    groups the smoke suite as ablab.scale.collection.unit_of and ablab.seedplan do. A wrong
    grouping would cost balance or a seed stack, never a result."""
    head, bracket, ids = nodeid.partition("[")
    if not bracket or not ids.endswith("]"):
        return nodeid
    parts = ids[:-1].split("-")
    kept = [p for p in parts if not SEED_ID.fullmatch(p)]
    return nodeid if len(kept) == len(parts) else f"{head}[{'-'.join(kept)}]"


@dataclass
class StateKeeper:
    """The controller's side of the state file: tests handed out and not completed, per
    worker, with the failures and skips its reports carried (`collected`)."""

    path: Path
    collected: Collected
    down: set[str] = field(default_factory=set)
    stopped: set[str] = field(default_factory=set)
    crashed: bool = False
    running: dict[str, str] = field(default_factory=dict)  # as last published
    written: CellState | None = None  # what the state file holds

    def node_down(self, worker: str) -> None:
        """A worker stopped (-x, --maxfail, a crash): what it had not run will not run there.
        xdist calls this before remove_node, and after -x without it."""
        self.down.add(worker)
        self.publish(self.running)

    def publish(self, running: dict[str, str]) -> None:
        self.running = running
        live = {n: w for n, w in running.items() if w not in self.down}
        self.stopped = (self.stopped | {n for n, w in running.items() if w in self.down}) - {
            *live}
        state = CellState(running=live, stopped=self.stopped, failed=set(self.collected.failed),
                          skipped=set(self.collected.skipped), crashed=self.crashed)
        if state != self.written:  # a completion may publish twice; write what changed only
            write_state(self.path, state)
            self.written = state


class VariantScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist has no type hints
    def __init__(self, config: pytest.Config, log: Any, keeper: StateKeeper) -> None:
        super().__init__(config, log)
        self.keeper = keeper

    def _split_scope(self, nodeid: str) -> str:
        return variant_scope(nodeid)

    def _assign_work_unit(self, node: Any) -> None:
        super()._assign_work_unit(node)
        self._publish()

    def mark_test_complete(self, node: Any, item_index: int, duration: float = 0) -> None:
        super().mark_test_complete(node, item_index, duration)
        self._publish()

    def remove_node(self, node: Any) -> str | None:
        crashed: str | None = super().remove_node(node)
        self.keeper.crashed |= crashed is not None
        self._publish()
        return crashed

    def _publish(self) -> None:
        self.keeper.publish({nodeid: str(node.gateway.id)
                             for node, work in self.assigned_work.items()
                             for unit in work.values()
                             for nodeid, done in unit.items() if not done})


@dataclass(eq=False)  # registered as a plugin: hashed by identity
class VariantDistribution:
    """The controller's hooks: the scheduler, the state file's path for every worker, and a
    worker that went down (its unfinished cells will not run: claims stop waiting for them)."""

    keeper: StateKeeper

    @classmethod
    def start(cls, collected: Collected) -> VariantDistribution:
        folder = Path(tempfile.mkdtemp(prefix="ablab-xdist-"))
        keeper = StateKeeper(folder / "cells.json", collected)
        keeper.publish({})
        return cls(keeper)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        return VariantScheduling(config, log, self.keeper)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[STATE_INPUT] = str(self.keeper.path)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        self.keeper.node_down(str(node.gateway.id))

    def pytest_unconfigure(self) -> None:
        shutil.rmtree(self.keeper.path.parent, ignore_errors=True)
