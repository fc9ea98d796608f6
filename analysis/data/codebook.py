"""The codebook and provenance tables the book prints, read from ``data/datapackage.json``.

The data chapter and the reproducibility appendix show these instead of hand-written lists, so
the book's description of the data can never drift from the descriptor the loaders enforce.
"""

from __future__ import annotations

import platform
from importlib import metadata
from typing import Any

import pandas as pd

from analysis import paths
from analysis.data import datapackage, datasets

# The libraries whose versions decide the numbers the book reports.
REPORTED_PACKAGES = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "ipykernel",
    "pyyaml",
)


def _constraints(field: dict[str, Any]) -> str:
    """A field's constraints as short readable text (enum values, bounds, pattern, keys)."""
    parts = []
    rules = field.get("constraints", {})
    if rules.get("required"):
        parts.append("required")
    if rules.get("unique"):
        parts.append("unique")
    if "enum" in rules:
        parts.append("one of: " + ", ".join(map(str, rules["enum"])))
    if "minimum" in rules:
        parts.append(f"minimum {rules['minimum']}")
    if "maximum" in rules:
        parts.append(f"maximum {rules['maximum']}")
    if "pattern" in rules:
        parts.append(f"pattern {rules['pattern']}")
    if field.get("bibkey"):
        parts.append("keys in references.bib")
    when = field.get("requiredWhen")
    if isinstance(when, dict):
        parts.append(f"required where {when.get('field')} is {' or '.join(when.get('in') or [])}")
    bound = field.get("maximumFrom")
    if isinstance(bound, dict):
        key = ", ".join(f"{a} = {b}" for a, b in (bound.get("key") or {}).items())
        parts.append(
            f"at most {bound.get('resource')}.{bound.get('field')} (matched by {key})"
            + (" where that is above 0" if bound.get("exceptZero") else "")
        )
    return "; ".join(parts)


def _foreign_keys(entry: dict[str, Any]) -> dict[str, str]:
    """Field name -> "resource.field" it must match, from the schema's foreignKeys."""
    out = {}
    for fk in entry.get("schema", {}).get("foreignKeys", []):
        fields = fk.get("fields")
        ref = fk.get("reference", {})
        ref_fields = ref.get("fields")
        fields = [fields] if isinstance(fields, str) else fields or []
        ref_fields = [ref_fields] if isinstance(ref_fields, str) else ref_fields or []
        for name, target in zip(fields, ref_fields, strict=False):
            out[name] = f"{ref.get('resource') or 'self'}.{target}"
    return out


def codebook() -> pd.DataFrame:
    """Every field of every resource: type, meaning, constraints and whether it is synthetic."""
    descriptor = datapackage.read_descriptor()
    rows = []
    for entry in descriptor.get("resources", []):
        schema = entry.get("schema", {})
        keys = schema.get("primaryKey", [])
        keys = [keys] if isinstance(keys, str) else keys
        foreign = _foreign_keys(entry)
        for field in schema.get("fields", []):
            rules = [_constraints(field)]
            if field["name"] in keys:
                rules.insert(0, "primary key")
            if field["name"] in foreign:
                rules.append(f"matches {foreign[field['name']]}")
            rows.append(
                {
                    "resource": entry["name"],
                    "kind": datapackage.kind(entry),
                    "field": field["name"],
                    "type": field.get("type", "string"),
                    "description": field.get("description", ""),
                    "constraints": "; ".join(r for r in rules if r),
                }
            )
    frame = pd.DataFrame(rows)
    frame.attrs["note"] = (
        f"Generated from data/datapackage.json (package version {descriptor.get('version', '?')})."
    )
    return frame


def _data_rows(entry: dict[str, Any]) -> int | None:
    """Data rows of a resource as the loader counts them (None when it does not validate).

    Rows are counted by ``datasets.check``, the project's one CSV reader, so the codebook can
    never disagree with what the analyses read (blank lines, quoted newlines, long fields).
    """
    checked = datasets.check(entry["name"])
    return checked.rows if checked.ok else None


def _sources(entry: dict[str, Any]) -> str:
    """The bibliography keys of a resource's sources: the cells the book cites."""
    return "; ".join(s["bibkey"] for s in _listed(entry) if isinstance(s.get("bibkey"), str))


def _unkeyed(entry: dict[str, Any]) -> list[str]:
    """Titles of a resource's sources that have no bibliography key (a user's crawl): data
    text, shown in the table's note and never read for keys."""
    return [str(s.get("title", "")) for s in _listed(entry) if not isinstance(s.get("bibkey"), str)]


def _listed(entry: dict[str, Any]) -> list[dict[str, Any]]:
    sources = entry.get("sources")
    return [s for s in sources if isinstance(s, dict)] if isinstance(sources, list) else []


def resources() -> pd.DataFrame:
    """One row per data file: what it holds, documented or synthetic, sources, rows and hash.

    The sources column holds bibliography keys only, and the book cites them; a source named
    without a key is listed by its title in the note, as the text it is."""
    descriptor = datapackage.read_descriptor()
    rows = []
    unkeyed = []
    for entry in descriptor.get("resources", []):
        unkeyed += [f"{entry['name']}: {title}" for title in _unkeyed(entry) if title]
        recorded = entry.get("hash", "")
        rows.append(
            {
                "resource": entry["name"],
                "kind": datapackage.kind(entry),
                "title": entry.get("title", ""),
                "file": f"{paths.data.name}/{entry['path']}",
                "rows": _data_rows(entry),
                "sources": _sources(entry),
                "sha256 (first 16)": recorded.removeprefix("sha256:")[:16],
            }
        )
    frame = pd.DataFrame(rows)
    frame["rows"] = frame["rows"].astype("Int64")
    frame.attrs["cite"] = ["sources"]
    frame.attrs["note"] = (
        "Hashes are those recorded in data/datapackage.json; the loader refuses a file whose "
        "content no longer matches its recorded hash."
    )
    if unkeyed:
        frame.attrs["note"] += f" Sources named without a bibliography key: {'; '.join(unkeyed)}."
    return frame


def package() -> dict[str, Any]:
    """The package's name, version and resource counts, for inline use in prose."""
    descriptor = datapackage.read_descriptor()
    entries = descriptor.get("resources", [])
    kinds = [datapackage.kind(e) for e in entries]
    synthetic = [e["name"] for e in entries if datapackage.kind(e) == "synthetic"]
    counts = {k: kinds.count(k) for k in ("documented", "synthetic", "observed")}
    return {
        "name": descriptor.get("name", ""),
        "version": descriptor.get("version", "unknown"),
        "resources": len(entries),
        **counts,
        "kinds_words": _kinds_words(counts),
        "synthetic_names": synthetic,
        "fields": sum(len(e.get("schema", {}).get("fields", [])) for e in entries),
    }


def _kinds_words(counts: dict[str, int]) -> str:
    """ "of which 6 are documented and 2 synthetic" (or "all documented"), for prose."""
    said = [f"{n:d} {kind}" for kind, n in counts.items() if n]
    if len(said) == 1:
        return "all " + said[0].split()[1]
    if not said:
        return "none described"
    head = ", ".join(said[:-1])
    first, _, rest = head.partition(" ")
    return f"of which {first} are {rest} and {said[-1]}"


def environment() -> pd.DataFrame:
    """Python and the versions of the libraries that compute the book's numbers."""
    rows = [{"component": "Python", "version": platform.python_version()}]
    for name in REPORTED_PACKAGES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "not installed"
        rows.append({"component": name, "version": version})
    frame = pd.DataFrame(rows)
    frame.attrs["note"] = "Versions installed from uv.lock in the environment that ran the book."
    return frame
