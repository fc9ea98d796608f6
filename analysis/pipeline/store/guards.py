"""Two guards that keep the registry's declarations honest while an artifact computes.

Reading another artifact not listed in its ``depends`` raises, and opening a file under
``data/`` that its resources do not cover raises (an audit hook on ``open``), because either
would leave its key blind to an input. The store computes every artifact inside ``computing``.

May import the base modules, ``analysis.data``, ``registry`` and ``keys``.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from analysis import paths
from analysis.data import datapackage, labels
from analysis.errors import AnalysisError
from analysis.pipeline.store import keys, registry

_computing: list[str] = []  # artifacts being computed in this process, innermost last
_audit_installed = False
_auditing = False  # the guard itself opens the descriptor: do not check recursively


class UndeclaredInput(AnalysisError):
    """An artifact read an input its registry entry does not declare, so its key would miss it."""


@contextlib.contextmanager
def computing(name: str) -> Iterator[None]:
    """While the artifact ``name`` computes: it may read only what it declares."""
    _install_audit()
    _computing.append(name)
    try:
        yield
    finally:
        _computing.pop()


def check_read(name: str) -> None:
    """Refuse a read of artifact ``name`` by an artifact that does not declare it."""
    if _computing:
        outer = registry.get(_computing[-1])
        if name not in outer.depends:
            raise UndeclaredInput(
                f"artifact {outer.name!r} ({outer.function}) reads artifact {name!r}, which is "
                f"not in its depends=... in analysis/pipeline/store/registry.py; add it there "
                f"so a change to {name!r} recomputes {outer.name!r}"
            )


def allowed_data_files(name: str) -> set[Path] | None:
    """Files under data/ an artifact may open (None: all of them, for the whole package): its
    resources' files, their FK targets, the descriptor, the folder's own references.bib (read
    to check source keys, like the repository's, never to compute), and those of the artifacts
    it depends on (which may be computed inside it)."""
    desc = labels.descriptor()
    allowed = {(paths.data / name).resolve() for name in ("datapackage.json", "references.bib")}
    for art in registry.closure(name):
        if registry.WHOLE_PACKAGE in art.resources:
            return None
        for resource in art.resources:
            for target in _foreign_targets(resource, desc):
                entry = keys.resource_entry(desc, target)
                file = datapackage.resource_path(entry) if entry else paths.data / target
                allowed.update(f.resolve() for f in datapackage.resource_files(file))
    return allowed


def _foreign_targets(name: str, desc: dict[str, Any]) -> set[str]:
    """Resources the loader reads to check ``name``'s foreign keys, transitively."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        entry = keys.resource_entry(desc, current) or {}
        for fk in entry.get("schema", {}).get("foreignKeys", []):
            todo.append(fk.get("reference", {}).get("resource") or current)
    return seen


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
        art = registry.get(name)
        raise UndeclaredInput(
            f"artifact {name!r} ({art.function}) opened {path.relative_to(data.parent)}, which "
            f"its resources {list(art.resources)} do not cover; declare the resource (or the "
            f"file's name under data/) in analysis/pipeline/store/registry.py so the cache key "
            f"covers it"
        )
