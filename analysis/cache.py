"""Content-addressed disk cache of artifacts, shared by chapters, ``reproduce`` and the CLI.

An artifact's key hashes: its name and function, the source of the function's module and of
every analysis module that module imports (transitively), the sha256 of each data file it
reads (measured, not trusted from the descriptor), the keys of the artifacts it depends on,
and uv.lock. Any change to those recomputes the artifact; nothing else does.

Each entry is a folder ``<cache>/<artifact>/<key>/`` holding ``object.pkl`` and, by kind,
``values.json``, ``table.html`` or ``figure.png``. Readers of the display files (the chapters)
never import pandas or matplotlib.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.util
import json
import pickle
import shutil
from functools import cache
from pathlib import Path
from typing import Any

from analysis import artifacts, atomic, datapackage, paths

_FILE_HASHES: dict[tuple[str, int, int], str] = {}


def file_hash(path: Path) -> str:
    """sha256 of a file, memoised on (path, mtime, size) within the process."""
    stat = path.stat()
    memo_key = (str(path), stat.st_mtime_ns, stat.st_size)
    if memo_key not in _FILE_HASHES:
        _FILE_HASHES[memo_key] = datapackage.sha256_file(path)
    return _FILE_HASHES[memo_key]


def module_file(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise KeyError(f"module {module!r} not found")
    return Path(spec.origin)


def _analysis_imports(source: str) -> set[str]:
    """Names of analysis modules a source file imports, read from its syntax tree."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("analysis.")}
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "analysis":
                found |= {f"analysis.{a.name}" for a in node.names}
            elif node.module.startswith("analysis."):
                found.add(node.module)
    return {m for m in found if importlib.util.find_spec(m) is not None}


@cache
def module_closure(module: str) -> tuple[str, ...]:
    """The module and every analysis module it imports, transitively, sorted."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo += _analysis_imports(module_file(current).read_text(encoding="utf-8")) - seen
    return tuple(sorted(seen))


def code_hash(module: str) -> str:
    digest = hashlib.sha256()
    for name in module_closure(module):
        digest.update(name.encode() + b"\0" + module_file(name).read_bytes() + b"\0")
    return digest.hexdigest()


def resource_hashes(names: tuple[str, ...], base: Path | None = None) -> dict[str, str]:
    descriptor = datapackage.read_descriptor((base or paths.data) / "datapackage.json")
    out = {}
    for name in names:
        entry = datapackage.resource(descriptor, name)
        path = datapackage.resource_path(entry, base)
        out[name] = file_hash(path) if path.exists() else "missing"
    return out


def lock_hash() -> str:
    lock = paths.root / "uv.lock"
    return file_hash(lock) if lock.exists() else "no-lock"


def key(name: str) -> str:
    """The content key of an artifact's current inputs."""
    art = artifacts.get(name)
    payload = {
        "name": art.name,
        "function": art.function,
        "code": code_hash(art.module),
        "resources": resource_hashes(art.resources),
        "depends": {d: key(d) for d in art.depends},
        "lock": lock_hash(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def entry_dir(name: str) -> Path:
    return paths.cache / name / key(name)


def is_cached(name: str) -> bool:
    return (entry_dir(name) / "object.pkl").exists()


def get(name: str) -> Any:
    """The artifact's value, computed and stored on a miss."""
    folder = entry_dir(name)
    stored = folder / "object.pkl"
    if stored.exists():
        return pickle.loads(stored.read_bytes())
    return _compute(name, folder)


def values(name: str) -> dict[str, Any]:
    """A ``values`` artifact as plain JSON data (no pandas import on a hit)."""
    return json.loads(_display_file(name, "values.json").read_text(encoding="utf-8"))


def table_html(name: str) -> str:
    return _display_file(name, "table.html").read_text(encoding="utf-8")


def figure_png(name: str) -> Path:
    return _display_file(name, "figure.png")


def _display_file(name: str, filename: str) -> Path:
    path = entry_dir(name) / filename
    if not path.exists():
        get(name)
    if not path.exists():
        kind = artifacts.get(name).kind
        raise KeyError(f"artifact {name!r} has no {filename}; its kind is {kind}")
    return path


def _compute(name: str, folder: Path) -> Any:
    art = artifacts.get(name)
    module_name, function_name = art.function.split(":")
    result = getattr(importlib.import_module(module_name), function_name)()
    if art.kind == "values":
        atomic.write_text(folder / "values.json", json.dumps(result, indent=1, default=_jsonable))
    elif art.kind == "table":
        from analysis import tables

        note = result.attrs.get("note")
        if art.synthetic:
            note = " ".join(filter(None, [tables.SYNTHETIC_NOTE, note]))
        atomic.write_text(folder / "table.html", tables.to_html(result, note=note))
    elif art.kind == "figure":
        from analysis import figures

        atomic.write_bytes(folder / "figure.png", figures.to_png(result))
        result = None  # figures are kept as PNG only
    atomic.write_bytes(folder / "object.pkl", pickle.dumps(result))
    for stale in folder.parent.iterdir():
        if stale != folder and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
    return result


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in values.json")
