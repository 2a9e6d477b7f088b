"""Which device a cell trains on: `auto` picks CUDA when present, one GPU per xdist worker."""

from __future__ import annotations

import os

import torch


def resolve_device(name: str) -> torch.device:
    """`auto`: CUDA when present (pytest-xdist worker i takes GPU i modulo the count), else CPU."""
    if name != "auto":
        return torch.device(name)
    if not torch.cuda.is_available():
        return torch.device("cpu")
    index = gpu_index(os.environ.get("PYTEST_XDIST_WORKER"), torch.cuda.device_count())
    return torch.device("cuda", index)


def gpu_index(worker: str | None, gpu_count: int) -> int:
    """GPU for pytest-xdist worker `gwN`: N modulo the count; 0 outside xdist."""
    if gpu_count < 1:
        raise ValueError(f"gpu_count={gpu_count} is not allowed; it must be >= 1")
    number = (worker or "gw0").removeprefix("gw")
    return int(number) % gpu_count if number.isdigit() else 0
