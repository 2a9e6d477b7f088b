"""docs/scale-out.md's recipes, tested as far as this machine allows: the workflows against
GitHub's vendored schema (check-jsonschema), the Kubernetes Jobs against the Kubernetes schemas
(kubernetes-validate), the Slurm scripts run with a stand-in `sbatch` and `python`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO, child_env

RECIPES = REPO / "docs" / "recipes"
WORKFLOWS = [RECIPES / "github-shards.yml", REPO / ".github" / "workflows" / "nightly.yml"]
K8S_VERSION = "1.30.0"  # the oldest release with backoffLimitPerIndex on by default


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]' brings it)")
    return found


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_match_githubs_schema(workflow: Path) -> None:
    done = subprocess.run([_tool("check-jsonschema"), "--builtin-schema",
                           "vendor.github-workflows", str(workflow)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_workflow_matrix_has_as_many_shards_as_it_names() -> None:
    workflow = yaml.safe_load((RECIPES / "github-shards.yml").read_text())
    shards = workflow["jobs"]["shard"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, int(workflow["env"]["SHARDS"]) + 1))
    assert workflow["jobs"]["gather"]["needs"] == "shard"


def _job(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((RECIPES / name).read_text())
    return loaded


@pytest.mark.parametrize("name", ["k8s-shards.yaml", "k8s-gather.yaml"])
def test_kubernetes_jobs_match_the_kubernetes_schema(name: str) -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    kubernetes_validate.validate(_job(name), K8S_VERSION, strict=True)


def test_the_indexed_job_runs_every_shard_of_one_session() -> None:
    shards, gather = _job("k8s-shards.yaml")["spec"], _job("k8s-gather.yaml")["spec"]
    assert shards["completionMode"] == "Indexed"
    container = shards["template"]["spec"]["containers"][0]
    assert f'--ablab-shard "$((JOB_COMPLETION_INDEX + 1))/{shards["completions"]}"' in \
        container["args"][0]
    sessions = [next(e["value"] for e in spec["template"]["spec"]["containers"][0]["env"]
                     if e["name"] == "ABLAB_SESSION") for spec in (shards, gather)]
    assert sessions[0] == sessions[1]


@pytest.fixture
def stand_ins(tmp_path: Path) -> dict[str, str]:
    """PATH with an `sbatch` that logs its arguments and prints a job id."""
    log = tmp_path / "sbatch.log"
    sbatch = tmp_path / "sbatch"
    sbatch.write_text(f'#!/bin/sh\necho "$@" >> {log}\necho "$(wc -l < {log})1;cluster"\n')
    sbatch.chmod(0o755)
    return {**child_env(), "PATH": f"{tmp_path}:{os.environ['PATH']}", "SBATCH_LOG": str(log),
            "ABLAB_DB": "postgresql://db/ablab", "PYTHON": "echo"}


def _sh(script: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(RECIPES / script), *args], env=env, cwd=Path(env["SBATCH_LOG"])
                          .parent, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_slurm_submits_an_array_and_the_gather_after_it(stand_ins: dict[str, str]) -> None:
    out = _sh("slurm-submit.sh", {**stand_ins, "ABLAB_SESSION": "s7"}, "3")
    calls = Path(stand_ins["SBATCH_LOG"]).read_text().splitlines()
    assert calls[0].startswith("--parsable --export=ALL --array=0-2 ")
    assert calls[1].startswith("--parsable --export=ALL --dependency=afterany:11 ")
    assert out.strip() == "session s7: shards job 11 (array 0-2), gather job 21"


def test_slurm_task_i_runs_shard_i_plus_one(stand_ins: dict[str, str]) -> None:
    env = {**stand_ins, "SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3",
           "SLURM_ARRAY_JOB_ID": "77"}
    out = _sh("slurm-shard.sbatch", env).splitlines()
    assert out[0] == "ablab session slurm-77, shard 3/3"
    assert "--ablab-shard 3/3 --ablab-reuse" in out[1]
    gather = _sh("slurm-gather.sbatch", {**stand_ins, "ABLAB_SESSION": "slurm-77"})
    assert "compare --baseline results/baselines/full-gpu.csv --session slurm-77" in gather
