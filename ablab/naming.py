"""Readable file names that spell out a cell's configuration (S1 saved models named so), ended
by the cell's key so that two cells never share a file."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path
from typing import Any

from ablab.spec import Experiment

MAX_NAME = 180  # file names stay well under the usual 255-byte limit
OPTIONAL_AXES = ("schedule", "loss", "penalty", "augmentation")  # named only when not default
_UNSAFE = re.compile(r"[^A-Za-z0-9.=+-]+")


def _text(value: Any) -> str:
    """A value as a short file-name-safe token: tuples as 16x32, floats compact, bools lower."""
    if isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, tuple | list):
        text = "x".join(_text(v) for v in value)
    else:
        text = str(value)
    return _UNSAFE.sub("-", text).strip("-") or "none"


def _kwargs(kwargs: dict[str, Any]) -> list[str]:
    return [f"{key}={_text(kwargs[key])}" for key in sorted(kwargs)]


def config_name(exp: Experiment) -> str:
    """E.g. `cnn_channels=16x32_linear=64__digits__init=he_adam_lr=0.001_bs=64_ep=10_seed0`:
    model and its arguments, dataset and its arguments, then the training knobs (optional
    ones only when set). Names longer than MAX_NAME are cut and end in a hash of the whole."""
    model = "_".join([exp.model, *_kwargs(exp.model_kwargs)])
    dataset = "_".join([exp.dataset, *_kwargs(exp.dataset_kwargs)])
    knobs = ["_".join([f"init={exp.init}", *_kwargs(exp.init_kwargs)]),
             "_".join([exp.optimizer, *_kwargs(exp.optimizer_kwargs)]), f"lr={_text(exp.lr)}",
             f"bs={exp.batch_size}", f"ep={exp.epochs}"]
    defaults = {f.name: f.default for f in dataclasses.fields(Experiment)}
    for axis in OPTIONAL_AXES:
        kwargs = getattr(exp, f"{axis}_kwargs")
        if getattr(exp, axis) != defaults[axis] or kwargs:
            knobs.append("_".join([getattr(exp, axis), *_kwargs(kwargs)]))
    if exp.grad_clip is not None:
        knobs.append(f"clip={_text(exp.grad_clip)}")
    if exp.dropout:
        knobs.append(f"dropout={_text(exp.dropout)}")
    if exp.window is not None:
        knobs.append(f"window={exp.window}")
    if exp.patience is not None:
        knobs.append(f"patience={exp.patience}")
    knobs.append(f"seed{exp.seed}")
    name = "__".join([model, dataset, "_".join(knobs)])
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"{name[: MAX_NAME - len(digest) - 1]}-{digest}"


def model_file_name(exp: Experiment, key: str) -> str:
    """`<config_name>-<key>.pt`: readable, and as unique as the key (the readable part leaves
    out knobs such as the split fractions, so five split ratios would share one name)."""
    return f"{config_name(exp)}-{key}.pt"


def inside(folder: Path, name: str, what: str) -> Path:
    """`folder / name` for a name taken from user text (a study, a variant); a ValueError when
    the name is empty, absolute or climbs out of `folder` (`../x`), so no file lands elsewhere."""
    __tracebackhide__ = True
    candidate = (folder / name).resolve()
    if not name or Path(name).is_absolute() or not candidate.is_relative_to(folder.resolve()) \
            or candidate == folder.resolve():
        raise ValueError(f"{what}={name!r} is not allowed as a folder name; use a plain name "
                         "without '/', '..' or a leading '/'")
    return folder / name
