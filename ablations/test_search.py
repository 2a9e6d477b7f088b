"""Searches: small Optuna studies over the profile's data, trained through the session like the
ablations, their trials recorded beside the ablation rows. `pytest ablations -m search`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import optuna
import pytest
import torch
from optuna.storages import RDBStorage
from optuna.trial import TrialState

from ablab.search.backend import MEDIAN_WARMUP_EPOCHS, open_storage
from ablab.search.runner import SearchOptions, create_study, run_search, search_base
from ablab.search.spec import get_search
from ablab.session import Session
from ablab.store.base import RunRow

pytestmark = pytest.mark.search

SEARCH = "mlp_search"
N_TRIALS = 8
GOOD = {"width": 128, "lr": 0.01, "dropout": 0.1, "batch_size": 64}
BAD = {"width": 32, "lr": 1e-4, "dropout": 0.5, "batch_size": 128}  # barely moves in 3 epochs


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """Many tiny trainings: on a shared CPU more intra-op threads only contend."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def storage(ablab_session: Session) -> Iterator[RDBStorage]:
    """Optuna's tables in the session's results database, beside `runs`."""
    opened = open_storage(ablab_session.store.url)
    yield opened
    opened.remove_session()
    opened.engine.dispose()


def _options(ablab_session: Session, **fields: Any) -> SearchOptions:
    command = f"pytest ablations -m search --ablab-profile {ablab_session.profile}"
    return SearchOptions(command=command, **fields)


def _study_name(ablab_session: Session, label: str) -> str:
    """A fresh study per pytest session: assertions never see an earlier run's trials."""
    return f"{SEARCH}-{label}-{ablab_session.session_id}-{uuid.uuid4().hex[:6]}"


def _trial_rows(ablab_session: Session, study: str) -> dict[int, RunRow]:
    rows = ablab_session.store.rows(session=ablab_session.session_id, study=study)
    by_trial = {int(str(r.trial)): r for r in rows}
    assert len(by_trial) == len(rows), "two rows for one trial"
    return by_trial


def _chance(ablab_session: Session) -> float:
    """The majority-class share of the validation split every trial is scored on."""
    base = ablab_session.prepare(search_base(get_search(SEARCH), ablab_session.profile, 0))
    counts = torch.bincount(ablab_session.data(base).y_val)
    return float(counts.max()) / float(counts.sum())


def _epochs(ablab_session: Session) -> int:
    return search_base(get_search(SEARCH), ablab_session.profile, 0).epochs


@pytest.mark.parametrize("pruner", ["median", "hyperband"])
def test_mlp_search_finds_a_good_mlp(
    ablab_session: Session, storage: RDBStorage, pruner: str
) -> None:
    name = _study_name(ablab_session, pruner)
    study = run_search(get_search(SEARCH), ablab_session, storage,
                       _options(ablab_session, n_trials=N_TRIALS, study_name=name, pruner=pruner))
    states = [t.state for t in study.trials]
    assert len(states) == N_TRIALS
    assert set(states) <= {TrialState.COMPLETE, TrialState.PRUNED}, states
    rows = _trial_rows(ablab_session, name)
    complete = {t.number: t for t in study.trials if t.state == TrialState.COMPLETE}
    assert set(rows) == set(complete), "every finished trial, and only those, is a row"
    for number, trial in complete.items():
        assert rows[number].params == trial.params
        assert rows[number].metrics["accuracy"] == pytest.approx(trial.user_attrs["accuracy"])
    epochs = _epochs(ablab_session)
    for trial in study.trials:
        if trial.state == TrialState.PRUNED:  # stopped early, on the pruner's word
            assert 0 < max(trial.intermediate_values) < epochs
    chance = _chance(ablab_session)
    assert study.best_value > chance + 0.5
    best_row = rows[study.best_trial.number]
    assert float(best_row.metrics["accuracy"]) > chance + 0.5


def test_median_pruner_stops_a_bad_trial(ablab_session: Session, storage: RDBStorage) -> None:
    """After four good trials, a learning rate 100 times too small is pruned at the first epoch
    the median pruner may act on (its warm-up), and leaves no row."""
    search = get_search(SEARCH)
    name = _study_name(ablab_session, "median")
    epochs = _epochs(ablab_session)
    study = create_study(search, storage, study_name=name, seed=0, pruner="median",
                         epochs=epochs)
    for params in [GOOD] * 4 + [BAD]:
        study.enqueue_trial(params)
    study = run_search(search, ablab_session, storage,
                       _options(ablab_session, n_trials=5, study_name=name, pruner="median"))
    bad = study.trials[4]
    assert bad.params == BAD
    assert bad.state == TrialState.PRUNED
    assert max(bad.intermediate_values) == MEDIAN_WARMUP_EPOCHS < epochs
    assert all(t.state == TrialState.COMPLETE for t in study.trials[:4])
    assert set(_trial_rows(ablab_session, name)) == {0, 1, 2, 3}


def test_stopped_study_resumes(ablab_session: Session, storage: RDBStorage) -> None:
    """A second worker run with the same name continues the study (load_if_exists)."""
    search = get_search(SEARCH)
    name = _study_name(ablab_session, "resume")
    for n_trials in (3, 2):
        options = _options(ablab_session, n_trials=n_trials, study_name=name, pruner="none",
                           epochs=5)
        study = run_search(search, ablab_session, storage, options)
    assert [t.number for t in study.trials] == [0, 1, 2, 3, 4]
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert set(_trial_rows(ablab_session, name)) == {0, 1, 2, 3, 4}
    assert optuna.load_study(study_name=name, storage=storage).user_attrs["ablab_search"] == SEARCH
