"""--ablab-save-models: each model's file name spells out its configuration (S1)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from ablab.naming import MAX_NAME, config_name, model_file_name
from ablab.session import CellInfo, Session
from ablab.spec import Experiment
from ablab.store import open_store
from ablations import test_split_ratio


def test_name_spells_out_the_configuration() -> None:
    exp = Experiment(model="cnn", model_kwargs={"channels": (16, 32), "batch_norm": True},
                     init="he", penalty="l2", penalty_kwargs={"weight": 1e-4}, dropout=0.2,
                     seed=3)
    name = config_name(exp)
    assert name == ("cnn_batch_norm=true_channels=16x32__digits__init=he_adam_lr=0.001_bs=64_"
                    "ep=10_l2_weight=0.0001_dropout=0.2_seed3")


def test_every_knob_changes_the_name_and_paths_are_safe() -> None:
    exp = Experiment(dataset="image_folder", dataset_kwargs={"path": "/data/flowers/", "size": 64},
                     model="mlp")
    variants = [dataclasses.replace(exp, **change) for change in (
        {"init": "zeros"}, {"lr": 0.1}, {"batch_size": 32}, {"epochs": 5}, {"seed": 1},
        {"augmentation": "flip"}, {"patience": 3}, {"optimizer_kwargs": {"weight_decay": 0.01}},
        {"schedule": "cosine"}, {"loss_kwargs": {"label_smoothing": 0.1}}, {"grad_clip": 1.0},
        {"init": "normal", "init_kwargs": {"std": 0.1}})]
    names = {config_name(e) for e in [exp, *variants]}
    assert len(names) == len(variants) + 1
    assert all("/" not in n and " " not in n for n in names)


def test_long_names_are_cut_with_a_hash() -> None:
    wide = Experiment(model="mlp", model_kwargs={"hidden": tuple(range(100, 160))})
    other = dataclasses.replace(wide, model_kwargs={"hidden": (*range(100, 159), 1)})
    assert len(config_name(wide)) == MAX_NAME
    assert config_name(wide) != config_name(other)


def test_session_saves_under_the_readable_name(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    session = Session(store=store, device=torch.device("cpu"), save_models=tmp_path / "models",
                      cache=tmp_path / "cache")
    exp = Experiment(dataset="digits", model="mlp", model_kwargs={"hidden": (16,)}, epochs=1,
                     init="he")
    session.run(exp, CellInfo(study="init", variant="mlp-he"))
    store.close()
    saved = sorted((tmp_path / "models" / "init").iterdir())
    prepared = session.prepare(exp)
    key = prepared.key(session.data(prepared).fingerprint)
    assert [p.name for p in saved] == [f"{config_name(prepared)}-{key}.pt"]
    state = torch.load(saved[0], weights_only=True)
    assert state["1.0.weight"].shape == (16, 64)


def test_cells_with_different_keys_never_share_a_file() -> None:
    """The five split-ratio smoke cells differ only in split fractions, which the readable part
    leaves out: before the key suffix they overwrote one file per seed."""
    shares = test_split_ratio.TRAIN_SHARES
    cells = [dataclasses.replace(test_split_ratio.experiment("smoke", share), seed=seed)
             for share in shares for seed in (0, 1)]
    cells += [dataclasses.replace(cells[0], val_fraction=0.2), dataclasses.replace(cells[0])]
    paths = {e.key("fp"): model_file_name(e, e.key("fp")) for e in cells}
    assert len(paths) == 2 * len(shares) + 1  # the last cell repeats the first one's key
    assert len(set(paths.values())) == len(paths)
    assert len({config_name(e) for e in cells}) < len(paths)  # why the key is in the name
