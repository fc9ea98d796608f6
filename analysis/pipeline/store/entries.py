"""Entries on disk: an artifact's display files and the record of their digests.

Each entry is a folder ``<cache>/<artifact>/<key>/`` holding, by kind, ``values.json``,
``table.json`` (column names, cells as display text and the table's note: data, not markup;
``analysis.book`` renders it; with ``cite``, the columns whose cells are bibliography keys, and
``note_cite``, the keys the note cites: what the table's builder marked as citing in
``frame.attrs``, the only text the book turns into citations) or ``figure.png``, and
``entry.json`` (written last: its presence marks a complete entry) with the sha256 of each of
those files. Every read checks the digests: an entry that is incomplete, edited or damaged is
never served (``read`` warns with a ``CacheWarning`` and answers None, so the store recomputes
it). Nothing on disk is unpickled. An entry may instead record why the artifact is not
available with these data. Only the newest entry of each artifact is kept. Every file of the
cache folder is read through ``read_file``, a bounded reader (a pipe or a huge file put there is
refused, never read). This module's source is part of every key (``keys.MECHANICS``), so a
change of a display file's format recomputes every entry: none of an earlier format is served.

This module knows folders, not keys: the store names the folder. May import the base modules,
``analysis.data`` and ``registry`` (for the table note and the figure renderer's name).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

from analysis import atomic
from analysis.data import datapackage, files, labels
from analysis.errors import DataValidationError
from analysis.pipeline.store import registry

ENTRY = "entry.json"  # written last; its presence marks a complete entry
DISPLAY = {"values": "values.json", "table": "table.json", "figure": "figure.png"}
DISPLAY_MAX_BYTES = 64 << 20  # no display file or record of an entry is larger
# The code that writes each kind's display file (tables are formatted by this module).
RENDERERS = {"figure": "analysis.topics.figures"}


class CacheWarning(UserWarning):
    """A damaged or altered cache entry was found and is being recomputed."""


def read(name: str, folder: Path, kind: str) -> dict[str, Any] | None:
    """The entry record of a complete, intact entry; None when there is none or it is damaged
    (damage is warned about: the entry is then recomputed, never served)."""
    record_path = folder / ENTRY
    if not record_path.exists():
        if folder.exists() and any(folder.iterdir()):
            _warn(name, folder, f"{ENTRY} is missing")
        return None
    problem = check(name, folder, kind)
    if isinstance(problem, str):
        _warn(name, folder, problem)
        return None
    return problem


def check(name: str, folder: Path, kind: str) -> dict[str, Any] | str:
    """The entry record if every file matches its digest, else what is wrong with it."""
    try:
        record = json.loads(read_file(folder / ENTRY))
    except DataValidationError as exc:
        return f"{ENTRY} is unreadable ({exc.problems[0].problem}: {exc.problems[0].found})"
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return f"{ENTRY} is unreadable ({type(exc).__name__})"
    if not isinstance(record, dict) or record.get("artifact") != name:
        return f"{ENTRY} does not describe artifact {name!r}"
    if record.get("key") != folder.name:
        return f"{ENTRY} names key {record.get('key')!r}, not the folder's {folder.name!r}"
    listed = record.get("files")
    if not isinstance(listed, dict):
        return f"{ENTRY} lists no files"
    if "unavailable" not in record:
        wanted = DISPLAY.get(kind)
        if wanted and wanted not in listed:
            return f"{ENTRY} does not list {wanted}"
    for filename, digest in listed.items():
        path = folder / str(filename)
        if path.parent != folder or not path.exists():
            return f"{filename} is missing"
        try:
            payload = read_file(path)
        except DataValidationError as exc:
            return f"{filename} is unreadable ({exc.problems[0].problem})"
        if digest_of(payload) != digest:
            return f"{filename} does not match its digest (edited or damaged)"
    return record


def digest_of(payload: bytes) -> str:
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def read_file(path: Path) -> bytes:
    """A cache file through the bounded reader: regular files of at most DISPLAY_MAX_BYTES."""
    return files.read_regular(path, str(path), DISPLAY_MAX_BYTES)


def _warn(name: str, folder: Path, problem: str) -> None:
    warnings.warn(
        f"cache entry of {name!r} at {folder}: {problem}; recomputing it",
        CacheWarning,
        stacklevel=4,
    )


def write(name: str, folder: Path, payloads: dict[str, bytes], **extra: Any) -> None:
    """Write the display files and the entry record with their digests into a hidden folder
    beside the entry, then rename it into place: another process sharing the cache sees no
    entry or a complete one, never a folder without its record."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        digests = {}
        for filename, payload in payloads.items():
            atomic.write_bytes(staging / filename, payload)
            digests[filename] = digest_of(payload)
        record = {"artifact": name, "key": folder.name, "files": digests, **extra}
        atomic.write_text(staging / ENTRY, json.dumps(record, indent=1))
        atomic.checkpoint("cache-entry-staged")
        if folder.exists():  # a damaged entry being replaced
            shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):  # another process renamed the same entry first
            os.rename(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for stale in folder.parent.iterdir():
        if stale != folder and stale.is_dir() and not stale.name.startswith("."):
            shutil.rmtree(stale, ignore_errors=True)


def stored(cache: Path) -> set[tuple[str, str]]:
    """(artifact, key) of every entry with a record in the cache folder ``cache``."""
    if not cache.exists():
        return set()
    return {(p.parent.parent.name, p.parent.name) for p in cache.glob(f"*/*/{ENTRY}")}


def display_files(art: registry.Artifact, result: Any) -> tuple[dict[str, bytes], Any]:
    """The display files of a computed result, by file name, and the value kept in memory (a
    values artifact's JSON data, as a hit returns it; nothing for a figure, kept as PNG only)."""
    if art.kind == "values":
        text = json.dumps(result, indent=1, default=_jsonable)
        return {DISPLAY["values"]: text.encode()}, json.loads(text)
    if art.kind == "table":
        descriptor = labels.descriptor()
        said = labels.table_note(registry.kinds(art.name, descriptor), descriptor)
        note = " ".join(filter(None, [said, result.attrs.get("note")]))
        return {DISPLAY["table"]: json.dumps(table_text(result, note), indent=1).encode()}, result
    if art.kind == "figure":
        from analysis.topics import figures

        return {DISPLAY["figure"]: figures.to_png(result)}, None
    return {}, result


def table_text(frame: Any, note: str | None) -> dict[str, Any]:
    """A DataFrame as display text, cell by cell, formatted column by column as pandas prints
    it (floats to a common number of decimals, missing values blank), with what its builder
    marked as citing: ``frame.attrs["cite"]``, the columns whose cells are bibliography keys,
    and ``frame.attrs["note_cite"]``, the keys the note cites (both empty unless said)."""
    import pandas as pd
    from pandas.io.formats.format import format_array

    columns = [str(c) for c in frame.columns]
    cite = [str(c) for c in frame.attrs.get("cite", ())]
    if unknown := [c for c in cite if c not in columns]:
        raise ValueError(f"attrs['cite'] names columns the table does not have: {unknown}")
    note_cite = list(frame.attrs.get("note_cite", ()))
    key = datapackage.CITABLE_KEY
    if bad := [k for k in note_cite if not isinstance(k, str) or not key.fullmatch(k)]:
        raise ValueError(f"attrs['note_cite'] holds what is not a bibliography key: {bad}")
    with pd.option_context("display.max_colwidth", None):  # text in full, never "..."
        cells = [
            [text.strip() for text in format_array(frame.iloc[:, i].to_numpy(), None, na_rep="")]
            for i in range(frame.shape[1])
        ]
    rows = [list(row) for row in zip(*cells, strict=True)] if cells else []
    return {
        "columns": columns,
        "rows": rows,
        "note": note or None,
        "cite": cite,
        "note_cite": note_cite,
    }


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in values.json")
