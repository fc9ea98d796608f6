"""Bringing data into a package: new resource files validated, stamped, versioned and logged.

``add`` takes files for resources the codebook already describes (``accounts``, ``posts`` ...),
stages them in a temporary folder inside the data folder (the other resources hard-linked
beside them), validates the whole staged package with ``datasets`` (the one reader), and only
then swaps the files, the descriptor and the changelog in together (``atomic.write_together``).
Each entry records hash, bytes and rows and what the data are, as the user declares:

- observed: ``"synthetic": false``, no ``generator`` entry, and
  ``"collection": {"source", "period", "sampling"}`` (what ``analysis.book.labels`` shows);
- synthetic: ``"synthetic": true`` and no ``generator`` entry (the files were not drawn by
  ``analysis.data.simulate``, so ``simulate --check`` has nothing to regenerate).

``stamp`` re-records hash, bytes and rows of files edited in place after validating them.

The package version is bumped by the rules of data/CHANGELOG.md: MAJOR when a resource is
removed or a field changes meaning or type (a resource turning from synthetic to observed, or
back, changes what every row means), MINOR when a resource, field or rows are added (more
rows than before), PATCH for corrections that do not change the codebook (same or fewer rows,
values corrected). ``bump`` overrides the choice. A changelog entry is written for the new
version; raw files given by the user are only read, never changed.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis import atomic, paths
from analysis.data import datapackage, datasets, files
from analysis.errors import DataProblem, DataValidationError, UsageError

BUMPS = ("major", "minor", "patch")
_VERSION = re.compile(r"([0-9]+)\.([0-9]+)\.([0-9]+)")  # ASCII digits only


@dataclass
class Declared:
    """What the user says the data are."""

    observed: bool
    source: str = ""
    period: str = ""
    sampling: str = ""
    licence: str = ""

    def problems(self) -> list[str]:
        said = [one_line(f"--{n}", getattr(self, n)) for n in ("source", "period", "sampling")]
        said.append(one_line("--licence", self.licence))
        if self.observed:
            missing = [n for n in ("source", "period", "sampling") if not getattr(self, n).strip()]
            said += [f"--{n} is required with --observed" for n in missing]
        return [p for p in said if p]


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(option: str, value: str) -> str | None:
    """Why ``value`` cannot stand in the descriptor and a changelog line (None: it can): a line
    break would start a heading of its own, a fake version entry in CHANGELOG.md."""
    found = _CONTROL.search(value)
    if found is None:
        return None
    where = f"character {found.start() + 1}"
    return f"{option} must be one line of text, found {found.group()!r} at {where}"


@dataclass
class Change:
    """One resource brought in or restamped."""

    name: str
    path: str
    rows: int
    bytes: int
    hash: str
    kind: str
    previous_kind: str
    previous_rows: int | None


@dataclass
class Outcome:
    """What ``add`` or ``stamp`` did: the changes, the version step and the changelog text."""

    changes: list[Change]
    old_version: str
    new_version: str
    bump: str
    changelog_entry: str
    kept: list[str] = field(default_factory=list)  # files no longer listed, left in place


def bump_version(version: str, part: str) -> str:
    """``1.2.3`` bumped by ``major``/``minor``/``patch`` (pre-release and build dropped)."""
    match = _VERSION.match(version)
    if not match:
        raise UsageError(f"package version {version!r} is not MAJOR.MINOR.PATCH")
    major, minor, patch = map(int, match.groups())
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def bump_for(changes: list[Change]) -> str:
    """The semver step the changelog's rules give for these changes."""
    if any(c.kind != c.previous_kind for c in changes):
        return "major"
    if any(c.previous_rows is None or c.rows > c.previous_rows for c in changes):
        return "minor"
    return "patch"


def changelog_with_entry(text: str, heading: str, body: str) -> str:
    """``text`` with a new ``## heading`` section before the first existing version section."""
    section = f"## {heading}\n\n{body.rstrip()}\n\n"
    match = re.search(r"^## ", text, re.MULTILINE)
    if match is None:
        return text.rstrip() + "\n\n" + section
    return text[: match.start()] + section + text[match.start() :]


def _resource_for(file: Path, descriptor: dict[str, Any], alias: str | None) -> str:
    names = [r["name"] for r in descriptor.get("resources", [])]
    name = alias or file.name.split(".")[0]
    if name not in names:
        raise UsageError(
            f"{file}: no resource {name!r} in the codebook; expected a file named after one of "
            f"{', '.join(names)} (e.g. posts.csv), or --as NAME"
        )
    return name


def collect(sources: list[Path], descriptor: dict[str, Any], alias: str | None) -> dict[str, Path]:
    """Resource name -> file, from files and folders (a folder's *.csv named after resources)."""
    found: dict[str, Path] = {}
    names = {r["name"] for r in descriptor.get("resources", [])}
    for source in sources:
        resolved = source.expanduser().resolve()
        if resolved.is_dir():
            if alias:
                raise UsageError("--as names a single file, not a folder")
            inside = sorted(p for p in resolved.glob("*.csv") if p.name.split(".")[0] in names)
            if not inside:
                raise UsageError(
                    f"{source}: expected CSV files named after resources "
                    f"({', '.join(sorted(names))}), found none"
                )
            pairs = [(p.name.split(".")[0], p) for p in inside]
        else:
            pairs = [(_resource_for(resolved, descriptor, alias), resolved)]
        for name, path in pairs:
            problem = files.regular_file(path, str(path))
            if problem:
                raise UsageError(f"{path}: expected {problem.expected}, found {problem.found}")
            if name in found:
                raise UsageError(f"two files for resource {name!r}: {found[name]} and {path}")
            found[name] = path
    if alias and len(found) > 1:
        raise UsageError("--as names a single file")
    return found


def _new_entry(old: dict[str, Any], declared: Declared, today: str) -> dict[str, Any]:
    entry = copy.deepcopy(old)
    name = entry["name"]
    entry.pop("generator", None)
    entry.pop("collection", None)
    if declared.observed:
        entry["path"] = f"observed/{name}.csv"
        entry["synthetic"] = False
        entry["collection"] = {
            "source": declared.source.strip(),
            "period": declared.period.strip(),
            "sampling": declared.sampling.strip(),
        }
        entry["title"] = f"Observed sample: {name} ({declared.source.strip()})"
        entry["description"] = (
            f"Observed data brought in with `python -m analysis data add` on {today}. Source: "
            f"{declared.source.strip()}. Collected: {declared.period.strip()}. Sampling: "
            f"{declared.sampling.strip()}. The schema is the project's codebook for '{name}'."
        )
        _observed_identifiers(entry)
        entry["sources"] = [{"title": declared.source.strip()}]
        entry["licenses"] = [
            {
                "name": declared.licence.strip() or "source-terms",
                "title": "Terms of the data's source"
                + (f": {declared.source.strip()}" if declared.source.strip() else ""),
            }
        ]
    else:
        entry["synthetic"] = True
        entry["title"] = f"SYNTHETIC {name} brought in with `data add` (not real accounts)"
        entry["description"] = (
            f"SIMULATED DATA, NOT OBSERVATIONS, brought in with `python -m analysis data add` "
            f"on {today}; not drawn by analysis.data.simulate (no generator entry)."
            + (f" Source: {declared.source.strip()}." if declared.source.strip() else "")
        )
        entry["sources"] = [{"title": declared.source.strip() or "simulated data of the user"}]
    return entry


# The bundled sample's identifiers are "SYN-A0001", "SYN-P0000001": the codebook's patterns
# for them say that a synthetic row can never carry a real account's name. Observed rows carry
# the platform's own identifiers, so an observed resource takes a pattern any such id matches.
SYNTHETIC_ID_PREFIX = "SYN-"
OBSERVED_ID_PATTERN = "[A-Za-z0-9_.:-]+"


def _observed_identifiers(entry: dict[str, Any]) -> None:
    """Give every identifier field of ``entry`` (pattern ``SYN-...``) the observed pattern."""
    for spec in entry.get("schema", {}).get("fields", []):
        rules = spec.get("constraints") or {}
        if str(rules.get("pattern", "")).startswith(SYNTHETIC_ID_PREFIX):
            rules["pattern"] = OBSERVED_ID_PATTERN


def _stage(base: Path, keep: list[dict[str, Any]]) -> Path:
    """A temporary package folder inside ``base`` with the kept resources hard-linked in."""
    staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=base))
    for name in ("references.bib", "CHANGELOG.md"):
        if (base / name).is_file():
            shutil.copyfile(base / name, staging / name)
    for entry in keep:
        try:
            source = datapackage.resource_path(entry, base)
        except DataValidationError:
            continue
        if not source.is_file():
            continue
        target = datapackage.resource_path(entry, staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
    return staging


def _validate(staging: Path, names: list[str]) -> list[DataProblem]:
    """Problems of the staged package: every resource (the new ones first), then the package."""
    descriptor = datapackage.read_descriptor(staging / "datapackage.json")
    order = names + [r["name"] for r in descriptor["resources"] if r["name"] not in names]
    found: list[DataProblem] = []
    for name in order:
        found += datasets.check(name, base=staging).problems
    return found + datasets.check_package(staging)


def add(
    incoming: Mapping[str, Path],
    declared: Declared,
    *,
    base: Path | None = None,
    bump: str | None = None,
    note: str = "",
    today: dt.date | None = None,
) -> Outcome:
    """Validate ``incoming`` files as the named resources and bring them into ``base``."""
    base = base or paths.data
    with datapackage.writing(base):  # a second writer waits: no update lost
        descriptor = datapackage.read_descriptor(base / "datapackage.json")
        day = (today or dt.date.today()).isoformat()
        entries = {r["name"]: r for r in descriptor["resources"]}
        new_entries = {n: _new_entry(entries[n], declared, day) for n in incoming}
        previous = {n: datasets.check(n, base=base) for n in incoming}
        staging = _stage(base, [r for r in descriptor["resources"] if r["name"] not in incoming])
        try:
            for name, source in incoming.items():
                target = datapackage.resource_path(new_entries[name], staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                limit = files.limits(new_entries[name])["bytes"]
                files.copy_regular(source, target, str(source), limit)
                datapackage.stamp(new_entries[name], staging)
            return _finish(
                base, staging, descriptor, new_entries, previous, entries, bump, note, day, "add"
            )
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def stamp(
    names: list[str],
    *,
    base: Path | None = None,
    bump: str | None = None,
    note: str = "",
    today: dt.date | None = None,
) -> Outcome:
    """Re-record hash and size of resources whose files changed in place, after validating."""
    base = base or paths.data
    with datapackage.writing(base):  # a second writer waits: no update lost
        descriptor = datapackage.read_descriptor(base / "datapackage.json")
        day = (today or dt.date.today()).isoformat()
        entries = {r["name"]: r for r in descriptor["resources"]}
        unknown = [n for n in names if n not in entries]
        if unknown:
            raise UsageError(f"no resource {unknown[0]!r}; expected one of {', '.join(entries)}")
        new_entries = {n: datapackage.stamp(copy.deepcopy(entries[n]), base) for n in names}
        previous = {n: datasets.check(n, base=base) for n in names}
        staging = _stage(base, descriptor["resources"])
        try:
            return _finish(
                base, staging, descriptor, new_entries, previous, entries, bump, note, day, "stamp"
            )
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _finish(
    base: Path,
    staging: Path,
    descriptor: dict[str, Any],
    new_entries: dict[str, dict[str, Any]],
    previous: dict[str, datasets.Checked],
    entries: dict[str, dict[str, Any]],
    bump: str | None,
    note: str,
    day: str,
    command: str,
) -> Outcome:
    """Validate the staged package, bump, log and swap everything in together."""
    staged = copy.deepcopy(descriptor)
    datapackage.merge_resources(staged, list(new_entries.values()))
    atomic.write_bytes(staging / "datapackage.json", datapackage.dumps(staged))
    for name in new_entries:  # rows as the one reader counts them, recorded with the hash
        checked = datasets.check(name, base=staging)
        if checked.ok:
            new_entries[name]["rows"] = checked.rows
    datapackage.merge_resources(staged, list(new_entries.values()))
    old_version = str(descriptor.get("version", "0.0.0"))
    changes = [
        Change(
            name,
            entry["path"],
            int(entry.get("rows", 0)),
            entry["bytes"],
            entry["hash"],
            datapackage.kind(entry),
            datapackage.kind(entries[name]),
            previous[name].rows if previous[name].frame is not None else entries[name].get("rows"),
        )
        for name, entry in new_entries.items()
    ]
    step = bump or bump_for(changes)
    if step not in BUMPS:
        raise UsageError(f"--bump must be one of {', '.join(BUMPS)}, found {step!r}")
    new_version = bump_version(old_version, step)
    staged["version"] = new_version
    body = _changelog_body(changes, new_entries, step, note, command)
    heading = f"{new_version} — {day}"
    changelog = base / "CHANGELOG.md"
    text = files.read_text(changelog, str(changelog)) if changelog.exists() else "# Changelog\n"
    new_changelog = changelog_with_entry(text, heading, body)
    atomic.write_bytes(staging / "datapackage.json", datapackage.dumps(staged))
    atomic.write_text(staging / "CHANGELOG.md", new_changelog)
    problems = _validate(staging, list(new_entries))
    if problems:
        raise DataValidationError(problems)
    moves = [
        (datapackage.resource_path(e, staging), datapackage.resource_path(e, base))
        for e in new_entries.values()
        if command == "add"
    ]
    atomic.write_together(
        {base / "datapackage.json": datapackage.dumps(staged), changelog: new_changelog.encode()},
        moves,
    )
    kept = [
        entries[n]["path"] for n, e in new_entries.items() if entries[n].get("path") != e["path"]
    ]
    return Outcome(changes, old_version, new_version, step, f"## {heading}\n\n{body}", kept)


def _changelog_body(
    changes: list[Change],
    entries: dict[str, dict[str, Any]],
    step: str,
    note: str,
    command: str,
) -> str:
    why = {
        "major": "a resource changed kind (synthetic/observed), so what its rows mean changed",
        "minor": "rows were added",
        "patch": "values were corrected; the codebook is unchanged",
    }[step]
    lines = [
        f"Recorded with `python -m analysis data {command}` ({step.upper()}: {why}).",
        "",
    ]
    for change in changes:
        entry = entries[change.name]
        what = f"`{change.name}` ({change.rows:,} rows, {change.bytes:,} bytes, `{change.path}`, "
        what += f"{change.hash[:19]}...): {change.kind}"
        if change.kind != change.previous_kind:
            what += f", was {change.previous_kind}"
        collection = entry.get("collection")
        if isinstance(collection, dict):
            what += (
                f"; source: {collection['source']}; collected: {collection['period']}; "
                f"sampling: {collection['sampling']}"
            )
        lines.append(f"- {what}.")
    if note.strip():
        lines += ["", note.strip()]
    return "\n".join(lines)
