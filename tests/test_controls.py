"""Controls per group (ablab.controls): resolution, the collection error, and the report's
comparison of each variant with its own group's control."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ablab.controls import ControlError, check_controls, control_of, same_group
from ablab.stats.seeds import rows_frame, study_summary
from tests.conftest import child_env
from tests.report_rows import row

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = {"mlp-*": "mlp-default", "cnn-*": "cnn-default"}
VARIANTS = ["mlp-default", "mlp-he", "cnn-default", "cnn-he"]


def test_a_name_a_mapping_and_a_function_each_give_a_control() -> None:
    assert control_of("none", "fc-0.5") == "none"
    assert control_of(FAMILIES, "cnn-he") == "cnn-default"
    assert control_of(FAMILIES, "lstm-he") is None
    assert control_of(same_group("2"), "BasicMotions-4") == "BasicMotions-2"
    assert control_of(same_group("2"), "sequences-0") == "sequences-2"
    assert control_of(None, "x") is None
    with pytest.raises(ControlError, match="CONTROL=3 is not allowed"):
        control_of(3, "x")


def test_a_control_that_is_not_collected_names_the_variants_that_are() -> None:
    check_controls(FAMILIES, VARIANTS)
    with pytest.raises(ControlError) as raised:
        check_controls({"mlp-*": "mlp-default", "cnn-*": "cnn-defualt"}, VARIANTS)
    assert str(raised.value) == (
        "CONTROL names 'cnn-defualt' (control of cnn-default, cnn-he), not a variant of this "
        "profile; its variants: mlp-default, mlp-he, cnn-default, cnn-he")
    with pytest.raises(ControlError, match="variant 'lstm-he' matches none of the patterns"):
        check_controls(FAMILIES, [*VARIANTS, "lstm-he"])
    # The full profile's window study: every UEA set has its own `<set>-2`.
    check_controls(same_group("2"), [f"{s}-{w}" for s in ("A", "B") for w in range(5)])
    with pytest.raises(ControlError, match="'B-2' \\(control of B-0, B-1\\)"):
        check_controls(same_group("2"), ["A-0", "A-1", "A-2", "B-0", "B-1"])


def test_the_report_compares_each_family_with_its_own_control() -> None:
    """CNN variants against cnn-default, not against the MLP's control."""
    accuracy = {"mlp-default": 0.90, "mlp-he": 0.95, "cnn-default": 0.60, "cnn-he": 0.62}
    rows = [row(len(accuracy) * seed + i, variant, seed, acc + 0.003 * seed * (i % 2),
                control=control_of(FAMILIES, variant))
            for seed in range(3) for i, (variant, acc) in enumerate(accuracy.items())]
    summary = study_summary(rows_frame(rows)).set_index("variant")
    assert summary.loc["cnn-he", "control"] == "cnn-default"
    assert summary.loc["cnn-he", "diff"] == pytest.approx(0.02 + 0.003)
    assert summary.loc["mlp-he", "diff"] == pytest.approx(0.05 + 0.003)
    assert set(summary.index[summary["is_control"]]) == {"mlp-default", "cnn-default"}


STUDY = '''
import pytest
from ablab import RunFixture
from ablab.spec import Experiment

CONTROL = {"mlp-*": "mlp-default", "cnn-*": "cnn-defualt"}


@pytest.mark.parametrize("init", ["default", "he"])
@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_init(run: RunFixture, model: str, init: str, seed: int) -> None:
    run(Experiment(dataset="digits", model=model, init=init, epochs=1))
'''


def test_a_misspelt_control_is_a_collection_error(tmp_path: Path) -> None:
    (tmp_path / "test_init.py").write_text(STUDY, encoding="utf-8")
    env = {**child_env(), "PYTHONPATH": str(ROOT), "ABLAB_CACHE": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         "--ablab-db", f"sqlite:///{tmp_path / 'runs.db'}", "test_init.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 2, done.stdout + done.stderr  # interrupted: collection errors
    assert "ERROR collecting test_init.py" in done.stdout
    assert ("init: CONTROL names 'cnn-defualt' (control of cnn-default, cnn-he), not a variant "
            "of this profile; its variants: mlp-default, mlp-he, cnn-default, cnn-he"
            in done.stdout), done.stdout
    assert " passed" not in done.stdout  # nothing trained
