"""The artifact store: every result the book shows, looked up, computed when missing, verified.

One component, four parts, each calling only the ones below it:

- ``registry``: what an artifact is (a named, parameterless computation: values, a table, a
  figure or an intermediate object) and this report's registrations;
- ``entries``: an artifact's entry on disk, its display files and their digests;
- ``keys``: the content key of an artifact's inputs (data, code closure, dependencies);
- ``guards``: while an artifact computes, it may read only what it declares;

and this module on top, the store's surface: look up (``values``, ``table``, ``figure_png``,
``display_bytes``, ``get``), compute (``ensure``), verify (``is_cached``, ``peek``,
``peek_bytes``) and list (``stored``). The route from a chapter's number to its computation goes
down: ``values`` -> key (``keys``) -> entry (``entries``) -> on a miss ``_compute`` under the
guards -> the topic function named in the registry.

Values come back as their JSON data; tables, figures and objects as the Python value, held in
this process only (a chapter reads a table or figure from disk through ``table`` or
``figure_png``). ``object`` artifacts (model fits) are never written to disk (loading a pickle
runs code): the values, tables and figures derived from them are, so a fit is recomputed only
when something that depends on it is stale. An artifact whose computation raises
``NotAvailable`` (the data cannot support it: a sample without WeChat, say) has an entry
recording the reason; reading it raises ``NotAvailable`` again, and so does computing an
artifact that depends on it, unless the artifact is registered with ``accepts_unavailable`` (a
claim's verdict, which then says "not available"). An artifact with ``depends`` is called with
the value of each dependency as a positional argument, in the order declared, so analysis
functions never read the store themselves. Readers of the display files (the chapters) never
import pandas or matplotlib.

Other modules use this surface, ``registry`` and ``keys`` (whose hashes also make the chapters'
fingerprints); ``entries`` and ``guards`` are the store's own. May import the base modules,
``analysis.data``, ``analysis.findings`` (the registry's claims) and, by name when computing,
the topic functions the registry names.
"""

from __future__ import annotations

import contextlib
import importlib
import json
from pathlib import Path
from typing import Any

from analysis import paths
from analysis.errors import AnalysisError, DataValidationError, NotAvailable
from analysis.pipeline.store import entries, guards, keys, registry
from analysis.pipeline.store.entries import DISPLAY, ENTRY, CacheWarning
from analysis.pipeline.store.guards import UndeclaredInput

__all__ = [
    "DISPLAY",
    "ENTRY",
    "CacheWarning",
    "UndeclaredInput",
    "display_bytes",
    "ensure",
    "entry_dir",
    "figure_png",
    "get",
    "is_cached",
    "peek",
    "peek_bytes",
    "stored",
    "table",
    "values",
]

# Results kept in this process only, by entry folder (cache folder, artifact and key, so a
# fresh cache, as ``reproduce`` uses, never sees another cache's objects): model fits and other
# Python objects, and the Python value of tables and figures for artifacts that depend on them.
_MEMORY: dict[Path, Any] = {}


# --- look up -------------------------------------------------------------------------------


def values(name: str) -> dict[str, Any]:
    """A ``values`` artifact as plain JSON data (no pandas import on a hit)."""
    return json.loads(_verified(name, "values")[1])


def table(name: str) -> dict[str, Any]:
    """A ``table`` artifact as ``{"columns", "rows", "note"}``: every cell is display text."""
    return json.loads(_verified(name, "table")[1])


def figure_png(name: str) -> Path:
    """The PNG file of a ``figure`` artifact (checked against its digest)."""
    return _verified(name, "figure")[0] / DISPLAY["figure"]


def display_bytes(name: str) -> bytes:
    """The verified display file of a ``table`` or ``figure`` artifact, computed if needed."""
    return _verified(name, registry.get(name).kind)[1]


def get(name: str) -> Any:
    """The artifact's value, computed and stored on a miss. Values come back as their JSON
    data; tables, figures and objects as the Python value, held in this process only."""
    guards.check_read(name)
    folder = entry_dir(name)
    if folder in _MEMORY:
        if isinstance(_MEMORY[folder], NotAvailable):
            raise _MEMORY[folder]
        return _MEMORY[folder]
    kind = registry.get(name).kind
    if kind == "values":
        record = entries.read(name, folder, kind)
        if record is not None:
            _raise_if_unavailable(record)
            return json.loads(entries.read_file(folder / DISPLAY["values"]))
    return _compute(name, folder)


def entry_dir(name: str) -> Path:
    """The folder holding the artifact's entry for its current inputs."""
    return paths.cache / name / keys.key(name)


def _verified(name: str, wanted: str) -> tuple[Path, bytes]:
    """The entry folder and the display file's bytes, checked against the entry's digest,
    computing the entry when absent or damaged; raises ``NotAvailable`` when the artifact
    cannot be computed on these data."""
    kind = registry.get(name).kind
    if kind != wanted:
        raise KeyError(
            f"artifact {name!r} has no {DISPLAY[wanted]}: its kind is {kind}, not {wanted}"
        )
    guards.check_read(name)
    for _attempt in range(2):
        folder = entry_dir(name)
        record = entries.read(name, folder, kind)
        if record is None:
            _MEMORY.pop(folder, None)
            _compute(name, folder)
            record = entries.read(name, folder, kind)
            if record is None:  # written and damaged at once: give up loudly
                continue
        _raise_if_unavailable(record)
        try:
            payload = entries.read_file(folder / DISPLAY[wanted])
        except (OSError, DataValidationError):  # removed by a process writing a newer entry
            continue
        if entries.digest_of(payload) == record["files"][DISPLAY[wanted]]:
            return folder, payload
    raise AnalysisError(
        f"cache entry of {name!r} at {entry_dir(name)} is damaged as soon as it is written; "
        f"check the cache folder {paths.cache} (disk, permissions, another process)"
    )


def _raise_if_unavailable(record: dict[str, Any]) -> None:
    if "unavailable" in record:
        raise NotAvailable(str(record["unavailable"]))


# --- compute -------------------------------------------------------------------------------


def ensure(name: str) -> bool:
    """Make sure the artifact's entry exists; True when it had to be computed. An artifact not
    available with these data counts as present (its entry records the reason)."""
    if is_cached(name):
        return False
    with contextlib.suppress(NotAvailable):
        get(name)
    return True


def _compute(name: str, folder: Path) -> Any:
    """Call the artifact's function with its dependencies' values, under the guards; store the
    display files (or why it is not available) and keep the value in this process."""
    art = registry.get(name)
    module_name, function_name = art.function.split(":")
    try:
        with guards.computing(name):
            inputs = [_input(dependency, art) for dependency in art.depends]
            function = getattr(importlib.import_module(module_name), function_name)
            result = function(*art.args, *inputs)
    except NotAvailable as exc:
        if art.kind == "object":
            _MEMORY[folder] = exc
        else:
            entries.write(name, folder, {}, unavailable=str(exc))
        raise
    payloads, kept = entries.display_files(art, result)
    if payloads:
        entries.write(name, folder, payloads)
    _MEMORY[folder] = kept
    return kept


def _input(dependency: str, art: registry.Artifact) -> Any:
    """A dependency's value; its ``NotAvailable`` error instead when the artifact accepts it."""
    try:
        return get(dependency)
    except NotAvailable as exc:
        if art.accepts_unavailable:
            return exc
        raise NotAvailable(f"needs {dependency}, which is not available: {exc}") from None


# --- verify --------------------------------------------------------------------------------


def is_cached(name: str) -> bool:
    """Whether the artifact's current entry is complete and intact (on disk; in this process
    for ``object`` artifacts, which are never written to disk)."""
    kind = registry.get(name).kind
    folder = entry_dir(name)
    if kind == "object":
        return folder in _MEMORY
    return entries.read(name, folder, kind) is not None


def peek(name: str) -> tuple[str, Any]:
    """What the book would read for a ``values`` artifact, without computing anything:
    ``("absent", None)``, ``("damaged", problem)``, ``("unavailable", reason)`` or
    ``("stored", values)`` (for ``reproduce``'s check of the author's cache)."""
    state, found = peek_bytes(name)
    if state != "stored":
        return state, found
    try:
        return "stored", json.loads(found)
    except ValueError as exc:
        return "damaged", f"unreadable ({type(exc).__name__})"


def peek_bytes(name: str) -> tuple[str, Any]:
    """``peek`` for any kind: the display file's bytes as the book would read them (the same
    digest check), ``("stored", bytes)``; ``reproduce`` compares them with a re-run's."""
    kind = registry.get(name).kind
    folder = entry_dir(name)
    if not folder.exists():
        return "absent", None
    if not (folder / ENTRY).exists():
        return "damaged", f"{ENTRY} is missing (an interrupted write, or files put there by hand)"
    checked = entries.check(name, folder, kind)
    if isinstance(checked, str):
        return "damaged", checked
    if "unavailable" in checked:
        return "unavailable", checked["unavailable"]
    try:
        return "stored", entries.read_file(folder / DISPLAY[kind])
    except (OSError, DataValidationError) as exc:  # replaced since the check
        return "damaged", f"unreadable ({type(exc).__name__})"


# --- list ----------------------------------------------------------------------------------


def stored(cache: Path | None = None) -> set[tuple[str, str]]:
    """(artifact, key) of every complete entry in the cache folder (default: the one in use)."""
    return entries.stored(cache or paths.cache)
