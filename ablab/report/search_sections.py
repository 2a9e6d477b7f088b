"""The report's search sections: per ablab study in the database, its best trials, the
optimisation history and the parameter importances (matplotlib, Agg, no pyplot state)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

import optuna
from matplotlib.figure import Figure
from optuna.importance import FanovaImportanceEvaluator, get_param_importances
from optuna.trial import FrozenTrial, TrialState
from tabulate import tabulate

from ablab.atomic import atomic_path
from ablab.search.attributes import COMMAND_ATTR, METRIC, SEARCH_ATTR
from ablab.store import RunStore
from ablab.store.base import RunRow

BEST_TRIALS = 5  # rows of the best-trials table
MIN_IMPORTANCE_TRIALS = 4  # fANOVA on fewer finished trials says nothing
IMPORTANCE_SEED = 0  # fANOVA fits a random forest: fixed, so the figure is reproducible


def search_sections(
    store: RunStore, figures_dir: Path, sessions: Collection[str] | None = None
) -> list[str]:
    """One Markdown section per study an ablab search made in `store`'s database (with
    `sessions`, only studies with rows from those sessions), its figures written under
    `figures_dir` and linked as `<figures_dir name>/<file>` (the report sits beside the figures
    folder). Nothing is written to the database."""
    if not store.has_table("studies"):  # Optuna's own tables
        return []
    storage = optuna.storages.RDBStorage(store.url, skip_table_creation=True)
    try:
        sections = []
        for summary in sorted(optuna.get_all_study_summaries(storage),
                              key=lambda s: s.study_name):
            if SEARCH_ATTR not in summary.user_attrs:
                continue  # a study some other tool made in the same database
            found = store.rows(study=summary.study_name)
            if sessions is not None and not any(r.session_id in sessions for r in found):
                continue
            study = optuna.load_study(study_name=summary.study_name, storage=storage)
            rows = {r.trial: r for r in found}
            sections.append(_section(study, rows, figures_dir))
        return sections
    finally:
        storage.remove_session()
        storage.engine.dispose()


def _section(study: optuna.Study, rows: dict[Any, RunRow], figures_dir: Path) -> str:
    trials = study.trials
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    counts = ", ".join(f"{sum(t.state == s for t in trials)} {s.name.lower()}"
                       for s in TrialState if any(t.state == s for t in trials))
    search = study.user_attrs[SEARCH_ATTR]
    lines = [f"## Search `{search}`: study `{study.study_name}`", "",
             f"{len(trials)} trials ({counts}); {METRIC} maximised; "
             f"validation and test accuracy of the model each finished trial kept.", ""]
    if not complete:
        return "\n".join([*lines, "No trial has finished yet.", ""])
    lines += [_best_table(complete, rows), ""]
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", study.study_name)
    provenance = _provenance(study, rows.values())
    history = figures_dir / f"search-{slug}-history.png"
    _save(_history_figure(trials, study.study_name), history, provenance)
    lines += [f"![optimisation history of {study.study_name}]"
              f"({figures_dir.name}/{history.name})", ""]
    importance = figures_dir / f"search-{slug}-importance.png"
    lines += [_importance(study, complete, importance, provenance), ""]
    lines += [f"*{provenance}*", ""]
    return "\n".join(lines)


def _best_table(complete: list[FrozenTrial], rows: dict[Any, RunRow]) -> str:
    best = sorted(complete, key=lambda t: -(t.value or 0.0))[:BEST_TRIALS]
    names = list(dict.fromkeys(k for t in best for k in t.params))
    table = []
    for rank, trial in enumerate(best, 1):
        row = rows.get(trial.number)
        table.append([rank, trial.number, _number(trial.value, ".4f"),
                      _number(row.metrics.get("accuracy") if row else None, ".4f"),
                      row.status if row else "no row",
                      *(_number(trial.params.get(k), ".3g") for k in names)])
    headers = ["rank", "trial", "val accuracy", "test accuracy", "status", *names]
    return tabulate(table, headers=headers, tablefmt="github", disable_numparse=True)


def _number(value: Any, spec: str) -> str:
    """Floats in the given format (parameters to 3 significant digits), others as they are."""
    if value is None:
        return "-"
    return format(value, spec) if isinstance(value, float) else str(value)


def _history_figure(trials: list[FrozenTrial], name: str) -> Figure:
    """Each finished trial's value, each pruned trial's last reported value, the best so far."""
    figure = Figure(figsize=(6.4, 3.6), layout="constrained")
    axes = figure.add_subplot()
    done = [(t.number, t.value) for t in trials if t.state == TrialState.COMPLETE]
    pruned = [(t.number, t.intermediate_values[max(t.intermediate_values)]) for t in trials
              if t.state == TrialState.PRUNED and t.intermediate_values]
    axes.scatter(*zip(*done, strict=True), label="finished", color="tab:blue")
    if pruned:
        axes.scatter(*zip(*pruned, strict=True), label="pruned (last epoch)", marker="x",
                     color="tab:gray")
    best, steps = -1.0, []
    for number, value in done:
        best = max(best, float(value or 0.0))
        steps.append((number, best))
    axes.step(*zip(*steps, strict=True), where="post", label="best so far", color="tab:orange")
    axes.set(xlabel="trial", ylabel="validation accuracy")
    axes.set_title(f"Optimisation history\n{name}", fontsize=9)
    axes.legend(loc="lower right")
    return figure


def _importance(
    study: optuna.Study, complete: list[FrozenTrial], path: Path, provenance: str
) -> str:
    if len(complete) < MIN_IMPORTANCE_TRIALS:
        return (f"Parameter importance needs {MIN_IMPORTANCE_TRIALS} finished trials; "
                f"this study has {len(complete)}.")
    try:
        importances = get_param_importances(
            study, evaluator=FanovaImportanceEvaluator(seed=IMPORTANCE_SEED))
    except (RuntimeError, ValueError) as error:
        return f"Parameter importance not available: {error}"
    figure = Figure(figsize=(6.4, 0.6 + 0.5 * len(importances)), layout="constrained")
    axes = figure.add_subplot()
    names = list(importances)[::-1]
    axes.barh(names, [importances[n] for n in names], color="tab:blue")
    axes.set(xlabel="fANOVA importance for validation accuracy")
    axes.set_title(f"Parameter importance over {len(complete)} finished trials\n"
                   f"{study.study_name}", fontsize=9)
    _save(figure, path, provenance)
    return f"![parameter importance of {study.study_name}]({path.parent.name}/{path.name})"


def _provenance(study: optuna.Study, rows: Iterable[RunRow]) -> str:
    """What every figure must say: the command, the machines and the torch versions."""
    environments = [r.environment for r in rows]
    machines = sorted({f"{e.get('hostname')} {e.get('device_name')} ({e.get('device')})"
                       for e in environments})
    torches = sorted({str(e.get("torch")) for e in environments})
    command = study.user_attrs.get(COMMAND_ATTR) or (
        f"python -m ablab search {study.user_attrs[SEARCH_ATTR]} --name {study.study_name}")
    return (f"Command: {command}; machines: {', '.join(machines) or 'unknown'}; "
            f"torch {', '.join(torches) or 'unknown'}")


def _save(figure: Figure, path: Path, provenance: str) -> None:
    """Write the PNG (provenance in its footer) under a temporary name, then rename."""
    figure.supxlabel(provenance, fontsize=6, wrap=True)
    with atomic_path(path) as partial:
        figure.savefig(partial, format="png", dpi=120)
