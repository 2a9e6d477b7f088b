"""Session settings (device, profile, CUDA speed options) are the session's: recorded in the
row, not part of the key, never silently overwritten; reuse takes a row only if it ran the same
way."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from ablab.session import CellInfo, Session, same_settings
from ablab.spec import Experiment
from ablab.store import open_store
from ablab.train.threads import thread_settings

FAST = Experiment(dataset="digits", epochs=1, batch_size=128)
CELL = CellInfo(study="settings", variant="v")


def session(tmp_path: Path, **options: object) -> Session:
    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    return Session(store=store, device=torch.device("cpu"), cache=tmp_path / "cache",
                   **options)  # type: ignore[arg-type]


def test_the_session_fills_in_settings_a_study_left_at_their_defaults(tmp_path: Path) -> None:
    prepared = session(tmp_path, profile="full").prepare(FAST)
    assert (prepared.device, prepared.profile) == ("cpu", "full")


@pytest.mark.parametrize(("field", "value", "option"), [
    ("device", "cuda", "--ablab-device"),
    ("profile", "full", "--ablab-profile"),
])
def test_a_setting_written_by_a_study_is_not_silently_overwritten(
    tmp_path: Path, field: str, value: str, option: str
) -> None:
    exp = dataclasses.replace(FAST, **{field: value})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=f"^{field}='{value}' is a session setting .*{option}"):
        session(tmp_path).prepare(exp)


def test_a_study_may_repeat_the_session_setting(tmp_path: Path) -> None:
    exp = dataclasses.replace(FAST, device="cpu", profile="smoke")
    assert session(tmp_path).prepare(exp) == exp


def test_rows_record_the_settings_and_threads(tmp_path: Path) -> None:
    runs = session(tmp_path)
    result = runs.run(FAST, CELL)
    [row] = runs.store.rows()
    assert row.settings == {"device": "cpu", "profile": "smoke", "amp": "none", "tf32": False,
                               "channels_last": False, **thread_settings()}
    assert row.settings["threads"] == torch.get_num_threads()
    assert row.key == result.key == FAST.key(result.data_fingerprint)


def test_reuse_takes_a_row_only_when_it_ran_the_same_way(tmp_path: Path) -> None:
    first = session(tmp_path)
    first.run(FAST, CELL)
    assert dataclasses.replace(first, reuse=True).run(FAST, CELL).reused
    [row] = first.store.rows()
    settings = first.settings()
    assert same_settings(row, {**settings, "profile": "full"})  # which cells run, not how
    assert same_settings(row, {**settings, "device": "cpu"})
    assert not same_settings(row, {**settings, "amp": "bf16"})
    assert not same_settings(row, {**settings, "device": "cuda:0"})
