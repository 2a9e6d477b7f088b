"""Check ablab's import graph: no circles (type-only imports included), and that the pure
modules import neither torch nor the session. Run: python scripts/check_imports.py"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "ablab"
# Modules that must stay free of torch and of the session (statistics, Markdown, tables).
PURE = ("ablab.stats", "ablab.report.markdown", "ablab.report.refs", "ablab.gate",
        "ablab.terminal")
FORBIDDEN_IN_PURE = ("torch", "ablab.session", "ablab.train")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (lazy and TYPE_CHECKING imports count)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in ROOT.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for target in imports(path):
            # `from ablab.report import figures` names a module inside a package.
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                targets.add(target)
        edges[name] = targets
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found, state, stack = [], dict.fromkeys(edges, 0), []

    def visit(node: str) -> None:
        state[node], _ = 1, stack.append(node)
        for nxt in sorted(edges[node]):
            if state[nxt] == 1:
                found.append([*stack[stack.index(nxt):], nxt])
            elif state[nxt] == 0:
                visit(nxt)
        state[node], _ = 2, stack.pop()

    for node in sorted(edges):
        if state[node] == 0:
            visit(node)
    return found


def impure() -> list[str]:
    bad = []
    for path in ROOT.rglob("*.py"):
        name = module_name(path)
        if name.startswith(PURE):
            for target in imports(path):
                if target.startswith(FORBIDDEN_IN_PURE):
                    bad.append(f"{name} imports {target}")
    return bad


def main() -> int:
    edges = graph()
    problems = [" -> ".join(c) for c in cycles(edges)] + impure()
    for problem in problems:
        print(problem)
    print(f"{len(edges)} modules, {sum(map(len, edges.values()))} imports: "
          f"{'no circle, pure modules pure' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
