"""The simulated cluster (issue 15): three "machines" (pytest processes in three working
directories, started together) each run one shard of the smoke init and dropout studies into
one PostgreSQL database under one session id; one is SIGKILLed mid-run and rerun with reuse;
then the gather. Everything must equal the same cells run on one machine.

Slow (minutes on 2 cores): `pytest tests/test_cluster.py -s` prints the figures."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ablab.gate.compare import compare_frames
from ablab.gate.export import read_table, session_frame
from ablab.gate.verdicts import Thresholds
from ablab.report.markdown import studies, summary_markdown
from ablab.scale.collection import expected_costs
from ablab.scale.shards import plan
from ablab.store import RunRow, open_store
from tests.cluster import (
    claim_lines,
    finish,
    machine,
    own_database,
    start,
    without_columns,
)
from tests.conftest import REPO

SHARDS = 3
TIMING_COLUMNS = ("s to target", "samples/s")  # wall-clock figures differ between runs


def _rows(db: str, session: str) -> list[RunRow]:
    with open_store(db) as store:
        return store.rows(session=session)


def _shard_tests(db: str, session: str, shard: int) -> set[str]:
    with open_store(db) as store:
        manifest = store.manifest(session)
    assert manifest is not None, "no shard registered the session"
    return {n for unit, ids in manifest.units.items() if manifest.plan[unit] == shard
            for n in ids}


def _kill_after_first_row(
    process: subprocess.Popen[str], db: str, session: str, shard: int
) -> int:
    """SIGKILL the shard once it has written a row of its own; how many it had written."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            mine = _shard_tests(db, session, shard)
        except AssertionError:
            continue  # not registered yet
        written = {r.node_id for r in _rows(db, session)} & mine
        if written:
            process.send_signal(signal.SIGKILL)
            process.wait()
            if process.stdout is not None:
                process.stdout.close()
            return len({r.node_id for r in _rows(db, session)} & mine)
    pytest.fail("the shard to kill wrote no row in 10 minutes")


def _wall_seconds(shards: dict[int, subprocess.Popen[str]], began: float) -> dict[int, float]:
    """Each shard's seconds from the common start to its own end (each must pass); one thread
    per shard reads its output, so none blocks on a full pipe."""

    def ended(process: subprocess.Popen[str]) -> float:
        finish(process)
        return time.monotonic() - began

    with ThreadPoolExecutor(len(shards)) as pool:
        futures = {i: pool.submit(ended, process) for i, process in shards.items()}
        return {i: future.result() for i, future in futures.items()}


def _next_plans(db: str) -> tuple[list[float], list[float]]:
    """Expected train seconds per shard of a next session of the same tests: planned by equal
    count (a first run) and by the costs this session recorded."""
    with open_store(db) as store:
        manifest = store.manifest("night")
        assert manifest is not None
        costs = expected_costs(store, dataclasses.replace(manifest, session_id="next"))
    known = {unit: cost or 0.0 for unit, cost in costs.items()}

    def loads(assigned: dict[str, int]) -> list[float]:
        return [round(sum(c for u, c in known.items() if assigned[u] == i), 1)
                for i in range(1, SHARDS + 1)]

    return loads(plan(dict.fromkeys(known), SHARDS)), loads(plan(known, SHARDS))


def _tables(rows: list[RunRow]) -> dict[str, list[str]]:
    return {name: without_columns(summary_markdown(summary), TIMING_COLUMNS)
            for name, _, summary in studies(rows)}


def _verdicts(db: str, session: str) -> list[tuple[object, ...]]:
    baseline = read_table(REPO / "results/baselines/smoke-cpu.csv")
    verdicts, _ = compare_frames(baseline, session_frame(db, session)[1], Thresholds())
    return sorted((v.study, v.variant, v.metric, v.current, v.verdict) for v in verdicts)


@pytest.mark.slow
def test_three_shards_then_gather_equal_one_machine(pg_url: str, tmp_path: Path) -> None:
    with own_database(pg_url) as db:
        folders = [machine(tmp_path, f"machine{i}") for i in range(1, SHARDS + 1)]
        began = time.monotonic()
        shards = {i: start(folders[i - 1], db, "--ablab-session", "night", "--ablab-shard",
                           f"{i}/{SHARDS}") for i in range(1, SHARDS + 1)}
        before_rerun = _kill_after_first_row(shards.pop(2), db, "night", 2)
        seconds = _wall_seconds(shards, began)
        second = _shard_tests(db, "night", 2)
        assert 0 < before_rerun < len(second), "shard 2 was not killed mid-run"
        rerun_began = time.monotonic()
        finish(start(folders[1], db, "--ablab-session", "night", "--ablab-shard",
                     f"2/{SHARDS}", "--ablab-reuse"))
        seconds[2] = time.monotonic() - rerun_began
        rows = _rows(db, "night")
        trained = Counter(r.node_id for r in rows)
        expected = set().union(*(_shard_tests(db, "night", i) for i in range(1, SHARDS + 1)))
        assert set(trained) == expected, "a cell was lost"
        assert max(trained.values()) == 1, "a cell was trained twice"
        rerun_rows = sum(1 for r in rows if r.node_id in second) - before_rerun
        assert rerun_rows == len(second) - before_rerun  # only the killed shard's missing cells

        gather_began = time.monotonic()
        gathered = finish(start(folders[0], db, "--ablab-session", "night", "--ablab-reuse"))
        gather_seconds = time.monotonic() - gather_began
        assert len(_rows(db, "night")) == len(rows), "the gather trained a cell"

        alone = finish(start(machine(tmp_path, "one-machine"), db, "--ablab-session", "alone"))
        assert _tables(rows) == _tables(_rows(db, "alone"))
        assert claim_lines(gathered) == claim_lines(alone)
        assert claim_lines(alone), "the studies' claims printed nothing"
        assert _verdicts(db, "night") == _verdicts(db, "alone")

        per_shard = {i: len(_shard_tests(db, "night", i)) for i in range(1, SHARDS + 1)}
        equal, balanced = _next_plans(db)
        print(f"\ncells per shard {per_shard}; seconds per shard (2: the rerun) "
              f"{ {i: round(s, 1) for i, s in sorted(seconds.items())} }; rows {len(rows)} "
              f"({len(expected)} cells, {before_rerun} of shard 2 before SIGKILL); "
              f"gather {gather_seconds:.1f} s, 0 rows added; a next session's expected train "
              f"seconds per shard: {balanced} planned by these costs, {equal} by count")
