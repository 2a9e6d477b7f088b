"""Seeds until decisive under pytest-xdist: two claims on two workers that share a variant
train each of its extra seeds once (ablab.scale.cell_lock), under every `--dist` mode, and the
rows, the claims and the terminal table count each cell once."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tests.test_plugin import pytest_in

# `target_accuracy` is part of a cell's key but not of its training, so a, b, c and d are four
# cells with the same accuracy on every seed: a difference of exactly 0, never decided, so
# both claims train every extra seed up to MAX, and both want `a`'s at about the same moment.
# Four variants of two seeds make xdist's LoadScopeScheduling hand each worker two of them
# first (it refills a worker at <= 2 pending tests), and then one claim each: the two claims
# run at the same time on two workers (asserted below for the modes that spread a module).
# A cell takes about 0.3 s, longer than the workers' usual lag behind each other.
STUDY = '''
import dataclasses
import pytest
from ablab.spec import Experiment

BASE = Experiment(dataset="digits", model_kwargs={"hidden": [256, 256]}, epochs=5,
                  batch_size=64)
TARGETS = {"a": 0.5, "b": 0.6, "c": 0.7, "d": 0.8}


@pytest.mark.parametrize("name", list(TARGETS))
def test_tiny(run, name, seed):
    run(dataclasses.replace(BASE, target_accuracy=TARGETS[name]))


def test_one(finding):
    finding("a", "b")


def test_two(finding):
    finding("a", "c")
'''
LOW, HIGH = 2, 5
RAN = re.compile(r"\[(gw\d+)\] \[\s*\d+%\] PASSED (\S+)")


# load and worksteal hand two claims to two workers (where the race was); loadfile and
# loadscope keep a module on one worker and run with the slow tests (`-m slow`, CI).
@pytest.mark.parametrize("dist", ["load", "worksteal",
                                  pytest.param("loadfile", marks=pytest.mark.slow),
                                  pytest.param("loadscope", marks=pytest.mark.slow)])
def test_two_claims_sharing_a_variant_train_each_extra_seed_once(
    tmp_path: Path, dist: str
) -> None:
    (tmp_path / "test_tiny.py").write_text(STUDY)
    done = pytest_in(tmp_path, "--ablab-seeds", f"{LOW}..{HIGH}", "-n", "2", "--dist", dist,
                     "-v")
    assert done.returncode == 0, done.stdout + done.stderr
    worker = {node: gw for gw, node in RAN.findall(done.stdout)}
    claims_on = {worker["test_tiny.py::test_one"], worker["test_tiny.py::test_two"]}
    # load and worksteal spread the variants (ablab.scale.variants): the claims race there;
    # loadfile and loadscope keep the module, claims included, on one worker
    assert len(claims_on) == (2 if dist in ("load", "worksteal") else 1), done.stdout
    with sqlite3.connect(tmp_path / "results" / "ablab.db") as connection:
        twice = connection.execute(
            "SELECT study, variant, seed, count(*) FROM runs GROUP BY session_id, study, "
            "variant, seed HAVING count(*) > 1").fetchall()
        seeds = dict(connection.execute(
            "SELECT variant, group_concat(seed) FROM (SELECT variant, seed FROM runs "
            "ORDER BY seed) GROUP BY variant").fetchall())
        claims = connection.execute(
            "SELECT a, b, n, stop_reason FROM claims ORDER BY b").fetchall()
    assert twice == []
    every, axis = ",".join(map(str, range(HIGH))), ",".join(map(str, range(LOW)))
    # the claims trained the extra seeds: a (in both), b and c (in one each) have all of them
    assert seeds == {"a": every, "b": every, "c": every, "d": axis}
    assert claims == [(a, b, HIGH, f"reached the maximum {HIGH} seeds")
                      for a, b in (("a", "b"), ("a", "c"))]
    shown = {cells[1].strip(): cells[4].strip() for cells in
             (line.split("|") for line in done.stdout.splitlines())
             if len(cells) > 4 and cells[1].strip() in seeds}
    assert shown == {"a": str(HIGH), "b": str(HIGH), "c": str(HIGH), "d": str(LOW)}  # n
