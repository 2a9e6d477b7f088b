"""`python -m ablab datasets` and `python -m ablab models`: what is registered and usable.

`datasets` loads every registered dataset with its defaults (once per choice of a required
`Literal` argument, e.g. each UEA set) from the data root and reports its availability, split
counts, input shape and classes. Loading decodes into the cache, so the first listing of the
real sets takes a while (about a minute on a 2-core CPU); later listings read the cache.
"""

from __future__ import annotations

import argparse
import inspect
import itertools
import time
import typing
from pathlib import Path
from typing import Any

from tabulate import tabulate

from ablab.data.loading import checked_cache, given_root
from ablab.data.sources import CorruptData, DataUnavailable
from ablab.data.tensors import DataContext
from ablab.registry import DATASETS, MODELS, _literal_choices


def add_parser(subparsers: Any) -> None:
    data = subparsers.add_parser("datasets", help="list registered datasets and availability")
    data.add_argument("--data", default=None, metavar="PATH",
                      help="data root (default: ABLAB_DATA)")
    data.add_argument("--cache", type=Path, default=None, metavar="PATH",
                      help="decoded-data cache (default: ABLAB_CACHE or the user cache)")
    data.add_argument("--only", action="append", default=None, metavar="NAME",
                      help="list only this dataset (repeatable)")
    data.add_argument("--time", action="store_true",
                      help="add a column with each load's seconds (a cache miss decodes)")
    data.set_defaults(func=main_datasets)
    models = subparsers.add_parser("models", help="list registered models and their parameters")
    models.set_defaults(func=main_models)


def variants(name: str, root: Path | None) -> list[dict[str, Any]] | str:
    """One kwargs dict per choice found by the factory's lister (DATASETS.listed_by) or of its
    required Literal arguments; a string saying why there is none to load."""
    lister = DATASETS.lister(name)
    if lister is not None:
        try:
            return lister(root)
        except DataUnavailable as error:
            return str(error)
    factory = DATASETS.get(name)
    hints = typing.get_type_hints(factory)
    choices: dict[str, tuple[object, ...]] = {}
    for key, parameter in DATASETS.parameters(name).items():
        if parameter.default is not inspect.Parameter.empty:
            continue
        options = _literal_choices(hints.get(key))
        if not options:
            return f"{name}: needs {key}=... (no default)"
        choices[key] = options
    keys = list(choices)
    return [dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(choices[k] for k in keys))]


def dataset_rows(ctx: DataContext, names: list[str]) -> list[list[str]]:
    rows: list[list[str]] = []
    for name in names:
        options = variants(name, ctx.root)
        if isinstance(options, str):
            rows.append([name, f"no: {options}", "", "", "", ""])
            continue
        for kwargs in options:
            label = name + "".join(f" {k}={v}" for k, v in kwargs.items())
            rows.append(describe(ctx, name, label, kwargs))
    return rows


def describe(ctx: DataContext, name: str, label: str, kwargs: dict[str, Any]) -> list[str]:
    start = time.perf_counter()
    try:
        data = DATASETS.get(name)(ctx=ctx, **kwargs)
    except DataUnavailable as error:
        return [label, f"no: {error}", "", "", "", ""]
    except CorruptData as error:
        return [label, f"no, corrupt: {error}", "", "", "", ""]
    train, val, test = data.counts()
    return [label, "yes", f"{train + val + test:,}", f"{train:,} / {val:,} / {test:,}",
            "x".join(map(str, data.input_shape)), str(data.num_classes),
            f"{time.perf_counter() - start:.3f}"]


def main_datasets(args: argparse.Namespace) -> int:
    names = DATASETS.names()
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            raise ValueError(f"unknown dataset {unknown[0]!r}; known: {', '.join(names)}")
        names = [n for n in names if n in args.only]
    root = given_root(args.data, "--data")  # a folder, checked (ABLAB_DATA too)
    ctx = DataContext(seed=0, root=root, cache=checked_cache(args.cache))
    print(f"data root: {root if root is not None else '(none: set ABLAB_DATA or --data)'}")
    headers = ["dataset", "available", "samples", "train / val / test", "input", "classes"]
    rows = dataset_rows(ctx, names)
    if args.time:
        headers.append("load seconds")
    rows = [row[: len(headers)] for row in rows]
    print(tabulate(rows, headers=headers, maxcolwidths=[None, 64, *[None] * (len(headers) - 2)]))
    return 0


def signature(name: str) -> str:
    return ", ".join(
        k if p.default is inspect.Parameter.empty else f"{k}={p.default!r}"
        for k, p in MODELS.parameters(name).items())


def main_models(args: argparse.Namespace) -> int:
    rows = []
    for name in MODELS.names():
        doc = inspect.getdoc(MODELS.get(name)) or ""
        rows.append([name, signature(name), doc.split("\n")[0]])
    print(tabulate(rows, headers=["model", "parameters", "what"], maxcolwidths=[None, 60, 50]))
    return 0
