"""What a row records about where it ran: Python, torch, CUDA, device, host, git state."""

from __future__ import annotations

import functools
import os
import platform
import socket
import subprocess
from pathlib import Path
from typing import Any

import torch


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10,
                              cwd=Path.cwd(), check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


@functools.cache
def git_state() -> tuple[str | None, bool | None]:
    """(HEAD sha, whether tracked files differ from it), or Nones outside a git checkout."""
    sha = _git("rev-parse", "HEAD")
    if sha is None:
        return None, None
    status = _git("status", "--porcelain", "--untracked-files=no")
    return sha, bool(status)


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return platform.processor() or platform.machine()


def environment(device: torch.device) -> dict[str, Any]:
    sha, dirty = git_state()
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "device": str(device),
        "device_name": device_name(device),
        "hostname": socket.gethostname(),
        "cpu_count": os.cpu_count(),  # the machine's; torch_threads is what a cell used
        "torch_threads": torch.get_num_threads(),
        "git_sha": sha,
        "git_dirty": dirty,
    }
