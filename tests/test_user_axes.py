"""A user's own optimiser and schedule, registered in their own project outside ablab/, and an
ablation over them, run as the user runs it (pytest in a subprocess); `--ablab-set` overrides."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ablab.overrides import (
    OverrideError,
    apply_overrides,
    check_overrides,
    check_registered,
    parse_override,
    parse_overrides,
)
from ablab.report.markdown import header_markdown
from ablab.spec import Experiment
from ablab.store import RunRow
from tests.test_plugin import pytest_in

AXES = '''
from __future__ import annotations

import torch
from torch.optim.lr_scheduler import LambdaLR, LRScheduler

from ablab import register_optimizer, register_schedule


class SignSGD(torch.optim.Optimizer):
    """Steps by the sign of the gradient."""

    def __init__(self, params, lr: float, weight_decay: float) -> None:
        super().__init__(params, {"lr": lr, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.mul_(1 - group["lr"] * group["weight_decay"])
                    p.add_(p.grad.sign(), alpha=-group["lr"])


@register_optimizer
def signsgd(params, *, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
    return SignSGD(params, lr=lr, weight_decay=weight_decay)


@register_schedule
def halving(optimizer, *, epochs: int, steps_per_epoch: int, factor: float = 0.5) -> LRScheduler:
    return LambdaLR(optimizer, lambda step: factor ** (step // steps_per_epoch))
'''

STUDY = '''
import dataclasses

import pytest

import myaxes  # registers signsgd and halving
from ablab import Experiment

STUDY = "own_axes"
CONTROL = "adam-constant"
BASE = Experiment(dataset="digits", epochs=3, batch_size=128, lr=0.003)


@pytest.mark.parametrize("optimizer", ["adam", "signsgd"])
@pytest.mark.parametrize("schedule", ["constant", "halving"])
def test_own_axes(run, optimizer, schedule, seed):
    result = run(dataclasses.replace(BASE, optimizer=optimizer, schedule=schedule))
    assert result.status == "ok"
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "myaxes.py").write_text(AXES)
    (tmp_path / "test_own.py").write_text(STUDY)
    return tmp_path


def rows(folder: Path) -> list[dict[str, Any]]:
    db = folder / "results" / "ablab.db"
    if not db.exists():
        return []
    with sqlite3.connect(db) as connection:
        tables = {name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "runs" not in tables:
            return []
        found = connection.execute("SELECT key, experiment, history, environment FROM runs")
        return [{"key": k, "experiment": json.loads(e), "history": json.loads(h),
                 "environment": json.loads(env)} for k, e, h, env in found]


def test_a_users_optimizer_and_schedule_run_as_an_ablation(project: Path) -> None:
    done = pytest_in(project, "--ablab-seeds", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    found = rows(project)
    assert {(r["experiment"]["optimizer"], r["experiment"]["schedule"]) for r in found} == {
        ("adam", "constant"), ("adam", "halving"), ("signsgd", "constant"),
        ("signsgd", "halving")}
    for row in found:
        lrs = [epoch["lr"] for epoch in row["history"]]
        halved = row["experiment"]["schedule"] == "halving"
        assert lrs == pytest.approx([0.003 * (0.5 ** e if halved else 1) for e in range(3)])


def test_overrides_change_every_cell_and_are_recorded(project: Path) -> None:
    plain = pytest_in(project, "--ablab-seeds", "1", "-k", "signsgd")
    assert plain.returncode == 0, plain.stdout + plain.stderr
    before = {r["key"] for r in rows(project)}
    done = pytest_in(project, "--ablab-seeds", "1", "-k", "signsgd", "--ablab-set", "epochs=2",
                     "--ablab-set", "optimizer_kwargs.weight_decay=0.01")
    assert done.returncode == 0, done.stdout + done.stderr
    changed = [r for r in rows(project) if r["key"] not in before]
    assert len(changed) == 2
    for row in changed:
        assert row["experiment"]["epochs"] == 2
        assert row["experiment"]["optimizer_kwargs"] == {"weight_decay": 0.01}
        assert len(row["history"]) == 2
        assert row["environment"]["overrides"] == {
            "epochs": 2, "optimizer_kwargs.weight_decay": 0.01}


@pytest.mark.parametrize(("setting", "message", "code"), [
    ("nope=1", "--ablab-set 'nope=1': unknown field 'nope'; fields: dataset", 4),  # usage error
    ("optimizer_kwargs.momentum=0.9", "optimizer 'adam' takes no argument 'momentum'", 1),
])
def test_a_bad_override_fails_before_anything_trains(
    project: Path, setting: str, message: str, code: int
) -> None:
    done = pytest_in(project, "--ablab-seeds", "1", "-k", "adam and constant",
                     "--ablab-set", setting)
    assert done.returncode == code, done.stdout + done.stderr
    assert message in done.stdout + done.stderr
    assert rows(project) == []


@pytest.mark.parametrize(("setting", "message"), [
    ("epochs", "'epochs' is not FIELD=VALUE"),
    ("lr.x=1", "only the kwargs fields take FIELD.KEY"),
    ("", "'' is not FIELD=VALUE"),
    ("seed=3", "'seed=3': seed is a session setting; use --ablab-seeds"),
    ("device=cpu", "device is a session setting; use --ablab-device"),
])
def test_a_malformed_override_is_named(setting: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_override(setting)


def test_override_values_and_their_validation() -> None:
    assert parse_override("epochs=20") == ("epochs", 20)
    assert parse_override("model_kwargs.hidden=[64, 32]") == ("model_kwargs.hidden", [64, 32])
    assert parse_override("patience=None") == ("patience", None)
    assert parse_override("optimizer=adamw") == ("optimizer", "adamw")
    exp = Experiment(optimizer="sgd", optimizer_kwargs={"momentum": 0.9})
    changed = apply_overrides(exp, dict([parse_override("optimizer_kwargs.nesterov=true")]))
    assert changed.optimizer_kwargs == {"momentum": 0.9, "nesterov": True}
    assert changed.key("fp") != exp.key("fp")
    with pytest.raises(ValueError, match=r"--ablab-set grad_clip=-1: grad_clip=-1 is not"):
        apply_overrides(exp, {"grad_clip": -1})


def start_up_checks(settings: list[str]) -> None:
    """What the plugin asks of --ablab-set before anything trains: at configure, then after
    collection."""
    overrides = parse_overrides(settings)
    check_overrides(overrides)
    check_registered(overrides)


@pytest.mark.parametrize("settings", [
    ["optimizer_kwargs.momentum=0.9"],  # sgd takes it: a cell with optimizer="sgd" may run
    ["penalty_kwargs.weight=0.001"],  # l1 and l2 take it; their required weight is the cell's
    ["optimizer=sgd", "optimizer_kwargs.nesterov=true"],
    ["model_kwargs.channels=[8, 16]", "epochs=2", "lr_candidates=[0.01, 0.001]"],
    ["patience=None", "grad_clip=1", "dataset_kwargs={}"],
])
def test_an_override_some_cell_can_take_passes_the_start_up_checks(settings: list[str]) -> None:
    start_up_checks(settings)


@pytest.mark.parametrize(("settings", "message"), [
    (["epochs=abc"], "epochs='abc' is not allowed; epochs must be an integer"),
    (["lr_candidates=[0.1, -1]"], "lr_candidates must be () (off) or distinct"),
    (["dataset_kwargs.window=3"], "set the field window= instead"),
    (["loss=nll"], "unknown loss 'nll'"),
    (["schedule_kwargs.gama=0.5"], "no registered schedule takes it"),
    (["init=xavier", "init_kwargs.gain=abc"], "init 'xavier': gain='abc' is not allowed"),
])
def test_an_override_no_cell_can_take_is_refused_at_start_up(
    settings: list[str], message: str
) -> None:
    with pytest.raises(OverrideError, match=re.escape(message)):
        start_up_checks(settings)


def test_the_report_header_names_the_overrides() -> None:
    def row(environment: dict[str, Any]) -> RunRow:
        return RunRow(session_id="s", study="x", node_id="", variant="v", params={}, seed=0,
                      experiment={}, key="k", cell_key="c", status="ok", metrics={},
                      history=[], timings={}, environment=environment, data_fingerprint="fp",
                      created_at=datetime(2026, 1, 1, tzinfo=UTC))

    line = header_markdown([row({"overrides": {"epochs": 20}})], ["s"], "pytest").splitlines()[-1]
    assert [cell.strip() for cell in line.split("|")] == ["", "--ablab-set", "epochs=20", ""]
    assert "--ablab-set" not in header_markdown([row({})], ["s"], "pytest")
