"""What checking a decoded-cache entry against its manifest costs: reading an MNIST-sized
split (70,000 x 784 float32, 220 MB) with `read_entry` (size, shape, dtype, CRC-32) against
plain `np.load` of the same files, interleaved and repeated; medians and their ratio printed.

    python benchmarks/cache_check.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ablab.data.cache_entry import read_entry, write_entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    arrays: dict[str, np.ndarray] = {"x": rng.random((70_000, 784), dtype=np.float32),
              "y": rng.integers(0, 10, 70_000)}
    with tempfile.TemporaryDirectory() as folder:
        entry = Path(folder)
        write_entry(entry, arrays)
        plain: list[float] = []
        checked: list[float] = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            {name: np.load(entry / f"{name}.npy", allow_pickle=False) for name in arrays}
            plain.append(time.perf_counter() - start)
            start = time.perf_counter()
            read_entry(entry)
            checked.append(time.perf_counter() - start)
    a, b = statistics.median(plain), statistics.median(checked)
    print(f"{platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    print(f"np.load only: {a:.3f} s; read_entry (checked): {b:.3f} s; ratio {b / a:.2f}x "
          f"(medians of {args.repeats}, 220 MB entry)")


if __name__ == "__main__":
    main()
