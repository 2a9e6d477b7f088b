"""The study suite has no claim test that cannot fail: no assertion of what the claim fixtures
guarantee (the number of seeds), none that is always true of a claim's result (its truthiness,
`is not None`, a verdict among every verdict it can return, ...), and every asserted claim is
asserted on with something that can fail."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from ablab.stats.claims import Comparison, Trend
from tests.conftest import REPO

ASSERTED_FIXTURES = {"claim", "claim_trend"}  # finding, finding_trend: reported
# What each fixture returns; the verdicts it can give are read off the result's class.
RESULTS: dict[str, type[Comparison] | type[Trend]] = {
    "claim": Comparison, "finding": Comparison, "claim_trend": Trend, "finding_trend": Trend}
# Attributes of a result that are truthy whatever the seeds say: names and values the call
# itself fixed, and the verdict (a non-empty word).
ALWAYS_TRUTHY = {"a", "b", "metric", "variants", "means", "direction", "alpha", "verdict"}
# Calls on a result that return a non-empty text or dict.
ALWAYS_TRUTHY_CALLS = {"describe", "as_dict"}


def _guaranteed(test: ast.Assert) -> bool:
    """An assertion on `.n` or on the `--ablab-seeds` option: the fixture guarantees both."""
    for node in ast.walk(test.test):
        if isinstance(node, ast.Attribute) and node.attr == "n":
            return True
        if isinstance(node, ast.Constant) and node.value == "ablab_seeds":
            return True
    return False


class Results:
    """Which expressions of one test function are claim results, and of which kind."""

    def __init__(self, function: ast.FunctionDef, constants: dict[str, ast.expr]) -> None:
        self.fixtures = {a.arg for a in function.args.args} & RESULTS.keys()
        self.constants = constants  # module-level NAME = literal, for `verdict in NAME`
        self.names: dict[str, type[Comparison] | type[Trend]] = {}
        for node in ast.walk(function):  # flow-insensitive: any binding to a fixture's call
            bound = _binding(node)
            kind = self.kind(bound[1]) if bound else None
            for target in bound[0] if bound and kind else []:
                if isinstance(target, ast.Name) and kind is not None:
                    self.names[target.id] = kind

    def kind(self, node: ast.expr) -> type[Comparison] | type[Trend] | None:
        """The result class `node` evaluates to, or None when it is no claim result."""
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in self.fixtures):
            return RESULTS[node.func.id]
        if isinstance(node, ast.Name):
            return self.names.get(node.id)
        if isinstance(node, ast.NamedExpr):
            return self.kind(node.value)
        return None

    def verdict_of(self, node: ast.expr) -> type[Comparison] | type[Trend] | None:
        """The result class when `node` is `<result>.verdict`."""
        if isinstance(node, ast.Attribute) and node.attr == "verdict":
            return self.kind(node.value)
        return None

    def words(self, node: ast.expr) -> set[object] | None:
        """The values of a literal collection (or a module constant naming one, or a class's
        VERDICTS), None when unknown."""
        if isinstance(node, ast.Name) and node.id in self.constants:
            node = self.constants[node.id]
        if isinstance(node, ast.Attribute) and node.attr == "VERDICTS":
            return {w for kind in RESULTS.values() for w in kind.VERDICTS}
        if isinstance(node, ast.Tuple | ast.List | ast.Set) and all(
                isinstance(e, ast.Constant) for e in node.elts):
            return {e.value for e in node.elts if isinstance(e, ast.Constant)}
        return None

    def true(self, node: ast.expr) -> bool:
        """Whether `node` is true however the claim came out."""
        if self.kind(node) is not None:
            return True  # a result is a dataclass: always truthy
        if isinstance(node, ast.Constant):
            return bool(node.value)
        if isinstance(node, ast.Attribute) and node.attr in ALWAYS_TRUTHY:
            return self.kind(node.value) is not None
        if isinstance(node, ast.Call):
            return self._true_call(node)
        if isinstance(node, ast.BoolOp):
            found = [self.true(v) for v in node.values]
            return all(found) if isinstance(node.op, ast.And) else any(found)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self.false(node.operand)
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            return self._true_compare(node.left, node.ops[0], node.comparators[0])
        return False

    def false(self, node: ast.expr) -> bool:
        """Whether `node` is false however the claim came out (for `not ...`)."""
        if isinstance(node, ast.Constant):
            return not node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self.true(node.operand)
        if isinstance(node, ast.BoolOp):
            found = [self.false(v) for v in node.values]
            return any(found) if isinstance(node.op, ast.And) else all(found)
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            flipped = {ast.Is: ast.IsNot(), ast.IsNot: ast.Is(), ast.In: ast.NotIn(),
                       ast.NotIn: ast.In(), ast.Eq: ast.NotEq(), ast.NotEq: ast.Eq()}
            opposite = flipped.get(type(node.ops[0]))
            return opposite is not None and self._true_compare(
                node.left, opposite, node.comparators[0])
        return False

    def _true_call(self, call: ast.Call) -> bool:
        func, args = call.func, call.args
        if isinstance(func, ast.Name) and func.id in ("bool", "str", "repr") and len(args) == 1:
            return self.true(args[0]) if func.id == "bool" else self.kind(args[0]) is not None
        if isinstance(func, ast.Name) and func.id == "isinstance" and args:
            return self.kind(args[0]) is not None  # the fixture's return type
        if isinstance(func, ast.Attribute) and func.attr in ALWAYS_TRUTHY_CALLS:
            return self.kind(func.value) is not None
        return False

    def _true_compare(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> bool:
        if isinstance(op, ast.IsNot | ast.NotEq) and (
                isinstance(right, ast.Constant) and right.value is None):
            return self.kind(left) is not None
        kind = self.verdict_of(left)
        if kind is None:
            return False
        possible = set(kind.VERDICTS)
        if isinstance(op, ast.NotEq) and isinstance(right, ast.Constant):
            return right.value not in possible
        words = self.words(right)
        if words is None:
            return False
        if isinstance(op, ast.In):
            return possible <= words  # every verdict the claim can return is listed
        if isinstance(op, ast.NotIn):
            return not possible & words  # none of them is
        return False


def _binding(node: ast.AST) -> tuple[list[ast.expr], ast.expr] | None:
    """(targets, value) of an assignment, None for anything else."""
    if isinstance(node, ast.Assign):
        return node.targets, node.value
    if isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value is not None:
        return [node.target], node.value
    return None


def _constants(tree: ast.Module) -> dict[str, ast.expr]:
    return {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name)}


def problems(source: str, name: str) -> list[str]:
    """One line per assertion that cannot fail (a fixture guarantee, or always true of a claim
    result) and per test function that takes an asserted claim fixture and asserts nothing
    that can fail."""
    found = []
    tree = ast.parse(source)
    constants = _constants(tree)
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef) or not function.name.startswith("test_"):
            continue
        results = Results(function, constants)
        asserts = [n for n in ast.walk(function) if isinstance(n, ast.Assert)]
        where = f"{name}::{function.name}"
        for a in asserts:
            if _guaranteed(a):
                found.append(f"{where}:{a.lineno} asserts what the fixture guarantees")
            elif results.true(a.test):
                found.append(f"{where}:{a.lineno} asserts what is always true of a claim")
        takes = {a.arg for a in function.args.args} & ASSERTED_FIXTURES
        if takes and not [a for a in asserts if not _guaranteed(a) and not results.true(a.test)]:
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


def test_the_scan_catches_every_always_true_form() -> None:
    comparison = ", ".join(map(repr, Comparison.VERDICTS))
    trend = ", ".join(map(repr, Trend.VERDICTS))
    source = f'''
ALL = ({comparison})

def test_forms(claim, claim_trend, finding):
    c = claim("a", "b")
    t: object = claim_trend(["a", "b"])
    assert c
    assert claim("a", "b")
    assert (f := finding("a", "b"))
    assert bool(t)
    assert c is not None
    assert not c is None
    assert c != None
    assert isinstance(c, object)
    assert c.verdict in ({comparison})
    assert t.verdict in [{trend}, "extra"]
    assert c.verdict in ALL
    assert c.verdict in Comparison.VERDICTS
    assert c.verdict not in ("rising", "nonsense")
    assert c.verdict != "rising"
    assert c.verdict
    assert c.describe()
    assert str(t)
    assert c.metric and t.variants
    assert c.not_worse(0.1) or c
    assert True

def test_these_can_fail(claim, claim_trend):
    c = claim("a", "b")
    t = claim_trend(["a", "b"])
    assert c.verdict in ("better", "worse")  # not with no detectable difference
    assert t.verdict != "rising"
    assert c.verdict not in ("better",)
    assert c.not_worse(0.1)
    assert t.ci_low > 0, t.describe()
    assert c.verdict == "better" and c
    assert not c.decided()
'''
    found = problems(source, "m.py")
    lines = [int(m[1]) for line in found if (m := re.search(r":(\d+) .* always true", line))]
    assert lines == list(range(7, 27))  # each assert of test_forms, one form a line
    assert "m.py::test_forms takes claim, claim_trend and asserts nothing (use `finding` to " \
           "report)" in found
    assert not [line for line in found if "test_these_can_fail" in line]


def test_no_study_asserts_what_cannot_fail() -> None:
    modules = sorted((REPO / "ablations").glob("test_*.py"))
    assert modules
    found = [line for path in modules for line in problems(Path(path).read_text(), path.name)]
    assert found == []
