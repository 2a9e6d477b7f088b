"""The nightly GPU run's own checks: CUDA slots with MIG, and refusing a CPU-only night."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from ablab.train.slots import pin_worker, slots
from tests.conftest import REPO, child_env

MIXED = """\
GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-aaaa)
  MIG 3g.20gb     Device  0: (UUID: MIG-a0)
  MIG 2g.10gb     Device  1: (UUID: MIG-a1)
  MIG 1g.5gb      Device  2: (UUID: MIG-a2)
GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-bbbb)
"""


def test_a_mig_gpu_gives_one_slot_per_instance_and_a_whole_gpu_one() -> None:
    assert slots(MIXED) == ["MIG-a0", "MIG-a1", "MIG-a2", "GPU-bbbb"]
    assert len(MIXED.splitlines()) == 5  # what `nvidia-smi -L | wc -l` used to give
    assert slots("") == []


@pytest.mark.parametrize(("worker", "visible"), [("gw0", "MIG-a0"), ("gw3", "GPU-bbbb"),
                                                 ("gw5", "MIG-a1")])
def test_each_xdist_worker_sees_its_own_slot(worker: str, visible: str) -> None:
    env = {"ABLAB_CUDA_SLOTS": ",".join(slots(MIXED)), "PYTEST_XDIST_WORKER": worker}
    pin_worker(env)
    assert env["CUDA_VISIBLE_DEVICES"] == visible


def test_outside_xdist_or_without_slots_nothing_is_pinned() -> None:
    for env in ({"ABLAB_CUDA_SLOTS": "MIG-a0"}, {"PYTEST_XDIST_WORKER": "gw1"}):
        pin_worker(env)
        assert "CUDA_VISIBLE_DEVICES" not in env


@pytest.mark.parametrize("listing", ["exit 9", "echo 'No devices were found'"])
def test_the_nightly_script_refuses_the_full_profile_without_a_gpu(
    tmp_path: Path, listing: str
) -> None:
    (tmp_path / "bin").mkdir()
    stub = tmp_path / "bin" / "nvidia-smi"
    stub.write_text(f"#!/bin/sh\n{listing}\n")
    stub.chmod(0o755)
    env = {**child_env(), "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
           "PYTHONPATH": str(REPO)}
    done = subprocess.run(["bash", str(REPO / "scripts" / "nightly-gpu.sh"), "--bootstrap"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.splitlines()[-1].startswith(
        "nightly-gpu: error: no CUDA device on this machine; refusing to run the full profile")
    assert not (tmp_path / "results").exists(), "it started before refusing"
