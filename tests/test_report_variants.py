"""The report's per-study table of what the variants set: the fields that differ, axes with
their kwargs, the seed never."""

from __future__ import annotations

from typing import Any

from ablab.report.markdown import variants_markdown
from ablab.store import RunRow


def row(variant: str, seed: int, **experiment: Any) -> RunRow:
    base = {"optimizer": "adam", "optimizer_kwargs": {}, "lr": 0.001, "seed": seed,
            "epochs": 10}
    return RunRow(session_id="s", study="optimizer", node_id="", variant=variant, params={},
                  seed=seed, experiment={**base, **experiment}, key="k", cell_key="c",
                  status="ok", metrics={}, history=[], timings={}, environment={},
                  data_fingerprint="fp")


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("|")[1:-1]]


def test_only_the_fields_that_differ_with_their_kwargs() -> None:
    rows = [row("adam", 0), row("adam", 1),
            row("adamw", 0, optimizer="adamw", optimizer_kwargs={"weight_decay": 0.05}),
            row("sgd", 0, optimizer="sgd", lr=0.1)]
    lines = variants_markdown(rows).splitlines()
    assert cells(lines[0]) == ["variant", "lr", "optimizer"]
    assert cells(lines[2]) == ["adam", "0.001", "adam"]
    assert cells(lines[3]) == ["adamw", "0.001", "adamw {'weight_decay': 0.05}"]
    assert cells(lines[4]) == ["sgd", "0.1", "sgd"]
    assert len(lines) == 5  # one line per variant, not per seed


def test_nothing_when_variants_differ_in_no_field() -> None:
    assert variants_markdown([row("a", 0), row("b", 1)]) == ""
