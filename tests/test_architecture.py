"""The package's stages import one way, and no module imports itself back through others.

Layers, lowest first (a module may import its own layer and those below it):

- base: ``analysis.paths``, ``errors``, ``atomic``, ``console``, ``escape``
- data: ``analysis.data``
- topics: ``analysis.topics``
- findings: ``analysis.findings``
- pipeline: ``analysis.pipeline``
- book: ``analysis.book``
- cli: ``analysis.cli`` and ``analysis.__main__``

Inside the pipeline, the artifact store (``analysis.pipeline.store``) is one component whose
parts call only downward: ``registry`` (what an artifact is) < ``entries`` (entries on disk) <
``keys`` (content keys) < ``guards`` (honest declarations) < the package itself (look up,
compute, verify, list). Outside the store, code uses the package, ``registry`` and ``keys``;
``entries`` and ``guards`` are the store's own.

Imports inside functions count: a deferred import is still a dependency. The top-level
``benchmarks/`` folder imports ``analysis``, never the reverse: an installed package cannot import
a folder of the checkout.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from analysis import paths

PACKAGE = paths.root / "analysis"
BENCHMARKS = paths.root / "benchmarks"
ORDER = ("base", "data", "topics", "findings", "pipeline", "book", "cli")
BASE = {
    "analysis",
    "analysis.paths",
    "analysis.errors",
    "analysis.atomic",
    "analysis.console",
    "analysis.escape",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(paths.root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    if module in BASE:
        return "base"
    if module == "analysis.__main__":
        return "cli"
    second = module.split(".")[1]
    assert second in ORDER, f"{module} is in no layer: add it to a subpackage or to BASE"
    return second


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, known: set[str], this: str | None = None) -> set[str]:
    """The analysis modules a file (module ``this``) imports anywhere in it."""
    found: set[str] = set()
    this = this or module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("analysis")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parts, *([base] if base else [])])
            if base == "analysis" or base.startswith("analysis."):
                for alias in node.names:
                    candidate = f"{base}.{alias.name}"
                    found.add(candidate if candidate in known else base)
    return {m for m in found if m in known and m != this}


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(path, set(found)) for name, path in found.items()}


def test_every_module_belongs_to_a_layer() -> None:
    for name in modules():
        assert layer(name) in ORDER


def test_imports_flow_one_way() -> None:
    wrong = []
    for name, targets in graph().items():
        for target in targets:
            if ORDER.index(layer(target)) > ORDER.index(layer(name)):
                wrong.append(f"{name} ({layer(name)}) imports {target} ({layer(target)})")
    assert not wrong, "imports against the direction of the pipeline:\n" + "\n".join(wrong)


def test_there_is_no_import_circle() -> None:
    edges = graph()
    state: dict[str, int] = {}
    circles: list[str] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                circles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert not circles, "import circles:\n" + "\n".join(circles)


STORE = "analysis.pipeline.store"
STORE_ORDER = ("registry", "entries", "keys", "guards", "")  # "": the package, the surface
STORE_PUBLIC = {STORE, f"{STORE}.registry", f"{STORE}.keys"}


def store_part(module: str) -> str | None:
    """The store part a module is (``""`` for the package), None outside the store."""
    if module == STORE:
        return ""
    if module.startswith(STORE + "."):
        part = module.removeprefix(STORE + ".")
        assert part in STORE_ORDER, f"{module} is in no part of the store: add it to STORE_ORDER"
        return part
    return None


def store_calls_upward(edges: dict[str, set[str]]) -> list[str]:
    """Imports inside the store that go up or sideways instead of down."""
    wrong = []
    for name, targets in edges.items():
        part = store_part(name)
        for target in targets:
            if part is None or store_part(target) is None:
                continue
            if STORE_ORDER.index(store_part(target)) >= STORE_ORDER.index(part):
                wrong.append(f"{name} imports {target}")
    return wrong


def test_the_store_is_a_straight_descent() -> None:
    assert store_calls_upward({f"{STORE}.keys": {f"{STORE}.guards"}}) == [
        f"{STORE}.keys imports {STORE}.guards"
    ]
    edges = graph()
    assert set(STORE_ORDER) == {store_part(m) for m in edges} - {None}
    wrong = store_calls_upward(edges)
    assert not wrong, "the store's parts must call only downward:\n" + "\n".join(wrong)


def test_outside_the_store_only_its_surface_is_used() -> None:
    found = modules()
    known = set(found)
    scanned = {**found, **{f"benchmarks.{p.stem}": p for p in BENCHMARKS.glob("*.py")}}
    wrong = [
        f"{name} imports {target}"
        for name, path in scanned.items()
        if store_part(name) is None
        for target in imports(path, known, name)
        if store_part(target) is not None and target not in STORE_PUBLIC
    ]
    assert not wrong, "use the store through its surface:\n" + "\n".join(wrong)


def test_the_checks_catch_a_wrong_import(tmp_path: Path) -> None:
    """The scanner sees deferred imports and resolves ``from analysis.x import y`` modules."""
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from analysis.pipeline import store\n", encoding="utf-8")
    known = set(modules())
    assert imports(source, known, "analysis.topics.probe") == {"analysis.pipeline.store"}
    assert ORDER.index(layer("analysis.pipeline.store")) > ORDER.index(layer("analysis.topics.x"))


def benchmark_references(path: Path) -> list[str]:
    """Where a file imports the top-level ``benchmarks`` package, or names one of its modules as
    a string, for an import by name (``importlib``, ``[python, "-m", "benchmarks.bench"]``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value] if re.fullmatch(r"benchmarks(\.\w+)+", node.value) else []
        found += [f"line {node.lineno}: {n}" for n in names if n.split(".")[0] == "benchmarks"]
    return found


def test_the_package_never_reaches_into_the_benchmarks(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text('import importlib\nimportlib.import_module("benchmarks.bench")\n')
    assert benchmark_references(probe) == ["line 2: benchmarks.bench"]
    probe.write_text('def f():\n    from benchmarks import bench\nROOT = "benchmarks"\n')
    assert benchmark_references(probe) == ["line 2: benchmarks"]
    wrong = {
        name: found for name, path in modules().items() if (found := benchmark_references(path))
    }
    assert not wrong, f"analysis must not import the benchmarks: {wrong}"


def test_every_subpackage_says_what_lives_there_and_what_it_may_import() -> None:
    for folder in sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").exists()):
        doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text(encoding="utf-8")))
        assert doc and "import" in doc and len(doc.splitlines()) >= 3, folder.name


def test_the_readme_layout_table_matches_the_tree() -> None:
    readme = (paths.root / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Layout", 1)[1].split("\n\n", 2)[1]
    listed = {
        path.rstrip("/")
        for cell in (line.split("|")[1] for line in table.splitlines()[2:])
        for path in re.findall(r"`([^`]+)`", cell)
    }
    subpackages = {f"analysis/{p.name}" for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert subpackages <= listed, f"not in the README's layout table: {subpackages - listed}"
    for path in listed:
        assert (paths.root / path).exists(), f"the README lists {path}, which does not exist"
