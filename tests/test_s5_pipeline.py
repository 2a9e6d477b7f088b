"""S5 end to end, as a user runs it: `pytest ablations/test_architecture.py --ablab-profile
full` on a generated many-class image folder (12 classes x 8 PNGs). The cells are the full
profile's own (learning rate chosen among candidates on validation accuracy, early stopping on
validation accuracy, flip copies, the soft vote); to train in well under a minute on a CPU,
`ABLAB_S5_NETS=resnet18` puts ResNet18 where the study has VGG16 and ResNet50, and
`--ablab-set` cuts the epochs (3), the image size (32), the batch (8) and the candidates
(1e-3 and 1e-4 of the three).
"""

from __future__ import annotations

import colorsys
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ablab.report.write import write_report
from ablab.store import open_store
from ablab.store.artifacts import load_artifacts
from tests.conftest import REPO, child_env

CLASSES, PER_CLASS = 12, 8
Run = tuple[Path, subprocess.CompletedProcess[str]]  # the run's folder and the finished pytest


def write_flowers(folder: Path) -> None:
    """Class k: a 20x20 PNG of its own hue with pixel noise (learnable in a few epochs)."""
    rng = np.random.default_rng(0)
    for k in range(CLASSES):
        colour = np.array(colorsys.hsv_to_rgb(k / CLASSES, 0.9, 0.9)) * 255
        (folder / f"class{k:02d}").mkdir(parents=True)
        for i in range(PER_CLASS):
            pixels = np.clip(colour + rng.normal(0, 10, (20, 20, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(folder / f"class{k:02d}" / f"img{i}.png")


@pytest.fixture(scope="module")
def s5_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("s5")
    write_flowers(root / "flowers")
    db = f"sqlite:///{root / 'runs.db'}"
    source = json.dumps({"path": "flowers", "size": 32})
    env = {**child_env(), "PYTHONPATH": str(REPO), "ABLAB_DATA": str(root),
           "ABLAB_IMAGE_FOLDER": "flowers",
           "ABLAB_S5_NETS": "resnet18", "ABLAB_CACHE": str(root / "cache"),
           "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "ablations/test_architecture.py", "-p",
         "no:cacheprovider", "-q", "--ablab-profile", "full", "--ablab-seeds", "1",
         "-k", "(s5-scratch or s5-resnet18 or s5_ensemble) and not imagenet",
         "--ablab-set", "epochs=3", "--ablab-set", "batch_size=8",
         "--ablab-set", "lr_candidates=[0.001, 0.0001]",
         "--ablab-set", f"dataset_kwargs.source_kwargs={source}", "--ablab-db", db],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    return root, done


@pytest.mark.slow
def test_s5_cells_and_their_ensemble_pass(s5_run: Run) -> None:
    _, done = s5_run
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "3 passed" in done.stdout  # ResNet18-ImageNet deselected: the vote leaves it out
    assert "s5-ensemble" in done.stdout  # the terminal table has the ensemble's row


@pytest.mark.slow
def test_rows_record_the_lr_choice_and_the_vote(s5_run: Run) -> None:
    root, _ = s5_run
    with open_store(f"sqlite:///{root / 'runs.db'}") as store:
        rows = {r.variant: r for r in store.rows()}
        # the whole report, figures included, is drawn with the ensemble's history-less row
        written = write_report(store, [rows["s5-ensemble"].session_id], root / "report",
                               "pytest")
    assert set(rows) == {"s5-scratch", "s5-resnet18", "s5-ensemble"}
    for name in ("s5-scratch", "s5-resnet18"):
        choice = rows[name].metrics["lr_choice"]
        assert choice["candidates"] == [1e-3, 1e-4]  # narrowed by --ablab-set
        scores = [-1.0 if v is None else v for v in choice["val_accuracy"]]
        assert choice["chosen"] == choice["candidates"][scores.index(max(scores))]
    vote = rows["s5-ensemble"].metrics
    assert vote["ensemble"]["members"] == ["s5-scratch", "s5-resnet18"]
    members = [load_artifacts(rows[n].metrics["artifacts"]) for n in ("s5-scratch",
                                                                       "s5-resnet18")]
    averaged = (members[0]["probs"] + members[1]["probs"]) / 2
    expected = float(np.mean(averaged.argmax(1) == members[0]["labels"]))
    assert vote["accuracy"] == pytest.approx(expected)
    assert len(vote["per_class"]) == CLASSES
    assert {"chance", "at_chance"} <= set(vote)
    text = Path(written).read_text()
    for name in rows:  # S5's per-class F1, the ensemble's included
        assert f"per-class test metrics of `{name}`" in text
    assert "soft_vote" in text  # the variants table says what the ensemble row is
