"""The training loop: whole dataset on the device, randperm batches, no host sync inside an
epoch: its training sums and its validation metrics are each read once, at its end.

No pytest here: the plugin, Optuna searches and a notebook all call `train` and `evaluate`.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import torch
from torch import nn
from tqdm import tqdm

from ablab.data.tensors import TensorData
from ablab.spec import EpochRecord, Experiment, RunResult
from ablab.train import lr_choice
from ablab.train.build import build_model, loss_fn
from ablab.train.guards import DIVERGENCE_FACTOR, chance_loss, check_outputs, diverged
from ablab.train.metrics import (
    classification_metrics,
    overfit_epoch,
    probabilities,
    time_to_accuracy,
)
from ablab.train.penalties import penalized
from ablab.train.precision import (
    autocast,
    check_device_options,
    model_layout,
    tf32_matmuls,
    to_layout,
)
from ablab.train.stepper import Stepper, check_fitter
from ablab.train.stopping import improved, score

EVAL_BATCH = 2048  # evaluation chunk: large enough to be fast, small enough for any GPU

EpochCallback = Callable[[EpochRecord], None]
# Sees the model after each epoch (in eval mode), e.g. to capture activations for a report.
ModelCallback = Callable[[nn.Module, EpochRecord], None]


@runtime_checkable
class Pretrainable(Protocol):
    """A model with a first training stage of its own (the autoencoder classifier's MSE
    reconstruction pretraining): `train` calls `pretrain(x_train, exp)` once, before the loop,
    counts its time as training time, and records what it returns under metrics["pretrain"]."""

    def pretrain(self, x: torch.Tensor, exp: Experiment) -> dict[str, Any]: ...


@runtime_checkable
class EpochFitter(Protocol):
    """A model trained outside autograd (scikit-learn's MLPClassifier): `train` calls
    `fit_epoch` once per epoch instead of the optimiser loop; it returns the epoch's train loss
    and accuracy. Its forward still returns logits (N, classes), so evaluation is shared."""

    def fit_epoch(self, x: torch.Tensor, y: torch.Tensor, exp: Experiment) -> tuple[float, float]:
        ...


@dataclass
class TrainOutcome:
    """The trained model and what happened while training it."""

    model: nn.Module
    status: str  # "ok" or "diverged"
    history: list[EpochRecord]
    train_seconds: float
    eval_seconds: float
    samples_seen: int
    stopped_early: bool
    pretrain: dict[str, Any] | None = None
    lr_choice: dict[str, Any] | None = None  # see ablab.train.lr_choice


def _precision(exp: Experiment, device: torch.device) -> contextlib.AbstractContextManager[None]:
    """TF32 on or strictly off for CUDA work; CPU work is left alone."""
    check_device_options(exp, device)
    return tf32_matmuls(exp.tf32) if device.type == "cuda" else contextlib.nullcontext()


def predict_logits(model: nn.Module, x: torch.Tensor, exp: Experiment) -> torch.Tensor:
    """Float32 logits for `x` in evaluation mode, in chunks (with `exp`'s autocast and layout)."""
    model.eval()
    chunks = [x[i : i + EVAL_BATCH] for i in range(0, len(x), EVAL_BATCH)]
    with torch.no_grad(), autocast(exp, x.device):
        return torch.cat([model(to_layout(exp, chunk)).float() for chunk in chunks])


def _loss_and_accuracy(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, exp: Experiment
) -> tuple[float, float]:
    logits = predict_logits(model, x, exp)
    accuracy = (_predicted(logits) == y).double().mean()
    loss, accuracy_value = torch.stack([loss_fn(logits, y).double(), accuracy]).tolist()
    return loss, accuracy_value  # one host read for both


def train(
    exp: Experiment,
    data: TensorData,
    *,
    on_epoch: EpochCallback | None = None,
    after_epoch: ModelCallback | None = None,
    progress: bool = False,
) -> TrainOutcome:
    """Train `exp` on `data` (already on its device). A non-finite loss, or one far above
    chance (ablab.train.guards), ends with `diverged`. With `lr_candidates`, each candidate
    trains in turn and the best on validation is kept (ablab.train.lr_choice)."""
    with _precision(exp, data.x_train.device):
        if not exp.lr_candidates:
            return _train(exp, data, on_epoch, after_epoch, progress)
        outcomes = lr_choice.train_each(
            exp, lambda e: _train(e, data, on_epoch, after_epoch, progress))
    best, record = lr_choice.choose(exp, outcomes)
    return dataclasses.replace(  # the cell's cost: every candidate's training
        outcomes[best], lr_choice=record,
        train_seconds=sum(o.train_seconds for o in outcomes),
        eval_seconds=sum(o.eval_seconds for o in outcomes),
        samples_seen=sum(o.samples_seen for o in outcomes))


def _train(
    exp: Experiment, data: TensorData, on_epoch: EpochCallback | None,
    after_epoch: ModelCallback | None, progress: bool,
) -> TrainOutcome:
    device = data.x_train.device
    model = model_layout(exp, build_model(exp, data).to(device))
    fitter = model if isinstance(model, EpochFitter) else None
    generator = torch.Generator(device=device).manual_seed(exp.seed)
    n = len(data.y_train)
    # A final batch of one sample breaks batch norm; drop it (it is 1 of n samples).
    steps = n // exp.batch_size + (n % exp.batch_size > 1)
    if fitter is not None:
        check_fitter(exp)
    stepper = None if fitter is not None else Stepper.build(exp, model, data, steps)

    outputs = check_outputs(model, to_layout(exp, data.x_train[:2]), data.num_classes) \
        if fitter is None else data.num_classes
    loss_limit = DIVERGENCE_FACTOR * chance_loss(data.num_classes, outputs)
    history: list[EpochRecord] = []
    train_seconds = eval_seconds = 0.0
    pretrained = None
    if isinstance(model, Pretrainable):
        start = time.perf_counter()
        pretrained = model.pretrain(data.x_train, exp)
        train_seconds = time.perf_counter() - start
    samples_seen = 0
    best_score, best_state, stale = -math.inf, None, 0
    status, stopped_early = "ok", False
    for epoch in tqdm(range(1, exp.epochs + 1), desc=exp.model, disable=not progress):
        start = time.perf_counter()
        lr = exp.lr
        if fitter is not None:
            train_loss, train_accuracy = fitter.fit_epoch(data.x_train, data.y_train, exp)
            seen = n
        else:
            assert stepper is not None
            loss_sum, correct, seen, lr = _train_epoch(exp, model, stepper, data, generator,
                                                       steps)
            # The epoch's one read of its training sums (float64: exact for the count).
            total_loss, total_correct = torch.stack([loss_sum.double(), correct.double()]).tolist()
            train_loss, train_accuracy = total_loss / seen, total_correct / seen
        epoch_seconds = time.perf_counter() - start
        train_seconds += epoch_seconds
        samples_seen += seen

        start = time.perf_counter()
        val_loss, val_accuracy = _loss_and_accuracy(model, data.x_val, data.y_val, exp)
        eval_seconds += time.perf_counter() - start
        record = EpochRecord(epoch, train_loss, train_accuracy, val_loss, val_accuracy,
                             samples_seen, epoch_seconds, lr)
        history.append(record)
        if on_epoch is not None:
            on_epoch(record)
        if after_epoch is not None:
            after_epoch(model, record)
        if diverged(train_loss, loss_limit):
            status = "diverged"
            break
        if exp.patience is not None:
            if improved(record, best_score, exp.monitor):
                best_score, stale = score(record, exp.monitor), 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                stale += 1
                if stale >= exp.patience:
                    stopped_early = True
                    break
    if best_state is not None:
        model.load_state_dict(best_state)  # early stopping keeps the best validation weights
    return TrainOutcome(model, status, history, train_seconds, eval_seconds, samples_seen,
                        stopped_early, pretrained)


def _train_epoch(
    exp: Experiment, model: nn.Module, stepper: Stepper, data: TensorData,
    generator: torch.Generator, steps: int,
) -> tuple[torch.Tensor, torch.Tensor, int, float]:
    """One pass over a fresh permutation; sums stay on the device (no per-step sync). Returns
    the sums, the sample count and the mean learning rate of the epoch's steps."""
    model.train()
    weights = penalized(model)
    optimizer = stepper.optimizer
    x, y, bs = data.x_train, data.y_train, exp.batch_size
    order = torch.randperm(len(y), device=x.device, generator=generator)
    loss_sum = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device, dtype=torch.long)
    seen, lrs = 0, []
    for step in range(steps):
        index = order[step * bs : (step + 1) * bs]
        xb, yb = x[index], y[index]
        if stepper.augment is not None:
            xb = stepper.augment(xb, stepper.augment_generator)
        with autocast(exp, x.device):
            logits = model(to_layout(exp, xb))
            loss = stepper.loss(logits, yb)
        objective = loss if stepper.penalty is None else loss + stepper.penalty(weights)
        optimizer.zero_grad(set_to_none=True)
        objective.backward()
        if stepper.grad_clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), stepper.grad_clip)
        lrs.append(float(optimizer.param_groups[0]["lr"]))  # a Python float: no device sync
        optimizer.step()
        stepper.schedule.step()
        with torch.no_grad():
            loss_sum.add_(loss, alpha=len(yb))
            correct.add_((_predicted(logits) == yb).sum())
        seen += len(yb)
    return loss_sum, correct, seen, math.fsum(lrs) / steps  # fsum: a constant lr exactly


def _predicted(logits: torch.Tensor) -> torch.Tensor:
    if logits.shape[1] == 1:
        return (logits[:, 0] > 0).long()
    return logits.argmax(1)


def evaluate(model: nn.Module, data: TensorData, exp: Experiment) -> dict[str, Any]:
    """Test-split metrics and test loss."""
    with _precision(exp, data.x_test.device):
        logits = predict_logits(model, data.x_test, exp)
    probs = probabilities(logits).cpu().numpy()
    metrics = classification_metrics(data.y_test.cpu().numpy(), probs, data.classes)
    metrics["loss"] = loss_fn(logits, data.y_test).item()
    return metrics


def run_experiment(
    exp: Experiment, data: TensorData, *, on_epoch: EpochCallback | None = None,
    after_epoch: ModelCallback | None = None, progress: bool = False,
) -> RunResult:
    """Train and evaluate one cell. Status: `diverged` (non-finite or exploded loss),
    `collapsed` (one class predicted for nearly everything) or `ok`. The trained model rides
    along, unstored."""
    outcome = train(exp, data, on_epoch=on_epoch, after_epoch=after_epoch, progress=progress)
    return result_of(exp, data, outcome)


def result_of(exp: Experiment, data: TensorData, outcome: TrainOutcome) -> RunResult:
    """Test metrics, timings and status of a trained cell (sequentially or seed-batched)."""
    start = time.perf_counter()
    metrics = evaluate(outcome.model, data, exp)
    metrics.update(time_to_accuracy(outcome.history, exp.target_accuracy))
    metrics["overfit_epoch"] = overfit_epoch(outcome.history)
    if outcome.pretrain is not None:
        metrics["pretrain"] = outcome.pretrain
    if outcome.lr_choice is not None:
        metrics["lr_choice"] = outcome.lr_choice
    timings = {
        "train_seconds": outcome.train_seconds,
        "eval_seconds": outcome.eval_seconds + time.perf_counter() - start,
        "samples_seen": float(outcome.samples_seen),
        "samples_per_second": outcome.samples_seen / max(outcome.train_seconds, 1e-9),
        "epochs_run": float(len(outcome.history)),
        "stopped_early": float(outcome.stopped_early),
    }
    status = outcome.status
    if status == "ok" and metrics["collapsed"]:
        status = "collapsed"
    return RunResult(exp, exp.key(data.fingerprint), status, metrics, outcome.history, timings,
                     data.fingerprint, model=outcome.model)
