"""Soft-voting ensembles of a session's trained cells, recorded as a row of their own.

S5 averages the softmax probabilities of its trained models on the test split. Each member is
an ordinary cell (an Experiment under its own variant name): the ensemble uses the row this
session already has for it, or trains it first, recorded under the member's own variant, as
its own test would. Members must ask for the "predictions" artifact (the test split's
probabilities, ablab.train.artifacts) and share one test split (the same data and seed).

The ensemble's row: variant as given, status `diverged` when a member diverged, else
`collapsed` or `ok` by the collapse flag; metrics as any cell's (ablab.train.metrics: accuracy,
per-class F1, chance, at_chance, ...) from the averaged probabilities, its test loss the mean
negative log of the averaged probability of the true class, and metrics["ensemble"] naming the
members, their keys and their test accuracies. Its `experiment` is the first member's with
model "soft_vote" and the member variants as model_kwargs (for the report's variants table);
its key and cell key are digests of the members' keys, so the same members make the same cell.
The averaged probabilities are its own "predictions" artifact (so the report draws its
per-class table and confusion matrix). Nothing trains for the ensemble itself: train_seconds
is 0, the members' total is `members_train_seconds`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ablab.batching import trained_row
from ablab.session import CellInfo, Session, result_from_row
from ablab.spec import Experiment, RunResult
from ablab.store.artifacts import artifacts_root, load_artifacts, write_npz
from ablab.train.metrics import classification_metrics

VOTE_ARTIFACTS = ("predictions",)
LOG_FLOOR = 1e-12  # a member's probability of exactly 0 would make the loss infinite


def soft_vote(probs: Sequence[np.ndarray]) -> np.ndarray:
    """The members' class probabilities averaged, sample by sample."""
    shapes = {p.shape for p in probs}
    if len(shapes) != 1:
        raise ValueError(f"ensemble members' probabilities differ in shape: {sorted(shapes)}; "
                         "members must share one test split")
    averaged: np.ndarray = np.stack(probs).mean(axis=0)
    return averaged


def vote_metrics(labels: np.ndarray, averaged: np.ndarray,
                 classes: tuple[str, ...]) -> dict[str, Any]:
    """A cell's test metrics for the averaged probabilities of a soft vote, and its test loss."""
    metrics = classification_metrics(labels, averaged, classes)
    true = averaged[np.arange(len(labels)), labels]
    metrics["loss"] = float(-np.mean(np.log(np.maximum(true, LOG_FLOOR))))
    return metrics


def _digest(keys: Sequence[str]) -> str:
    text = json.dumps({"soft_vote": list(keys)}, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _member(session: Session, name: str, exp: Experiment, cell: CellInfo) -> RunResult:
    """The member's result with its predictions: this session's row, or trained now."""
    prepared = session.prepare(exp)
    key = prepared.key(session.data(prepared).fingerprint)
    row = trained_row(session.store, session.session_id, key)
    result = result_from_row(row) if row is not None else session.run(
        exp, dataclasses.replace(cell, variant=name, node_id=""), artifacts=VOTE_ARTIFACTS)
    if "probs" not in load_artifacts(result.metrics.get("artifacts")):
        raise ValueError(f"ensemble member {name!r} has no 'predictions' artifact; run it with "
                         "artifacts=('predictions',) so its test probabilities are kept")
    return result


def run_ensemble(session: Session, members: Mapping[str, Experiment],
                 cell: CellInfo) -> RunResult:
    """Soft-vote `members` (variant name -> Experiment) on their shared test split and record
    the vote as `cell`'s row (see the module)."""
    if len(members) < 2:
        raise ValueError(f"members={list(members)} is not allowed; a soft vote needs >= 2")
    results = {name: _member(session, name, exp, cell) for name, exp in members.items()}
    start = time.perf_counter()
    arrays = {name: load_artifacts(r.metrics["artifacts"]) for name, r in results.items()}
    first, first_arrays = next(iter(results.values())), next(iter(arrays.values()))
    labels = first_arrays["labels"]
    for name, found in arrays.items():
        if results[name].data_fingerprint != first.data_fingerprint or not np.array_equal(
                found["labels"], labels):
            raise ValueError(f"ensemble member {name!r} was tested on another split than "
                             f"{next(iter(results))!r}; members must share data and seed")
    classes = tuple(str(c) for c in first_arrays["classes"])
    averaged = soft_vote([a["probs"] for a in arrays.values()])
    metrics = vote_metrics(labels, averaged, classes)
    metrics["ensemble"] = {"vote": "soft", "members": list(results),
                           "keys": [r.key for r in results.values()],
                           "accuracy": [r.accuracy for r in results.values()]}
    status = "diverged" if any(r.status == "diverged" for r in results.values()) else (
        "collapsed" if metrics["collapsed"] else "ok")
    timings = {"train_seconds": 0.0, "eval_seconds": time.perf_counter() - start,
               "samples_seen": 0.0, "samples_per_second": 0.0, "epochs_run": 0.0,
               "stopped_early": 0.0, "members_train_seconds": math.fsum(
                   r.timings.get("train_seconds", 0.0) for r in results.values())}
    key = _digest([r.key for r in results.values()])
    path = artifacts_root(session.store.url) / session.session_id / f"{key}.npz"
    write_npz(path, {"classes": np.array(classes, dtype=str), "labels": labels,
                     "probs": averaged})
    metrics["artifacts"] = {"path": str(path), "names": list(VOTE_ARTIFACTS)}
    result = RunResult(first.experiment, key, status, metrics, [], timings,
                       first.data_fingerprint)
    row = session.row(result, cell)
    experiment = {**row.experiment, "model": "soft_vote", "model_kwargs": {
        "members": list(results)}}
    cell_keys = [r.experiment.cell_key(r.data_fingerprint) for r in results.values()]
    session.store.append(dataclasses.replace(row, key=key, cell_key=_digest(cell_keys),
                                             experiment=experiment))
    return result
