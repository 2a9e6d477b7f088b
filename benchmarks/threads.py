"""ablab's `train` on small models with different CPU thread counts (torch intra-op and the BLAS
pools, as `--ablab-threads` sets them), the counts alternating within one run; prints the
median seconds and each count's time over one thread's.

    python benchmarks/threads.py [--threads 1 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo's models/, datasets/

from ablab.data import load_data
from ablab.project import load_project
from ablab.spec import Experiment
from ablab.train.loop import train
from ablab.train.threads import apply_threads
from ablations.setups import s1_cnn

CASES = {
    "smoke-mlp": Experiment(dataset="digits", model="mlp", epochs=5),
    "smoke-cnn": dataclasses.replace(s1_cnn("smoke"), epochs=2),
    "smoke-lstm": Experiment(dataset="sequences", model="lstm", window=2, epochs=5),
}


def measure(exp: Experiment, counts: list[int], repeats: int) -> dict[int, float]:
    data = load_data(exp)
    times: dict[int, list[float]] = {n: [] for n in counts}
    for round_ in range(repeats + 1):  # round 0 warms up
        for n in counts:
            apply_threads(n)
            start = time.perf_counter()
            train(exp, data)
            if round_:
                times[n].append(time.perf_counter() - start)
    return {n: statistics.median(t) for n, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    load_project(Path(__file__).resolve().parents[1] / "pyproject.toml")  # models, MNIST
    print(f"threads, median of {args.repeats}; torch {torch.__version__}, {platform.machine()} "
          f"{os.cpu_count()} cores, device cpu")
    for name, exp in CASES.items():
        medians = measure(exp, args.threads, args.repeats)
        cells = ", ".join(f"{n} thread(s) {s:.3f} s ({s / medians[args.threads[0]]:.2f}x)"
                          for n, s in medians.items())
        print(f"{name}: {cells}", flush=True)


if __name__ == "__main__":
    main()
