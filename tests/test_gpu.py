"""GPU runs: the xdist worker -> GPU mapping, and bf16 autocast / TF32 / channels-last as
Experiment fields. CPU tests cover the mapping, validation and recording; the `gpu` tests train
on CUDA and are skipped with the reason on a machine without one."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from ablab.data import default_cache, load_data
from ablab.gate.export import flatten
from ablab.session import CellInfo, Session
from ablab.spec import Experiment
from ablab.store import open_store
from ablab.store.base import RunRow
from ablab.train.devices import gpu_index, resolve_device
from ablab.train.loop import _train, predict_logits, run_experiment
from ablab.train.precision import check_device_options
from tests.conftest import child_env

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("worker", "count", "index"),
    [(None, 1, 0), ("gw0", 4, 0), ("gw3", 4, 3), ("gw5", 4, 1), ("gw7", 2, 1), ("gw2", 1, 0),
     ("master", 2, 0)],
)
def test_worker_i_takes_gpu_i_modulo_the_count(worker: str | None, count: int,
                                               index: int) -> None:
    assert gpu_index(worker, count) == index


def test_gpu_index_needs_a_gpu() -> None:
    with pytest.raises(ValueError, match="gpu_count=0"):
        gpu_index("gw1", 0)


@pytest.mark.parametrize(("field", "value"), [("amp", "bf16"), ("tf32", True),
                                              ("channels_last", True)])
def test_cuda_options_are_refused_on_cpu(field: str, value: object) -> None:
    option: dict[str, Any] = {field: value}
    with pytest.raises(ValueError, match=f"^{field}=.* off on device='cpu'"):
        Experiment(device="cpu", **option)
    auto = Experiment(device="auto", **option)  # may resolve to CUDA: checked at run time
    with pytest.raises(ValueError, match="need a CUDA device; this cell runs on cpu"):
        check_device_options(auto, torch.device("cpu"))


def test_amp_values_are_checked() -> None:
    with pytest.raises(ValueError, match="amp='fp16' is not allowed; choose one of none, bf16"):
        Experiment(amp="fp16")


def test_settings_are_not_part_of_the_key() -> None:
    """Device, GPU index, profile and the CUDA speed options say how a cell runs, not what it
    is: one cell has one key on a CPU and a GPU, in either profile, with or without bf16."""
    plain = Experiment(device="cuda:0")
    settings: list[dict[str, Any]] = [{"amp": "bf16"}, {"tf32": True}, {"channels_last": True},
                                      {"device": "cuda:1"}, {"device": "cpu"},
                                      {"profile": "full"}]
    for changed in (dataclasses.replace(plain, **s) for s in settings):
        assert (changed.key("f"), changed.cell_key("f")) == (plain.key("f"), plain.cell_key("f"))
    assert dataclasses.replace(plain, lr=0.01).key("f") != plain.key("f")


def test_session_options_are_recorded_in_rows(tmp_path: Path) -> None:
    """The session's --ablab-* options land in the experiment and in the exported row."""
    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    session = Session(store=store, device=torch.device("cuda", 1), amp="bf16", tf32=True,
                      channels_last=True)
    exp = session.prepare(Experiment(model="cnn"))
    assert (exp.device, exp.amp, exp.tf32, exp.channels_last) == ("cuda:1", "bf16", True, True)
    # off in the session: a study's own choice stands
    own = Session(store=store, device=torch.device("cuda", 0)).prepare(Experiment(amp="bf16"))
    assert own.amp == "bf16"
    row = {"session_id": "s", "study": "s", "node_id": "n", "variant": "v", "params": {},
           "seed": 0, "key": "k", "cell_key": "c", "status": "ok", "experiment": exp.as_dict(),
           "environment": {}, "metrics": {"accuracy": 0.5}, "history": [], "timings": {},
           "data_fingerprint": "fp"}
    flat = flatten(RunRow.from_stored(row))
    assert (flat["device"], flat["amp"], flat["tf32"], flat["channels_last"]) == (
        "cuda", "bf16", True, True)
    store.close()


def test_plugin_refuses_cuda_options_on_cpu(tmp_path: Path) -> None:
    options = ["--ablab-amp", "bf16", "--ablab-tf32", "--ablab-channels-last"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider",
         "--ablab-device", "cpu", f"--ablab-db=sqlite:///{tmp_path / 'x.db'}", *options,
         "tests/test_gpu.py"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
        env={**child_env(), "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's usage-error code
    expected = ("--ablab-amp bf16, --ablab-tf32, --ablab-channels-last: needs a CUDA device; "
                "this run uses cpu")
    assert expected in done.stderr, done.stderr
    assert not (tmp_path / "x.db").exists()


@pytest.fixture
def one_thread() -> Iterator[None]:
    """One thread: on a CPU shared with other jobs, idle OpenMP threads spin for seconds."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


@pytest.mark.usefixtures("one_thread")
def test_option_code_paths_run_when_forced_on_cpu() -> None:
    """The autocast and layout code, exercised on the CPU by going around the device check
    (CPU autocast supports bf16); the CUDA tests below do it for real."""
    exp = Experiment(dataset="digits", model="cnn", epochs=1, device="auto", amp="bf16",
                     channels_last=True)
    data = load_data(exp, None, default_cache(), False)
    outcome = _train(exp, data, None, None, False)
    conv = next(m for m in outcome.model.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    logits = predict_logits(outcome.model, data.x_test, exp)
    assert logits.dtype == torch.float32
    assert logits.shape == (len(data.y_test), 10)
    assert torch.isfinite(logits).all()


@pytest.mark.gpu
def test_auto_takes_the_workers_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    count = torch.cuda.device_count()
    monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{count + 1}")
    assert resolve_device("auto") == torch.device("cuda", (count + 1) % count)
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert resolve_device("auto") == torch.device("cuda", 0)


@pytest.mark.gpu
@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_bf16_tf32_channels_last_train_on_cuda(model: str) -> None:
    exp = Experiment(dataset="digits", model=model, epochs=3, device="cuda", amp="bf16",
                     tf32=True, channels_last=True)
    data = load_data(exp, None, default_cache(), False).to(torch.device("cuda"))
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    result = run_experiment(exp, data)
    assert result.status == "ok"
    assert result.accuracy > 0.5
    assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == saved
    assert result.model is not None
    if model == "cnn":
        conv = next(m for m in result.model.modules() if isinstance(m, torch.nn.Conv2d))
        assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    plain = run_experiment(dataclasses.replace(exp, amp="none", tf32=False,
                                               channels_last=False), data)
    assert abs(plain.accuracy - result.accuracy) < 0.1  # same cell, other numerics


@pytest.mark.gpu
def test_session_records_cuda_options(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    session = Session(store=store, device=resolve_device("auto"), amp="bf16", tf32=True)
    session.run(Experiment(dataset="digits", epochs=2), CellInfo(study="gpu", variant="mlp"))
    (row,) = store.rows()
    assert row.experiment["amp"] == "bf16"
    assert row.experiment["tf32"] is True
    assert row.environment["device"].startswith("cuda")
    store.close()
