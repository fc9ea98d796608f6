"""Content keys: what an artifact's result is computed from, hashed.

An artifact's key hashes exactly:

- its registry entry (name, function, kind, constant arguments, declared resources and
  dependencies) and whether it reads synthetic data, as the descriptor says now;
- the source of the function's module and of every analysis module it imports, transitively
  (the store and ``analysis.book`` are bookkeeping, not computation: the entry fields above and
  the store's own source stand for them);
- for each declared resource, its descriptor entry's ``path`` and ``schema`` (types and enum
  order shape the loaded frame) and the sha256 of its file, measured rather than trusted from
  the descriptor; a declared name that is not a resource but a file under ``data/``
  (``"simulation.toml"``) is hashed as a file, and ``"datapackage.json"`` stands for the whole
  package (the descriptor and every resource file), for artifacts that describe the package;
- the keys of the artifacts it depends on;
- the code that turns a result into the file chapters read (``entries`` for tables,
  ``analysis.topics.figures`` for figures), the store's own source, uv.lock and the Python
  version.

Any change to those recomputes the artifact; nothing else does, so a data edit recomputes only
the artifacts that read the edited file. Validity checks that involve other files (foreign keys
into another resource, source keys against references.bib) are not part of any key: the loader
reads those files to check, not to compute, and ``python -m analysis validate`` reports a
package they make invalid. The hashes here (files, text, code closures, uv.lock) also make the
chapters' fingerprints (``freeze``) and the validation record (``validate``).

May import the base modules, ``analysis.data``, ``registry`` and ``entries`` (the bounded reader
of the cache folder, for the remembered imports).
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from analysis import atomic, paths
from analysis.data import datapackage, labels
from analysis.errors import DataValidationError
from analysis.pipeline.store import entries, registry

STORE = "analysis.pipeline.store"
# Modules whose source is bookkeeping rather than computation (see the module docstring).
BOOKKEEPING = frozenset(
    {"analysis.book", STORE, *(f"{STORE}.{m}" for m in ("registry", "entries", "keys", "guards"))}
)
# The store's own machinery, whose source is part of every key (the registry is not: each
# artifact's entry fields stand for it, so registering an artifact recomputes no other).
MECHANICS = ("__init__.py", "entries.py", "keys.py", "guards.py")

_FILE_HASHES: dict[tuple[Any, ...], str] = {}
# A data file (or folder of Parquet parts) at least this large has its hash remembered across
# processes (``file-hashes.json`` in the cache folder), as git's index remembers what it hashed:
# every chapter kernel keys the artifacts it reads, and re-reading 100 million posts (gigabytes)
# in each would cost more than the chapter. The stamp includes the inode change time, which
# every write (and every ``touch``) sets and no unprivileged process can set back.
REMEMBERED_BYTES = 64 * 2**20
HASHES_FILE = "file-hashes.json"
_IMPORTS: dict[tuple[Any, ...], frozenset[str]] = {}
_CODE_HASHES: dict[tuple[tuple[Any, ...], ...], str] = {}
_CLOSURES: dict[str, tuple[tuple[str, ...], tuple[Path, ...], tuple[Any, ...]]] = {}
_KEYS: dict[str, str] | None = None  # keys memoised inside ``inputs_fixed()``
IMPORTS_FILE = "imports.json"
_IMPORTS_ON_DISK: dict[str, Any] | None = None  # content digest -> analysis names imported
_UNSAVED: set[str] = set()  # digests parsed in this process and not yet written


def _stat_key(path: Path) -> tuple[Any, ...]:
    """(path, mtime, size, inode, change time), and those of every part of a folder of Parquet
    parts."""
    stat = path.stat()
    key: tuple[Any, ...] = (
        str(path),
        stat.st_mtime_ns,
        stat.st_size,
        stat.st_ino,
        stat.st_ctime_ns,
    )
    if path.is_dir():
        key += tuple(_stat_key(part) for part in datapackage.resource_files(path))
    return key


def _bytes_of(memo_key: tuple[Any, ...]) -> int:
    """The bytes a stat key covers: the file's, or its parts' for a folder."""
    parts = [k for k in memo_key[5:] if isinstance(k, tuple)]
    return sum(_bytes_of(k) for k in parts) if parts else int(memo_key[2])


def file_hash(path: Path) -> str:
    """sha256 of a file, memoised on its stat key within the process, and across processes for
    files of at least ``REMEMBERED_BYTES`` (``HASHES_FILE``)."""
    memo_key = _stat_key(path)
    if memo_key not in _FILE_HASHES:
        large = _bytes_of(memo_key) >= REMEMBERED_BYTES
        stamp = text_hash(json.dumps(memo_key)) if large else ""
        remembered = _cache_record(HASHES_FILE).get(str(path)) if large else None
        if isinstance(remembered, list) and len(remembered) == 2 and remembered[0] == stamp:
            _FILE_HASHES[memo_key] = str(remembered[1])
        else:
            _FILE_HASHES[memo_key] = datapackage.sha256_file(path)
            if large:
                _remember_hash(str(path), stamp, _FILE_HASHES[memo_key])
    return _FILE_HASHES[memo_key]


def _cache_record(name: str) -> dict[str, Any]:
    """A JSON record the keys keep in the cache folder (``IMPORTS_FILE``, ``HASHES_FILE``);
    empty when absent, unreadable or damaged, which only costs recomputing what it held."""
    try:
        found = json.loads(entries.read_file(paths.cache / name))
    except (OSError, ValueError, DataValidationError):
        return {}
    return found if isinstance(found, dict) else {}


def _remember_hash(path: str, stamp: str, digest: str) -> None:
    """Add one file's hash to ``HASHES_FILE`` (atomically; two processes writing at once may
    lose an entry, which only costs hashing that file again)."""
    remembered = _cache_record(HASHES_FILE)
    remembered[path] = [stamp, digest]
    with contextlib.suppress(OSError):  # a read-only cache only costs the hashing
        atomic.write_json(paths.cache / HASHES_FILE, remembered)


def text_hash(text: str | bytes) -> str:
    """Short sha256 of text, for fingerprints."""
    payload = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(payload).hexdigest()[:20]


_SOURCE_ROOT = Path(__file__).resolve().parents[3]  # the folder holding the analysis package


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
        _IMPORTS_ON_DISK = _cache_record(IMPORTS_FILE)
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


def resource_entry(desc: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The descriptor's entry of resource ``name`` (None: not a resource, a file under data/)."""
    return next((r for r in desc.get("resources", []) if r.get("name") == name), None)


def _hash_or_missing(path: Path) -> str:
    return file_hash(path) if path.exists() else "missing"


def _resource_inputs(name: str, desc: dict[str, Any], base: Path) -> dict[str, Any]:
    """What one declared resource contributes to a key: its path, schema and file hash."""
    if name == registry.WHOLE_PACKAGE:
        return {
            "descriptor": _hash_or_missing(base / "datapackage.json"),
            "files": {
                r.get("name", "?"): _hash_or_missing(datapackage.resource_path(r, base))
                for r in desc.get("resources", [])
                if isinstance(r.get("path"), str)
            },
        }
    entry = resource_entry(desc, name)
    if entry is None:
        return {"file": _hash_or_missing(base / name)}
    return {
        "path": entry.get("path"),
        "schema": entry.get("schema"),
        "file": _hash_or_missing(datapackage.resource_path(entry, base)),
    }


def resource_hashes(names: tuple[str, ...], base: Path | None = None) -> dict[str, Any]:
    """The key inputs of declared resources (or data files) by name."""
    base = base or paths.data
    desc = labels.descriptor(base)
    return {name: _resource_inputs(name, desc, base) for name in names}


def lock_hash() -> str:
    """sha256 of uv.lock: the exact library versions."""
    lock = paths.root / "uv.lock"
    return file_hash(lock) if lock.exists() else "no-lock"


def _mechanics_hash() -> str:
    """Hash of the store's own source (``MECHANICS``): how entries are keyed, written and read."""
    here = Path(__file__).resolve().parent
    return text_hash(" ".join(file_hash(here / name) for name in MECHANICS))


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
    art = registry.get(name)
    renderer = entries.RENDERERS.get(art.kind)
    payload = {
        "name": art.name,
        "function": art.function,
        "kind": art.kind,
        "args": list(art.args),
        "accepts_unavailable": art.accepts_unavailable,
        "synthetic": art.synthetic,
        "code": code_hash(art.module),
        "render": code_hash(renderer) if renderer else "",
        "resources": resource_hashes(art.resources),
        "depends": {d: key(d) for d in art.depends},
        "cache": _mechanics_hash(),
        "lock": lock_hash(),
        "python": "{}.{}".format(*sys.version_info[:2]),
    }
    return text_hash(json.dumps(payload, sort_keys=True))
