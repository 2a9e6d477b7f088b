"""K seeds trained sequentially (ablab's `train`, one model after another) against the same K
seeds trained as one stacked model (`ablab.train.batched.train_stacked`): same experiments,
same data, same epochs, per-epoch validation in both. The two ways alternate within one run,
repeated; medians and the ratio sequential / batched are printed, one line per model and K.

    python benchmarks/seed_batching.py [--ks 1 4 8] [--repeats 3] [--threads 1] [--models ...]

The MNIST models need ABLAB_DATA (a 10,000-image training subset, 1 epoch); without it they
are skipped with the reason.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo's models/, datasets/

from ablab.data import TensorData, load_data
from ablab.project import load_project
from ablab.spec import Experiment
from ablab.train.batched import train_stacked
from ablab.train.loop import train
from ablab.train.threads import apply_threads
from ablations.setups import s1_cnn, s3_models

MNIST_SUBSET = {"train_subset": 10_000}  # with 1 epoch: seconds per seed on this CPU


def _mnist(exp: Experiment) -> Experiment:
    return dataclasses.replace(exp, dataset_kwargs=MNIST_SUBSET, epochs=1)


def _cases() -> dict[str, Callable[[], Experiment]]:
    return {
        "smoke-mlp": lambda: Experiment(dataset="digits", model="mlp", epochs=5),
        "smoke-cnn": lambda: dataclasses.replace(s1_cnn("smoke"), epochs=2),
        "s3-mnist-mlp": lambda: _mnist(s3_models("full")["mlp"]),
        "s3-mnist-cnn": lambda: _mnist(s3_models("full")["cnn"]),
    }


CASES = _cases()


def needs_data(model: str) -> str | None:
    """Why `model` cannot run here (its data is missing), or None."""
    if "mnist" in model and not os.environ.get("ABLAB_DATA"):
        return "needs ABLAB_DATA (MNIST)"
    return None


def seeds(model: str, k: int, device: str) -> tuple[list[Experiment], list[TensorData]]:
    exps = [dataclasses.replace(CASES[model](), seed=s, device=device) for s in range(k)]
    return exps, [load_data(e).to(torch.device(device)) for e in exps]


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def measure(model: str, k: int, repeats: int, device: str = "cpu") -> tuple[float, float]:
    """Median seconds (sequential, batched), the two alternating, after one warm-up each."""
    exps, datas = seeds(model, k, device)
    ways: dict[str, Callable[[], object]] = {
        "sequential": lambda: [train(e, d) for e, d in zip(exps, datas, strict=True)],
        "batched": lambda: train_stacked(exps, datas),
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    for way in ways.values():
        way()
    for _ in range(repeats):
        for name, way in ways.items():
            _sync(device)
            start = time.perf_counter()
            way()
            _sync(device)
            times[name].append(time.perf_counter() - start)
    return statistics.median(times["sequential"]), statistics.median(times["batched"])


def line(model: str, k: int, sequential: float, batched: float) -> str:
    return (f"{model} K={k} sequential/batched {sequential / batched:.2f} "
            f"({sequential:.3f} s / {batched:.3f} s)")


def header(repeats: int, device: str = "cpu") -> str:
    where = torch.cuda.get_device_name(device) if device.startswith("cuda") else "cpu"
    return (f"seed batching, median of {repeats} alternating runs; torch {torch.__version__}, "
            f"{platform.machine()} {os.cpu_count()} cores, {torch.get_num_threads()} "
            f"thread(s), device {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--models", nargs="+", choices=sorted(CASES), default=list(CASES))
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:i]")
    parser.add_argument("--min-ratio", type=float, default=None, metavar="R",
                        help="exit 1 when an MLP's ratio at the largest K is below R")
    args = parser.parse_args()
    load_project(Path(__file__).resolve().parents[1] / "pyproject.toml")  # models, MNIST
    apply_threads(args.threads)
    print(header(args.repeats, args.device))
    short = []
    for model in args.models:
        reason = needs_data(model)
        if reason is not None:
            print(f"{model}: skipped, {reason}")
            continue
        for k in args.ks:
            sequential, batched = measure(model, k, args.repeats, args.device)
            print(line(model, k, sequential, batched), flush=True)
            ratio = sequential / batched
            if args.min_ratio and "mlp" in model and k == max(args.ks) and ratio < args.min_ratio:
                short.append(f"{model} K={k}: {ratio:.2f} < {args.min_ratio}")
    if short:
        print("below the goal: " + "; ".join(short))
        sys.exit(1)


if __name__ == "__main__":
    main()
