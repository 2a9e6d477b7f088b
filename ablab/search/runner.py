"""Running an Optuna search (what a search is: ablab.search.spec) over Experiments.

Every trial trains through `Session.run`, exactly like an ablation cell, reports validation
accuracy each epoch to the pruner, and a trial that runs to the end is one row in `runs`
(study = the Optuna study's name, trial = its number). A pruned trial writes no row: it has no
finished model and no test metrics; its curve stays in Optuna's tables.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import optuna

from ablab.search.attributes import COMMAND_ATTR, METRIC, SEARCH_ATTR
from ablab.search.backend import TrialSeededSampler, make_pruner
from ablab.search.spec import Search
from ablab.session import CellInfo, Session
from ablab.spec import EpochRecord, Experiment, RunResult

MERGED_FIELDS = ("model_kwargs", "dataset_kwargs")  # overrides of these extend the base's


def apply_overrides(base: Experiment, overrides: dict[str, Any]) -> Experiment:
    """`base` with the overrides; model_kwargs / dataset_kwargs overrides extend the base's."""
    merged: dict[str, Any] = {k: {**getattr(base, k), **v} if k in MERGED_FIELDS else v
                              for k, v in overrides.items()}
    return dataclasses.replace(base, **merged)


def variant_name(params: dict[str, Any]) -> str:
    """Trial parameters as a readable variant name: `lr=0.00312-dropout=0.21-width=128`."""
    return "-".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in params.items())


def kept_val_accuracy(result: RunResult) -> float:
    """Validation accuracy of the weights training kept: the last epoch's, or with early
    stopping the epoch of lowest validation loss (train restores those weights)."""
    history = result.history
    if result.experiment.patience is None:
        return history[-1].val_accuracy
    return min(history, key=lambda h: h.val_loss).val_accuracy


def objective(
    search: Search, session: Session, base: Experiment, study_name: str
) -> Callable[[optuna.Trial], float]:
    """Train one trial's experiment through the session; prune on validation accuracy."""

    def run_trial(trial: optuna.Trial) -> float:
        # Where this trial runs: a worker killed mid-trial is recognisable in the study.
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
        exp = apply_overrides(base, search.space(trial))

        def report(record: EpochRecord) -> None:
            trial.report(record.val_accuracy, record.epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(
                    f"epoch {record.epoch}: val accuracy {record.val_accuracy:.3f}")

        cell = CellInfo(study=study_name, variant=variant_name(trial.params),
                        node_id=f"search:{search.name}", params=dict(trial.params),
                        trial=trial.number)
        result = session.run(exp, cell, on_epoch=report)
        trial.set_user_attr("status", result.status)
        trial.set_user_attr("accuracy", result.accuracy)
        return kept_val_accuracy(result)

    return run_trial


def create_study(
    search: Search, storage: optuna.storages.BaseStorage, *, study_name: str, seed: int,
    pruner: str, epochs: int, command: str | None = None,
) -> optuna.Study:
    """The named study, created or (load_if_exists) resumed: workers with the same name share
    it. The pruner and sampler belong to this worker; the trials belong to the study."""
    study = optuna.create_study(
        storage=storage, study_name=study_name, direction="maximize", load_if_exists=True,
        sampler=TrialSeededSampler(seed), pruner=make_pruner(pruner, epochs),
    )
    if study.user_attrs.get(SEARCH_ATTR) not in (None, search.name):
        raise ValueError(f"study {study_name!r} belongs to search "
                         f"{study.user_attrs[SEARCH_ATTR]!r}, not {search.name!r}; "
                         "choose another --name")
    study.set_user_attr(SEARCH_ATTR, search.name)
    study.set_user_attr("metric", METRIC)
    if study.metric_names is None:
        with warnings.catch_warnings():  # experimental since Optuna 3.2; its API is stable
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names([METRIC])  # the dashboard and plots name the value
    if command and COMMAND_ATTR not in study.user_attrs:
        study.set_user_attr(COMMAND_ATTR, command)  # the first worker's; reports cite it
    return study


def search_base(search: Search, profile: str, seed: int, epochs: int | None = None) -> Experiment:
    """The search's base experiment: every trial shares its seed, hence its data split."""
    base = dataclasses.replace(search.base(profile), seed=seed)
    return base if epochs is None else dataclasses.replace(base, epochs=epochs)


@dataclass(frozen=True)
class SearchOptions:
    """How one worker runs: its trial budget, the study it joins, seed, pruner, epochs."""

    n_trials: int
    study_name: str
    seed: int = 0
    pruner: str | None = None  # None: the search's own
    epochs: int | None = None  # None: the base experiment's
    timeout: float | None = None
    command: str | None = None  # how this worker was started, for the report


def run_search(
    search: Search, session: Session, storage: optuna.storages.BaseStorage,
    options: SearchOptions, callbacks: list[Callable[[optuna.Study, Any], None]] | None = None,
) -> optuna.Study:
    """Run `options.n_trials` trials of `search` in this process (one worker) and return the
    study. Data are loaded before the study is touched, so missing data writes nothing."""
    # Never reuse a stored row: a trial must train, for the pruner's curve and its own row.
    session = dataclasses.replace(session, reuse=False)
    base = session.prepare(search_base(search, session.profile, options.seed, options.epochs))
    session.data(base)  # fail here, before any trial exists, when the data cannot be loaded
    study = create_study(search, storage, study_name=options.study_name, seed=options.seed,
                         pruner=options.pruner or search.pruner, epochs=base.epochs,
                         command=options.command)
    study.optimize(objective(search, session, base, options.study_name),
                   n_trials=options.n_trials, timeout=options.timeout, callbacks=callbacks,
                   gc_after_trial=False)
    return study
