"""Optuna's side of a search: the study storage (heartbeats, retry of dead workers' trials),
the pruners and a sampler that stays seeded when several workers share a study."""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution
from optuna.exceptions import ExperimentalWarning
from optuna.samplers import BaseSampler, TPESampler
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.trial import FrozenTrial, TrialState
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ablab.search.spec import PRUNERS

HEARTBEAT_INTERVAL = 30  # seconds between a running trial's heartbeats
GRACE_PERIOD = 120  # a running trial silent this long belongs to a dead worker
MAX_RETRY = 2  # a trial whose worker died is re-queued this many times, then stays failed
SQLITE_TIMEOUT_S = 60  # workers on one machine share the SQLite file; wait rather than fail
STORAGE_ATTEMPTS = 3  # workers starting together race to create optuna's tables; retry
MEDIAN_STARTUP_TRIALS = 4  # no pruning before this many trials have finished
MEDIAN_WARMUP_EPOCHS = 3  # steps are epochs from 1: the earliest prune is after epoch 3
HYPERBAND_REDUCTION = 3


def open_storage(
    url: str, *, heartbeat_interval: int = HEARTBEAT_INTERVAL, grace_period: int = GRACE_PERIOD
) -> RDBStorage:
    """Optuna's tables in the database at `url` (beside `runs`), with heartbeats: a trial whose
    worker stops beating for `grace_period` seconds is failed by the next worker to start a
    trial, and re-queued (same parameters) up to MAX_RETRY times."""
    backend = make_url(url).get_backend_name()
    engine_kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if backend == "sqlite":
        engine_kwargs["connect_args"] = {"timeout": SQLITE_TIMEOUT_S}
        database = make_url(url).database
        if database not in (None, "", ":memory:"):
            Path(str(database)).parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, STORAGE_ATTEMPTS + 1):
        try:
            with warnings.catch_warnings():
                # Heartbeats and the retry callback are marked experimental by optuna; we use
                # them on purpose and do not want every command to print the warning.
                warnings.simplefilter("ignore", ExperimentalWarning)
                retry = RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY)
                return RDBStorage(
                    url, engine_kwargs=engine_kwargs, heartbeat_interval=heartbeat_interval,
                    grace_period=grace_period, heartbeat_stale_trial_callback=retry,
                )
        except SQLAlchemyError:
            if attempt == STORAGE_ATTEMPTS:
                raise
            time.sleep(0.5 * attempt)  # the other worker has created the tables by now
    raise AssertionError("unreachable")


def make_pruner(kind: str, epochs: int) -> optuna.pruners.BasePruner:
    """`median`: stop a trial whose validation accuracy is below the median of earlier trials at
    the same epoch. `hyperband`: successive halving over epochs. `none`: every trial runs out."""
    if kind == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=MEDIAN_STARTUP_TRIALS,
                                           n_warmup_steps=MEDIAN_WARMUP_EPOCHS)
    if kind == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=epochs,
                                              reduction_factor=HYPERBAND_REDUCTION)
    if kind == "none":
        return optuna.pruners.NopPruner()
    raise ValueError(f"pruner={kind!r} is not allowed; choose one of {', '.join(PRUNERS)}")


def trial_seed(seed: int, number: int) -> int:
    """The sampler seed of trial `number`: a hash of both, so neighbouring trials differ."""
    return int(np.random.SeedSequence([seed, number]).generate_state(1)[0])


class TrialSeededSampler(BaseSampler):
    """TPE whose random draws for trial n come from (seed, n) alone.

    A plain `TPESampler(seed=s)` in every worker draws the same start-up points in every worker
    (optuna issue #1547): two machines would train the same configurations. Seeding per trial
    number keeps a single worker reproducible and gives each trial of a shared study its own
    stream. With several workers the history TPE conditions on depends on timing, so a shared
    study is not reproducible trial for trial; that is inherent to asynchronous search.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._tpe = TPESampler(seed=trial_seed(seed, 0))

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self._tpe = TPESampler(seed=trial_seed(self.seed, trial.number))
        self._tpe.before_trial(study, trial)

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self._tpe.infer_relative_search_space(study, trial)

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self._tpe.sample_relative(study, trial, search_space)

    def sample_independent(
        self, study: optuna.Study, trial: FrozenTrial, param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._tpe.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(
        self, study: optuna.Study, trial: FrozenTrial, state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._tpe.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self._tpe.reseed_rng()
