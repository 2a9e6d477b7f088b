"""Which figures a study's report gets, drawn from its rows and their artifacts.

Every study: learning curves (per epoch and per samples seen) and a bar chart of test accuracy.
Per variant, when its cells asked for them: confusion matrix and ROC ("predictions"), t-SNE
("embeddings"), image grid ("samples"), conv filters ("filters"), reconstructions
("reconstructions"). Artifact figures use the variant's lowest seed whose file is present.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ablab.report import figures
from ablab.report.refs import FigureRef, asked
from ablab.stats.seeds import as_float
from ablab.store.artifacts import load_artifacts
from ablab.store.base import RunRow


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "x"


class _Drawer:
    """Names files `<study>-<variant>-<kind>.png` and collects their references."""

    def __init__(self, study: str, out: Path) -> None:
        self.study, self.out = study, out
        self.refs: list[FigureRef] = []

    def path(self, *parts: str) -> Path:
        return self.out / "figures" / ("-".join(_slug(p) for p in (self.study, *parts)) + ".png")

    def add(self, path: Path, caption: str) -> None:
        self.refs.append(FigureRef(path.relative_to(self.out).as_posix(), caption))


def study_figures(study: str, rows: Sequence[RunRow], summary: pd.DataFrame,
                  out: Path, artifacts_root: Path) -> list[FigureRef]:
    """Draw the study's figures under out/figures/ and return their references."""
    draw = _Drawer(study, out)
    variants = [str(v) for v in summary["variant"]]
    by_variant = {v: sorted((r for r in rows if r.variant == v), key=lambda r: r.seed)
                  for v in variants}
    histories = {v: [r.history for r in group] for v, group in by_variant.items()
                 if any(r.history for r in group)}
    if histories:
        for axis, words in (("epoch", "epoch"), ("samples", "training samples seen")):
            path = figures.learning_curves(histories, draw.path("curves", axis),
                                           x_axis="epoch" if axis == "epoch" else "samples_seen",
                                           title=f"{study}: learning curves")
            draw.add(path, f"{study}: train and validation loss and accuracy against {words}; "
                           f"line = mean over seeds, band = ± 1 std.")
    path = figures.metric_bars(
        variants, list(summary["acc_mean"]), list(summary["acc_low"]), list(summary["acc_high"]),
        [[as_float(r.metrics.get("accuracy")) for r in by_variant[v]] for v in variants],
        draw.path("accuracy"), title=f"{study}: test accuracy per variant",
        controls={str(v) for v in summary.loc[summary["is_control"], "variant"]},
        best=next((str(v) for v in summary.loc[summary["best"], "variant"]), None))
    draw.add(path, f"{study}: test accuracy per variant, mean with 95% CI over seeds "
                   f"(dots: single seeds; grey: control, dark: best).")
    for variant, group in by_variant.items():
        _variant_figures(draw, variant, group, artifacts_root)
    return draw.refs


def _variant_figures(draw: _Drawer, variant: str, rows: list[RunRow],
                     root: Path) -> None:
    study = draw.study
    if any(asked(r, "predictions") for r in rows):
        classes = list(rows[0].metrics["per_class"])
        matrix = np.sum([r.metrics["confusion_matrix"] for r in rows], axis=0)
        path = figures.confusion(matrix, classes, draw.path(variant, "confusion"),
                                 title=f"{study} / {variant}")
        draw.add(path, f"{study} / {variant}: confusion matrix on the test split, "
                       f"summed over {len(rows)} seeds.")
    found = next(((r, a) for r in rows if (a := load_artifacts(
        r.metrics.get("artifacts"), root))), None)
    if found is None:
        return
    row, arrays = found
    seed = row.seed
    classes = [str(c) for c in arrays["classes"]]
    if "probs" in arrays:
        path = figures.roc_curves(arrays["labels"], arrays["probs"], classes,
                                  draw.path(variant, "roc"), title=f"{study} / {variant}")
        draw.add(path, f"{study} / {variant}: ROC curves on the test split "
                       f"({'binary' if len(classes) == 2 else 'one-vs-rest'}), seed {seed}.")
    if "embeddings_final" in arrays:
        stages = {"after epoch 1": arrays.get("embeddings_first"),
                  "after training": arrays["embeddings_final"]}
        stages = {k: v for k, v in stages.items() if v is not None}
        path = figures.tsne_pair(stages, arrays["embedding_labels"], classes,
                                 draw.path(variant, "tsne"), title=f"{study} / {variant}",
                                 seed=seed)
        draw.add(path, f"{study} / {variant}: t-SNE of the last hidden layer on "
                       f"{len(arrays['embedding_labels'])} test samples after epoch 1 and "
                       f"after training, seed {seed}.")
    if "sample_images" in arrays:
        path = figures.image_grid(arrays["sample_images"], arrays["sample_true"],
                                  arrays["sample_pred"], classes, draw.path(variant, "samples"),
                                  title=f"{study} / {variant}")
        draw.add(path, f"{study} / {variant}: correctly (green) and wrongly (red) classified "
                       f"test images, titled true -> predicted, seed {seed}.")
    if "filters" in arrays:
        path = figures.filters(arrays["filters"], draw.path(variant, "filters"),
                               title=f"{study} / {variant}")
        draw.add(path, f"{study} / {variant}: filters of the last convolution (mean over input "
                       f"channels; red positive, blue negative), seed {seed}.")
    if "reconstructions" in arrays:
        path = figures.reconstructions(arrays["originals"], arrays["reconstructions"],
                                       draw.path(variant, "reconstructions"),
                                       title=f"{study} / {variant}")
        draw.add(path, f"{study} / {variant}: test images (top) and their reconstructions "
                       f"(bottom) by the autoencoder at the end of pretraining, before the "
                       f"classifier's fine-tuning, seed {seed}.")
