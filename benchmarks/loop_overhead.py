"""ablab's training loop against a minimal hand-written loop and a seed-style DataLoader loop.

All three train the same model on the same data for the same steps and evaluate validation loss
and accuracy once per epoch. The seed-style loop is what the studies' notebooks ran: a
per-sample Dataset that turns each stored uint8 image into a tensor the way torchvision's MNIST
does (PIL image, then `ToTensor`), batched by a DataLoader. Runs are interleaved and repeated;
medians and ratios are printed.

    python benchmarks/loop_overhead.py [--dataset digits|mnist] [--epochs 5] [--repeats 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from tabulate import tabulate
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import ToTensor

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo's models/, datasets/

from ablab.data import TensorData, load_data
from ablab.spec import Experiment
from ablab.train.build import build_model, loss_fn, make_optimizer
from ablab.train.loop import train

Loop = Callable[[Experiment, TensorData], None]
MODELS: dict[str, dict[str, Any]] = {
    "mlp": {"hidden": (128, 64)}, "cnn": {"channels": (16, 32), "linear": (64,)},
}


def ablab_loop(exp: Experiment, data: TensorData) -> None:
    train(exp, data)


def hand_loop(exp: Experiment, data: TensorData) -> None:
    """The least code that does the same job: randperm batches, per-epoch validation."""
    model = build_model(exp, data)
    optimizer = make_optimizer(exp, model)
    generator = torch.Generator().manual_seed(exp.seed)
    n, bs = len(data.y_train), exp.batch_size
    for _ in range(exp.epochs):
        model.train()
        order = torch.randperm(n, generator=generator)
        for i in range(0, n - 1, bs):
            index = order[i : i + bs]
            loss = loss_fn(model(data.x_train[index]), data.y_train[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(data.x_val)
            loss_fn(logits, data.y_val).item()
            (logits.argmax(1) == data.y_val).float().mean().item()


class PerSample(Dataset[tuple[torch.Tensor, int]]):
    """The seed notebooks' style (torchvision's MNIST): images stored as uint8, each sample
    converted on access (PIL image, then ToTensor), collated by the DataLoader."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.images = (x[:, 0] * 255).round().to(torch.uint8).numpy()  # (N, H, W) as on disk
        self.labels = y.tolist()
        self.to_tensor = ToTensor()

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        image = Image.fromarray(self.images[i])  # uint8 (H, W): greyscale "L"
        return self.to_tensor(image), self.labels[i]


def dataloader_loop(exp: Experiment, data: TensorData) -> None:
    model = build_model(exp, data)
    optimizer = make_optimizer(exp, model)
    generator = torch.Generator().manual_seed(exp.seed)
    train_loader = DataLoader(PerSample(data.x_train, data.y_train), batch_size=exp.batch_size,
                              shuffle=True, generator=generator)
    val_loader = DataLoader(PerSample(data.x_val, data.y_val), batch_size=exp.batch_size)
    for _ in range(exp.epochs):
        model.train()
        for xb, yb in train_loader:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        model.eval()
        total, correct = 0.0, 0
        with torch.no_grad():
            for xb, yb in val_loader:
                logits = model(xb)
                total += loss_fn(logits, yb).item() * len(yb)
                correct += int((logits.argmax(1) == yb).sum().item())


LOOPS: dict[str, Loop] = {"ablab": ablab_loop, "hand": hand_loop, "dataloader": dataloader_loop}


def measure(exp: Experiment, data: TensorData, repeats: int) -> dict[str, float]:
    """Median wall seconds per loop, the loops interleaved so drift hits all alike."""
    for loop in LOOPS.values():  # warm-up: first-call allocations and lazy imports
        loop(dataclasses.replace(exp, epochs=1), data)
    times: dict[str, list[float]] = {name: [] for name in LOOPS}
    for _ in range(repeats):
        for name, loop in LOOPS.items():
            start = time.perf_counter()
            loop(exp, data)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=("digits", "mnist"), default="digits",
                        help="mnist needs ABLAB_DATA; it uses a 10,000-image training subset")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    rows = []
    for model, kwargs in MODELS.items():
        subset = {"train_subset": 10_000} if args.dataset == "mnist" else {}
        exp = Experiment(dataset=args.dataset, dataset_kwargs=subset, model=model,
                         model_kwargs=kwargs, epochs=args.epochs, batch_size=args.batch_size,
                         device="cpu")
        data = load_data(exp)
        medians = measure(exp, data, args.repeats)
        rows.append([model, f"{medians['ablab']:.3f}", f"{medians['hand']:.3f}",
                     f"{medians['dataloader']:.3f}", f"{medians['ablab'] / medians['hand']:.2f}",
                     f"{medians['dataloader'] / medians['ablab']:.2f}"])
    print(f"{args.dataset}, {args.epochs} epochs, batch {args.batch_size}, "
          f"median of {args.repeats}; "
          f"torch {torch.__version__}, {platform.machine()} with {torch.get_num_threads()} "
          f"threads, device cpu")
    print(tabulate(rows, ["model", "ablab s", "hand s", "dataloader s", "ablab / hand",
                          "dataloader / ablab"], tablefmt="github"))


if __name__ == "__main__":
    main()
