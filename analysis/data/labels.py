"""The words that tell a reader where a number comes from, shared by tables, figures and prose.

Kept in the data layer because they describe data: every stage above (topics, build, book) may
import them, so one wording reaches captions, table notes and figure footers alike.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from analysis import paths
from analysis.data import datapackage

SYNTHETIC_NOTE = (
    "Synthetic sample: simulated from the documented data-generating process in "
    "data/simulation.toml; these are not observations of real police accounts."
)
SYNTHETIC_FOOTER = (
    "Synthetic sample: simulated from data/simulation.toml, not observations of real police "
    "accounts."
)


def resource_kind(entry: dict[str, Any]) -> str:
    """What a descriptor resource entry holds: ``"synthetic"``, ``"observed"`` or
    ``"documented"`` (``analysis.data.datapackage.kind``, the one reading of the descriptor's
    labels): the cache key, captions, callouts, the manifest and verdicts use it."""
    return datapackage.kind(entry)


_DESCRIPTORS: dict[tuple[str, int, int, int], dict[str, Any]] = {}


GENERATOR_PARAMETERS = "simulation.toml"  # what the generator draws from: synthetic by nature


def kinds_of(resources: Iterable[str], descriptor: dict[str, Any]) -> dict[str, str]:
    """``{resource: resource_kind}`` for those of ``resources`` the descriptor lists, in order,
    and ``simulation.toml`` as ``"synthetic"``: whatever reads the generator's parameters (the
    power study, the simulation's assumptions) rests on simulated data whatever the sample in
    use; other non-resource names are left out."""
    entries = {r.get("name"): r for r in descriptor.get("resources", []) if isinstance(r, dict)}
    return {
        r: "synthetic" if r == GENERATOR_PARAMETERS else resource_kind(entries[r])
        for r in resources
        if r in entries or r == GENERATOR_PARAMETERS
    }


_COLLECTION_WORDS = (("source", "source:"), ("period", "collected"), ("sampling", "sampling:"))


def collection_text(collection: dict[str, Any], escape: Callable[[str], str] = str) -> str:
    """How an observed sample was collected, in words ("source: …; collected …; sampling: …"),
    each value passed through ``escape``; empty when the descriptor gives no details."""
    return "; ".join(
        f"{label} {escape(str(collection[key]))}"
        for key, label in (
            ("source", "source:"),
            ("period", "collected"),
            ("sampling", "sampling:"),
        )
        if collection.get(key)
    )


def observed_collections(
    kinds: dict[str, str], descriptor: dict[str, Any], escape: Callable[[str], str] = str
) -> list[str]:
    """ "accounts and posts (source: …; collected …; sampling: …)" for the observed resources of
    ``kinds``, those declared alike named together; names and details passed through ``escape``."""
    entries = {r.get("name"): r for r in descriptor.get("resources", []) if isinstance(r, dict)}
    by_details: dict[str, list[str]] = {}
    for resource, kind in kinds.items():
        if kind == "observed":
            said = collection_text(entries[resource].get("collection") or {}, escape)
            by_details.setdefault(said, []).append(escape(resource))
    return [
        " and ".join(names) + (f" ({said})" if said else "") for said, names in by_details.items()
    ]


def table_note(kinds: dict[str, str], descriptor: dict[str, Any]) -> str:
    """The sentence a table note opens with: what kind of sample its numbers come from
    (``kinds`` maps each resource read to ``resource_kind``); empty for documented data only."""
    if "synthetic" in kinds.values():
        return SYNTHETIC_NOTE
    described = observed_collections(kinds, descriptor)
    if not described:
        return ""
    return "Observed sample, as declared in datapackage.json: " + "; ".join(described) + "."


def descriptor(base: Path | None = None) -> dict[str, Any]:
    """The parsed ``datapackage.json`` of the data folder in use (``paths.data``, or ``base``),
    memoised on the file's stat within the process: labels follow it at run time."""
    path = (base or paths.data) / "datapackage.json"
    try:
        stat = os.stat(path)
        memo_key = (str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino)
    except OSError:
        memo_key = (str(path), 0, 0, 0)
    if memo_key not in _DESCRIPTORS:
        _DESCRIPTORS[memo_key] = datapackage.read_descriptor(path)
    return _DESCRIPTORS[memo_key]
