"""The identity of a cell: one frozen Experiment, validated on construction, and its result."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import nn

OPTIMIZERS = ("sgd", "momentum", "adam")
INITS = ("default", "he", "xavier", "normal", "zeros")
PENALTIES = ("none", "l1", "l2")
AUGMENTATIONS = ("none", "flip", "noise", "both", "4x")
PROFILES = ("smoke", "full")
AMPS = ("none", "bf16")  # bf16 autocast needs no loss scaling, unlike fp16
STATUSES = ("ok", "diverged", "collapsed")
# Marks the fields that decide a cell's tensors (ablab.data.loading reads these and no others):
# cells equal on them share one loaded dataset (Experiment.data_identity).
DATA = {"data": True}
# Marks the session's settings: where and how a cell runs, not what it is. They are recorded in
# the row (RunRow.settings) but are not part of its key, so the same cell has one identity on a
# CPU and on a GPU, in the smoke and in the full profile, with or without bf16.
SETTING = {"setting": True}


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    __tracebackhide__ = True  # pytest shows the user's line, not ablab's validation frames
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not allowed; choose one of {', '.join(allowed)}")


def _check(name: str, ok: bool, value: object, allowed: str) -> None:
    __tracebackhide__ = True
    if not ok:
        raise ValueError(f"{name}={value!r} is not allowed; {name} must be {allowed}")


def _one_channel(kwargs_name: str, kwargs: dict[str, Any], knob: str) -> None:
    """A knob that is a field of its own may not also be set inside the factory's kwargs:
    `dropout` would reach the model twice, `window` in dataset_kwargs would be overridden."""
    __tracebackhide__ = True
    if knob in kwargs:
        raise ValueError(f"{kwargs_name}[{knob!r}]={kwargs[knob]!r} is not allowed; set the "
                         f"field {knob}= instead (one channel per knob)")


def check_device(device: str) -> None:
    """`auto`, `cpu`, `cuda` or `cuda:<index>`."""
    head, _, index = device.partition(":")
    ok = device in ("auto", "cpu", "cuda") or (head == "cuda" and index.isdigit())
    _check("device", ok, device, "auto, cpu, cuda or cuda:<index>")


@dataclass(frozen=True, kw_only=True)
class Experiment:
    """Every knob of one trained cell. Make variants with `dataclasses.replace`."""

    dataset: str = field(default="digits", metadata=DATA)
    dataset_kwargs: dict[str, Any] = field(default_factory=dict, metadata=DATA)
    model: str = "mlp"
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    init: str = "default"
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 64
    epochs: int = 10
    penalty: str = "none"
    penalty_weight: float = 0.0
    dropout: float = 0.0
    augmentation: str = field(default="none", metadata=DATA)
    window: int | None = field(default=None, metadata=DATA)
    val_fraction: float = field(default=0.15, metadata=DATA)
    test_fraction: float = field(default=0.15, metadata=DATA)
    patience: int | None = None
    target_accuracy: float | None = None
    seed: int = field(default=0, metadata=DATA)  # splits, shuffling and init
    device: str = field(default="auto", metadata=SETTING)
    amp: str = field(default="none", metadata=SETTING)
    tf32: bool = field(default=False, metadata=SETTING)
    channels_last: bool = field(default=False, metadata=SETTING)
    profile: str = field(default="smoke", metadata=SETTING)

    def __post_init__(self) -> None:
        __tracebackhide__ = True
        from ablab.registry import DATASETS, MODELS

        _one_channel("model_kwargs", self.model_kwargs, "dropout")
        _one_channel("dataset_kwargs", self.dataset_kwargs, "window")
        MODELS.check(self.model, self.model_kwargs, ("dropout",) if self.dropout else ())
        window = ("window",) if self.window is not None else ()
        DATASETS.check(self.dataset, self.dataset_kwargs, window)
        _choice("init", self.init, INITS)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("penalty", self.penalty, PENALTIES)
        _choice("augmentation", self.augmentation, AUGMENTATIONS)
        _choice("profile", self.profile, PROFILES)
        check_device(self.device)
        _choice("amp", self.amp, AMPS)
        cuda_only = {"amp": self.amp != "none", "tf32": self.tf32,
                     "channels_last": self.channels_last}
        for name, asked in cuda_only.items():
            _check(name, not (asked and self.device == "cpu"), getattr(self, name),
                   "off on device='cpu' (it is a CUDA option)")
        _check("lr", math.isfinite(self.lr) and self.lr > 0, self.lr, "a finite number > 0")
        _check("weight_decay", self.weight_decay >= 0, self.weight_decay, ">= 0")
        _check("batch_size", self.batch_size > 0, self.batch_size, "an integer > 0")
        _check("epochs", self.epochs > 0, self.epochs, "an integer > 0")
        _check("penalty_weight", self.penalty_weight >= 0, self.penalty_weight, ">= 0")
        _check("penalty_weight", (self.penalty == "none") == (self.penalty_weight == 0),
               self.penalty_weight, "> 0 exactly when penalty is l1 or l2")
        _check("dropout", 0 <= self.dropout < 1, self.dropout, "in [0, 1)")
        _check("window", self.window is None or self.window >= 0, self.window, "None or >= 0")
        _check("val_fraction", 0 < self.val_fraction < 1, self.val_fraction, "in (0, 1)")
        _check("test_fraction", 0 < self.test_fraction < 1, self.test_fraction, "in (0, 1)")
        _check("val_fraction + test_fraction", self.val_fraction + self.test_fraction < 1,
               self.val_fraction + self.test_fraction, "< 1")
        _check("patience", self.patience is None or self.patience > 0, self.patience,
               "None or an integer > 0")
        _check("target_accuracy", self.target_accuracy is None or 0 < self.target_accuracy <= 1,
               self.target_accuracy, "None or in (0, 1]")
        _check("seed", self.seed >= 0, self.seed, "an integer >= 0")

    def __hash__(self) -> int:
        # The kwargs are dicts, so the generated field-tuple hash would raise TypeError.
        return hash(_canonical(self.as_dict()))

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def data_identity(self) -> str:
        """Canonical JSON of the fields marked DATA: what a cell's loaded tensors depend on."""
        return _canonical({f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                           if f.metadata.get("data")})

    def settings(self) -> dict[str, Any]:
        """The fields marked SETTING: how and where the cell runs (recorded, not identity)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.metadata.get("setting")}

    def key(self, data_fingerprint: str) -> str:
        """Stable identity of this cell: canonical JSON of its own knobs (every field but the
        session settings) plus the data fingerprint."""
        return _digest({"experiment": self._identity(), "data": data_fingerprint})

    def cell_key(self, data_fingerprint: str) -> str:
        """The key without the seed: what seeds of one variant share (used to compare runs)."""
        fields = self._identity()
        del fields["seed"]
        return _digest({"experiment": fields, "data": data_fingerprint})

    def _identity(self) -> dict[str, Any]:
        """The fields that make a cell: all but the settings (device, profile, CUDA options)."""
        return {name: value for name, value in self.as_dict().items()
                if name not in self.settings()}

    @classmethod
    def from_dict(cls, fields: dict[str, Any]) -> Experiment:
        return cls(**fields)


def _canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def _digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(payload).encode()).hexdigest()[:20]


@dataclass(frozen=True)
class EpochRecord:
    """One row of a cell's per-epoch history."""

    epoch: int
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    samples_seen: int
    seconds: float


@dataclass
class RunResult:
    """What training one cell produced: returned by `run(experiment)` and stored as one row."""

    experiment: Experiment
    key: str
    status: str
    metrics: dict[str, Any]
    history: list[EpochRecord]
    timings: dict[str, float]
    data_fingerprint: str
    reused: bool = False
    model: nn.Module | None = field(default=None, repr=False, compare=False)

    @property
    def accuracy(self) -> float:
        return float(self.metrics["accuracy"])

    @property
    def macro_f1(self) -> float:
        return float(self.metrics["f1_macro"])

    @property
    def final_train_loss(self) -> float:
        return self.history[-1].train_loss if self.history else math.nan
