"""The ablation axes: each built-in does what its name says inside the real training loop, and
the identity of cells that leave the new fields at their defaults did not change."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
import torch.nn.functional as F

from ablab.data import load_data
from ablab.data.tensors import TensorData
from ablab.registry import AUGMENTATIONS, LOSSES, SCHEDULES
from ablab.spec import OMIT_AT_DEFAULT, Experiment
from ablab.train.build import build_model
from ablab.train.loop import train

FAST = Experiment(dataset="digits", epochs=4, batch_size=128)


@pytest.fixture(scope="module")
def digits() -> TensorData:
    return load_data(FAST)


def test_adamw_with_cosine_trains_and_records_the_cosine_lr(digits: TensorData) -> None:
    """The issue's acceptance case: the history's lr is the mean of the per-batch cosine."""
    exp = dataclasses.replace(FAST, optimizer="adamw", optimizer_kwargs={"weight_decay": 0.05},
                              schedule="cosine", lr=0.01)
    outcome = train(exp, digits)
    assert outcome.status == "ok"
    assert outcome.history[-1].val_accuracy > 0.5
    steps = len(digits.y_train) // exp.batch_size + (len(digits.y_train) % exp.batch_size > 1)
    total = exp.epochs * steps
    for record in outcome.history:
        epoch_steps = range((record.epoch - 1) * steps, record.epoch * steps)
        expected = sum(exp.lr * (1 + math.cos(math.pi * s / total)) / 2
                       for s in epoch_steps) / steps
        assert record.lr == pytest.approx(expected, rel=1e-6)
    lrs = [h.lr for h in outcome.history]
    assert lrs == sorted(lrs, reverse=True)


def _trajectory(name: str, epochs: int = 10, steps: int = 5, **kwargs: object) -> list[float]:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0, momentum=0.9)
    schedule = SCHEDULES.get(name)(optimizer, epochs=epochs, steps_per_epoch=steps, **kwargs)
    lrs = []
    for _ in range(epochs * steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    return lrs


def test_schedules_have_their_shape_in_steps() -> None:
    assert set(_trajectory("constant")) == {1.0}
    step = _trajectory("step", every=4, gamma=0.5)
    assert step[:20] == [1.0] * 20
    assert step[20:40] == pytest.approx([0.5] * 20)  # decays at epoch 4, in steps
    for name in ("onecycle", "linear_warmup_cosine"):
        lrs = _trajectory(name)
        peak = lrs.index(max(lrs))
        assert 0 < peak < len(lrs) - 1, name
        assert lrs[0] < 0.1 * max(lrs), name  # starts low: a warm-up
        assert lrs[-1] < 0.1 * max(lrs), name
    warm = _trajectory("linear_warmup_cosine", warmup_epochs=2)
    assert warm.index(max(warm)) == 10  # 2 epochs of 5 steps


def test_grad_clip_bounds_every_step(digits: TensorData) -> None:
    """Plain SGD moves the weights by lr * gradient, so with the gradient norm clipped to c
    an epoch of k steps moves them by at most k * lr * c; unclipped, far more."""
    base = dataclasses.replace(FAST, optimizer="sgd", lr=0.5, epochs=1)

    def moved(exp: Experiment) -> float:
        start = torch.nn.utils.parameters_to_vector(build_model(exp, digits).parameters())
        end = torch.nn.utils.parameters_to_vector(train(exp, digits).model.parameters())
        return float((end - start).detach().norm())

    steps = math.ceil(len(digits.y_train) / base.batch_size)
    clip = 1e-3
    assert moved(dataclasses.replace(base, grad_clip=clip)) <= steps * base.lr * clip * 1.001
    assert moved(base) > 10 * steps * base.lr * clip


def test_label_smoothing_on_a_sigmoid_head_aims_below_certainty() -> None:
    """Smoothed binary cross-entropy is lowest at sigmoid(logit) = 1 - smoothing / 2."""
    loss = LOSSES.get("cross_entropy")(label_smoothing=0.2)
    logits = torch.linspace(-6, 6, 1201)[:, None]
    values = torch.stack([loss(logit[None], torch.ones(1, dtype=torch.long)) for logit in logits])
    best = torch.sigmoid(logits[values.argmin()]).item()
    assert best == pytest.approx(0.9, abs=0.01)
    plain = LOSSES.get("cross_entropy")()
    logits3, y = torch.randn(8, 3), torch.randint(0, 3, (8,))
    assert torch.allclose(plain(logits3, y), F.cross_entropy(logits3, y))


def test_mse_is_zero_only_for_confident_right_answers() -> None:
    loss = LOSSES.get("mse")()
    y = torch.tensor([0, 2])
    right = torch.tensor([[20.0, 0, 0], [0, 0, 20.0]])
    assert loss(right, y).item() < 1e-6
    assert loss(right.flip(1), y).item() > 0.3


def test_flip_and_crop_move_pixels_as_named() -> None:
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(64, 1, 6, 6)
    assert torch.equal(AUGMENTATIONS.get("flip")(p=1.0)(x, generator), x.flip(-1))
    half = AUGMENTATIONS.get("flip")()(x, generator)
    flipped = [torch.equal(a, b.flip(-1)) for a, b in zip(half, x, strict=True)]
    assert 16 < sum(flipped) < 48
    cropped = AUGMENTATIONS.get("crop")(padding=2)(x, generator)
    padded = F.pad(x, (2, 2, 2, 2))
    windows = {(dy, dx) for dy in range(5) for dx in range(5)}
    shifts = []
    for out, source in zip(cropped, padded, strict=True):
        found = [(dy, dx) for dy, dx in windows
                 if torch.equal(out, source[:, dy:dy + 6, dx:dx + 6])]
        assert found, "every crop is a window of the padded image"
        shifts.append(found[0])
    assert len(set(shifts)) > 5  # random per image, not one shift for the batch


def test_augmentation_runs_in_the_loop_on_training_batches_only(digits: TensorData) -> None:
    plain = train(FAST, digits)
    noisy = train(dataclasses.replace(FAST, augmentation="noise",
                                      augmentation_kwargs={"amplitude": 0.5}), digits)
    assert noisy.history[-1].train_loss != plain.history[-1].train_loss
    assert noisy.status == "ok"


def test_augmentation_of_non_images_fails_before_training() -> None:
    exp = Experiment(dataset="sequences", model="lstm", augmentation="crop", epochs=1)
    data = load_data(exp)
    with pytest.raises(ValueError, match=r"augmentation='crop': needs images \(N, C, H, W\)"):
        train(exp, data)


def test_a_model_outside_the_loop_refuses_loop_only_axes(digits: TensorData) -> None:
    exp = dataclasses.replace(FAST, model="sklearn_mlp", optimizer="sgd", schedule="cosine")
    with pytest.raises(ValueError, match="schedule cannot apply to it"):
        train(exp, digits)


def test_new_fields_at_their_defaults_keep_stored_keys() -> None:
    """A row stored before a field existed reads back with the same key; setting the field,
    even to a value equal in effect, makes a new cell."""
    exp = Experiment(model="cnn", init="he", optimizer="sgd", lr=0.1)
    stored = exp.as_dict()
    added = [f.name for f in dataclasses.fields(Experiment) if f.metadata == OMIT_AT_DEFAULT]
    assert {"schedule", "loss", "grad_clip", "optimizer_kwargs"} <= set(added)
    for name in added:
        del stored[name]
    assert Experiment.from_dict(stored).key("fp") == exp.key("fp")
    changed = [dataclasses.replace(exp, schedule="cosine"),
               dataclasses.replace(exp, grad_clip=1.0),
               dataclasses.replace(exp, optimizer_kwargs={"momentum": 0.5})]
    assert len({e.key("fp") for e in [exp, *changed]}) == 4
