"""The report's Markdown: rows -> pandas -> per-study summary -> tables and findings.

Pure functions (rows in, DataFrame or text out), tested against golden files;
ablab.report.write adds the figures and writes DIR/REPORT.md. The statistics (control, paired
tests, Holm) live in ablab.stats.seeds.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tabulate import tabulate

from ablab.report.claims_markdown import claims_markdown
from ablab.report.refs import FigureRef, asked
from ablab.spec import STATUSES
from ablab.stats.claims import ALPHA, NO_DIFFERENCE
from ablab.stats.flat import NO_SPREAD
from ablab.stats.seeds import as_float, rows_frame, study_summary
from ablab.store.base import RunRow


def _fmt(value: float, signed: bool = False) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def _spread(mean: float, std: float) -> str:
    return _fmt(mean) if not math.isfinite(std) else f"{mean:.3f} ± {std:.3f}"


def _interval(low: float, high: float, signed: bool = False) -> str:
    return "n/a" if not math.isfinite(low) else f"[{_fmt(low, signed)}, {_fmt(high, signed)}]"


def _target(line: pd.Series, column: str, digits: int) -> str:
    if not line["has_target"]:
        return "no target"
    if line["reached"] == 0:
        return "not reached"
    text = f"{line[column]:.{digits}f}"
    return text if line["reached"] == line["n"] else f"{text} ({line['reached']}/{line['n']})"


def _overfit(line: pd.Series) -> str:
    """`12.5 (2/3)`: mean epoch of the validation-loss turn over the seeds that turned; `n/a`
    for rows stored before the metric existed."""
    turned, n = int(line["overfit_turned"]), int(line["n"])
    if not line["overfit_recorded"]:
        return "n/a"
    mean = f"{line['overfit_epoch']:.1f}" if turned else "none"
    return f"{mean} ({turned}/{n})"


def _name(line: pd.Series) -> str:
    name = f"**{line['variant']}** (best)" if line["best"] else str(line["variant"])
    return f"{name} (control)" if line["is_control"] else name


def summary_markdown(summary: pd.DataFrame) -> str:
    """The study's table in GitHub Markdown."""
    headers = ["variant", "test accuracy", "95% CI", "macro F1", "95% CI", "test loss", "n",
               "Δ accuracy vs control [95% CI]", "p (Holm)", "verdict", "epochs to target",
               "s to target", "samples/s", "overfit epoch (seeds turned)",
               "ok / diverged / collapsed; at chance"]
    table = [[
        _name(line), _spread(line["acc_mean"], line["acc_std"]),
        _interval(line["acc_low"], line["acc_high"]),
        _spread(line["f1_mean"], line["f1_std"]), _interval(line["f1_low"], line["f1_high"]),
        _spread(line["loss_mean"], line["loss_std"]), line["n"],
        "—" if line["variant"] == line["control"] else
        f"{_fmt(line['diff'], True)} {_interval(line['diff_low'], line['diff_high'], True)}",
        "—" if not math.isfinite(line["p_holm"]) else f"{line['p_holm']:.3g}",
        line["verdict"], _target(line, "epochs_to_target", 1),
        _target(line, "seconds_to_target", 2), f"{line['samples_per_second']:,.0f}",
        _overfit(line),
        " / ".join(str(line[s]) for s in STATUSES) + f"; {line['at_chance']}",
    ] for _, line in summary.iterrows()]
    return tabulate(table, headers, tablefmt="github", disable_numparse=True)


def findings(summary: pd.DataFrame) -> str:
    """The table in plain words: which variant is best and which differences are real."""
    best = summary.loc[summary["best"]]
    lines = [_controls_sentence(summary)]
    their = "the control" if summary["is_control"].sum() == 1 else "their control"
    if len(best):
        top = best.iloc[0]
        lines.append(f"Best mean test accuracy: `{top['variant']}` "
                     f"({_spread(top['acc_mean'], top['acc_std'])} over {top['n']} seeds).")
        runner_up = top["runner_up"]
        if runner_up is not None and not runner_up.spread:
            lines.append(f"Against the runner-up `{runner_up.b}`: {runner_up.verdict} "
                         f"(Δ {runner_up.diff:+.3f} on every seed).")
        elif runner_up is not None:
            lines.append(f"Against the runner-up `{runner_up.b}`: {runner_up.verdict} "
                         f"(Δ {runner_up.diff:+.3f}, 95% CI [{runner_up.ci_low:+.3f}, "
                         f"{runner_up.ci_high:+.3f}], p = {runner_up.p_value:.3g}, unadjusted).")
    sentences = {"better": f"Better than {their}", "worse": f"Worse than {their}",
                 NO_DIFFERENCE: f"No detectable difference from {their}",
                 NO_SPREAD: f"Undecided against {their} (the same difference on every seed, "
                            "no spread to test against)"}
    for verdict, sentence in sentences.items():
        names = summary.loc[summary["verdict"] == verdict, "variant"]
        if len(names):
            lines.append(f"{sentence}: {', '.join(f'`{n}`' for n in names)}.")
    tests = int(summary["p_holm"].notna().sum())
    lines.append(f"Paired t-test over seeds on test accuracy, Holm-corrected over the {tests} "
                 f"comparisons of this study, alpha = {ALPHA}; CIs: 95% t intervals (unadjusted; "
                 f"clipped to [0, 1] for accuracy and F1).")
    return " ".join(lines)


def _controls_sentence(summary: pd.DataFrame) -> str:
    """`Control: `x`.` or, with a control per group, each control and the variants it serves."""
    served: dict[str, list[str]] = {}
    for variant, control in zip(summary["variant"], summary["control"], strict=True):
        users = served.setdefault(str(control), [])
        if variant != control:
            users.append(str(variant))
    if len(served) == 1:
        return f"Control: `{next(iter(served))}`."
    return "Controls per group: " + "; ".join(
        f"`{c}` for {', '.join(f'`{v}`' for v in users) or 'itself'}"
        for c, users in served.items()) + "."


def per_class_markdown(rows: Sequence[RunRow]) -> str:
    """Precision / recall / F1 / support per class, mean over the given rows (seeds), with
    the macro and weighted averages."""
    per_class = [r.metrics["per_class"] for r in rows]
    table = []
    for name in per_class[0]:
        cells = [p[name] for p in per_class if name in p]
        table.append([name, *(f"{np.mean([c[k] for c in cells]):.3f}"
                              for k in ("precision", "recall", "f1")),
                      f"{np.mean([c['support'] for c in cells]):.0f}"])
    support = sum(int(v["support"]) for v in per_class[0].values())
    for average in ("macro", "weighted"):
        table.append([f"*{average} avg*", *(
            f"{np.mean([as_float(r.metrics.get(f'{k}_{average}')) for r in rows]):.3f}"
            for k in ("precision", "recall", "f1")), f"{support}"])
    headers = ["class", "precision", "recall", "F1", "support"]
    return tabulate(table, headers, tablefmt="github", disable_numparse=True)


def _unique(values: Sequence[Any]) -> str:
    seen = list(dict.fromkeys(str(v) for v in values if v not in (None, "")))
    return ", ".join(seen) if seen else "unknown"


def _sessions(rows: Sequence[RunRow], sessions: Sequence[str]) -> str:
    """Which sessions the report covers, each with its row count (a session is one pytest
    invocation with all its workers, or every invocation that named it)."""
    counts = Counter(r.session_id for r in rows)
    return f"{len(sessions)}: " + ", ".join(f"{s} ({counts[s]} rows)" for s in sessions)


def header_markdown(rows: Sequence[RunRow], sessions: Sequence[str],
                    command: str) -> str:
    """Where and how the rows were measured, and the command that made this report."""
    envs = [r.environment for r in rows]
    shas = [f"{e.get('git_sha') or 'unknown'}{' (dirty)' if e.get('git_dirty') else ''}"
            for e in envs]
    facts = [
        ("machine", _unique([f"{e.get('hostname')}, {e.get('cpu_count')} CPU threads"
                             for e in envs])),
        ("device", _unique([f"{e.get('device')} ({e.get('device_name')})" for e in envs])),
        ("torch", _unique([e.get("torch") for e in envs])),
        ("CUDA", _unique([e.get("cuda") or "none" for e in envs])),
        ("python", _unique([e.get("python") for e in envs])),
        ("git", _unique(shas)),
        ("sessions", _sessions(rows, sessions)),
        ("rows", f"{len(rows)} (from {min(r.created_at for r in rows):%Y-%m-%d %H:%M} "
                 f"to {max(r.created_at for r in rows):%Y-%m-%d %H:%M} UTC)"),
        ("command", f"`{command}`"),
    ]
    overrides = [" ".join(f"{k}={v!r}" for k, v in e["overrides"].items())
                 for e in envs if e.get("overrides")]
    if overrides:  # --ablab-set: every cell of those rows changed so
        facts.append(("--ablab-set", _unique(overrides)))
    table = tabulate(facts, ["", ""], tablefmt="github", disable_numparse=True)
    return "# ablab report\n\n" + table


# What a variant's table should not list: the seed varies within a variant, not between them.
_NOT_VARIED = ("seed",)


def _setting(experiment: Mapping[str, Any], name: str) -> str:
    """`adamw {'weight_decay': 0.05}`: a field with its `*_kwargs` (the axes, model, dataset)."""
    value, kwargs = experiment.get(name), experiment.get(f"{name}_kwargs")
    return f"{value} {kwargs}" if kwargs else str(value)


def variants_markdown(rows: Sequence[RunRow]) -> str:
    """Variant -> the Experiment fields in which the study's variants differ (each axis with its
    kwargs), derived from the stored experiments; "" when they differ in none."""
    experiments = {row.variant: row.experiment for row in rows}
    names = {k for e in experiments.values() for k in e if k not in _NOT_VARIED}
    fields = sorted(k.removesuffix("_kwargs") if k.removesuffix("_kwargs") in names else k
                    for k in names)
    varying = [name for name in dict.fromkeys(fields)
               if len({_setting(e, name) for e in experiments.values()}) > 1]
    if not varying:
        return ""
    table = [[variant, *(_setting(e, name) for name in varying)]
             for variant, e in experiments.items()]
    return tabulate(table, ["variant", *varying], tablefmt="github", disable_numparse=True)


def figure_markdown(figures: Sequence[FigureRef]) -> str:
    return "\n\n".join(f"![{Path(f.path).stem}]({f.path})\n\n*{f.caption}*" for f in figures)


def study_markdown(study: str, summary: pd.DataFrame, per_class: dict[str, str],
                   figures: Sequence[FigureRef], variants: str = "",
                   claims: Sequence[dict[str, Any]] = ()) -> str:
    """One study's section: table, plain-words findings, its claims and findings from the
    claims table, the variants' settings, per-class tables, figures."""
    parts = [f"## {study}", summary_markdown(summary), findings(summary)]
    stated = claims_markdown(study, claims)
    if stated:
        parts.append(stated)
    if variants:
        parts += [f"### {study}: what the variants set", variants]
    for variant, table in per_class.items():
        parts += [f"### {study}: per-class test metrics of `{variant}` (mean over seeds)",
                  table]
    if figures:
        parts += [f"### {study}: figures", figure_markdown(figures)]
    return "\n\n".join(parts)


Study = tuple[str, list[RunRow], pd.DataFrame]  # name, its rows, its summary


def studies(rows: Sequence[RunRow]) -> list[Study]:
    """Each study's rows and summary, in first-seen order. Optuna trial rows belong to their
    search's section, not to the study tables."""
    cells = [r for r in rows if r.trial is None]
    if not cells:
        return []
    by_id = {r.id: r for r in cells}
    return [(str(name), [by_id[i] for i in group["id"]], study_summary(group))
            for name, group in rows_frame(cells).groupby("study", sort=False)]


def report_markdown(rows: Sequence[RunRow], sessions: Sequence[str], command: str,
                    figures: Mapping[str, Sequence[FigureRef]] | None = None,
                    extra: Sequence[str] = (), parts: Sequence[Study] | None = None,
                    claims: Sequence[dict[str, Any]] = ()) -> str:
    """The whole REPORT.md text: header, one section per study (with its figures and the
    `claims` table's rows), extras (`parts`: the rows' `studies`, when the caller has them)."""
    sections = [header_markdown(rows, sessions, command)]
    for name, study_rows, summary in studies(rows) if parts is None else parts:
        sections.append(study_markdown(name, summary, per_class_tables(study_rows),
                                       (figures or {}).get(name, ()),
                                       variants_markdown(study_rows), claims))
    return "\n\n".join([*sections, *extra]) + "\n"


def per_class_tables(rows: Sequence[RunRow]) -> dict[str, str]:
    """Variant -> per-class table, for the variants whose cells asked for "predictions"."""
    by_variant: dict[str, list[RunRow]] = {}
    for row in rows:
        if asked(row, "predictions") and row.metrics.get("per_class"):
            by_variant.setdefault(row.variant, []).append(row)
    return {variant: per_class_markdown(group) for variant, group in by_variant.items()}
