"""The study suite has no claim test that cannot fail: no assertion of what the claim fixtures
guarantee (the number of seeds), and every asserted claim is asserted on."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

ASSERTED_FIXTURES = {"claim", "claim_trend"}  # finding, finding_trend: reported


def _guaranteed(test: ast.Assert) -> bool:
    """An assertion on `.n` or on the `--ablab-seeds` option: the fixture guarantees both."""
    for node in ast.walk(test.test):
        if isinstance(node, ast.Attribute) and node.attr == "n":
            return True
        if isinstance(node, ast.Constant) and node.value == "ablab_seeds":
            return True
    return False


def problems(source: str, name: str) -> list[str]:
    """One line per test function that asserts a fixture guarantee or takes an asserted
    claim fixture and asserts nothing."""
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef) or not function.name.startswith("test_"):
            continue
        asserts = [n for n in ast.walk(function) if isinstance(n, ast.Assert)]
        where = f"{name}::{function.name}"
        found += [f"{where}:{a.lineno} asserts what the fixture guarantees"
                  for a in asserts if _guaranteed(a)]
        takes = {a.arg for a in function.args.args} & ASSERTED_FIXTURES
        if takes and not [a for a in asserts if not _guaranteed(a)]:
            found.append(f"{where} takes {', '.join(sorted(takes))} and asserts nothing "
                         f"(use `finding` to report)")
    return found


def test_the_scan_catches_both_kinds() -> None:
    source = '''
def test_n(claim, pytestconfig):
    comparison = claim("a", "b")
    assert comparison.n == pytestconfig.getoption("ablab_seeds")

def test_silent(claim_trend):
    claim_trend(["a", "b"])

def test_fine(claim, finding):
    finding("a", "b")
    assert claim("a", "b").verdict == "better"
'''
    assert problems(source, "m.py") == [
        "m.py::test_n:4 asserts what the fixture guarantees",
        "m.py::test_n takes claim and asserts nothing (use `finding` to report)",
        "m.py::test_silent takes claim_trend and asserts nothing (use `finding` to report)",
    ]


def test_no_study_asserts_what_its_fixture_guarantees() -> None:
    modules = sorted((REPO / "ablations").glob("test_*.py"))
    assert modules
    found = [line for path in modules for line in problems(Path(path).read_text(), path.name)]
    assert found == []
