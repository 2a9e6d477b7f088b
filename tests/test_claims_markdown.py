"""REPORT.md's claims-and-findings table per study, from the claims table's rows."""

from __future__ import annotations

from typing import Any

from ablab.report.claims_markdown import claims_markdown


def stored(id_: int, **changes: Any) -> dict[str, Any]:
    return {"id": id_, "study": "dropout", "node_id": "t::test_gap", "kind": "comparison",
            "a": "fc-0.5", "b": "none", "metric": "overfit_gap", "direction": "lower", "n": 3,
            "diff": -0.267, "ci_low": -0.4, "ci_high": -0.1, "p_value": 0.01, "alpha": 0.05,
            "verdict": "better", "asserted": False, "passed": None, "source": "this session",
            "stop_reason": "", **changes}


def test_the_newest_evaluation_of_each_claim_is_shown_with_its_kind_and_outcome() -> None:
    text = claims_markdown("dropout", [
        stored(1, verdict="no detectable difference"), stored(2),
        stored(3, node_id="t::test_other", asserted=True, passed=False, metric="accuracy",
               direction="higher", verdict="worse", source="not run in this session, ..."),
        stored(4, study="init"),
    ])
    lines = text.splitlines()
    assert lines[0] == "### dropout: claims and findings (95% CI, paired t-test over seeds)"
    body = [line for line in lines if line.startswith("| ") and "---" not in line][1:]
    assert len(body) == 2
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in body]
    assert cells[0] == ["finding", "fc-0.5 vs none on overfit_gap (lower is better)", "better",
                        "-0.267", "[-0.400, -0.100]", "0.01", "3", "reported"]
    assert (cells[1][0], cells[1][2], cells[1][-1]) == ("claim", "worse", "**FAILED**")
    assert "1 of these read cells not run in their session" in text
    assert claims_markdown("penalty", [stored(1)]) == ""


def test_a_sequential_claim_shows_its_seeds_and_why_it_stopped() -> None:
    fixed = claims_markdown("dropout", [stored(1, stop_reason="fixed seeds")])
    assert "| 3 (fixed seeds) |" in fixed
    assert "repeated CI" not in fixed
    text = claims_markdown("dropout", [stored(1, n=5, stop_reason="decided at 5 seeds")])
    assert "| 5 (decided at 5 seeds) |" in text
    assert "repeated CI of the group-sequential design (all looks together cover at 95%)" in text


def test_a_claim_without_spread_shows_no_interval_and_no_p() -> None:
    # The store keeps NaN as null: such a claim comes back with None for its CI and p.
    text = claims_markdown("dropout", [stored(1, verdict="undecided: no spread", ci_low=None,
                                              ci_high=None, p_value=None)])
    body = [line for line in text.splitlines() if "undecided" in line]
    cells = [c.strip() for c in body[0].strip("|").split("|")]
    assert cells[2:6] == ["undecided: no spread", "-0.267", "n/a", "n/a"]
