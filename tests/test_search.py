"""Searches: overrides, the per-trial seeded sampler, the command's bad input, and workers that
share a study on PostgreSQL (two at once; one killed mid-trial). `pg_url` (tests/conftest.py)
skips where no server answers, except in CI."""

from __future__ import annotations

import dataclasses
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.trial import FrozenTrial, TrialState

from ablab.cli.main import main
from ablab.search.backend import TrialSeededSampler, make_pruner
from ablab.search.runner import apply_overrides, create_study, variant_name
from ablab.search.spec import SEARCHES
from ablab.spec import Experiment
from ablab.store import open_store
from ablab.store.base import RunRow
from tests.conftest import child_env

ROOT = Path(__file__).resolve().parents[1]
SPACE = {"x": FloatDistribution(0.0, 1.0), "c": CategoricalDistribution(["a", "b", "c", "d"])}
# Small, fast trials: one thread each (two workers share this machine's cores), few epochs.
FAST = ["--threads", "1", "--pruner", "none", "--epochs", "4"]
START_TIMEOUT_S = 180  # a cold `python -m ablab` (torch, optuna imports) on a loaded machine


def test_overrides_extend_model_kwargs() -> None:
    base = Experiment(model="mlp", model_kwargs={"activation": "tanh"}, lr=1e-3)
    exp = apply_overrides(base, {"lr": 0.01, "model_kwargs": {"hidden": (32, 16)}})
    assert exp.lr == 0.01
    assert exp.model_kwargs == {"activation": "tanh", "hidden": (32, 16)}
    with pytest.raises(ValueError, match="dropout"):
        apply_overrides(base, {"dropout": 1.5})


def test_variant_name_is_readable() -> None:
    name = variant_name({"width": 64, "lr": 0.0060409, "dropout": 0.29, "batch_size": 32})
    assert name == "width=64-lr=0.00604-dropout=0.29-batch_size=32"


def _ask(study: optuna.Study) -> dict[str, object]:
    return study.ask(SPACE).params


def test_sampler_is_reproducible_per_trial_number() -> None:
    first, second = (optuna.create_study(sampler=TrialSeededSampler(7)) for _ in range(2))
    assert [_ask(first) for _ in range(3)] == [_ask(second) for _ in range(3)]
    other = optuna.create_study(sampler=TrialSeededSampler(8))
    assert _ask(other) != _ask(optuna.create_study(sampler=TrialSeededSampler(7)))


def test_workers_with_one_seed_draw_different_points() -> None:
    """Two workers (own sampler, same seed) sharing one storage: no duplicated start-up trial,
    which a plain TPESampler(seed=...) per worker would produce (optuna issue #1547)."""
    storage = optuna.storages.InMemoryStorage()
    workers = [optuna.create_study(storage=storage, study_name="shared", load_if_exists=True,
                                   sampler=TrialSeededSampler(0)) for _ in range(2)]
    drawn = [_ask(workers[i % 2]) for i in range(6)]
    assert len({tuple(sorted(p.items())) for p in drawn}) == 6


def test_study_of_another_search_is_not_joined() -> None:
    storage = optuna.storages.InMemoryStorage()
    mlp = SEARCHES["mlp_search"]
    create_study(mlp, storage, study_name="taken", seed=0, pruner="none", epochs=3)
    other = dataclasses.replace(mlp, name="other_search")
    with pytest.raises(ValueError, match="belongs to search 'mlp_search'"):
        create_study(other, storage, study_name="taken", seed=0, pruner="none", epochs=3)


def test_unknown_pruner_is_rejected() -> None:
    with pytest.raises(ValueError, match="median, hyperband, none"):
        make_pruner("asha", 10)


@pytest.mark.parametrize(("args", "message"), [
    (["nope", "--n-trials", "2"], "unknown search 'nope'; known searches: mlp_search"),
    (["mlp_search", "--n-trials", "0"], "--n-trials 0 is not allowed"),
    (["mlp_search", "--n-trials", "2", "--heartbeat-interval", "5", "--grace-period", "5"],
     "--grace-period 5 is not allowed"),
    (["mlp_search", "--n-trials", "2", "--timeout", "-1"], "--timeout -1.0 is not allowed"),
])
def test_bad_input_is_one_line_and_writes_nothing(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "results" / "ablab.db"
    assert main(["search", *args, "--db", f"sqlite:///{db}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("ablab search: error: ")
    assert message in err
    assert not db.parent.exists()


def test_unreachable_database_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://postgres@127.0.0.1:1/nothing"
    assert main(["search", "mlp_search", "--n-trials", "1", "--db", url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "cannot reach database" in err


def test_searches_are_listed_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["search", "--help"])
    out = capsys.readouterr().out
    assert "mlp_search" in SEARCHES
    assert all(name in out for name in SEARCHES)


def test_the_cli_finds_this_repository_s_searches_from_a_subfolder() -> None:
    """`python -m ablab` loads pyproject.toml's [tool.ablab] imports from the folder above."""
    env = {**child_env(), "PYTHONPATH": str(ROOT)}  # ablab itself; `searches` is not on it
    done = subprocess.run([sys.executable, "-m", "ablab", "search", "--help"], cwd=ROOT / "docs",
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "mlp_search " in done.stdout.split("searches:")[1]


def _trials(url: str, name: str) -> list[FrozenTrial]:
    """The study's trials, read through a storage that is closed afterwards."""
    trials: list[FrozenTrial] = _study(url, name, lambda study: study.trials)
    return trials


def _study(url: str, name: str, read: Callable[[optuna.Study], Any]) -> Any:
    """`read(study)`, the study loaded through a storage that is closed afterwards."""
    storage = optuna.storages.RDBStorage(url)
    try:
        return read(optuna.load_study(study_name=name, storage=storage))
    finally:
        storage.remove_session()
        storage.engine.dispose()


def _rows(url: str, study: str) -> list[RunRow]:
    with open_store(url) as store:
        return store.rows(study=study)


def _worker(url: str, name: str, n_trials: int, *extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "ablab", "search", "mlp_search", "--n-trials",
               str(n_trials), "--db", url, "--name", name, *FAST, *extra]
    return subprocess.Popen(command, cwd=ROOT, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def _finish(worker: subprocess.Popen[str]) -> str:
    out, _ = worker.communicate(timeout=START_TIMEOUT_S + 120)
    assert worker.returncode == 0, out
    return out


def test_two_workers_share_one_study(pg_url: str) -> None:
    name = f"test-shared-{uuid.uuid4().hex}"
    workers = [_worker(pg_url, name, 4) for _ in range(2)]
    for worker in workers:
        out = _finish(worker)  # piped, not a terminal: one plain line per finished trial
        assert len(re.findall(r"^trial \d+ complete val_accuracy 0\.\d{4} \{", out, re.M)) == 4
    assert _study(pg_url, name, lambda study: study.metric_names) == ["val_accuracy"]
    trials = _trials(pg_url, name)
    assert len(trials) == 8
    assert sorted(t.number for t in trials) == list(range(8))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    workers_seen = {t.user_attrs["worker"] for t in trials}
    assert len(workers_seen) == 2, workers_seen  # both processes ran trials of this study
    rows = _rows(pg_url, name)
    assert sorted(r.trial for r in rows if r.trial is not None) == list(range(8))
    assert len({r.session_id for r in rows}) == 2
    params = {tuple(sorted(t.params.items())) for t in trials}
    assert len(params) == 8  # the two workers did not train the same configurations


def _running_trial(url: str, name: str) -> int:
    """Number of the first trial seen running with its objective started (heartbeat begun)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            trials = _trials(url, name)
        except KeyError:  # the worker has not created the study yet
            trials = []
        for trial in trials:
            if trial.state == TrialState.RUNNING and "worker" in trial.user_attrs:
                return trial.number
        time.sleep(0.05)
    pytest.fail(f"no trial of {name} started within {START_TIMEOUT_S} s")


@pytest.mark.slow
def test_killed_worker_trial_is_failed_and_retried(pg_url: str) -> None:
    name = f"test-killed-{uuid.uuid4().hex}"
    # Long trials (100 epochs, seconds each) so the kill lands mid-trial, after the first beat.
    beats = ["--heartbeat-interval", "1", "--grace-period", "2", "--epochs", "100"]
    doomed = _worker(pg_url, name, 3, *beats)
    number = _running_trial(pg_url, name)
    time.sleep(0.3)  # the heartbeat thread has written its first beat
    doomed.send_signal(signal.SIGKILL)
    doomed.communicate(timeout=30)
    if _trials(pg_url, name)[number].state != TrialState.RUNNING:
        pytest.fail(f"trial {number} ended before the kill; make trials longer")
    time.sleep(3)  # past the grace period: the next worker sees the trial as stale
    out = _finish(_worker(pg_url, name, 1, *beats))
    assert f"(retry of killed trial {number})" in out

    trials = _trials(pg_url, name)
    assert trials[number].state == TrialState.FAIL
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == number]
    assert len(retries) == 1
    assert retries[0].state == TrialState.COMPLETE
    assert retries[0].params == trials[number].params
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    rows = _rows(pg_url, name)
    complete = {t.number for t in trials if t.state == TrialState.COMPLETE}
    assert {r.trial for r in rows} == complete
    assert number not in {r.trial for r in rows}
