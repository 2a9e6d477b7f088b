"""Under pytest-xdist the unit of distribution is a variant with all its seeds, and a claim
waits for cells another worker is still training (ablab.scale.variants, ablab.scale.waiting)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from ablab.scale.variants import variant_scope
from ablab.scale.waiting import CellState, await_cells, read_state, write_state
from tests.conftest import REPO, child_env
from tests.test_plugin import pytest_in

# `he` trains 2 epochs, `zeros` 150 (seconds), two seeds each: the worker with `he` reaches the
# claim while the other still trains `zeros`; without waiting the claim finds no zeros cell.
STUDY = '''
import dataclasses
import pytest
from ablab.spec import Experiment

BASE = Experiment(dataset="digits", epochs=1, batch_size=128)


@pytest.mark.parametrize("init", ["he", "zeros"])
def test_tiny(run, init, seed):
    run(dataclasses.replace(BASE, init=init, epochs=2 if init == "he" else 150))


def test_claim(claim):
    assert claim("he", "zeros").verdict == "better"
'''
LINE = re.compile(r"\[(gw\d+)\] \[\s*\d+%\] (\w+) (\S+)")


def test_a_studys_variants_run_on_two_workers_and_its_claim_sees_all_cells(
    tmp_path: Path,
) -> None:
    (tmp_path / "test_tiny.py").write_text(STUDY)
    done = pytest_in(tmp_path, "--ablab-seeds", "2", "-n", "2", "-v")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "scheduling tests via VariantScheduling" in done.stdout
    ran = [m.groups() for m in map(LINE.search, done.stdout.splitlines()) if m]
    worker = {node: gw for gw, _, node in ran}
    he = {worker[f"test_tiny.py::test_tiny[seed{s}-he]"] for s in (0, 1)}
    zeros = {worker[f"test_tiny.py::test_tiny[seed{s}-zeros]"] for s in (0, 1)}
    assert len(he) == len(zeros) == 1  # each variant's seeds on one worker (one seed stack)
    assert he != zeros  # the study's variants on two workers
    order = [node for _, _, node in ran]
    assert order[-1] == "test_tiny.py::test_claim"  # reported after every cell
    claims = pd.read_sql_table("claims", f"sqlite:///{tmp_path / 'results' / 'ablab.db'}")
    assert list(claims["verdict"]) == ["better"]
    assert list(claims["source"]) == ["this session"]  # all four cells, none borrowed
    assert list(claims["passed"]) == [True]
    runs = pd.read_sql_table("runs", f"sqlite:///{tmp_path / 'results' / 'ablab.db'}")
    modes = runs["metrics"].map(lambda m: (json.loads(m) if isinstance(m, str) else m)
                                ["training"]["mode"])
    assert list(modes) == ["batched"] * 4  # the seeds of each variant stacked


@pytest.mark.slow
def test_a_cell_that_failed_on_another_worker_fails_the_claim(tmp_path: Path) -> None:
    """Not read from the earlier session's row: the claim knows the cell failed elsewhere."""
    failing = STUDY.replace("    run(dataclasses", "    assert init == 'he' or seed != 1\n"
                                                  "    run(dataclasses")
    (tmp_path / "test_tiny.py").write_text(STUDY)
    first = pytest_in(tmp_path, "--ablab-seeds", "2")  # rows an unwary claim would borrow
    assert first.returncode == 0, first.stdout + first.stderr
    (tmp_path / "test_tiny.py").write_text(failing)
    done = pytest_in(tmp_path, "--ablab-seeds", "2", "-n", "2", "-rA")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "claim's cells ran but left no result (failed): tiny zeros seeds [1]" in done.stdout


def test_the_scope_groups_the_smoke_suite_as_units_and_seed_stacks_do(tmp_path: Path) -> None:
    """variant_scope sees node ids only; the grouping it gives every collected test of the
    smoke suite must be the one ablab.scale.collection.unit_of and ablab.seedplan give."""
    (tmp_path / "grouping.py").write_text(
        "import json, pathlib\nfrom ablab.scale.collection import unit_of\n"
        "from ablab.seedplan import _group\n"
        "def pytest_collection_finish(session):\n"
        "    found = {i.nodeid: [unit_of(i), repr(_group(i) and _group(i)[0])]\n"
        "             for i in session.items}\n"
        f"    pathlib.Path({str(tmp_path / 'units.json')!r}).write_text(json.dumps(found))\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "ablations", "--collect-only", "-q",
         "-p", "no:cacheprovider", "-p", "grouping"], cwd=REPO, capture_output=True,
        text=True, timeout=300, env={**child_env(), "PYTHONPATH": f"{tmp_path}:{REPO}"})
    assert done.returncode == 0, done.stdout + done.stderr
    found: dict[str, list[str]] = json.loads((tmp_path / "units.json").read_text())
    assert len(found) > 100
    for way in (0, 1):
        by_ours: dict[str, set[str]] = {}
        by_theirs: dict[str, set[str]] = {}
        for node, groups in found.items():
            theirs = groups[way] if groups[way] != "None" else node
            by_ours.setdefault(variant_scope(node), set()).add(theirs)
            by_theirs.setdefault(theirs, set()).add(variant_scope(node))
        assert all(len(v) == 1 for v in by_ours.values())  # no scope mixes two units
        assert all(len(v) == 1 for v in by_theirs.values())  # no unit split over scopes


@pytest.mark.parametrize(("node", "scope"), [
    ("a.py::t[seed0-mlp-he]", "a.py::t[mlp-he]"),
    ("a.py::t[mlp-seed12]", "a.py::t[mlp]"),
    ("a.py::t[seed3]", "a.py::t[]"),
    ("a.py::t[reseed0-x]", "a.py::t[reseed0-x]"),  # not the seed's id: a test of its own
    ("a.py::test_claim", "a.py::test_claim"),
])
def test_variant_scope_drops_the_seed_id_only(node: str, scope: str) -> None:
    assert variant_scope(node) == scope


def test_a_claim_waits_for_cells_on_other_workers_only(tmp_path: Path) -> None:
    path = tmp_path / "cells.json"
    write_state(path, CellState(running={"c1": "gw1", "c0": "gw0"}))
    assert await_cells(path, "gw0", ["c0"], limit=0).running == {"c1": "gw1", "c0": "gw0"}
    done = threading.Timer(0.5, write_state, (path, CellState(failed={"c1"})))
    done.start()
    started = time.monotonic()
    state = await_cells(path, "gw0", ["c0", "c1"], limit=30, poll=0.05)
    assert time.monotonic() - started >= 0.4
    assert state.failed == {"c1"}
    assert read_state(tmp_path / "none.json") == CellState()


def test_a_claim_stops_waiting_after_a_crash_or_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "cells.json"
    write_state(path, CellState(running={"c1": "gw1"}, crashed=True))
    assert await_cells(path, "gw0", ["c1"], limit=0).crashed
    write_state(path, CellState(running={"c1": "gw1"}))
    with pytest.raises(TimeoutError, match=r"claim waited 0 s for cells still running on "
                                           r"other workers \(c1 on gw1\)"):
        await_cells(path, "gw0", ["c1"], limit=0.1, poll=0.05)
