"""Seed batching, shared cells and the thread policy through the plugin, run as a user runs
it (a subprocess in a fresh folder; see tests/test_plugin.py)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ablab.batching import cell_seconds, shared_timings
from ablab.store import RunRow
from ablab.terminal import study_tables
from tests.test_plugin import pytest_in

STUDY = '''
import dataclasses
import pytest
from ablab.spec import Experiment

BASE = Experiment(dataset="digits", epochs=2, batch_size=128, dropout=0.2)


@pytest.mark.parametrize("width", [16, 32])
def test_width(run, width, seed):
    result = run(dataclasses.replace(BASE, model_kwargs={"hidden": (width,)}))
    assert result.experiment.seed == seed
'''
# A second study that asks for one of the first study's cells (width 32) and one of its own.
OTHER = STUDY.replace("test_width", "test_other").replace("[16, 32]", "[32, 48]")


def rows(folder: Path) -> pd.DataFrame:
    frame = pd.read_sql_table("runs", f"sqlite:///{folder / 'results' / 'ablab.db'}")
    for column in ("metrics", "settings", "timings"):
        frame[column] = frame[column].map(lambda v: json.loads(v) if isinstance(v, str) else v)
    frame["mode"] = frame["metrics"].map(lambda m: m["training"]["mode"])
    return frame


def run_study(folder: Path, *args: str, files: dict[str, str] | None = None) -> pd.DataFrame:
    folder.mkdir(exist_ok=True)
    for name, text in (files or {"test_width.py": STUDY}).items():
        (folder / name).write_text(text)
    done = pytest_in(folder, "--ablab-seeds", "3", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return rows(folder)


def accuracies(frame: pd.DataFrame) -> dict[Any, float]:
    return {(v, s): a for v, s, a in zip(frame["variant"], frame["seed"],
                                         frame["accuracy"], strict=True)}


def test_seed_batching_gives_the_sequential_rows(tmp_path: Path) -> None:
    batched = run_study(tmp_path / "on")
    sequential = run_study(tmp_path / "off", "--ablab-seed-batch", "off")
    assert list(batched["mode"]) == ["batched"] * 6
    assert list(sequential["mode"]) == ["sequential"] * 6
    assert set(sequential["metrics"].map(lambda m: m["training"]["reason"])) == {
        "seed batching off"}
    # One row per seed item, each with its own node id; keys do not depend on the option.
    assert batched["node_id"].nunique() == 6
    assert sorted(batched["key"]) == sorted(sequential["key"])
    assert accuracies(batched) == pytest.approx(accuracies(sequential), abs=1e-6)


def test_one_selected_seed_trains_alone(tmp_path: Path) -> None:
    frame = run_study(tmp_path, "-k", "seed1 and 32")
    assert list(frame["seed"]) == [1]
    assert frame["metrics"][0]["training"] == {"mode": "sequential", "seeds": 1,
                                               "reason": "one seed to train"}


def test_a_cell_two_studies_ask_for_is_trained_once(tmp_path: Path) -> None:
    frame = run_study(tmp_path, "--ablab-seeds", "1",
                      files={"test_width.py": STUDY, "test_other.py": OTHER})
    same = frame[frame["variant"] == "32"]
    assert set(same["study"]) == {"width", "other"}  # the cell appears in both studies
    assert same["key"].nunique() == 1
    trained, shared = same.iloc[0], same.iloc[1]
    assert trained["mode"] != "shared"
    assert shared["metrics"]["training"]["mode"] == "shared"
    assert shared["metrics"]["training"]["row"] == trained["id"]
    assert shared["accuracy"] == trained["accuracy"]
    assert list(frame[frame["variant"] != "32"]["mode"]) == ["sequential"] * 2
    # The reference row spent nothing: the session's rows sum to what it really trained.
    spent = trained["timings"]["train_seconds"]
    assert spent > 0
    assert (shared["timings"]["train_seconds"], shared["timings"]["eval_seconds"]) == (0.0, 0.0)
    assert shared["timings"]["shared_train_seconds"] == spent
    assert shared["timings"]["shared_eval_seconds"] == trained["timings"]["eval_seconds"]
    assert shared["timings"]["samples_per_second"] == trained["timings"]["samples_per_second"]
    assert sum(t["train_seconds"] for t in frame["timings"]) == pytest.approx(
        sum(t["train_seconds"] for t in frame["timings"] if "shared_train_seconds" not in t))


def test_a_reference_row_spends_no_seconds_and_keeps_its_cells() -> None:
    trained = RunRow(session_id="s", study="width", node_id="t::a", variant="32", params={},
                     seed=0, experiment={}, key="k", cell_key="c", status="ok", metrics={},
                     history=[], timings={"train_seconds": 2.5, "eval_seconds": 0.1,
                                          "samples_per_second": 900.0}, environment={},
                     settings={}, data_fingerprint="f")
    first = shared_timings(trained)
    assert first == {"train_seconds": 0.0, "eval_seconds": 0.0, "samples_per_second": 900.0,
                     "shared_train_seconds": 2.5, "shared_eval_seconds": 0.1}
    # a reference to a reference row keeps the trained row's seconds, not its 0
    again = shared_timings(dataclasses.replace(trained, timings=first))
    assert again == first
    assert (cell_seconds(trained.timings), cell_seconds(first)) == (2.5, 2.5)
    # the terminal table's `train s` is the cell's seconds, shared or not
    cells = [{"study": "other", "variant": "32", "accuracy": 0.9, "f1_macro": 0.9,
              "status": "ok", "reused": shared, "training": "shared" if shared else "sequential",
              "train_seconds": cell_seconds(timings)}
             for shared, timings in ((False, trained.timings), (True, first))]
    last = study_tables(cells)["other"].splitlines()[-1]
    assert [c.strip() for c in last.strip("|").split("|")][3:] == ["2", "2.5", "2 ok (1 shared)"]


@pytest.mark.parametrize(("args", "threads"), [((), 1), (("--ablab-threads", "2"), 2),
                                               (("-n", "2"), 1)])
def test_rows_record_the_threads_they_ran_with(
    tmp_path: Path, args: tuple[str, ...], threads: int
) -> None:
    frame = run_study(tmp_path, "--ablab-seeds", "1", "-k", "16", *args)
    assert [(s["threads"], s["blas_threads"]) for s in frame["settings"]] == [(threads, threads)]


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--ablab-seed-batch", "0", "--ablab-seed-batch: seed batch '0' is not allowed; give auto, "
                                "off or an integer >= 1"),
    ("--ablab-threads", "many", "--ablab-threads: threads 'many' is not allowed; give auto or "
                                "an integer >= 1"),
])
def test_bad_batching_and_thread_options_are_one_line_errors(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    (tmp_path / "test_width.py").write_text(STUDY)
    done = pytest_in(tmp_path, option, value)
    assert done.returncode == 4
    assert message in done.stderr
    assert not (tmp_path / "results").exists()
