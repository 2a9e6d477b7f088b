"""The identity of a cell: one frozen Experiment, validated on construction, and its result."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ablab.validate import check_fields, check_value

if TYPE_CHECKING:
    from torch import nn

PROFILES = ("smoke", "full")
AMPS = ("none", "bf16")  # bf16 autocast needs no loss scaling, unlike fp16
STATUSES = ("ok", "diverged", "collapsed")
MONITORS = ("val_loss", "val_accuracy")  # what early stopping may watch
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


# Fields added after cells were first stored: left out of the identity while at their default,
# so that adding them kept every existing cell key (changing such a default changes meaning
# without changing keys: don't).
OMIT_AT_DEFAULT = {"identity": "omitted at default"}


def _one_channel(kwargs_name: str, kwargs: dict[str, Any], knob: str) -> None:
    """A knob that is a field of its own may not also be set inside the factory's kwargs:
    `dropout` would reach the model twice, `window` in dataset_kwargs would be overridden."""
    __tracebackhide__ = True
    if knob in kwargs:
        raise ValueError(f"{kwargs_name}[{knob!r}]={kwargs[knob]!r} is not allowed; set the "
                         f"field {knob}= instead (one channel per knob)")


# Each field's own bounds, whatever the other fields hold (the type comes first, from the
# annotation). Construction checks them; so does the start-up check of an --ablab-set override
# (ablab.overrides), before any cell exists. Bounds across fields stay in __post_init__.
FIELD_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "lr": (lambda v: math.isfinite(v) and v > 0, "a finite number > 0"),
    "batch_size": (lambda v: v > 0, "an integer > 0"),
    "epochs": (lambda v: v > 0, "an integer > 0"),
    "grad_clip": (lambda v: v is None or v > 0, "None (off) or a max norm > 0"),
    "dropout": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "window": (lambda v: v is None or v >= 0, "None or >= 0"),
    "val_fraction": (lambda v: 0 < v < 1, "in (0, 1)"),
    "test_fraction": (lambda v: 0 < v < 1, "in (0, 1)"),
    "label_noise": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "patience": (lambda v: v is None or v > 0, "None or an integer > 0"),
    "lr_candidates": (lambda v: all(c > 0 for c in v) and len(set(v)) == len(v),
                      "() (off) or distinct learning rates > 0"),
    "target_accuracy": (lambda v: v is None or 0 < v <= 1, "None or in (0, 1]"),
    "seed": (lambda v: v >= 0, "an integer >= 0"),
}
CHOICES = {"monitor": MONITORS}
# A knob that is a field of its own may not be set inside these kwargs fields as well.
ONE_CHANNEL = {"model_kwargs": "dropout", "dataset_kwargs": "window"}


def _check_own(name: str, value: Any) -> None:
    __tracebackhide__ = True
    if name in CHOICES:
        _choice(name, value, CHOICES[name])
    else:
        ok, allowed = FIELD_RULES[name]
        _check(name, ok(value), value, allowed)


def check_field(name: str, value: Any) -> None:
    """One field's value on its own, before an Experiment holds it (an --ablab-set override):
    its type, its own bounds and, for a kwargs field, the one-channel rule. A ValueError names
    the field; what depends on other fields (a factory's arguments, lr among lr_candidates) is
    left to construction."""
    __tracebackhide__ = True
    check_value(Experiment, name, value)
    if name in FIELD_RULES or name in CHOICES:
        _check_own(name, value)
    if name in ONE_CHANNEL:
        _one_channel(name, value, ONE_CHANNEL[name])


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
    init_kwargs: dict[str, Any] = field(default_factory=dict, metadata=OMIT_AT_DEFAULT)
    optimizer: str = "adam"
    optimizer_kwargs: dict[str, Any] = field(default_factory=dict, metadata=OMIT_AT_DEFAULT)
    lr: float = 1e-3
    schedule: str = field(default="constant", metadata=OMIT_AT_DEFAULT)
    schedule_kwargs: dict[str, Any] = field(default_factory=dict, metadata=OMIT_AT_DEFAULT)
    loss: str = field(default="cross_entropy", metadata=OMIT_AT_DEFAULT)
    loss_kwargs: dict[str, Any] = field(default_factory=dict, metadata=OMIT_AT_DEFAULT)
    grad_clip: float | None = field(default=None, metadata=OMIT_AT_DEFAULT)
    batch_size: int = 64
    epochs: int = 10
    penalty: str = "none"
    penalty_kwargs: dict[str, Any] = field(default_factory=dict, metadata=OMIT_AT_DEFAULT)
    dropout: float = 0.0
    # Not DATA: a batch transform inside the training loop, the loaded tensors stay the same.
    augmentation: str = "none"
    augmentation_kwargs: dict[str, Any] = field(default_factory=dict, metadata=OMIT_AT_DEFAULT)
    window: int | None = field(default=None, metadata=DATA)
    val_fraction: float = field(default=0.15, metadata=DATA)
    test_fraction: float = field(default=0.15, metadata=DATA)
    # A what-if knob (e.g. the gate's regression drill, docs/regression-gate.md): this share of
    # the *training* labels is flipped to another class with a generator seeded by `seed`.
    label_noise: float = field(default=0.0, metadata={**DATA, **OMIT_AT_DEFAULT})
    patience: int | None = None
    # What early stopping watches, and whose best epoch's weights it keeps (ablab.train.stopping).
    monitor: str = field(default="val_loss", metadata=OMIT_AT_DEFAULT)
    # When given, the cell trains once per learning rate and keeps the one with the best
    # validation accuracy (ablab.train.lr_choice); `lr` must be one of them.
    lr_candidates: tuple[float, ...] = field(default=(), metadata=OMIT_AT_DEFAULT)
    target_accuracy: float | None = None
    seed: int = field(default=0, metadata=DATA)  # splits, shuffling and init
    device: str = field(default="auto", metadata=SETTING)
    amp: str = field(default="none", metadata=SETTING)
    tf32: bool = field(default=False, metadata=SETTING)
    channels_last: bool = field(default=False, metadata=SETTING)
    profile: str = field(default="smoke", metadata=SETTING)

    def __post_init__(self) -> None:
        __tracebackhide__ = True
        from ablab.axes import check_axes
        from ablab.registry import DATASETS, MODELS

        check_fields(self)  # types first: `lr="0.01"` is a field error, not a TypeError below
        # A stored experiment comes back from JSON with a list: the identity needs the tuple.
        object.__setattr__(self, "lr_candidates", tuple(self.lr_candidates))
        for kwargs_name, knob in ONE_CHANNEL.items():
            _one_channel(kwargs_name, getattr(self, kwargs_name), knob)
        MODELS.check(self.model, self.model_kwargs, ("dropout",) if self.dropout else ())
        window = ("window",) if self.window is not None else ()
        DATASETS.check(self.dataset, self.dataset_kwargs, window)
        _choice("profile", self.profile, PROFILES)
        check_device(self.device)
        _choice("amp", self.amp, AMPS)
        cuda_only = {"amp": self.amp != "none", "tf32": self.tf32,
                     "channels_last": self.channels_last}
        for name, asked in cuda_only.items():
            _check(name, not (asked and self.device == "cpu"), getattr(self, name),
                   "off on device='cpu' (it is a CUDA option)")
        for name in [*FIELD_RULES, *CHOICES]:  # each field's own bounds, in a fixed order
            _check_own(name, getattr(self, name))
        _check("val_fraction + test_fraction", self.val_fraction + self.test_fraction < 1,
               self.val_fraction + self.test_fraction, "< 1")
        _check("lr", not self.lr_candidates or self.lr in self.lr_candidates, self.lr,
               f"one of lr_candidates {self.lr_candidates} when they are given")
        check_axes(self.as_dict())  # after lr and epochs: the probe uses them

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
        """The fields that make a cell: all but the settings (device, profile, CUDA options),
        and without the fields marked OMIT_AT_DEFAULT while they are at their defaults."""
        settings = self.settings()
        omitted = {f.name for f in dataclasses.fields(self)
                   if f.metadata.get("identity") == OMIT_AT_DEFAULT["identity"]
                   and getattr(self, f.name) == _default(f)}
        return {name: value for name, value in self.as_dict().items()
                if name not in settings and name not in omitted}

    @classmethod
    def from_dict(cls, fields: dict[str, Any]) -> Experiment:
        return cls(**fields)


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


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
    lr: float = math.nan  # the mean learning rate of the epoch's steps (NaN in older rows)


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
