"""Reading and updating ``data/datapackage.json``, the single source of truth for data.

The descriptor is a Frictionless Data Package. Every resource records its path, sha256 hash,
size, schema (the codebook), sources (keys into references.bib), licence and whether it is
synthetic. Project extensions: ``synthetic`` (bool) and, on synthetic resources, ``generator``
(version, parameter-file hash, seed); on fields, ``bibkey: true`` marks a column of
references.bib keys (several keys separated by ``;``).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from analysis import atomic, paths
from analysis.data import files
from analysis.errors import DataProblem, DataValidationError


def read_descriptor(path: Path | None = None) -> dict[str, Any]:
    """Return the parsed descriptor; a missing, oversized or malformed one is a data error.

    Only the shape every reader relies on is checked here (a JSON object whose ``resources``
    is a list of objects); ``datasets`` checks each entry's properties in detail.
    """
    path = path or paths.datapackage
    problem = files.regular_file(path, str(path))
    if problem:
        what = "descriptor missing" if problem.found == "no file" else "descriptor is not a file"
        raise DataValidationError.single(
            path, what, "a Frictionless datapackage.json", problem.found
        )
    size = path.stat().st_size
    if size > files.DESCRIPTOR_MAX_BYTES:
        raise DataValidationError.single(
            path,
            "descriptor larger than its limit",
            f"at most {files.DESCRIPTOR_MAX_BYTES:,} bytes",
            f"{size:,} bytes",
        )
    try:
        descriptor = json.loads(
            files.read_regular(path, str(path), files.DESCRIPTOR_MAX_BYTES).decode("utf-8")
        )
    except UnicodeDecodeError as exc:
        raise DataValidationError.single(
            path, "descriptor is not UTF-8", "UTF-8 JSON", f"byte offset {exc.start}"
        ) from None
    except json.JSONDecodeError as exc:
        raise DataValidationError.single(
            path, "descriptor is not valid JSON", "JSON", f"{exc.msg} at line {exc.lineno}"
        ) from None
    except RecursionError:
        raise DataValidationError.single(
            path, "descriptor is not valid JSON", "JSON", "nesting too deep"
        ) from None
    if not isinstance(descriptor, dict):
        raise DataValidationError.single(
            path, "descriptor has the wrong type", "a JSON object", type(descriptor).__name__
        )
    resources = descriptor.get("resources", [])
    if not isinstance(resources, list):
        raise DataValidationError.single(
            path, "property 'resources' has the wrong type", "a list", type(resources).__name__
        )
    for i, entry in enumerate(resources):
        if not isinstance(entry, dict):
            raise DataValidationError.single(
                path,
                f"resources[{i}] has the wrong type",
                "an object",
                type(entry).__name__,
            )
        if not isinstance(entry.get("name"), str):
            raise DataValidationError.single(
                path, f"resources[{i}].name has the wrong type", "text", repr(entry.get("name"))
            )
    return descriptor


def resource(descriptor: dict[str, Any], name: str) -> dict[str, Any]:
    """Return the resource entry called ``name`` or raise a data error listing the known ones."""
    for entry in descriptor.get("resources", []):
        if entry.get("name") == name:
            return entry
    known = ", ".join(r.get("name", "?") for r in descriptor.get("resources", []))
    raise DataValidationError.single(
        paths.datapackage, "unknown resource", f"one of: {known}", repr(name)
    )


def resource_path(entry: dict[str, Any], base: Path | None = None) -> Path:
    """The file a resource entry points at, confined to the descriptor's folder.

    Raises DataValidationError for an absolute path, ``..`` or a symlink leaving the folder.
    """
    base = base or paths.data
    path, problem = files.confined(base, entry.get("path"), _where(base, entry))
    if problem is not None:
        raise DataValidationError([problem])
    assert path is not None
    return path


def _where(base: Path, entry: dict[str, Any]) -> str:
    return f"{base / 'datapackage.json'} (resource '{entry.get('name')}')"


def path_problem(entry: dict[str, Any], base: Path | None = None) -> DataProblem | None:
    """Why the entry's path is refused (None when it is inside the folder)."""
    return files.confined(base or paths.data, entry.get("path"), _where(base or paths.data, entry))[
        1
    ]


def kind(entry: dict[str, Any]) -> str:
    """What a resource's rows are: "synthetic" (simulated), "observed" (a sample a user brought
    in, with ``collection``) or "documented" (figures from the sources on every row)."""
    if entry.get("synthetic") is True:
        return "synthetic"
    return "observed" if isinstance(entry.get("collection"), dict) else "documented"


def sha256_bytes(payload: bytes) -> str:
    """Hash in the Frictionless ``sha256:<hex>`` notation."""
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def sha256_file(path: Path) -> str:
    """``sha256:<hex>`` of a file, or of a folder of Parquet parts (``digest``), read in chunks."""
    return digest(path)[0]


def resource_files(path: Path) -> list[Path]:
    """The files of a resource path: the file itself, or a folder's ``*.parquet`` parts (any
    depth; names starting with ``.`` or ``_`` are ignored) sorted by path."""
    if path.is_dir():
        return sorted(
            p
            for p in path.rglob("*.parquet")
            if p.is_file()
            and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
        )
    return [path]


def _sha256_hex(path: Path) -> str:
    """The hex sha256 of one regular file, streamed through the bounded reader."""
    return files.sha256_file(path).removeprefix("sha256:")


def digest(path: Path) -> tuple[str, int]:
    """('sha256:<hex>', bytes) of a resource file, read in chunks, or of a folder of parts: the
    sha256 of a ``sha256sum``-style manifest of its parts (``<hex>  <relative path>`` lines,
    sorted by path), so ``sha256sum <parts> | sha256sum`` in the folder reproduces it."""
    files = resource_files(path)
    stats = [p.stat() for p in files]
    size = sum(s.st_size for s in stats)
    memo_key = (
        str(path),
        *(
            (str(p), s.st_mtime_ns, s.st_ctime_ns, s.st_size, s.st_ino)
            for p, s in zip(files, stats, strict=True)
        ),
    )
    if memo_key in _DIGESTS:
        return _DIGESTS[memo_key]
    if path.is_dir():
        manifest = "".join(f"{_sha256_hex(p)}  {p.relative_to(path).as_posix()}\n" for p in files)
        found = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest(), size
    else:
        found = "sha256:" + _sha256_hex(path), size
    if size >= _MEMO_BYTES:
        _DIGESTS[memo_key] = found
    return found


# Digests of large resources by each file's (path, mtime, ctime, size, inode), within the
# process: a crawl of gigabytes is hashed once per process however many checks and cache keys
# ask. Small files are always re-read (cheap, and no file system's timestamps are too coarse).
_MEMO_BYTES = 64 << 20
_DIGESTS: dict[tuple[Any, ...], tuple[str, int]] = {}


def stamp(entry: dict[str, Any], base: Path | None = None) -> dict[str, Any]:
    """Record the current hash and size of a resource's file in its entry (returns the entry);
    a file that is not regular or is above the resource's size limit is refused unread."""
    path = resource_path(entry, base)
    payload = files.read_regular(path, str(path), files.limits(entry)["bytes"])
    entry["hash"] = sha256_bytes(payload)
    entry["bytes"] = len(payload)
    return entry


@contextmanager
def writing(base: Path | None = None) -> Iterator[None]:
    """Hold the data folder's write lock for a whole read-change-write of the package (``data
    add``, ``data stamp``, ``simulate``): a second writer says so and waits, then reads the
    package the first one left, so no update is lost. The lock is the folder itself (flock on
    its descriptor), so nothing is added to the data folder; it is released when the process
    ends, however it ends."""
    base = base or paths.data
    folder = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(
                f"waiting: another command is writing the data package {base}",
                file=sys.stderr,
                flush=True,
            )
            fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)


def merge_resources(descriptor: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    """Insert or replace resource entries by name in ``descriptor``, keeping the others' order."""
    resources = descriptor.setdefault("resources", [])
    for entry in entries:
        for i, existing in enumerate(resources):
            if existing.get("name") == entry["name"]:
                resources[i] = entry
                break
        else:
            resources.append(entry)


def dumps(descriptor: dict[str, Any]) -> bytes:
    """The descriptor as written to disk: key order kept, two-space indent, UTF-8."""
    return (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def update_resources(entries: list[dict[str, Any]], path: Path | None = None) -> None:
    """Insert or replace resource entries by name, keeping the order of the others; atomic."""
    path = path or paths.datapackage
    descriptor = read_descriptor(path)
    merge_resources(descriptor, entries)
    atomic.write_bytes(path, dumps(descriptor))


def fingerprint(descriptor: dict[str, Any] | None = None) -> dict[str, str]:
    """Package version and every resource hash: what any result computed from data depends on."""
    descriptor = descriptor or read_descriptor()
    stamp_ = {"version": descriptor.get("version", "unknown")}
    for entry in descriptor.get("resources", []):
        stamp_[entry["name"]] = entry.get("hash", "")
    return stamp_


_BIB_KEY = re.compile(r"^@\w+\s*\{\s*([^,\s]+)\s*,", re.MULTILINE)
# A key that code may write as a citation (``[@key]``): a letter, then letters, digits and
# ``_:-`` only, so a citation cannot carry markup.
# Characters no text value of a data file may hold (CSV or Parquet alike): NUL and the other C0
# controls but tab, line feed and carriage return, and DEL.
CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
CITABLE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_:-]*")


@cache
def _bib_keys_cached(path: Path, mtime_ns: int) -> frozenset[str]:
    return frozenset(_BIB_KEY.findall(files.read_text(path, str(path))))


def bib_keys(path: Path | None = None) -> frozenset[str]:
    """Every citation key defined in references.bib."""
    path = path or paths.references_bib
    return _bib_keys_cached(path, path.stat().st_mtime_ns)
