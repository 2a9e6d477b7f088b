"""Training throughput of each model family on fixed shapes (pytest-benchmark).

One round is one epoch of ablab's own training step (`ablab.train._train_epoch`: device-resident
tensors, randperm batches) over random inputs of a fixed shape: throughput does not depend on
the values, and fixed shapes make nights comparable. CUDA work is synchronised before a round
ends. The session's --ablab-device, --ablab-amp, --ablab-tf32 and --ablab-channels-last apply.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch

from ablab.data import TensorData
from ablab.registry import MODELS
from ablab.session import Session
from ablab.spec import Experiment
from ablab.train.build import build_model
from ablab.train.loop import _train_epoch
from ablab.train.precision import check_device_options, model_layout, tf32_matmuls
from ablab.train.stepper import Stepper

# Samples per round (one epoch) on CUDA and timed rounds per device kind, after one warm-up
# round (allocator, cuDNN autotuning, lazy init). CPU samples are per family (Shape).
CUDA_SAMPLES = 65536
ROUNDS = {"cpu": 3, "cuda": 10}
WARMUP_ROUNDS = 1


@dataclass(frozen=True)
class Shape:
    """A model family's fixed benchmark input: sample shape, classes, factory kwargs, batch."""

    input_shape: tuple[int, ...]
    num_classes: int
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    batch_size: int = 256
    cpu_samples: int = 1024  # about a second per round on a laptop core
    cuda_only: bool = False  # minutes per round on a CPU: measured on CUDA only


# Families without a registered factory on this branch are skipped with that reason.
# ae_classifier: the supervised stage (its autoencoder pretraining is a separate stage);
# sklearn_mlp is left out: scikit-learn trains it on the CPU outside this loop.
FAMILIES = {
    "mlp": Shape((1, 28, 28), 10, {"hidden": (512, 256)}),
    "cnn": Shape((3, 32, 32), 10, {"channels": (32, 64), "linear": (128,)}),
    "lstm": Shape((64, 8), 2, {"hidden": 64}),
    "ae_classifier": Shape((1, 28, 28), 10, {"pretrain_epochs": 0}),
    "resnet18": Shape((3, 32, 32), 10, batch_size=128, cpu_samples=256),
    "resnet50": Shape((3, 32, 32), 10, batch_size=128, cuda_only=True),
    "vgg16": Shape((3, 32, 32), 10, {"head_hidden": 512}, batch_size=128, cuda_only=True),
}


def synthetic(shape: Shape, samples: int, device: torch.device) -> TensorData:
    """Random inputs and labels of the family's shape, on the device (val / test unused)."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(samples, *shape.input_shape, generator=generator)
    y = torch.randint(0, shape.num_classes, (samples,), generator=generator)
    data = TensorData(x, y, x[:2], y[:2], x[:2], y[:2],
                      tuple(str(c) for c in range(shape.num_classes)), "synthetic")
    return data.to(device)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_train_throughput(benchmark: Any, ablab_session: Session, family: str,
                          capsys: pytest.CaptureFixture[str]) -> None:
    if family not in MODELS.names():
        pytest.skip(f"model {family!r} is not registered on this branch")
    shape, device = FAMILIES[family], ablab_session.device
    if shape.cuda_only and device.type != "cuda":
        pytest.skip(f"{family} takes minutes per round on the CPU; measured on CUDA only")
    kind = "cuda" if device.type == "cuda" else "cpu"
    samples, rounds = (CUDA_SAMPLES if kind == "cuda" else shape.cpu_samples), ROUNDS[kind]
    exp = ablab_session.prepare(Experiment(model=family, model_kwargs=shape.model_kwargs,
                                           batch_size=shape.batch_size, epochs=1))
    check_device_options(exp, device)
    data = synthetic(shape, samples, device)
    model = model_layout(exp, build_model(exp, data).to(device))
    generator = torch.Generator(device=device).manual_seed(0)
    steps = samples // shape.batch_size
    stepper = Stepper.build(exp, model, data, steps)

    def epoch() -> None:
        _train_epoch(exp, model, stepper, data, generator, steps)
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    precision = tf32_matmuls(exp.tf32) if device.type == "cuda" else contextlib.nullcontext()
    benchmark.group = "train-throughput"
    with precision:
        benchmark.pedantic(epoch, rounds=rounds, warmup_rounds=WARMUP_ROUNDS, iterations=1)
    benchmark.extra_info.update(
        model=family, device=str(device), input_shape=list(shape.input_shape),
        batch_size=shape.batch_size, samples_per_round=steps * shape.batch_size,
        amp=exp.amp, tf32=exp.tf32, channels_last=exp.channels_last)
    if benchmark.stats is None:  # --benchmark-disable: the epoch ran once, untimed
        return
    median = benchmark.stats.stats.median
    rate = steps * shape.batch_size / median
    benchmark.extra_info["samples_per_second"] = rate
    with capsys.disabled():  # the per-model line belongs in the terminal, not the capture
        print(f"\n{family} on {device}: {rate:,.0f} samples/s (median of {rounds} epochs of "
              f"{steps * shape.batch_size} samples, batch {shape.batch_size}, "
              f"input {shape.input_shape})")
    assert rate > 0
