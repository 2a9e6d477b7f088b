"""Check ablab's import graph: no circles (type-only and lazy imports included), and that the pure
modules import neither torch nor the session, read from the source and measured at run time.

Run: python scripts/check_imports.py [--root PATH] [--static]

Every import form is resolved to the modules it runs: `import a.b`, `from a import b` (the
module a.b when b is one, else a), relative imports (`from . import x`, `from ..stats import y`),
`importlib.import_module("a.b")`, at module level, inside functions (lazy) and under
`if TYPE_CHECKING:` (type-only). Importing a.b.c also runs a and a.b, so it is an edge to each
of them too, except to the importer's own packages, which are running already.

The pure modules may not import a forbidden module at all (type-only imports aside), nor reach
one through the modules they import at import time. The run-time check imports each pure module
in a fresh interpreter and reports those that load torch or the session anyway (through a
package's __init__, an external library, or an import the source does not spell out), with the
chain of modules that did it.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "ablab"
# Modules that must stay free of torch and of the session (statistics, Markdown, tables).
PURE = ("ablab.stats", "ablab.report.markdown", "ablab.report.refs", "ablab.gate",
        "ablab.terminal")
FORBIDDEN_IN_PURE = ("torch", "ablab.session", "ablab.train")
EAGER, LAZY, TYPE_ONLY = "eager", "lazy", "type-only"
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)  # bodies run when called

# Run in a fresh interpreter per pure module: which forbidden modules importing it loaded, and
# the chain of modules being imported when each was first asked for.
PROBE = """
import json, sys
FORBIDDEN = tuple(sys.argv[2:])
chains = {}
class Watch:
    def find_spec(self, name, path=None, target=None):
        top = name if name.startswith("ablab.") else name.partition(".")[0]
        if top.startswith(FORBIDDEN) and not any(top.startswith(f) for f in chains):
            frame, chain = sys._getframe(1), []
            while frame is not None:
                if frame.f_code.co_name == "<module>":
                    chain.append(frame.f_globals.get("__name__", "?"))
                frame = frame.f_back
            chains[top] = [n for n in reversed(chain) if n != "__main__"] + [top]
        return None
sys.meta_path.insert(0, Watch())
__import__(sys.argv[1])
print(json.dumps(chains))
"""


@dataclass(frozen=True)
class Import:
    """One module a file imports, and when: at import time, in a function, or for types."""

    target: str
    when: str
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules_of(root: Path) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST, when: str) -> Iterator[tuple[ast.AST, str]]:
    """Every node with when it runs: a function body is lazy, `if TYPE_CHECKING:` type-only."""
    for child in ast.iter_child_nodes(node):
        inner = when
        if when == EAGER and isinstance(child, FUNCTIONS):
            inner = LAZY
        if isinstance(child, ast.If) and _type_checking(child):
            yield child.test, when
            for part in child.body:
                yield part, TYPE_ONLY
                yield from _walk(part, TYPE_ONLY)
            for part in child.orelse:
                yield part, when
                yield from _walk(part, when)
            continue
        yield child, inner
        yield from _walk(child, inner)


def _base(name: str, is_package: bool, level: int) -> str:
    """The package a relative import of `level` dots in module `name` starts from."""
    package = name if is_package else name.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    return package


def imports(path: Path, name: str, modules: dict[str, Path]) -> list[Import]:
    """Every module the file at `path` (module `name`) imports, resolved (see the docstring);
    external modules by the name the file gives."""
    is_package = path.name == "__init__.py"
    found: list[Import] = []
    for node, when in _walk(ast.parse(path.read_text()), EAGER):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            found += [Import(alias.name, when, line) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _base(name, is_package, node.level)
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            found.append(Import(source, when, line))
            # `from pkg import mod` runs pkg.mod when mod is a module of pkg
            found += [Import(f"{source}.{alias.name}", when, line) for alias in node.names
                      if f"{source}.{alias.name}" in modules]
        elif (isinstance(node, ast.Call) and _is_import_module(node.func) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append(Import(node.args[0].value, when, line))
    return found


def _is_import_module(func: ast.expr) -> bool:
    return (isinstance(func, ast.Name) and func.id == "import_module") or (
        isinstance(func, ast.Attribute) and func.attr == "import_module")


def _ran(target: str, modules: dict[str, Path]) -> list[str]:
    """The ablab modules importing `target` runs: it (or the nearest module above it, for
    `from pkg import name`) and each package above it."""
    while target and target not in modules:
        target = target.rpartition(".")[0]
    ran = []
    while target:
        ran.append(target)
        target = target.rpartition(".")[0]
    return ran


def graph(root: Path, kinds: Sequence[str] = (EAGER, LAZY, TYPE_ONLY)) -> dict[str, set[str]]:
    """Module -> the ablab modules it imports in the given ways (never its own packages)."""
    modules = modules_of(root)
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        own = {name, *_ran(name, modules)}
        edges[name] = {ran for found in imports(path, name, modules) if found.when in kinds
                       for ran in _ran(found.target, modules) if ran not in own}
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


def pure_modules(root: Path) -> list[str]:
    return [n for n in modules_of(root) if any(n == p or n.startswith(p + ".") for p in PURE)]


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN_IN_PURE)


def impure(root: Path) -> list[str]:
    """Pure modules that import a forbidden module (lazily too), or reach one through the
    modules they import at import time."""
    modules = modules_of(root)
    eager = graph(root, (EAGER,))
    bad = []
    for name in pure_modules(root):
        for found in imports(modules[name], name, modules):
            if found.when != TYPE_ONLY and _forbidden(found.target):
                bad.append(f"{name} imports {found.target} (line {found.line}, {found.when})")
        chain = _path_to_forbidden(name, eager, modules)
        if chain is not None and len(chain) > 2:  # a direct import is reported above
            bad.append(f"{name} imports {chain[-1]} at import time through "
                       f"{' -> '.join(chain[1:-1])}")
    return bad


def _path_to_forbidden(
    start: str, eager: dict[str, set[str]], modules: dict[str, Path]
) -> list[str] | None:
    """Breadth first along import-time edges: the shortest chain to a forbidden module. The
    packages above `start` run first, so their imports count too."""
    came: dict[str, str | None] = {start: None}
    came.update(dict.fromkeys(_ran(start, modules)[1:], start))
    queue = list(came)
    while queue:
        node = queue.pop(0)
        externals = [f.target for f in imports(modules[node], node, modules)
                     if f.when == EAGER and f.target not in modules]
        reached = [t for t in [*sorted(eager[node]), *externals] if _forbidden(t)]
        if reached:
            chain = [reached[0], node]
            while (previous := came[chain[-1]]) is not None:
                chain.append(previous)
            return chain[::-1]
        for nxt in sorted(eager[node]):
            if nxt not in came:
                came[nxt] = node
                queue.append(nxt)
    return None


def _covered(name: str, eager: dict[str, set[str]], modules: dict[str, Path]) -> set[str]:
    """The ablab modules importing `name` runs: its packages and what they all import at
    import time, transitively."""
    seen, queue = set(), [name, *_ran(name, modules)]
    while queue:
        node = queue.pop()
        if node not in seen:
            seen.add(node)
            queue += [*eager[node], *_ran(node, modules)]
    return seen


def loaded_at_run_time(root: Path, names: Sequence[str]) -> list[str]:
    """One line per module of `names` that loads a forbidden module when imported, with the
    chain of imports that loaded it. Each import runs in a fresh interpreter (root's parent
    first on the path). A module another probed one imports at import time is covered by it
    (it loads no more than its importer), so it is probed itself only when that one is not
    clean: a clean tree takes a few interpreters, not one per module."""
    modules = modules_of(root)
    eager = graph(root, (EAGER,))
    covers = {n: _covered(n, eager, modules) & set(names) for n in names}
    probes: list[str] = []
    for name in sorted(names, key=lambda n: (-len(covers[n]), n)):
        if not any(name in covers[p] for p in probes):
            probes.append(name)
    found = _probe_all(root, probes)
    dirty = {line.partition(" ")[0] for line in found}
    rest = sorted({n for p in dirty for n in covers[p]} - set(probes))
    return sorted(found + _probe_all(root, rest))


def _probe_all(root: Path, names: Sequence[str]) -> list[str]:
    """Import each of `names` in a fresh interpreter of its own, a few at a time."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(root.parent), *filter(None, [os.environ.get("PYTHONPATH")])])}

    def probe(name: str) -> list[str]:
        done = subprocess.run([sys.executable, "-c", PROBE, name, *FORBIDDEN_IN_PURE],
                              cwd=root.parent, env=env, capture_output=True, text=True,
                              timeout=300)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return [f"{name} does not import: {last}"]
        chains: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
        return [f"{name} loads {module} at run time: {' -> '.join(chain)}"
                for module, chain in sorted(chains.items())]

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        return [line for lines in pool.map(probe, names) for line in lines]


def problems(root: Path, run_time: bool = True) -> tuple[list[str], dict[str, set[str]]]:
    edges = graph(root)
    found = [" -> ".join(c) for c in cycles(edges)] + impure(root)
    if run_time:
        found += loaded_at_run_time(root, pure_modules(root))
    return found, edges


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the package folder to check (default: this repository's ablab/)")
    parser.add_argument("--static", action="store_true",
                        help="read the source only; skip importing the pure modules")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if not (root / "__init__.py").is_file():
        parser.error(f"--root {args.root}: not a package folder (no __init__.py)")
    found, edges = problems(root, run_time=not args.static)
    for problem in found:
        print(problem)
    print(f"{len(edges)} modules, {sum(map(len, edges.values()))} imports: "
          f"{'no circle, pure modules pure' if not found else f'{len(found)} problems'}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
