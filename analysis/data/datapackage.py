"""Reading and updating ``data/datapackage.json``, the single source of truth for data.

The descriptor is a Frictionless Data Package. Every resource records its path, sha256 hash,
size, schema (the codebook), sources (keys into references.bib), licence and whether it is
synthetic. Project extensions: ``synthetic`` (bool) and, on synthetic resources, ``generator``
(version, parameter-file hash, seed); on fields, ``bibkey: true`` marks a column of
references.bib keys (several keys separated by ``;``).
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from analysis import atomic, paths
from analysis.errors import DataValidationError


def read_descriptor(path: Path | None = None) -> dict[str, Any]:
    """Return the parsed descriptor; a missing or malformed descriptor is a data error."""
    path = path or paths.datapackage
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataValidationError.single(
            path, "descriptor missing", "a Frictionless datapackage.json", "no file"
        ) from None
    except json.JSONDecodeError as exc:
        raise DataValidationError.single(
            path, "descriptor is not valid JSON", "JSON", f"{exc.msg} at line {exc.lineno}"
        ) from None


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
    """The file a resource entry points at, relative to the descriptor's folder."""
    return (base or paths.data) / entry["path"]


def sha256_bytes(payload: bytes) -> str:
    """Hash in the Frictionless ``sha256:<hex>`` notation."""
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def sha256_file(path: Path) -> str:
    return sha256_bytes(path.read_bytes())


def stamp(entry: dict[str, Any], base: Path | None = None) -> dict[str, Any]:
    """Record the current hash and size of a resource's file in its entry (returns the entry)."""
    payload = resource_path(entry, base).read_bytes()
    entry["hash"] = sha256_bytes(payload)
    entry["bytes"] = len(payload)
    return entry


def update_resources(entries: list[dict[str, Any]], path: Path | None = None) -> None:
    """Insert or replace resource entries by name, keeping the order of the others; atomic."""
    path = path or paths.datapackage
    descriptor = read_descriptor(path)
    resources = descriptor.setdefault("resources", [])
    for entry in entries:
        for i, existing in enumerate(resources):
            if existing.get("name") == entry["name"]:
                resources[i] = entry
                break
        else:
            resources.append(entry)
    atomic.write_json(path, descriptor)


def fingerprint(descriptor: dict[str, Any] | None = None) -> dict[str, str]:
    """Package version and every resource hash: what any result computed from data depends on."""
    descriptor = descriptor or read_descriptor()
    stamp_ = {"version": descriptor.get("version", "unknown")}
    for entry in descriptor.get("resources", []):
        stamp_[entry["name"]] = entry.get("hash", "")
    return stamp_


_BIB_KEY = re.compile(r"^@\w+\s*\{\s*([^,\s]+)\s*,", re.MULTILINE)


@cache
def _bib_keys_cached(path: Path, mtime_ns: int) -> frozenset[str]:
    return frozenset(_BIB_KEY.findall(path.read_text(encoding="utf-8")))


def bib_keys(path: Path | None = None) -> frozenset[str]:
    """Every citation key defined in references.bib."""
    path = path or paths.references_bib
    return _bib_keys_cached(path, path.stat().st_mtime_ns)
