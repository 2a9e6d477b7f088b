"""Seed batching: the K seeds of one variant trained together as one stacked model.

Each seed keeps what it would have had sequentially: its own model built by `build_model`
(so its own initialisation), its own data split, its own `randperm` stream (a generator seeded
with its seed, drawn once per epoch as `train` does), its own dropout masks, and its own early
stopping, divergence and collapse. The optimisers allowed here update every element on its own
(SGD, momentum, Adam), so one optimiser over the stacked tensors is K optimisers. What cannot be
stacked trains sequentially; every result's `metrics["training"]` says which way and why.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from ablab.data.tensors import TensorData
from ablab.spec import EpochRecord, Experiment, RunResult
from ablab.train.build import build_model, make_optimizer, make_penalty
from ablab.train.guards import DIVERGENCE_FACTOR, chance_loss, check_outputs, diverged
from ablab.train.loop import (
    EVAL_BATCH,
    EpochFitter,
    Pretrainable,
    TrainOutcome,
    result_of,
    run_experiment,
)
from ablab.train.precision import autocast, check_device_options, tf32_matmuls
from ablab.train.stacked import StackedNet, Unstackable, stack
from ablab.train.stopping import improved, score

# Optimisers whose update of each element reads only that element's gradient and state.
ELEMENTWISE_OPTIMIZERS = ("sgd", "momentum", "adam")


def training_record(mode: str, seeds: int, reason: str) -> dict[str, object]:
    """What a row stores under metrics["training"]: how the cell was trained and why."""
    return {"mode": mode, "seeds": seeds, "reason": reason}


def batch_obstacle(exps: list[Experiment], datas: list[TensorData]) -> str | None:
    """Why these seeds cannot train as one stack (before building anything), or None."""
    first = exps[0]
    if len(exps) < 2:
        return "one seed to train"
    if any(e.cell_key("") != first.cell_key("") for e in exps):
        return "the experiments differ in more than the seed"
    if first.lr_candidates:
        return "the learning rate is chosen among candidates, each trained in turn"
    if first.optimizer not in ELEMENTWISE_OPTIMIZERS:
        return f"optimizer {first.optimizer!r} is not elementwise"
    if first.channels_last:
        return "channels_last layout"
    # What the stacked loop does not do (yet): schedules, other training losses, per-batch
    # augmentation (the sequential loop's Stepper and augmentation handle them).
    plain = {"schedule": "constant", "loss": "cross_entropy", "augmentation": "none"}
    for name, default in plain.items():
        if getattr(first, name) != default:
            return f"{name}={getattr(first, name)!r} is not stacked"
    if first.schedule_kwargs or first.augmentation_kwargs:
        return "schedule or augmentation arguments are not stacked"
    unsupported = _unstacked_axes(first)
    if unsupported:
        return f"the stacked loop has no {unsupported} yet"
    shapes = {(d.x_train.shape, d.x_val.shape, d.x_test.shape) for d in datas}
    if len(shapes) != 1:
        return "the seeds' splits differ in size"
    return None


def run_seeds(exps: list[Experiment], datas: list[TensorData]) -> list[RunResult]:
    """Train and evaluate the seeds of one variant, stacked when they can be (see module)."""
    reason = batch_obstacle(exps, datas)
    if reason is None:
        try:
            outcomes = train_stacked(exps, datas)
        except Unstackable as error:
            reason = str(error)
        else:
            record = training_record("batched", len(exps), "stacked model")
            return [_with(result_of(e, d, o), record)
                    for e, d, o in zip(exps, datas, outcomes, strict=True)]
    record = training_record("sequential", 1, reason)
    return [_with(run_experiment(e, d), record) for e, d in zip(exps, datas, strict=True)]


def _with(result: RunResult, record: dict[str, object]) -> RunResult:
    result.metrics["training"] = dict(record)
    return result


def train_stacked(exps: list[Experiment], datas: list[TensorData]) -> list[TrainOutcome]:
    """The seeds trained as one `StackedNet`; Unstackable when a model has no stacked form."""
    device = datas[0].x_train.device
    check_device_options(exps[0], device)
    models, generators = [], []
    for e, d in zip(exps, datas, strict=True):
        models.append(build_model(e, d).to(device))
        # Sequentially, dropout draws from the global generator as `build_model` left it.
        generators.append(_global_generator_copy(device))
    if isinstance(models[0], Pretrainable | EpochFitter):
        raise Unstackable(f"model {exps[0].model!r} has a training stage of its own")
    classes = datas[0].num_classes
    limit = DIVERGENCE_FACTOR * chance_loss(classes, check_outputs(models[0],
                                                                   datas[0].x_train[:2], classes))
    net = stack(models)
    net.generators = generators
    precision = tf32_matmuls(exps[0].tf32) if device.type == "cuda" else contextlib.nullcontext()
    with precision:
        seeds = _train_net(net, exps, datas, limit)
    return [TrainOutcome(model, s.status, s.history, s.train_seconds, s.eval_seconds,
                         s.samples_seen, s.stopped_early)
            for model, s in zip(models, seeds, strict=True)]


def _global_generator_copy(device: torch.device) -> torch.Generator:
    """A generator in the state torch's global generator for `device` is in now."""
    generator = torch.Generator(device=device)
    if device.type == "cuda":
        generator.set_state(torch.cuda.get_rng_state(device))
    else:
        generator.set_state(torch.get_rng_state())
    return generator


@dataclass
class _Seed:
    """One seed's course through the stacked run: what `train` tracks for one model."""

    patience: int | None
    monitor: str  # what early stopping watches (ablab.train.stopping)
    loss_limit: float  # `train`'s divergence limit: a multiple of the chance loss
    status: str = "ok"
    history: list[EpochRecord] = field(default_factory=list)
    train_seconds: float = 0.0
    eval_seconds: float = 0.0
    samples_seen: int = 0
    stopped_early: bool = False
    done: bool = False
    best_score: float = -math.inf
    best_state: list[torch.Tensor] | None = None
    final_state: list[torch.Tensor] | None = None
    stale: int = 0

    def after_epoch(self, record: EpochRecord, net: StackedNet, k: int) -> None:
        """`train`'s per-epoch decisions: divergence, then the early-stopping plateau."""
        self.history.append(record)
        if diverged(record.train_loss, self.loss_limit):
            self.status = "diverged"
            self._finish(net, k)
        elif self.patience is not None:
            if improved(record, self.best_score, self.monitor):
                self.best_score, self.stale = score(record, self.monitor), 0
                self.best_state = net.seed_state(k)
            else:
                self.stale += 1
                if self.stale >= self.patience:
                    self.stopped_early = True
                    self._finish(net, k)

    def _finish(self, net: StackedNet, k: int) -> None:
        # The stack trains on; this seed's weights are kept as they were when it stopped.
        self.done = True
        if self.best_state is None:
            self.final_state = net.seed_state(k)


def _train_net(net: StackedNet, exps: list[Experiment], datas: list[TensorData], limit: float
               ) -> list[_Seed]:
    exp, k = exps[0], len(exps)
    device = datas[0].x_train.device
    optimizer = make_optimizer(exp, net)
    generators = [torch.Generator(device=device).manual_seed(e.seed) for e in exps]
    x, y = torch.stack([d.x_train for d in datas]), torch.stack([d.y_train for d in datas])
    x_val, y_val = torch.stack([d.x_val for d in datas]), torch.stack([d.y_val for d in datas])
    n = y.shape[1]
    steps = n // exp.batch_size + (n % exp.batch_size > 1)  # as `train`: no batch of one
    seeds = [_Seed(exp.patience, exp.monitor, limit) for _ in exps]
    for epoch in range(1, exp.epochs + 1):
        if all(s.done for s in seeds):
            break
        start = time.perf_counter()
        orders = torch.stack([torch.randperm(n, device=device, generator=g) for g in generators])
        loss_sum, correct, seen = _epoch(net, optimizer, exp, x, y, orders, steps)
        train_seconds = time.perf_counter() - start
        start = time.perf_counter()
        val_loss, val_correct = _validate(net, exp, x_val, y_val)
        eval_seconds = time.perf_counter() - start
        # The epoch's one host read, float64 as `train` reads its sums.
        table = torch.stack([loss_sum.double() / seen, correct.double() / seen,
                             val_loss.double(), val_correct.double()]).tolist()
        for i, seed in enumerate(seeds):
            if seed.done:
                continue
            # A seed's share of the stack's time: the stack's wall time over its K seeds.
            seed.train_seconds += train_seconds / k
            seed.eval_seconds += eval_seconds / k
            seed.samples_seen += seen
            record = EpochRecord(epoch, table[0][i], table[1][i], table[2][i], table[3][i],
                                 seed.samples_seen, train_seconds / k, lr=exp.lr)
            seed.after_epoch(record, net, i)
    for i, seed in enumerate(seeds):
        net.write_seed(i, seed.best_state if seed.best_state is not None else seed.final_state)
    return seeds


def _unstacked_axes(exp: Experiment) -> str:
    """The axes the stacked loop does not implement (one optimiser over all seeds would get
    them wrong: gradient clipping would clip the seeds' joint norm)."""
    asked = {"learning-rate schedule": exp.schedule != "constant",
             "gradient clipping": exp.grad_clip is not None,
             f"loss {exp.loss!r}": exp.loss != "cross_entropy" or bool(exp.loss_kwargs),
             "batch augmentation": exp.augmentation != "none"}
    return ", ".join(name for name, on in asked.items() if on)


def _epoch(
    net: StackedNet, optimizer: torch.optim.Optimizer, exp: Experiment, x: torch.Tensor,
    y: torch.Tensor, orders: torch.Tensor, steps: int,
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """One pass, every seed over its own permutation; sums per seed stay on the device."""
    net.train()
    weights = net.penalized()
    term = make_penalty(exp)
    k, n, bs = y.shape[0], y.shape[1], exp.batch_size
    # Seed i's sample j is row i * n + j of the flattened stack: one row gather (index_select
    # copies whole rows) instead of an elementwise two-index gather.
    offsets = torch.arange(k, device=y.device)[:, None] * n
    flat_x, flat_y = x.flatten(0, 1), y.flatten()
    loss_sum = torch.zeros(k, device=y.device)
    correct = torch.zeros(k, device=y.device, dtype=torch.long)
    seen = 0
    for step in range(steps):
        index = (orders[:, step * bs : (step + 1) * bs] + offsets).flatten()
        size = len(index) // k
        xb = flat_x.index_select(0, index).view(k, size, *x.shape[2:])
        yb = flat_y.index_select(0, index).view(k, size)
        with autocast(exp, x.device):
            logits = net(xb)
            losses = seed_losses(logits, yb)
        extra = None if term is None else term(weights)  # the sum of the seeds' penalties
        objective = losses.sum() if extra is None else losses.sum() + extra
        optimizer.zero_grad(set_to_none=True)
        objective.backward()
        optimizer.step()
        with torch.no_grad():
            loss_sum.add_(losses.detach(), alpha=yb.shape[1])
            correct.add_((predicted(logits) == yb).sum(1))
        seen += yb.shape[1]
    return loss_sum, correct, seen


def _validate(net: StackedNet, exp: Experiment, x: torch.Tensor, y: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """Per seed: validation loss and accuracy, in evaluation mode and in chunks."""
    net.eval()
    with torch.no_grad(), autocast(exp, x.device):
        logits = torch.cat([net(x[:, i : i + EVAL_BATCH]).float()
                            for i in range(0, x.shape[1], EVAL_BATCH)], dim=1)
    accuracy = (predicted(logits) == y).double().mean(1)
    return seed_losses(logits, y), accuracy


def seed_losses(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """`build.loss_fn` per seed: logits (K, B, C), labels (K, B) -> mean losses (K,)."""
    if logits.shape[2] == 1:
        each = F.binary_cross_entropy_with_logits(logits[..., 0], y.to(logits.dtype),
                                                  reduction="none")
    else:
        each = F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none")
    return each.view(y.shape).mean(1)


def predicted(logits: torch.Tensor) -> torch.Tensor:
    """Predicted classes (K, B): the sign of a single logit, else the arg max."""
    if logits.shape[2] == 1:
        return (logits[..., 0] > 0).long()
    return logits.argmax(2)
