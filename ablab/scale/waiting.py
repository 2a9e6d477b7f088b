"""Claims under ablab's variant scheduling (ablab.scale.variants): a claim may start while
another pytest-xdist worker still trains a cell it compares, so it waits for that cell.

The controller keeps the state of the session's cells in a file (running: node id -> worker;
left unfinished by a worker that went down; failed; skipped) and rewrites it whenever the
scheduler hands out or completes a test. A claim reads it before it reads the store: it waits,
polling, while one of its cells is running on another worker, then treats a cell that failed
or skipped on any worker as if it had done so here (so it is not silently read from an older
session's row), and skips over cells a stopped worker left unfinished. It never waits for a
cell on its own worker: there, every cell was queued before every claim (ablab.scale.variants).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ablab.atomic import write_text
from ablab.cells import Cell, Collected
from ablab.scale.cell_lock import WAIT_SECONDS

STATE_INPUT = "ablab_cell_state"  # workerinput key: the path of the controller's state file
# The last resort (WAIT_SECONDS): a cell a claim waits for is already queued on a live worker,
# at most a few tests behind its current one (xdist refills a worker at 2 pending tests), so a
# wait as long as the longest cell's training means a worker hangs.
POLL_SECONDS = 0.2


@dataclass
class CellState:
    running: dict[str, str] = field(default_factory=dict)  # node id -> worker id (gwN)
    stopped: set[str] = field(default_factory=set)  # unfinished when their worker went down
    failed: set[str] = field(default_factory=set)
    skipped: set[str] = field(default_factory=set)
    crashed: bool = False  # a worker died: its cells were requeued, claims stop waiting

    def dumps(self) -> str:
        return json.dumps({"running": self.running, "stopped": sorted(self.stopped),
                           "failed": sorted(self.failed), "skipped": sorted(self.skipped),
                           "crashed": self.crashed})


def write_state(path: Path, state: CellState) -> None:
    write_text(path, state.dumps())  # whole or not at all: workers read it at any moment


def read_state(path: Path) -> CellState:
    if not path.exists():
        return CellState()
    found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return CellState(running=dict(found["running"]), stopped=set(found["stopped"]),
                     failed=set(found["failed"]), skipped=set(found["skipped"]),
                     crashed=bool(found["crashed"]))


def await_cells(path: Path, worker: str, node_ids: list[str], *,
                limit: float = WAIT_SECONDS, poll: float = POLL_SECONDS) -> CellState:
    """The state once none of `node_ids` is running on a worker other than `worker` (at once
    after a crash: requeued cells may sit behind a claim). TimeoutError after `limit` s."""
    deadline = time.monotonic() + limit
    while True:
        state = read_state(path)
        elsewhere = [n for n in node_ids if state.running.get(n, worker) != worker]
        if not elsewhere or state.crashed:
            return state
        if time.monotonic() > deadline:
            shown = ", ".join(f"{n} on {state.running[n]}" for n in elsewhere[:3])
            raise TimeoutError(f"claim waited {limit:.0f} s for cells still running on other "
                               f"workers ({shown}); is a worker hanging?")
        time.sleep(poll)


def settle(config: pytest.Config, collected: Collected, cells: list[Cell]) -> None:
    """On a worker under variant scheduling: wait until the claim's `cells` ran elsewhere,
    then take in the failures and skips of every worker; skip the claim over cells a stopped
    worker (-x, --maxfail, a crash) left unfinished. Nothing to do outside such a worker."""
    workerinput: dict[str, Any] = getattr(config, "workerinput", {})
    if STATE_INPUT not in workerinput:
        return
    nodes = {collected.selected[c]: c for c in cells if c in collected.selected}
    try:
        state = await_cells(Path(workerinput[STATE_INPUT]), str(workerinput["workerid"]),
                            list(nodes))
    except TimeoutError as error:
        pytest.fail(str(error), pytrace=False)
    collected.failed |= state.failed
    collected.skipped |= state.skipped
    left = [n for n in nodes if n in state.stopped or (state.crashed and n in state.running)]
    if left:
        pytest.skip(f"claim's cells did not finish: their worker stopped (-x, --maxfail or a "
                    f"crash) first: {', '.join(left[:3])}" + (" ..." if len(left) > 3 else ""))
