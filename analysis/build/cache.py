"""Content-addressed disk cache of artifacts, shared by chapters, ``reproduce`` and the CLI.

An artifact's key hashes exactly what its result is computed from:

- its registry entry (name, function, kind, declared resources and dependencies, synthetic flag);
- the source of the function's module and of every analysis module it imports, transitively
  (``analysis.build.artifacts``, ``analysis.build.cache`` and ``analysis.book`` are bookkeeping, not
  computation: the entry fields above and this file's own source stand for them);
- for each declared resource, its descriptor entry's ``path`` and ``schema`` (types and enum
  order shape the loaded frame) and the sha256 of its file, measured rather than trusted from
  the descriptor; a declared name that is not a resource but a file under ``data/``
  (``"simulation.toml"``) is hashed as a file, and ``"datapackage.json"`` stands for the whole
  package (the descriptor and every resource file), for artifacts that describe the package;
- the keys of the artifacts it depends on;
- the code that turns a result into the file chapters read (this module for tables,
  ``analysis.topics.figures`` for figures), this module's source, uv.lock and the Python version.

Any change to those recomputes the artifact; nothing else does, so a data edit recomputes only
the artifacts that read the edited file. Two guards keep the declarations honest while an
artifact computes: reading another artifact not listed in ``depends`` raises, and opening a file
under ``data/`` that its resources do not cover raises, because either would leave the key blind
to an input. Validity checks that involve other files (foreign keys into another resource,
source keys against references.bib) are not part of any key: the loader reads those files to
check, not to compute, and ``python -m analysis validate`` (run by the render session before
anything else) reports a package they make invalid.

Each entry is a folder ``<cache>/<artifact>/<key>/`` holding ``object.pkl`` (written last: its
presence marks a complete entry) and, by kind, ``values.json``, ``table.json`` (column names,
cells as display text and the table's note: data, not markup; ``analysis.book`` renders it) or
``figure.png``. Readers of the display files (the chapters) never import pandas or matplotlib.
Only the newest entry of each artifact is kept.

An artifact with ``depends`` is called with the value of each dependency as a positional
argument, in the order declared, so analysis functions never read the cache themselves.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.util
import json
import pickle
import shutil
import sys
from pathlib import Path
from typing import Any

from analysis import atomic, paths
from analysis.build import artifacts
from analysis.data import datapackage
from analysis.data.labels import SYNTHETIC_NOTE
from analysis.errors import AnalysisError

# Modules whose source is bookkeeping rather than computation (see the module docstring).
BOOKKEEPING = frozenset({"analysis.build.artifacts", "analysis.build.cache", "analysis.book"})
# The code that writes each kind's display file (tables are formatted by this module).
RENDERERS = {"figure": "analysis.topics.figures"}

_FILE_HASHES: dict[tuple[str, int, int, int], str] = {}
_IMPORTS: dict[tuple[str, int, int, int], frozenset[str]] = {}
_DESCRIPTORS: dict[tuple[str, int, int, int], dict[str, Any]] = {}
_CODE_HASHES: dict[tuple[tuple[str, int, int, int], ...], str] = {}
_computing: list[str] = []  # artifacts being computed in this process, innermost last
_audit_installed = False
_auditing = False  # the guard itself opens the descriptor: do not check recursively


class UndeclaredInput(AnalysisError):
    """An artifact read an input its registry entry does not declare, so its key would miss it."""


def _stat_key(path: Path) -> tuple[str, int, int, int]:
    stat = path.stat()
    return (str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino)


def file_hash(path: Path) -> str:
    """sha256 of a file, memoised on (path, mtime, size, inode) within the process."""
    memo_key = _stat_key(path)
    if memo_key not in _FILE_HASHES:
        _FILE_HASHES[memo_key] = datapackage.sha256_file(path)
    return _FILE_HASHES[memo_key]


def text_hash(text: str | bytes) -> str:
    """Short sha256 of text, for fingerprints."""
    payload = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(payload).hexdigest()[:20]


def module_file(module: str) -> Path:
    """The source file of an importable module, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise KeyError(f"module {module!r} not found")
    return Path(spec.origin)


def _module_exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _analysis_imports(path: Path, package: str) -> frozenset[str]:
    """Names of analysis modules a source file imports anywhere in it, from its syntax tree."""
    memo_key = _stat_key(path)
    if memo_key in _IMPORTS:
        return _IMPORTS[memo_key]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("analysis.")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import: resolve against the importing module's package
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parts, *([base] if base else [])])
            if base == "analysis" or base.startswith("analysis."):
                # ``from analysis.topics import coverage`` imports a module; ``from
                # analysis.topics.coverage import x`` a name: keep whichever exists.
                found |= {f"{base}.{a.name}" for a in node.names}
                if base != "analysis":
                    found.add(base)
    result = frozenset(m for m in found if _module_exists(m))
    _IMPORTS[memo_key] = result
    return result


def module_closure(module: str) -> tuple[str, ...]:
    """The module and every analysis module it imports, transitively, sorted (bookkeeping
    modules are left out: they hold no computation)."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        if current in seen or (current in BOOKKEEPING and current != module):
            continue
        seen.add(current)
        todo += _analysis_imports(module_file(current), current.rpartition(".")[0]) - seen
    return tuple(sorted(seen))


def code_hash(module: str) -> str:
    """Hash of the source of a module and of its analysis imports ("absent" if not found)."""
    if not _module_exists(module):
        return "absent"
    files = [(name, module_file(name)) for name in module_closure(module)]
    memo_key = tuple(_stat_key(file) for _, file in files)
    if memo_key not in _CODE_HASHES:
        digest = hashlib.sha256()
        for name, file in files:
            digest.update(name.encode() + b"\0" + file.read_bytes() + b"\0")
        _CODE_HASHES[memo_key] = digest.hexdigest()[:20]
    return _CODE_HASHES[memo_key]


def descriptor(base: Path | None = None) -> dict[str, Any]:
    """The parsed datapackage.json, memoised on the file's stat within the process."""
    path = (base or paths.data) / "datapackage.json"
    memo_key = _stat_key(path) if path.exists() else (str(path), 0, 0, 0)
    if memo_key not in _DESCRIPTORS:
        _DESCRIPTORS[memo_key] = datapackage.read_descriptor(path)
    return _DESCRIPTORS[memo_key]


def _entry(desc: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((r for r in desc.get("resources", []) if r.get("name") == name), None)


def _hash_or_missing(path: Path) -> str:
    return file_hash(path) if path.exists() else "missing"


def _resource_inputs(name: str, desc: dict[str, Any], base: Path) -> dict[str, Any]:
    """What one declared resource contributes to a key: its path, schema and file hash."""
    if name == artifacts.WHOLE_PACKAGE:
        return {
            "descriptor": _hash_or_missing(base / "datapackage.json"),
            "files": {
                r.get("name", "?"): _hash_or_missing(datapackage.resource_path(r, base))
                for r in desc.get("resources", [])
                if isinstance(r.get("path"), str)
            },
        }
    entry = _entry(desc, name)
    if entry is None:
        return {"file": _hash_or_missing(base / name)}
    return {
        "path": entry.get("path"),
        "schema": entry.get("schema"),
        "file": _hash_or_missing(datapackage.resource_path(entry, base)),
    }


def _foreign_targets(name: str, desc: dict[str, Any]) -> set[str]:
    """Resources the loader reads to check ``name``'s foreign keys, transitively."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        entry = _entry(desc, current) or {}
        for fk in entry.get("schema", {}).get("foreignKeys", []):
            todo.append(fk.get("reference", {}).get("resource") or current)
    return seen


def resource_hashes(names: tuple[str, ...], base: Path | None = None) -> dict[str, Any]:
    """The key inputs of declared resources (or data files) by name."""
    base = base or paths.data
    desc = descriptor(base)
    return {name: _resource_inputs(name, desc, base) for name in names}


def lock_hash() -> str:
    """sha256 of uv.lock: the exact library versions."""
    lock = paths.root / "uv.lock"
    return file_hash(lock) if lock.exists() else "no-lock"


def _self_hash() -> str:
    return file_hash(Path(__file__))


def key(name: str) -> str:
    """The content key of an artifact's current inputs."""
    art = artifacts.get(name)
    payload = {
        "name": art.name,
        "function": art.function,
        "kind": art.kind,
        "synthetic": art.synthetic,
        "code": code_hash(art.module),
        "render": code_hash(RENDERERS[art.kind]) if art.kind in RENDERERS else "",
        "resources": resource_hashes(art.resources),
        "depends": {d: key(d) for d in art.depends},
        "cache": _self_hash(),
        "lock": lock_hash(),
        "python": "{}.{}".format(*sys.version_info[:2]),
    }
    return text_hash(json.dumps(payload, sort_keys=True))


def entry_dir(name: str) -> Path:
    """The folder holding the artifact's entry for its current inputs."""
    return paths.cache / name / key(name)


def is_cached(name: str) -> bool:
    """Whether the artifact's current entry is complete on disk."""
    return (entry_dir(name) / "object.pkl").exists()


def get(name: str) -> Any:
    """The artifact's value, computed and stored on a miss."""
    if _computing:
        outer = artifacts.get(_computing[-1])
        if name not in outer.depends:
            raise UndeclaredInput(
                f"artifact {outer.name!r} ({outer.function}) reads artifact {name!r}, which is "
                f"not in its depends=... in analysis/build/artifacts.py; add it there so a change "
                f"to "
                f"{name!r} recomputes {outer.name!r}"
            )
    folder = entry_dir(name)
    stored = folder / "object.pkl"
    if stored.exists():
        return pickle.loads(stored.read_bytes())
    return _compute(name, folder)


def ensure(name: str) -> bool:
    """Make sure the artifact's entry exists; True when it had to be computed."""
    if is_cached(name):
        return False
    get(name)
    return True


def values(name: str) -> dict[str, Any]:
    """A ``values`` artifact as plain JSON data (no pandas import on a hit)."""
    return json.loads(_display_file(name, "values.json").read_text(encoding="utf-8"))


def table(name: str) -> dict[str, Any]:
    """A ``table`` artifact as ``{"columns", "rows", "note"}``: every cell is display text."""
    return json.loads(_display_file(name, "table.json").read_text(encoding="utf-8"))


def figure_png(name: str) -> Path:
    """The PNG file of a ``figure`` artifact."""
    return _display_file(name, "figure.png")


def _display_file(name: str, filename: str) -> Path:
    kind = artifacts.get(name).kind
    wanted = {"values.json": "values", "table.json": "table", "figure.png": "figure"}[filename]
    if kind != wanted:
        raise KeyError(f"artifact {name!r} has no {filename}: its kind is {kind}, not {wanted}")
    path = entry_dir(name) / filename
    if not path.exists():
        get(name)
    return path


def _compute(name: str, folder: Path) -> Any:
    art = artifacts.get(name)
    module_name, function_name = art.function.split(":")
    _install_audit()
    _computing.append(name)
    try:
        inputs = [get(dependency) for dependency in art.depends]
        result = getattr(importlib.import_module(module_name), function_name)(*inputs)
    finally:
        _computing.pop()
    if art.kind == "values":
        atomic.write_text(folder / "values.json", json.dumps(result, indent=1, default=_jsonable))
    elif art.kind == "table":
        note = result.attrs.get("note")
        if art.synthetic:
            note = " ".join(filter(None, [SYNTHETIC_NOTE, note]))
        atomic.write_text(folder / "table.json", json.dumps(table_text(result, note), indent=1))
    elif art.kind == "figure":
        from analysis.topics import figures

        atomic.write_bytes(folder / "figure.png", figures.to_png(result))
        result = None  # figures are kept as PNG only
    atomic.write_bytes(folder / "object.pkl", pickle.dumps(result))
    for stale in folder.parent.iterdir():
        if stale != folder and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
    return result


def table_text(frame: Any, note: str | None) -> dict[str, Any]:
    """A DataFrame as display text, cell by cell, formatted column by column as pandas prints
    it (floats to a common number of decimals, missing values blank)."""
    from pandas.io.formats.format import format_array

    columns = [str(c) for c in frame.columns]
    cells = [
        [text.strip() for text in format_array(frame.iloc[:, i].to_numpy(), None, na_rep="")]
        for i in range(frame.shape[1])
    ]
    rows = [list(row) for row in zip(*cells, strict=True)] if cells else []
    return {"columns": columns, "rows": rows, "note": note or None}


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in values.json")


# --- the guard on data files -------------------------------------------------------------


def allowed_data_files(name: str) -> set[Path] | None:
    """Files under data/ an artifact may open (None: all of them, for the whole package): its
    resources' files, their FK targets, the descriptor, and those of the artifacts it depends
    on (which may be computed inside it)."""
    desc = descriptor()
    allowed = {(paths.data / "datapackage.json").resolve()}
    for art in artifacts.closure(name):
        if artifacts.WHOLE_PACKAGE in art.resources:
            return None
        for resource in art.resources:
            for target in _foreign_targets(resource, desc):
                entry = _entry(desc, target)
                file = datapackage.resource_path(entry) if entry else paths.data / target
                allowed.add(file.resolve())
    return allowed


def _install_audit() -> None:
    global _audit_installed
    if not _audit_installed:
        sys.addaudithook(_audit)
        _audit_installed = True


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """While an artifact computes, refuse to open data files it has not declared."""
    global _auditing
    if event != "open" or not _computing or _auditing or not isinstance(args[0], str | Path):
        return
    _auditing = True
    try:
        path = Path(args[0]).resolve()
        data = paths.data.resolve()
        name = _computing[-1]
        undeclared = False
        if data in path.parents and not path.is_dir():
            allowed = allowed_data_files(name)
            undeclared = allowed is not None and path not in allowed
    except (OSError, ValueError):
        return
    finally:
        _auditing = False
    if undeclared:
        art = artifacts.get(name)
        raise UndeclaredInput(
            f"artifact {name!r} ({art.function}) opened {path.relative_to(data.parent)}, which "
            f"its resources {list(art.resources)} do not cover; declare the resource (or the "
            f"file's name under data/) in analysis/build/artifacts.py so the cache key covers it"
        )
