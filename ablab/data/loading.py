"""Loading a cell's dataset: where data and the decoded cache live, the factory call."""

from __future__ import annotations

import os
from pathlib import Path

from ablab.data.tensors import DataContext, TensorData, flip_labels
from ablab.registry import DATASETS
from ablab.spec import Experiment
from ablab.writable import check_folder

CACHE_ENV = "ABLAB_CACHE"


def default_cache() -> Path:
    """`ABLAB_CACHE`, else the user's cache folder."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ablab"


def checked_cache(option: Path | None = None) -> Path:
    """The decoded-data cache: the option, else ABLAB_CACHE, else the user's cache folder. A
    folder the user named (option or variable) must be writable before anything is decoded
    into it (ablab.writable.NotWritable); the default is made when a real set first needs it."""
    if option is not None:
        check_folder(option, f"--cache {option}")
        return option
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        check_folder(Path(explicit), f"{CACHE_ENV}={explicit}")
    return default_cache()


def default_root() -> Path | None:
    """`ABLAB_DATA`, if set: where the real data sets live."""
    explicit = os.environ.get("ABLAB_DATA")
    return Path(explicit) if explicit else None


def check_root(path: str, source: str) -> Path:
    """A data root as given (`source`: an option such as --data, or ABLAB_DATA), checked to be
    an existing folder: a ValueError saying what it is instead."""
    shown = path or "''"
    given = f"{source} {shown}" if source.startswith("-") else f"{source}={shown}"
    if not path:
        problem = "is empty"
    elif Path(path).is_file():
        problem = "is a file, not a folder"
    elif not Path(path).is_dir():
        problem = "no such folder"
    else:
        return Path(path)
    raise ValueError(f"{given}: {problem}; give the folder that holds the data sets (see "
                     "docs/data-and-models.md)")


def given_root(option: str | None, source: str) -> Path | None:
    """The data root an option names, else ABLAB_DATA (unset or empty: none), checked."""
    if option is not None:
        return check_root(option, source)
    explicit = os.environ.get("ABLAB_DATA")
    return check_root(explicit, "ABLAB_DATA") if explicit else None


def load_data(
    exp: Experiment, root: Path | None = None, cache: Path | None = None, download: bool = False
) -> TensorData:
    """The dataset `exp` names, split with its seed."""
    ctx = DataContext(
        seed=exp.seed, root=root if root is not None else default_root(),
        cache=cache if cache is not None else default_cache(), download=download,
        val_fraction=exp.val_fraction, test_fraction=exp.test_fraction,
    )
    kwargs = dict(exp.dataset_kwargs)
    if exp.window is not None:
        kwargs["window"] = exp.window
    data: TensorData = DATASETS.get(exp.dataset)(ctx=ctx, **kwargs)
    return flip_labels(data, exp.label_noise, exp.seed) if exp.label_noise else data
