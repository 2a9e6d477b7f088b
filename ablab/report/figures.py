"""Report figures (matplotlib, Agg backend): one function per kind, each writes one PNG.

Every function takes plain arrays, so it is usable outside the report, and writes atomically.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

from ablab.atomic import atomic_path

matplotlib.use("Agg")  # no display on CI machines and GPU nodes

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from sklearn.manifold import TSNE
from sklearn.metrics import auc, roc_curve
from threadpoolctl import threadpool_limits  # installed with scikit-learn

DPI = 110
CURVE_PANELS = (("train_loss", "train loss"), ("val_loss", "validation loss"),
                ("train_accuracy", "train accuracy"), ("val_accuracy", "validation accuracy"))
MAX_FILTERS = 64
TSNE_PERPLEXITY = 30.0

History = Sequence[Mapping[str, float | None]]  # stored rows hold None for NaN


def save(fig: Figure, path: Path) -> Path:
    """Write the PNG under a temporary name, then rename; close the figure."""
    try:
        with atomic_path(path) as partial:
            fig.savefig(partial, format="png", dpi=DPI, bbox_inches="tight")
    finally:
        plt.close(fig)
    return path


def _colors(n: int) -> list[Any]:
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(n)]


def _by_epoch(histories: Sequence[History], column: str) -> np.ndarray:
    """seeds x epochs, NaN-padded where a seed stopped early or diverged."""
    length = max(len(h) for h in histories)
    table = np.full((len(histories), length), np.nan)
    for i, history in enumerate(histories):
        for j, record in enumerate(history):
            value = record.get(column)
            table[i, j] = np.nan if value is None else float(value)
    return table


def _nan_stats(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations over the seeds that have a finite value."""
    finite = np.isfinite(table)
    count = finite.sum(axis=0)
    filled = np.where(finite, table, 0.0)
    mean = np.divide(filled.sum(axis=0), count, out=np.full(table.shape[1], np.nan),
                     where=count > 0)
    spread = np.where(finite, (table - mean) ** 2, 0.0).sum(axis=0)
    std = np.sqrt(np.divide(spread, count, out=np.zeros(table.shape[1]), where=count > 0))
    return mean, std


def learning_curves(
    histories: Mapping[str, Sequence[History]], path: Path, *, x_axis: str = "epoch",
    title: str = "",
) -> Path:
    """Train / validation loss and accuracy: one line per variant (mean over seeds) with a
    +/- one standard deviation band; x is the epoch or the number of samples seen."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    for (variant, runs), color in zip(histories.items(), _colors(len(histories)), strict=True):
        if x_axis == "epoch":
            xs = np.arange(1, max(len(h) for h in runs) + 1, dtype=float)
        else:
            xs, _ = _nan_stats(_by_epoch(runs, "samples_seen"))
        for ax, (column, _label) in zip(axes.flat, CURVE_PANELS, strict=True):
            mean, std = _nan_stats(_by_epoch(runs, column))
            ax.plot(xs, mean, color=color, label=variant, linewidth=1.4)
            ax.fill_between(xs, mean - std, mean + std, color=color, alpha=0.18, linewidth=0)
    for ax, (column, label) in zip(axes.flat, CURVE_PANELS, strict=True):
        ax.set_title(label)
        ax.set_xlabel("epoch" if x_axis == "epoch" else "training samples seen")
        ax.grid(alpha=0.3)
        if column.endswith("loss"):
            ax.set_yscale("log")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(5, len(labels)), frameon=False,
               bbox_to_anchor=(0.5, -0.06))
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, path)


def metric_bars(
    variants: Sequence[str], means: Sequence[float], lows: Sequence[float],
    highs: Sequence[float], seeds: Sequence[Sequence[float]], path: Path, *,
    metric: str = "test accuracy", title: str = "", controls: Collection[str] = (),
    best: str | None = None,
) -> Path:
    """Horizontal bars of the mean per variant with its confidence interval; dots are seeds.
    The controls' bars (one per group of variants) are grey, the best one dark blue."""
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(variants) + 1.4))
    ys = np.arange(len(variants))
    mean = np.asarray(means, dtype=float)
    low = np.nan_to_num(mean - np.asarray(lows, dtype=float))
    high = np.nan_to_num(np.asarray(highs, dtype=float) - mean)
    colors = ["#b0b0b0" if v in controls else "#2f5d9e" if v == best else "#8fb3d9"
              for v in variants]
    ax.barh(ys, mean, xerr=[low, high], color=colors, capsize=3, ecolor="#333")
    for y, values in zip(ys, seeds, strict=True):
        ax.plot(values, [y] * len(values), "o", color="#1f3b73", markersize=3)
    ax.set_yticks(ys, [f"{v} (control)" if v in controls else f"{v} (best)" if v == best else v
                       for v in variants])
    ax.invert_yaxis()
    ax.set_xlabel(f"{metric} (bar: mean, whisker: 95% CI, dots: seeds)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title)
    return save(fig, path)


def confusion(matrix: np.ndarray, classes: Sequence[str], path: Path, *, title: str = "") -> Path:
    """Counts, coloured by the share of each true class (row)."""
    matrix = np.asarray(matrix, dtype=float)
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.45 * len(classes) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, label="share of the true class")
    ticks = np.arange(len(classes))
    ax.set_xticks(ticks, list(classes), rotation=45, ha="right")
    ax.set_yticks(ticks, list(classes))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if len(classes) <= 20:
        for (i, j), count in np.ndenumerate(matrix):
            ax.text(j, i, f"{count:.0f}", ha="center", va="center", fontsize=8,
                    color="white" if shares[i, j] > 0.5 else "black")
    ax.set_title(title)
    return save(fig, path)


def roc_curves(
    labels: np.ndarray, probs: np.ndarray, classes: Sequence[str], path: Path, *, title: str = ""
) -> Path:
    """Binary: one curve for the second class. Otherwise one-vs-rest, one curve per class."""
    fig, ax = plt.subplots(figsize=(6, 5.5))
    targets = [1] if len(classes) == 2 else list(range(len(classes)))
    for target, color in zip(targets, _colors(len(targets)), strict=True):
        positive = labels == target
        if positive.all() or not positive.any():
            continue  # a class absent from the test labels has no ROC curve
        fpr, tpr, _ = roc_curve(positive, probs[:, target])
        name = classes[target] if len(classes) > 2 else f"{classes[1]} vs {classes[0]}"
        ax.plot(fpr, tpr, color=color, label=f"{name} (AUC {auc(fpr, tpr):.3f})")
    ax.plot([0, 1], [0, 1], "--", color="grey", linewidth=0.8)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(title)
    return save(fig, path)


def _embed(points: np.ndarray, seed: int) -> np.ndarray | None:
    """2-D t-SNE, or None when the activations have no spread (e.g. zeros init) or are not
    finite (a diverged run): t-SNE has nothing to show there."""
    points = np.asarray(points, dtype=np.float64)
    if not np.isfinite(points).all() or float(np.ptp(points, axis=0).max()) == 0.0:
        return None
    perplexity = min(TSNE_PERPLEXITY, (len(points) - 1) / 3)
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed)
    # One thread: for a few hundred points OpenMP threads only cost (30x slower measured on a
    # busy 2-core machine), and the result does not depend on the thread count.
    with threadpool_limits(limits=1):
        embedded: np.ndarray = tsne.fit_transform(points)
    return embedded


def tsne_pair(
    stages: Mapping[str, np.ndarray], labels: np.ndarray, classes: Sequence[str], path: Path,
    *, title: str = "", seed: int = 0,
) -> Path:
    """One t-SNE panel per stage (e.g. after epoch 1, after training), points coloured by the
    true class."""
    fig, axes = plt.subplots(1, len(stages), figsize=(5.5 * len(stages), 5), squeeze=False)
    colors = _colors(len(classes))
    for ax, (stage, points) in zip(axes.flat, stages.items(), strict=True):
        embedded = _embed(points, seed)
        ax.set_title(stage)
        ax.set_xticks([])
        ax.set_yticks([])
        if embedded is None:
            ax.text(0.5, 0.5, "activations have no spread\n(nothing to embed)",
                    ha="center", va="center", transform=ax.transAxes)
            continue
        for index, name in enumerate(classes):
            chosen = labels == index
            ax.scatter(embedded[chosen, 0], embedded[chosen, 1], s=6, color=colors[index],
                       label=name)
    axes.flat[-1].legend(fontsize=7, markerscale=2, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, path)


def _as_image(sample: np.ndarray) -> tuple[np.ndarray, str | None]:
    """(H, W) grey or (H, W, 3) colour from a (C, H, W) image; a 2-D sample (a sequence of
    feature vectors) is shown as it is."""
    sample = np.asarray(sample, dtype=np.float32)
    if sample.ndim == 3 and sample.shape[0] == 3:
        return np.clip(np.moveaxis(sample, 0, -1), 0, 1), None
    if sample.ndim == 3:
        return sample.mean(axis=0), "gray"
    return sample.reshape(sample.shape[0], -1), "gray"


def image_grid(
    images: np.ndarray, true: np.ndarray, predicted: np.ndarray, classes: Sequence[str],
    path: Path, *, title: str = "", columns: int = 8,
) -> Path:
    """Images titled `true -> predicted`, green when right and red when wrong."""
    rows = max(1, math.ceil(len(images) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(1.4 * columns, 1.6 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, t, p in zip(axes.flat, images, true, predicted, strict=False):
        pixels, cmap = _as_image(image)
        ax.imshow(pixels, cmap=cmap)
        ax.set_title(f"{classes[int(t)]} -> {classes[int(p)]}", fontsize=7,
                     color="green" if t == p else "red")
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, path)


def filters(weights: np.ndarray, path: Path, *, title: str = "") -> Path:
    """Each output filter of a conv layer (averaged over its input channels), on a symmetric
    colour scale so that sign is visible."""
    kernels = np.asarray(weights, dtype=np.float32).mean(axis=1)[:MAX_FILTERS]
    columns = min(8, len(kernels))
    rows = math.ceil(len(kernels) / columns)
    limit = float(np.abs(kernels).max()) or 1.0
    fig, axes = plt.subplots(rows, columns, figsize=(1.2 * columns, 1.2 * rows + 0.6),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, kernel in zip(axes.flat, kernels, strict=False):
        ax.imshow(kernel, cmap="coolwarm", vmin=-limit, vmax=limit)
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, path)


def reconstructions(
    originals: np.ndarray, reconstructed: np.ndarray, path: Path, *, title: str = ""
) -> Path:
    """Originals on the top row, their reconstructions below."""
    count = len(originals)
    fig, axes = plt.subplots(2, count, figsize=(1.4 * count, 3.2), squeeze=False)
    for column in range(count):
        for row, source in enumerate((originals, reconstructed)):
            pixels, cmap = _as_image(source[column])
            axes[row, column].imshow(pixels, cmap=cmap)
            axes[row, column].axis("off")
    axes[0, 0].set_title("original", fontsize=8, loc="left")
    axes[1, 0].set_title("reconstructed", fontsize=8, loc="left")
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, path)
