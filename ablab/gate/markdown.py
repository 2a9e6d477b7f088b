"""The regression gate's Markdown: verdict table, then the cells only one side has."""

from __future__ import annotations

from collections.abc import Sequence

from tabulate import tabulate

from ablab.gate.verdicts import Cell, Missing, Thresholds, Verdict

HEADERS = ["study", "variant", "metric", "baseline", "this run", "change", "allowed", "p",
           "verdict"]


def _name(cell: Cell) -> str:
    return f"{cell[0]}/{cell[1]}"


def _headline(verdicts: Sequence[Verdict], missing: Missing, failed: bool,
              fail_missing: bool) -> str:
    cells = {(v.study, v.variant) for v in verdicts}
    regressed = sorted({_name((v.study, v.variant)) for v in verdicts if v.regressed})
    lost = len(missing.lost) + len(missing.changed)
    text = f"**{'FAIL' if failed else 'PASS'}**: {len(cells)} cells compared, "
    text += f"{len(regressed)} regressed" + (f" ({', '.join(regressed)})" if regressed else "")
    if lost:
        text += f"; {lost} baseline cells missing or changed"
        text += " (fails with --fail-missing)" if not fail_missing else ""
    return text + f"; {len(missing.new)} new."


def _rules(limits: Thresholds) -> str:
    speed = (f"speed gated at {limits.speed_ratio}x slower" if limits.speed
             else "speed not gated (use --speed)")
    return (f"Rule: worse by more than the floor (accuracy {limits.floor}, epochs to target "
            f"{limits.epochs_floor}) and by more than {limits.k} standard errors of the "
            f"difference (both sides' spread) or a one-sided Welch test at p < {limits.alpha}; "
            f"{speed}.")


def _section(title: str, lines: list[str]) -> list[str]:
    return [f"\n## {title}\n", *lines] if lines else []


def markdown(source: str, baseline: str, verdicts: Sequence[Verdict], missing: Missing,
             limits: Thresholds, failed: bool, fail_missing: bool, match: str = "cell") -> str:
    """The whole report: headline, rule, verdict table, missing / changed / new cells."""
    rows = [[v.study, v.variant, v.metric, v.baseline, v.current, v.change, v.allowed, v.p,
             v.verdict] for v in verdicts]
    parts = [f"# Regression gate: {source} against {baseline}\n",
             _headline(verdicts, missing, failed, fail_missing), "", _rules(limits), ""]
    if match == "variant":  # say it: the experiments differ on purpose, keys were not checked
        parts[-1:-1] = ["Cells paired by study and variant (`--match variant`): experiment keys "
                        "were not compared.", ""]
    if rows:
        parts.append(tabulate(rows, HEADERS, tablefmt="github"))
    parts += _section("Missing from this run (in the baseline)",
                      [f"- {_name(c)} (cell_key {c[2]})" for c in missing.lost])
    parts += _section("Experiment changed (refresh the baseline if intended)",
                      [f"- {_name(b)}: cell_key {b[2]} -> {c[2]}" for b, c in missing.changed])
    parts += _section("New in this run (not in the baseline)",
                      [f"- {_name(c)} (cell_key {c[2]})" for c in missing.new])
    return "\n".join(parts) + "\n"


