"""The CPU thread policy: torch's intra-op pool and the BLAS pools (numpy, scikit-learn).

Small models gain nothing from more intra-op threads and lose much when cores are shared: on
this project's 2-core machine, shared with other jobs, one thread trained the smoke MLP 11x
and the smoke CNN 6-8x faster than two (README, "Measured"). So the default is one thread per
process, with or without pytest-xdist; `auto` gives each of N workers 1/N of the cores.
"""

from __future__ import annotations

import os

import torch
from threadpoolctl import threadpool_info, threadpool_limits

DEFAULT_THREADS = "1"


def parse_threads(text: str, workers: int = 1) -> int:
    """`auto` (the cores over the workers) or N >= 1."""
    if text == "auto":
        return max(1, (os.cpu_count() or 1) // max(workers, 1))
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"threads {text!r} is not allowed; give auto or an integer >= 1")
    return int(text)


# What OpenMP, OpenBLAS and MKL read for their pool size when they are loaded.
BLAS_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def apply_threads(threads: int) -> None:
    """Set torch's intra-op threads and every BLAS / OpenMP pool threadpoolctl finds, and
    the variables those libraries read when they load: scikit-learn and scipy load theirs on
    first use, after this call (ablab.data.tensors, ablab.train.metrics)."""
    torch.set_num_threads(threads)
    for name in BLAS_VARIABLES:
        os.environ[name] = str(threads)
    threadpool_limits(limits=threads)  # process-wide: kept for the process's lifetime



def thread_settings() -> dict[str, int]:
    """What a row records: torch's intra-op threads and the largest BLAS / OpenMP pool."""
    blas = max((int(pool["num_threads"]) for pool in threadpool_info()), default=0)
    return {"threads": torch.get_num_threads(), "blas_threads": blas}
