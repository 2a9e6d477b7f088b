"""One run of many cells: load data, reuse or train, record one row per cell.

The pytest plugin, Optuna searches and scripts share this; it has no pytest import.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from ablab.atomic import atomic_path
from ablab.batching import SeedBatching, shared_record, shared_timings, trained_row
from ablab.data.loading import default_cache, load_data
from ablab.data.tensors import TensorData
from ablab.naming import inside, model_file_name
from ablab.overrides import apply_overrides
from ablab.scale.cell_lock import CellLocks
from ablab.spec import EpochRecord, Experiment, RunResult
from ablab.store import RunRow, RunStore
from ablab.store.artifacts import artifacts_root, check_artifacts
from ablab.store.environment import environment
from ablab.train.artifacts import ArtifactCapture
from ablab.train.batched import run_seeds, training_record
from ablab.train.loop import EpochCallback, run_experiment
from ablab.train.threads import thread_settings

CUDA_OPTIONS = ("amp", "tf32", "channels_last")
SETTING_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Experiment)
                    if f.metadata.get("setting")}
DATA_CACHE_SIZE = 4  # datasets kept in memory per process: cells of a study share splits


def new_session_id() -> str:
    """Sortable and unique: UTC time plus random hex."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


@dataclass(frozen=True)
class CellInfo:
    """Where a cell comes from: its study, variant name, test node and parameters."""

    study: str
    variant: str
    node_id: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    trial: int | None = None
    control: str | None = None  # the study module's CONTROL variant


@dataclass
class Session:
    """Settings shared by every cell of one run, and the store its rows go to."""

    store: RunStore
    device: torch.device
    session_id: str = field(default_factory=new_session_id)
    profile: str = "smoke"
    data_root: Path | None = None
    cache: Path = field(default_factory=default_cache)
    download: bool = False
    reuse: bool = False
    # A named session (--ablab-session) reuses only its own rows, so that every cell has its
    # row in the session that compare and report --session read; unnamed, any session's.
    named: bool = False
    save_models: Path | None = None
    # CUDA speed options (--ablab-amp, --ablab-tf32, --ablab-channels-last): when on, they
    # override the experiment's own setting; when off, a study's own choice stands.
    amp: str = "none"
    tf32: bool = False
    channels_last: bool = False
    batching: SeedBatching = field(default_factory=SeedBatching)
    # One lock per cell, shared by every process of the session (ablab.scale.cell_lock).
    locks: CellLocks = field(default_factory=CellLocks)
    # --ablab-set: fields changed in every cell (see ablab.overrides); recorded in each row.
    overrides: dict[str, Any] = field(default_factory=dict)
    _data: dict[str, TensorData] = field(default_factory=dict, repr=False)

    def settings(self) -> dict[str, Any]:
        """What this session decides for every cell: device, profile, CUDA speed options."""
        return {"device": str(self.device), "profile": self.profile, "amp": self.amp,
                "tf32": self.tf32, "channels_last": self.channels_last}

    def prepare(self, exp: Experiment) -> Experiment:
        """The experiment as this session runs it: its --ablab-set overrides applied, then the
        session's settings. A setting the
        experiment itself wrote (not its default) that differs from the session's is an error:
        the session never overwrites it silently. The CUDA speed options are the exception in
        one direction: when the session leaves one off, a study's own choice stands."""
        exp = apply_overrides(exp, self.overrides)
        settings = self.settings()
        for name, value in list(settings.items()):
            own, default = getattr(exp, name), SETTING_DEFAULTS[name]
            if own == default or own == value or _same_device(name, own, value):
                continue
            if name in CUDA_OPTIONS and value == default:
                settings[name] = own  # the session leaves it off: the study's choice stands
                continue
            option = f"--ablab-{name.replace('_', '-')}"
            raise ValueError(f"{name}={own!r} is a session setting (this session: {value!r}); "
                             f"set it with {option}, not in the Experiment")
        return dataclasses.replace(exp, **settings)

    def data(self, exp: Experiment) -> TensorData:
        """The cell's dataset on the session's device, from a small per-process cache."""
        name = exp.data_identity()
        if name not in self._data:
            if len(self._data) >= DATA_CACHE_SIZE:
                del self._data[next(iter(self._data))]
            loaded = load_data(exp, self.data_root, self.cache, self.download)
            self._data[name] = loaded.to(self.device)
        return self._data[name]

    def run(
        self, exp: Experiment, cell: CellInfo, *, on_epoch: EpochCallback | None = None,
        artifacts: Collection[str] = (), seeds: Sequence[int] = (),
    ) -> RunResult:
        """Train `exp` (or, with reuse, return the stored row of the same key) and record it.
        `artifacts` (see ablab.artifacts.ARTIFACTS) are saved beside the database for figures.
        `seeds`: the variant's later seeds this session will ask for, to train with this one
        (see ablab.batching); a cell this session already trained is shared, not retrained."""
        check_artifacts(artifacts)
        if self.save_models is not None:
            inside(self.save_models, cell.study, "study")  # refused before it trains
        exp = self.prepare(exp)
        data = self.data(exp)
        key = exp.key(data.fingerprint)
        if self.reuse:
            stored = self.store.find(key, session=self.session_id if self.named else None)
            # the same cell run another way (a CPU row in a GPU session, bf16 in fp32) is not
            # a result of this one: train it
            if stored is not None and same_settings(stored, self.settings()):
                return result_from_row(stored)
        # Another worker may be training this very cell (ablab.scale.cell_lock): wait for it,
        # then share its row rather than train and store the cell a second time.
        with self.locks.hold(f"{cell.study} {cell.variant} seed {exp.seed}", "key", key):
            trained = trained_row(self.store, self.session_id, key)
            if trained is not None:
                self.batching.take(key)  # a copy from this worker's seed stack: not needed
                return self._share(trained, cell)
            result = None if artifacts else self.batching.take(key)
            if result is None:
                result = self._train(exp, data, key, on_epoch, artifacts, seeds)
            self.store.append(self.row(result, cell))
            if self.save_models is not None and result.model is not None:
                self._save_model(result, cell)
        return result

    def _train(
        self, exp: Experiment, data: TensorData, key: str, on_epoch: EpochCallback | None,
        artifacts: Collection[str], seeds: Sequence[int],
    ) -> RunResult:
        others = [e for e in self.batching.plan(exp, seeds) if not self._known(e)]
        if others and not artifacts and on_epoch is None:
            results = run_seeds([exp, *others], [data, *map(self.data, others)])
            self.batching.keep(results[1:])
            return results[0]
        capture = ArtifactCapture(artifacts, data) if artifacts else None
        result = run_experiment(exp, data, on_epoch=on_epoch,
                                after_epoch=capture.after_epoch if capture else None)
        reason = ("a callback watches every epoch" if capture or on_epoch
                  else self.batching.off_reason())
        result.metrics["training"] = training_record("sequential", 1, reason)
        if capture is not None and result.model is not None:
            capture.finish(result.model)
            path = artifacts_root(self.store.url) / self.session_id / f"{key}.npz"
            result.metrics["artifacts"] = capture.save(path)
        return result

    def _known(self, exp: Experiment) -> bool:
        """Whether this session already trained `exp` (or holds it from a stack)."""
        key = exp.key(self.data(exp).fingerprint)
        return key in self.batching.pending or trained_row(
            self.store, self.session_id, key) is not None

    def _share(self, trained: RunRow, cell: CellInfo) -> RunResult:
        """`cell` is a cell this session trained for another test: a reference row, unless
        the session has a row of the cell in `cell`'s study and variant already (an ensemble
        trained the member its own test asks for now, or the other way round): one row of a
        study's cell per session. Optuna trials with the same parameters are rows of their own
        (one per trial number, as a study's trials are)."""
        result = result_from_row(trained)
        result.metrics["training"] = shared_record(trained)
        result.timings = shared_timings(trained)  # nothing trained here: 0 s of its own
        if not any(r.key == trained.key and r.variant == cell.variant and r.trial == cell.trial
                   for r in self.store.rows(session=self.session_id, study=cell.study)):
            self.store.append(self.row(result, cell))
        return result

    def row(self, result: RunResult, cell: CellInfo) -> RunRow:
        exp = result.experiment
        return RunRow(
            session_id=self.session_id, study=cell.study, node_id=cell.node_id,
            variant=cell.variant, params=cell.params, seed=exp.seed, experiment=exp.as_dict(),
            key=result.key, cell_key=exp.cell_key(result.data_fingerprint), status=result.status,
            metrics=result.metrics, history=[dataclasses.asdict(h) for h in result.history],
            timings=result.timings, environment=self.environment(),
            settings={**exp.settings(), **thread_settings()},
            data_fingerprint=result.data_fingerprint, trial=cell.trial, control=cell.control,
        )

    def environment(self) -> dict[str, Any]:
        """Where the row ran, and the session's --ablab-set overrides when there are any."""
        found = environment(self.device)
        if self.overrides:
            found["overrides"] = dict(self.overrides)
        return found

    def _save_model(self, result: RunResult, cell: CellInfo) -> None:
        assert self.save_models is not None
        assert result.model is not None
        folder = inside(self.save_models, cell.study, "study")
        path = folder / model_file_name(result.experiment, result.key)
        with atomic_path(path) as partial:  # never a half-written checkpoint under the name
            torch.save(result.model.state_dict(), partial)


def _same_device(name: str, own: Any, session: Any) -> bool:
    """`cuda` in a study matches the session's `cuda:1` (xdist workers take GPU i mod n)."""
    return name == "device" and own == str(session).partition(":")[0]


def same_settings(row: RunRow, settings: dict[str, Any]) -> bool:
    """Whether a stored row ran with these settings (the device's type, not its index, and not
    the profile, which changes which cells run, not how one runs)."""
    return _how(Experiment.from_dict(row.experiment).settings()) == _how(settings)


def _how(settings: dict[str, Any]) -> tuple[Any, ...]:
    return (str(settings["device"]).partition(":")[0], *(settings[n] for n in CUDA_OPTIONS))


def result_from_row(row: RunRow) -> RunResult:
    """A stored row as a RunResult, marked reused."""
    return RunResult(
        experiment=Experiment.from_dict(row.experiment), key=row.key,
        status=row.status, metrics=row.metrics,
        history=[EpochRecord(**h) for h in row.history], timings=row.timings,
        data_fingerprint=row.data_fingerprint, reused=True,
    )
