"""The `.ts` file format of the UEA / UCR time-series archive (sktime's writer, the archive's
own files): header lines `@name value`, then one case per line after `@data`.

A case is its dimensions separated by `:`, the class label last. A dimension is comma-separated
values, or `(timestamp,value)` pairs when `@timeStamps true`. Cases may differ in length (and,
in a multivariate case, its dimensions from each other); `?` (or `NaN`) marks a missing value.

Policy (what `to_array` does, documented in docs/studies.md):
- missing values: linear interpolation along time within the dimension, the nearest observed
  value before the first / after the last one; a dimension with no observed value is all 0;
- timestamps: the values are kept in file order and the timestamps dropped (no resampling);
- unequal lengths: every dimension is padded on the *left* with 0 to `steps` (the longest
  dimension of the train and test files together), so the last steps stay aligned, which is
  what S2's window (the last X + 1 steps) reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ablab.data.sources import CorruptData

MISSING = frozenset({"?", "nan"})
_PAIR = re.compile(r"\(([^()]*),([^(),]*)\)")


@dataclass
class TsFile:
    """One parsed `.ts` file: per case a list of 1-D float arrays (NaN = missing), its label,
    and the header's declared class labels (empty when the header declares none)."""

    path: Path
    cases: list[list[np.ndarray]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    classes: tuple[str, ...] = ()

    @property
    def longest(self) -> int:
        return max(len(d) for case in self.cases for d in case)


def _split_top(line: str) -> list[str]:
    """`line` split on the `:` outside parentheses (timestamps may hold `:` themselves)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(line):
        depth += (char == "(") - (char == ")")
        if char == ":" and depth == 0:
            parts.append(line[start:i])
            start = i + 1
    parts.append(line[start:])
    return parts


def _values(text: str, timestamps: bool) -> np.ndarray:
    """One dimension's values; ValueError on anything that is neither a number nor missing."""
    if timestamps:
        pairs = _PAIR.findall(text)
        if not pairs and text.strip():
            raise ValueError(f"expected (timestamp,value) pairs, got {text[:40]!r}")
        raw = [value for _, value in pairs]
    else:
        raw = text.split(",") if text.strip() else []
    return np.array([np.nan if v.strip().lower() in MISSING else float(v) for v in raw])


def _header(ts: TsFile, line: str, flags: dict[str, str]) -> None:
    name, *rest = line[1:].split()
    name = name.lower()
    if name == "classlabel":
        if rest and rest[0].lower() == "true":
            ts.classes = tuple(rest[1:])
    elif name == "targetlabel" and rest and rest[0].lower() == "true":
        raise CorruptData(f"{ts.path}: @targetLabel true is a regression set; ablab's uea "
                          "reads classification sets (@classLabel)")
    flags[name] = rest[0].lower() if rest else ""


def parse_text(path: Path, text: str) -> TsFile:
    """Parse the text of the `.ts` file `path`; CorruptData naming the file and line on anything
    unreadable."""
    ts, flags, in_data = TsFile(path), dict[str, str](), False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            if line.lower().startswith("@data"):
                in_data = True
            elif line.startswith("@"):
                _header(ts, line, flags)
            continue
        *dims, label = _split_top(line)
        try:
            if not dims:
                raise ValueError("no `:` before the class label")
            case = [_values(d, flags.get("timestamps") == "true") for d in dims]
        except ValueError as error:
            raise CorruptData(f"{path}:{number}: {error}") from error
        if ts.cases and len(case) != len(ts.cases[0]):
            raise CorruptData(f"{path}:{number}: {len(case)} dimensions, the first case has "
                              f"{len(ts.cases[0])}")
        ts.cases.append(case)
        ts.labels.append(label.strip())
    if not ts.cases:
        raise CorruptData(f"{path}: no cases after @data")
    return ts


def fill_missing(values: np.ndarray) -> np.ndarray:
    """Missing (NaN) values interpolated linearly along time; the ends take the nearest observed
    value; a dimension with nothing observed is all 0."""
    missing = np.isnan(values)
    if not missing.any():
        return values
    if missing.all():
        return np.zeros_like(values)
    steps = np.arange(len(values))
    filled: np.ndarray = np.interp(steps, steps[~missing], values[~missing])
    return filled


def to_array(ts: TsFile, steps: int) -> np.ndarray:
    """The cases as float32 (N, steps, dimensions): missing values filled, each dimension padded
    on the left with 0 to `steps`."""
    out = np.zeros((len(ts.cases), steps, len(ts.cases[0])), dtype=np.float32)
    for i, case in enumerate(ts.cases):
        for d, values in enumerate(case):
            if len(values):
                out[i, steps - len(values):, d] = fill_missing(values)
    return out


def class_order(train: TsFile, test: TsFile) -> tuple[str, ...]:
    """The class labels in a stable order: the train file's @classLabel as declared; without
    one, the labels of both files sorted, numerically when every label is a number."""
    if train.classes:
        return train.classes
    found = set(train.labels) | set(test.labels)
    try:
        return tuple(sorted(found, key=float))
    except ValueError:
        return tuple(sorted(found))


def label_indices(ts: TsFile, classes: tuple[str, ...]) -> np.ndarray:
    """Each case's class index; CorruptData naming labels that are not among `classes`."""
    index = {name: i for i, name in enumerate(classes)}
    unknown = sorted(set(ts.labels) - set(index))
    if unknown:
        raise CorruptData(f"{ts.path}: labels {unknown} are not in @classLabel {classes}")
    return np.array([index[label] for label in ts.labels], dtype=np.int64)
