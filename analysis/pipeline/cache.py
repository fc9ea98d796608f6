"""Content-addressed disk cache of artifacts, shared by chapters, ``reproduce`` and the CLI.

An artifact's key hashes exactly what its result is computed from:

- its registry entry (name, function, kind, constant arguments, declared resources and
  dependencies) and whether it reads synthetic data, as the descriptor says now;
- the source of the function's module and of every analysis module it imports, transitively
  (``analysis.pipeline.artifacts``, ``analysis.pipeline.cache`` and ``analysis.book`` are
  bookkeeping, not computation: the entry fields above and this file's own source stand for them);
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

Each entry is a folder ``<cache>/<artifact>/<key>/`` holding, by kind, ``values.json``,
``table.json`` (column names, cells as display text and the table's note: data, not markup;
``analysis.book`` renders it) or ``figure.png``, and ``entry.json`` (written last: its presence
marks a complete entry) with the sha256 of each of those files. Every read checks the digests;
an entry that is incomplete, edited or damaged is never served: it is recomputed, with a
``CacheWarning``. Nothing on disk is unpickled: ``object`` artifacts (model fits) live in the
memory of the process that computed them only, and the values, tables and figures derived from
them are on disk, so a fit is recomputed only when something that depends on it is stale.
An artifact whose computation raises ``NotAvailable`` (the data cannot support it: a sample
without WeChat, say) has an entry recording the reason; reading it raises ``NotAvailable``
again, and so does computing an artifact that depends on it, unless the artifact is
registered with ``accepts_unavailable`` (a claim's verdict, which then says "not available").
Readers of the display files (the chapters) never import pandas or matplotlib. Only the newest
entry of each artifact is kept.

An artifact with ``depends`` is called with the value of each dependency as a positional
argument, in the order declared, so analysis functions never read the cache themselves.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from analysis import atomic, paths
from analysis.data import datapackage, files, labels
from analysis.data.labels import table_note
from analysis.errors import AnalysisError, DataValidationError, NotAvailable
from analysis.pipeline import artifacts

# Modules whose source is bookkeeping rather than computation (see the module docstring).
BOOKKEEPING = frozenset({"analysis.pipeline.artifacts", "analysis.pipeline.cache", "analysis.book"})
# The code that writes each kind's display file (tables are formatted by this module).
RENDERERS = {"figure": "analysis.topics.figures"}

_FILE_HASHES: dict[tuple[str, int, int, int], str] = {}
_IMPORTS: dict[tuple[str, int, int, int], frozenset[str]] = {}
_CODE_HASHES: dict[tuple[tuple[str, int, int, int], ...], str] = {}
_CLOSURES: dict[str, tuple[tuple[str, ...], tuple[Path, ...], tuple[Any, ...]]] = {}
_KEYS: dict[str, str] | None = None  # keys memoised inside ``inputs_fixed()``
IMPORTS_FILE = "imports.json"
_IMPORTS_ON_DISK: dict[str, Any] | None = None  # content digest -> analysis names imported
_UNSAVED: set[str] = set()  # digests parsed in this process and not yet written
_computing: list[str] = []  # artifacts being computed in this process, innermost last
_audit_installed = False
_auditing = False  # the guard itself opens the descriptor: do not check recursively


class UndeclaredInput(AnalysisError):
    """An artifact read an input its registry entry does not declare, so its key would miss it."""


def _stat_key(path: Path) -> tuple[Any, ...]:
    """(path, mtime, size, inode), and those of every part of a folder of Parquet parts."""
    stat = path.stat()
    key: tuple[Any, ...] = (str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino)
    if path.is_dir():
        key += tuple(_stat_key(part) for part in datapackage.resource_files(path))
    return key


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


_SOURCE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the analysis package


def _analysis_file(module: str) -> Path | None:
    """The file of an ``analysis.*`` module, from its name alone: ``find_spec`` would import
    the parent packages (and through them statsmodels), seconds per fingerprint."""
    if module != "analysis" and not module.startswith("analysis."):
        return None
    base = _SOURCE_ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def module_file(module: str) -> Path:
    """The source file of an importable module, found without importing it."""
    found = _analysis_file(module)
    if found is not None:
        return found
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise KeyError(f"module {module!r} not found")
    return Path(spec.origin)


def _module_exists(module: str) -> bool:
    if _analysis_file(module) is not None:
        return True
    parent = _analysis_file(module.rpartition(".")[0])
    if parent is not None and parent.name != "__init__.py":
        return False  # ``module`` names a function or class inside a module, not a module
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _analysis_imports(path: Path, package: str) -> frozenset[str]:
    """Names of analysis modules a source file imports anywhere in it, from its syntax tree."""
    memo_key = _stat_key(path)
    if memo_key in _IMPORTS:
        return _IMPORTS[memo_key]
    result = frozenset(m for m in _imported_names(path, package) if _module_exists(m))
    _IMPORTS[memo_key] = result
    return result


def _imported_names(path: Path, package: str) -> list[str]:
    """The ``analysis.*`` names a file imports, remembered across processes by the file's
    content (``imports.json`` in the cache folder): every chapter kernel and command would
    otherwise parse the whole package again to find which code an artifact's key covers."""
    global _IMPORTS_ON_DISK
    source = path.read_bytes()
    digest = hashlib.sha256(package.encode() + b"\0" + source).hexdigest()[:32]
    if _IMPORTS_ON_DISK is None:
        _IMPORTS_ON_DISK = _read_imports_file()
    names = _IMPORTS_ON_DISK.get(digest)
    if isinstance(names, list) and all(isinstance(n, str) for n in names):
        return names
    names = sorted(_parse_imports(source, path, package))
    _IMPORTS_ON_DISK[digest] = names
    _UNSAVED.add(digest)
    return names


def _save_imports() -> None:
    """Write what this process parsed (once per closure, not once per file)."""
    if _UNSAVED and _IMPORTS_ON_DISK is not None:
        with contextlib.suppress(OSError):  # a read-only cache only costs the parsing
            atomic.write_json(paths.cache / IMPORTS_FILE, _IMPORTS_ON_DISK)
        _UNSAVED.clear()


def _read_imports_file() -> dict[str, Any]:
    try:
        found = json.loads(_read(paths.cache / IMPORTS_FILE))
    except (OSError, ValueError, DataValidationError):
        return {}
    return found if isinstance(found, dict) else {}


def _parse_imports(source: bytes, path: Path, package: str) -> set[str]:
    found: set[str] = set()
    for node in _statements(ast.parse(source, filename=str(path)).body):
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
    return found


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, at any depth (imports are statements: expressions are not walked)."""
    for node in body:
        yield node
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(node, name, None)
            if isinstance(inner, list):
                yield from _statements(inner)


def module_closure(module: str) -> tuple[str, ...]:
    """The module and every analysis module it imports, transitively, sorted (bookkeeping
    modules are left out: they hold no computation)."""
    return _closure(module)[0]


def _closure(module: str) -> tuple[tuple[str, ...], tuple[tuple[str, int, int, int], ...]]:
    """The closure and the stat keys of its files, memoised within the process while none of
    those files changes (an artifact's key asks for the same closures hundreds of times)."""
    known = _CLOSURES.get(module)
    if known is not None:
        names, sources, stats = known
        try:
            if tuple(_stat_key(file) for file in sources) == stats:
                return names, stats
        except OSError:
            pass
    seen: set[str] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        if current in seen or (current in BOOKKEEPING and current != module):
            continue
        seen.add(current)
        todo += _analysis_imports(module_file(current), current.rpartition(".")[0]) - seen
    _save_imports()
    names = tuple(sorted(seen))
    sources = tuple(module_file(name) for name in names)
    stats = tuple(_stat_key(file) for file in sources)
    _CLOSURES[module] = (names, sources, stats)
    return names, stats


def code_hash(module: str) -> str:
    """Hash of the source of a module and of its analysis imports ("absent" if not found)."""
    if not _module_exists(module):
        return "absent"
    names, memo_key = _closure(module)
    if memo_key not in _CODE_HASHES:
        digest = hashlib.sha256()
        for name in names:
            digest.update(name.encode() + b"\0" + module_file(name).read_bytes() + b"\0")
        _CODE_HASHES[memo_key] = digest.hexdigest()[:20]
    return _CODE_HASHES[memo_key]


def descriptor(base: Path | None = None) -> dict[str, Any]:
    """The parsed datapackage.json, memoised on the file's stat within the process."""
    return labels.descriptor(base)


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


@contextlib.contextmanager
def inputs_fixed() -> Iterator[None]:
    """Within this block each artifact's key is computed once: for a command that reads keys
    hundreds of times (freeze: every chapter's fingerprint, then every artifact to prefetch)
    while nothing edits data or code. Outside it, every call reads the inputs afresh."""
    global _KEYS
    outer = _KEYS
    _KEYS = {} if outer is None else outer
    try:
        yield
    finally:
        _KEYS = outer


def key(name: str) -> str:
    """The content key of an artifact's current inputs."""
    if _KEYS is not None and name in _KEYS:
        return _KEYS[name]
    found = _key(name)
    if _KEYS is not None:
        _KEYS[name] = found
    return found


def _key(name: str) -> str:
    art = artifacts.get(name)
    payload = {
        "name": art.name,
        "function": art.function,
        "kind": art.kind,
        "args": list(art.args),
        "accepts_unavailable": art.accepts_unavailable,
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


# --- entries: display files with their digests -------------------------------------------

ENTRY = "entry.json"  # written last; its presence marks a complete entry
DISPLAY = {"values": "values.json", "table": "table.json", "figure": "figure.png"}
DISPLAY_MAX_BYTES = 64 << 20  # no display file or record of an entry is larger

# Results kept in this process only, by entry folder: model fits and other Python objects
# are never written to disk (loading a pickle runs code), and tables and figures keep their
# Python value here for artifacts that depend on them.
_MEMORY: dict[Path, Any] = {}


def _memo_key(folder: Path) -> Path:
    """In-process results are keyed by entry folder: cache folder, artifact and key (so a
    fresh cache, as ``reproduce`` uses, never sees another cache's objects)."""
    return folder


class CacheWarning(UserWarning):
    """A damaged or altered cache entry was found and is being recomputed."""


def _read_entry(name: str, folder: Path) -> dict[str, Any] | None:
    """The entry record of a complete, intact entry; None when there is none or it is damaged
    (damage is warned about: the entry is then recomputed, never served)."""
    record_path = folder / ENTRY
    if not record_path.exists():
        if folder.exists() and any(folder.iterdir()):
            _warn(name, folder, f"{ENTRY} is missing")
        return None
    problem = _check_entry(name, folder, record_path)
    if isinstance(problem, str):
        _warn(name, folder, problem)
        return None
    return problem


def _check_entry(name: str, folder: Path, record_path: Path) -> dict[str, Any] | str:
    """The entry record if every file matches its digest, else what is wrong with it."""
    try:
        record = json.loads(_read(record_path))
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
        wanted = DISPLAY.get(artifacts.get(name).kind)
        if wanted and wanted not in listed:
            return f"{ENTRY} does not list {wanted}"
    for filename, digest in listed.items():
        path = folder / str(filename)
        if path.parent != folder or not path.exists():
            return f"{filename} is missing"
        try:
            payload = _read(path)
        except DataValidationError as exc:
            return f"{filename} is unreadable ({exc.problems[0].problem})"
        if _digest(payload) != digest:
            return f"{filename} does not match its digest (edited or damaged)"
    return record


def _digest(payload: bytes) -> str:
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def _read(path: Path) -> bytes:
    """A cache file through the bounded reader: regular files of at most DISPLAY_MAX_BYTES (a
    pipe or a huge file put in the cache is refused, never read)."""
    return files.read_regular(path, str(path), DISPLAY_MAX_BYTES)


def _warn(name: str, folder: Path, problem: str) -> None:
    warnings.warn(
        f"cache entry of {name!r} at {folder}: {problem}; recomputing it",
        CacheWarning,
        stacklevel=4,
    )


def _write_entry(name: str, folder: Path, payloads: dict[str, bytes], **extra: Any) -> None:
    """Write the display files and the entry record with their digests into a hidden folder
    beside the entry, then rename it into place: another process sharing the cache sees no
    entry or a complete one, never a folder without its record."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        digests = {}
        for filename, payload in payloads.items():
            atomic.write_bytes(staging / filename, payload)
            digests[filename] = _digest(payload)
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


def is_cached(name: str) -> bool:
    """Whether the artifact's current entry is complete and intact (on disk; in this process
    for ``object`` artifacts, which are never written to disk)."""
    art = artifacts.get(name)
    folder = entry_dir(name)
    if art.kind == "object":
        return _memo_key(folder) in _MEMORY
    return _read_entry(name, folder) is not None


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
    folder = entry_dir(name)
    record_path = folder / ENTRY
    if not folder.exists():
        return "absent", None
    if not record_path.exists():
        return "damaged", f"{ENTRY} is missing (an interrupted write, or files put there by hand)"
    checked = _check_entry(name, folder, record_path)
    if isinstance(checked, str):
        return "damaged", checked
    if "unavailable" in checked:
        return "unavailable", checked["unavailable"]
    try:
        return "stored", _read(folder / DISPLAY[artifacts.get(name).kind])
    except (OSError, DataValidationError) as exc:  # replaced since the check
        return "damaged", f"unreadable ({type(exc).__name__})"


def _guard(name: str) -> None:
    if _computing:
        outer = artifacts.get(_computing[-1])
        if name not in outer.depends:
            raise UndeclaredInput(
                f"artifact {outer.name!r} ({outer.function}) reads artifact {name!r}, which is "
                f"not in its depends=... in analysis/pipeline/artifacts.py; add it there so a "
                f"change to {name!r} recomputes {outer.name!r}"
            )


def get(name: str) -> Any:
    """The artifact's value, computed and stored on a miss. Values come back as their JSON
    data; tables, figures and objects as the Python value, held in this process only (a table
    or figure read from disk by a chapter comes through ``table`` or ``figure_png``)."""
    _guard(name)
    folder = entry_dir(name)
    memo = _memo_key(folder)
    if memo in _MEMORY:
        if isinstance(_MEMORY[memo], NotAvailable):
            raise _MEMORY[memo]
        return _MEMORY[memo]
    art = artifacts.get(name)
    if art.kind == "values":
        record = _read_entry(name, folder)
        if record is not None:
            _raise_if_unavailable(record)
            return json.loads(_read(folder / DISPLAY["values"]))
    return _compute(name, folder)


def _raise_if_unavailable(record: dict[str, Any]) -> None:
    if "unavailable" in record:
        raise NotAvailable(str(record["unavailable"]))


def ensure(name: str) -> bool:
    """Make sure the artifact's entry exists; True when it had to be computed. An artifact not
    available with these data counts as present (its entry records the reason)."""
    if is_cached(name):
        return False
    with contextlib.suppress(NotAvailable):
        get(name)
    return True


def values(name: str) -> dict[str, Any]:
    """A ``values`` artifact as plain JSON data (no pandas import on a hit)."""
    return json.loads(_display_bytes(name, "values"))


def table(name: str) -> dict[str, Any]:
    """A ``table`` artifact as ``{"columns", "rows", "note"}``: every cell is display text."""
    return json.loads(_display_bytes(name, "table"))


def figure_png(name: str) -> Path:
    """The PNG file of a ``figure`` artifact (checked against its digest)."""
    return _verified(name, "figure")[0] / DISPLAY["figure"]


def display_bytes(name: str) -> bytes:
    """The verified display file of a ``table`` or ``figure`` artifact, computed if needed."""
    return _display_bytes(name, artifacts.get(name).kind)


def _display_bytes(name: str, wanted: str) -> bytes:
    """The verified display file of an artifact, computing it when absent or damaged; raises
    ``NotAvailable`` when the artifact cannot be computed on these data."""
    return _verified(name, wanted)[1]


def _verified(name: str, wanted: str) -> tuple[Path, bytes]:
    """The entry folder and the display file's bytes, checked against the entry's digest."""
    kind = artifacts.get(name).kind
    if kind != wanted:
        raise KeyError(
            f"artifact {name!r} has no {DISPLAY[wanted]}: its kind is {kind}, not {wanted}"
        )
    _guard(name)
    for _attempt in range(2):
        folder = entry_dir(name)
        record = _read_entry(name, folder)
        if record is None:
            _MEMORY.pop(_memo_key(folder), None)
            _compute(name, folder)
            record = _read_entry(name, folder)
            if record is None:  # written and damaged at once: give up loudly
                continue
        _raise_if_unavailable(record)
        try:
            payload = _read(folder / DISPLAY[wanted])
        except (OSError, DataValidationError):  # removed by a process writing a newer entry
            continue
        if _digest(payload) == record["files"][DISPLAY[wanted]]:
            return folder, payload
    raise AnalysisError(
        f"cache entry of {name!r} at {entry_dir(name)} is damaged as soon as it is written; "
        f"check the cache folder {paths.cache} (disk, permissions, another process)"
    )


def _compute(name: str, folder: Path) -> Any:
    art = artifacts.get(name)
    module_name, function_name = art.function.split(":")
    _install_audit()
    _computing.append(name)
    try:
        inputs = [_input(dependency, art) for dependency in art.depends]
        result = getattr(importlib.import_module(module_name), function_name)(*art.args, *inputs)
    except NotAvailable as exc:
        if art.kind == "object":
            _MEMORY[_memo_key(folder)] = exc
        else:
            _write_entry(name, folder, {}, unavailable=str(exc))
        raise
    finally:
        _computing.pop()
    payloads: dict[str, bytes] = {}
    if art.kind == "values":
        text = json.dumps(result, indent=1, default=_jsonable)
        payloads["values.json"] = text.encode()
        result = json.loads(text)  # a hit returns the stored JSON data: so does a miss
    elif art.kind == "table":
        said = table_note(artifacts.kinds(name, labels.descriptor()), labels.descriptor())
        note = " ".join(filter(None, [said, result.attrs.get("note")]))
        payloads["table.json"] = json.dumps(table_text(result, note), indent=1).encode()
    elif art.kind == "figure":
        from analysis.topics import figures

        payloads["figure.png"] = figures.to_png(result)
        result = None  # figures are kept as PNG only
    if payloads:
        _write_entry(name, folder, payloads)
    _MEMORY[_memo_key(folder)] = result
    return result


def _input(dependency: str, art: artifacts.Artifact) -> Any:
    """A dependency's value; its ``NotAvailable`` error instead when the artifact accepts it."""
    try:
        return get(dependency)
    except NotAvailable as exc:
        if art.accepts_unavailable:
            return exc
        raise NotAvailable(f"needs {dependency}, which is not available: {exc}") from None


def table_text(frame: Any, note: str | None) -> dict[str, Any]:
    """A DataFrame as display text, cell by cell, formatted column by column as pandas prints
    it (floats to a common number of decimals, missing values blank)."""
    import pandas as pd
    from pandas.io.formats.format import format_array

    columns = [str(c) for c in frame.columns]
    with pd.option_context("display.max_colwidth", None):  # text in full, never "..."
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
    resources' files, their FK targets, the descriptor, the folder's own references.bib (read
    to check source keys, like the repository's, never to compute), and those of the artifacts
    it depends on (which may be computed inside it)."""
    desc = descriptor()
    allowed = {(paths.data / name).resolve() for name in ("datapackage.json", "references.bib")}
    for art in artifacts.closure(name):
        if artifacts.WHOLE_PACKAGE in art.resources:
            return None
        for resource in art.resources:
            for target in _foreign_targets(resource, desc):
                entry = _entry(desc, target)
                file = datapackage.resource_path(entry) if entry else paths.data / target
                allowed.update(f.resolve() for f in datapackage.resource_files(file))
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
            f"file's name under data/) in analysis/pipeline/artifacts.py so the cache key covers it"
        )
