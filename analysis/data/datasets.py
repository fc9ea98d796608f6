"""Validated loading of every data resource, documented or synthetic, through one code path.

``load(name)`` checks the file against its descriptor entry and returns a typed DataFrame:
categoricals for enumerated fields such as region, level and platform, real dates, nullable
integers. ``check(name)`` returns the problems instead of raising, for
``python -m analysis validate``; ``check_package()`` checks what belongs to the whole package.

Checks run in this order, and a resource stops at the first stage that finds a problem, so the
message describes the cause rather than its consequences: the descriptor entry (path, schema),
presence of the file, empty file, UTF-8, columns, types and constraints (required, minimum,
maximum, enum, pattern, unique, references.bib keys, and the project's own ``requiredWhen``: a
field required on the rows where another field holds given values), primary key, foreign keys,
then the recorded sha256 hash and size, and last the entry's metadata (sources, licence,
``synthetic``, field descriptions). The hash comes late on purpose: an edit that breaks the
schema is reported as what it breaks (row, field, expected, found), not only as "file changed".
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from analysis import paths
from analysis.data import datapackage, files
from analysis.errors import DataProblem, DataValidationError

MAX_PROBLEMS_PER_FIELD = 3
TYPES = ("string", "integer", "number", "boolean", "date", "datetime")
_DATE_FORMATS = {"date": "%Y-%m-%d", "datetime": "%Y-%m-%dT%H:%M:%S"}
# Numbers, dates and versions are ASCII: ``\d`` would also match ``١`` or ``１``, which pass the
# shape check and then load as NaN. ``_D`` is the one digit class of every shape below.
_D = "[0-9]"
_DATE_SHAPES = {
    "date": rf"{_D}{{4}}-{_D}{{2}}-{_D}{{2}}",
    "datetime": rf"{_D}{{4}}-{_D}{{2}}-{_D}{{2}}T{_D}{{2}}:{_D}{{2}}:{_D}{{2}}",
}
_DATE_LABELS = {"date": "YYYY-MM-DD", "datetime": "YYYY-MM-DDThh:mm:ss"}
_INTEGER = rf"[+-]?{_D}+"
_NUMBER = rf"[+-]?(?:{_D}+(?:\.{_D}*)?|\.{_D}+)(?:[eE][+-]?{_D}+)?"
_NUMBER_OR_NON_FINITE = rf"(?:{_NUMBER}|[+-]?(?i:inf|infinity|nan))"
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_SHA256 = re.compile(r"sha256:[0-9a-f]{64}")
_SEMVER = re.compile(rf"{_D}+\.{_D}+\.{_D}+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")


@dataclass
class Checked:
    """The outcome of checking one resource: the typed frame (if parseable) and its problems."""

    name: str
    file: str
    frame: pd.DataFrame | None
    problems: list[DataProblem] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


_memo: dict[tuple[Any, ...], pd.DataFrame] = {}


def load(name: str, *, base: Path | None = None) -> pd.DataFrame:
    """Return resource ``name`` as a typed DataFrame after verifying its hash and schema.

    Raises DataValidationError naming the file, row, field, expectation and finding.
    """
    checked = check(name, base=base)
    if not checked.ok:
        raise DataValidationError(checked.problems)
    if checked.frame is None:  # a Parquet resource is validated streaming and read on demand
        from analysis.data import parquet

        base = base or paths.data
        entry = datapackage.resource(datapackage.read_descriptor(base / "datapackage.json"), name)
        return parquet.read(datapackage.resource_path(entry, base), entry)
    return checked.frame.copy(deep=False)


def check(
    name: str, *, base: Path | None = None, _seen: tuple[str, ...] = (), reuse: bool = False
) -> Checked:
    """Check one resource against the descriptor in ``base`` (default: the project's data/).
    ``reuse``: a Parquet resource found valid before, with the same bytes, entry, foreign-key
    targets and checking code, is not read again (analysis.data.parquet.check)."""
    base = base or paths.data
    descriptor_file = base / "datapackage.json"
    descriptor = datapackage.read_descriptor(descriptor_file)
    entry = datapackage.resource(descriptor, name)
    structure = _check_structure(entry, _display(descriptor_file))
    if structure:
        return Checked(name, _display(descriptor_file), None, structure)
    where = f"{_display(descriptor_file)} (resource '{name}')"
    file, refused = files.confined(base, entry["path"], where)
    if refused is not None or file is None:
        return Checked(name, where, None, [refused] if refused else [])
    label = _display(file)
    # A package folder may carry its own references.bib, or have one beside it; else the repo's.
    bib_file = next(
        (b for b in (base / "references.bib", base.parent / "references.bib") if b.is_file()),
        paths.references_bib,
    )
    if entry.get("format") == "parquet":  # streamed, never read whole: analysis.data.parquet
        from analysis.data import parquet

        rows, problems, (digest, size) = parquet.check(
            entry,
            file,
            label,
            lambda target: check(target, base=base, _seen=(*_seen, name)),
            reuse=reuse,
        )
        if not problems:
            problems += _check_hash(entry, label, digest, size)
        if not problems:
            problems += _check_metadata(entry, _display(descriptor_file), bib_file)
        return Checked(name, label, None, problems, rows)
    raw, problems = files.read_bounded(file, label, files.limits(entry))
    if raw is None:
        return Checked(name, label, None, problems)
    digest = datapackage.sha256_bytes(raw)
    key = _memo_key(file, digest, descriptor, bib_file, base)
    if key in _memo:
        frame = _memo[key]
        return Checked(name, label, frame, [], len(frame))

    frame, problems = _parse(raw, entry, label, bib_file)
    if frame is not None and not problems:
        problems += _check_foreign_keys(frame, entry, label, base, (*_seen, name))
    if frame is not None and not problems:
        problems += _check_bounds_from(frame, entry, label, base, (*_seen, name))
    if not problems:
        problems += _check_hash(entry, label, digest, len(raw))
    if not problems:
        problems += _check_metadata(entry, _display(descriptor_file), bib_file)
    if frame is not None and not problems:
        _memo[key] = frame
    return Checked(name, label, frame, problems, 0 if frame is None else len(frame))


def check_all(base: Path | None = None) -> list[Checked]:
    """Check every resource in the package, in descriptor order."""
    base = base or paths.data
    descriptor = datapackage.read_descriptor(base / "datapackage.json")
    return [check(entry["name"], base=base) for entry in descriptor.get("resources", [])]


def check_package(base: Path | None = None) -> list[DataProblem]:
    """Package-level checks: semver version with a CHANGELOG entry, unique names and paths."""
    base = base or paths.data
    descriptor_file = base / "datapackage.json"
    label = _display(descriptor_file)
    descriptor = datapackage.read_descriptor(descriptor_file)
    problems: list[DataProblem] = []
    version = str(descriptor.get("version", ""))
    if not _SEMVER.fullmatch(version):
        problems.append(
            DataProblem(label, "package version is not semver", "MAJOR.MINOR.PATCH", repr(version))
        )
    changelog = base / "CHANGELOG.md"
    if not changelog.exists():
        problems.append(
            DataProblem(_display(changelog), "file missing", "a CHANGELOG of the data", "no file")
        )
    elif version and not _has_heading(_changelog_text(changelog, problems), version):
        problems.append(
            DataProblem(
                _display(changelog),
                "no entry for the package version",
                f"a heading '## {version}'",
                "none",
            )
        )
    for what in ("name", "path"):
        values = [str(r.get(what)) for r in descriptor.get("resources", [])]
        for value in sorted({v for v in values if values.count(v) > 1}):
            problems.append(
                DataProblem(label, f"duplicate resource {what}", f"unique {what}s", value)
            )
    return problems


def _has_heading(text: str | None, version: str) -> bool:
    """Whether the changelog has a heading for ``version`` (an unreadable one: said already)."""
    heading = rf"^#+\s*\[?{re.escape(version)}\]?(?:\s|$)"
    return text is None or re.search(heading, text, re.MULTILINE) is not None


def _changelog_text(changelog: Path, problems: list[DataProblem]) -> str | None:
    """CHANGELOG.md through the bounded reader; what refuses it joins ``problems`` (None)."""
    try:
        return files.read_text(changelog, _display(changelog))
    except DataValidationError as exc:
        problems += exc.problems
        return None


def _display(file: Path) -> str:
    try:
        return str(file.relative_to(paths.root))
    except ValueError:
        return str(file)


def _memo_key(
    file: Path, digest: str, descriptor: dict[str, Any], bib_file: Path, base: Path
) -> tuple[Any, ...]:
    """What a memoised result depends on: file content, descriptor, references.bib, FK targets.

    The key holds content, not the folder, so an unchanged file in a copy of the package (tests,
    a reviewer's checkout) is not parsed twice in one process.
    """
    described = hashlib.sha256(json.dumps(descriptor, sort_keys=True).encode()).hexdigest()
    bib = _hash_or(bib_file, "none")
    resources = [r for r in descriptor.get("resources", []) if isinstance(r.get("path"), str)]
    by_path = {str(datapackage.resource_path(r, base)): r for r in resources}
    own = by_path.get(str(file))
    entry_path = own.get("path") if own else str(file)
    todo, targets = [own], {}
    while todo:
        entry = todo.pop()
        for fk in (entry or {}).get("schema", {}).get("foreignKeys", []):
            name = fk.get("reference", {}).get("resource")
            if name and name not in targets:
                referenced = next((r for r in resources if r.get("name") == name), None)
                target = datapackage.resource_path(referenced, base) if referenced else None
                targets[name] = _hash_or(target, "missing", referenced)
                todo.append(referenced)
    return (
        entry_path,
        digest,
        described,
        bib,
        tuple(sorted(targets.items())),
    )


def _hash_or(path: Path | None, absent: str, entry: dict[str, Any] | None = None) -> str:
    """The streamed hash of a file within its limit, else why not (absent, refused): a key part
    that never reads a pipe, a device or an oversized file."""
    if path is None or not path.exists():
        return absent
    try:
        return files.sha256_file(path, str(path), files.limits(entry or {})["bytes"])
    except DataValidationError as exc:
        return f"refused: {exc.problems[0].problem}"


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _check_structure(entry: dict[str, Any], label: str) -> list[DataProblem]:
    """The entry's properties have the types the checks rely on, each problem located."""
    where = f"{label} (resource '{entry.get('name')}')"
    problems: list[DataProblem] = []

    def wrong(prop: str, expected: str, value: Any, field: str | None = None) -> None:
        problems.append(
            DataProblem(
                where,
                f"property '{prop}' has the wrong type",
                expected,
                f"{_short(repr(value))} ({_type_name(value)})",
                field=field,
            )
        )

    if not isinstance(entry.get("path"), str):
        if "path" not in entry:
            return [DataProblem(where, "resource has no path", "a relative file path", "none")]
        wrong("path", "a relative file path (text)", entry.get("path"))
        return problems
    schema = entry.get("schema")
    if not isinstance(schema, dict):
        wrong("schema", "an object with fields", schema)
        return problems
    fields = schema.get("fields")
    if not isinstance(fields, list) or not fields:
        return [DataProblem(where, "resource has no schema fields", "schema.fields", "none")]
    names: list[str] = []
    for spec in fields:
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            problems.append(
                DataProblem(where, "field without a name", "a name", _short(repr(spec)))
            )
            continue
        name = spec["name"]
        if name in names:
            problems.append(DataProblem(where, "duplicate field name", "unique names", name))
        names.append(name)
        if spec.get("type", "string") not in TYPES:
            problems.append(
                DataProblem(
                    where,
                    "unsupported field type",
                    "one of " + ", ".join(TYPES),
                    _short(repr(spec.get("type"))),
                    field=name,
                )
            )
        for prop in ("description",):
            if prop in spec and not isinstance(spec[prop], str):
                wrong(prop, "text", spec[prop], name)
        for prop in ("bibkey", "nonFinite"):
            if prop in spec and not isinstance(spec[prop], bool):
                wrong(prop, "true or false", spec[prop], name)
        rules = spec.get("constraints", {})
        if not isinstance(rules, dict):
            wrong("constraints", "an object", rules, name)
            continue
        for prop in ("required", "unique"):
            if prop in rules and not isinstance(rules[prop], bool):
                wrong(f"constraints.{prop}", "true or false", rules[prop], name)
        for prop in ("minimum", "maximum"):
            value = rules.get(prop)
            if prop not in rules:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                wrong(f"constraints.{prop}", "a number", value, name)
            elif spec.get("type", "string") not in ("integer", "number"):
                problems.append(
                    DataProblem(
                        where,
                        f"constraints.{prop} on a {spec.get('type', 'string')} field",
                        f"{prop} only on integer or number fields",
                        _short(repr(value)),
                        field=name,
                    )
                )
        if "enum" in rules and (
            not isinstance(rules["enum"], list)
            or not all(isinstance(v, str | int | float) for v in rules["enum"])
        ):
            wrong("constraints.enum", "a list of values", rules["enum"], name)
        elif "enum" in rules and len(set(map(str, rules["enum"]))) != len(rules["enum"]):
            seen = [str(v) for v in rules["enum"]]
            twice = sorted({v for v in seen if seen.count(v) > 1})
            problems.append(
                DataProblem(
                    where,
                    "constraints.enum lists a value twice",
                    "each category once",
                    _short(", ".join(twice)),
                    field=name,
                )
            )
        if "pattern" in rules:
            refused = files.check_pattern(rules["pattern"])
            if refused:
                problems.append(
                    DataProblem(
                        where,
                        "schema pattern refused",
                        "a regular expression in the safe subset",
                        f"{_short(repr(rules['pattern']))}: {refused}",
                        field=name,
                    )
                )
        if "maximumFrom" in spec:
            problems += _check_bound_spec(spec["maximumFrom"], where, name)
    for spec in fields:
        if isinstance(spec, dict) and isinstance(spec.get("name"), str) and "requiredWhen" in spec:
            problems += _check_required_when_spec(spec["requiredWhen"], names, where, spec["name"])
    problems += _check_keys_structure(schema, names, where)
    for prop, kind, expected in (
        ("hash", str, "text 'sha256:<hex>'"),
        ("limits", dict, "an object {bytes, lineBytes}"),
        ("collection", dict, "an object {source, period, sampling}"),
        ("generator", dict, "an object"),
        ("sources", list, "a list"),
        ("licenses", list, "a list"),
    ):
        if prop in entry and not isinstance(entry[prop], kind):
            wrong(prop, expected, entry[prop])
    if "bytes" in entry and (
        isinstance(entry["bytes"], bool) or not isinstance(entry["bytes"], int)
    ):
        wrong("bytes", "an integer", entry["bytes"])
    if isinstance(entry.get("hash"), str) and not _SHA256.fullmatch(entry["hash"]):
        problems.append(
            DataProblem(
                where,
                "unsupported hash",
                "sha256:<64 hex digits> (the one algorithm recorded; `data stamp` writes it)",
                _short(repr(entry["hash"])),
            )
        )
    for i, source in enumerate(
        entry.get("sources") or [] if isinstance(entry.get("sources"), list) else []
    ):
        if not isinstance(source, dict):
            wrong(f"sources[{i}]", "an object {title, bibkey}", source)
        elif "bibkey" in source and not isinstance(source["bibkey"], str):
            wrong(f"sources[{i}].bibkey", "one references.bib key (text)", source["bibkey"])
    for key, value in (
        (entry.get("limits") or {}).items() if isinstance(entry.get("limits"), dict) else ()
    ):
        if key not in files.DEFAULT_LIMITS:
            problems.append(
                DataProblem(where, "unknown limit", "bytes or lineBytes", _short(repr(key)))
            )
        elif isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            wrong(f"limits.{key}", "a positive integer", value)
    return problems


def _check_bound_spec(spec: Any, where: str, name: str) -> list[DataProblem]:
    expected = "an object {resource, field, key: {local: remote}, exceptZero}"
    ok = (
        isinstance(spec, dict)
        and isinstance(spec.get("resource"), str)
        and isinstance(spec.get("field"), str)
        and isinstance(spec.get("key"), dict)
        and len(spec["key"]) == 1
        and all(isinstance(k, str) and isinstance(v, str) for k, v in spec["key"].items())
        and isinstance(spec.get("exceptZero", False), bool)
    )
    if ok:
        return []
    return [
        DataProblem(
            where,
            "property 'maximumFrom' has the wrong shape",
            expected,
            _short(repr(spec)),
            field=name,
        )
    ]


def _check_required_when_spec(
    spec: Any, names: list[str], where: str, name: str
) -> list[DataProblem]:
    """``requiredWhen`` is ``{"field": <another field of the schema>, "in": [values]}``."""
    ok = (
        isinstance(spec, dict)
        and set(spec) == {"field", "in"}
        and isinstance(spec["field"], str)
        and spec["field"] in names
        and spec["field"] != name
        and isinstance(spec["in"], list)
        and bool(spec["in"])
        and all(isinstance(v, str) for v in spec["in"])
    )
    if ok:
        return []
    return [
        DataProblem(
            where,
            "property 'requiredWhen' has the wrong shape",
            "an object {field: another field of the schema, in: [values of that field]}",
            _short(repr(spec)),
            field=name,
        )
    ]


def _check_keys_structure(
    schema: dict[str, Any], names: list[str], where: str
) -> list[DataProblem]:
    """primaryKey and foreignKeys name fields of the schema, in the Frictionless shapes."""
    problems = []

    def field_list(value: Any) -> list[str] | None:
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return value
        return None

    if "primaryKey" in schema:
        keys = field_list(schema["primaryKey"])
        if keys is None:
            problems.append(
                DataProblem(
                    where,
                    "property 'primaryKey' has the wrong type",
                    "a field name or list of field names",
                    _short(repr(schema["primaryKey"])),
                )
            )
        else:
            for key in keys:
                if key not in names:
                    problems.append(
                        DataProblem(where, "primary key names no field", "a schema field", key)
                    )
    foreign = schema.get("foreignKeys", [])
    if not isinstance(foreign, list):
        return [
            *problems,
            DataProblem(
                where,
                "property 'foreignKeys' has the wrong type",
                "a list",
                _short(repr(foreign)),
            ),
        ]
    for fk in foreign:
        reference = fk.get("reference") if isinstance(fk, dict) else None
        local = field_list(fk.get("fields")) if isinstance(fk, dict) else None
        remote = field_list(reference.get("fields")) if isinstance(reference, dict) else None
        resource = reference.get("resource", "") if isinstance(reference, dict) else None
        if local is None or remote is None or not isinstance(resource, str):
            problems.append(
                DataProblem(
                    where,
                    "foreign key has the wrong shape",
                    "{fields, reference: {resource, fields}}",
                    _short(repr(fk)),
                )
            )
        elif len(local) != len(remote) or any(f not in names for f in local):
            problems.append(
                DataProblem(
                    where,
                    "foreign key fields do not match the schema",
                    "as many local fields (all in the schema) as referenced ones",
                    f"{local} -> {remote}",
                )
            )
    return problems


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _header(text: str) -> list[str] | None:
    """The header record, read as pandas will (leading blank lines skipped); None if malformed."""
    try:
        for record in csv.reader(io.StringIO(text)):
            if record:
                return record
    except csv.Error:
        return None
    return []


def _parse(
    raw: bytes, entry: dict[str, Any], label: str, bib_file: Path
) -> tuple[pd.DataFrame | None, list[DataProblem]]:
    """Parse and type-check CSV bytes: the one CSV reader of the project."""
    if not raw.strip():
        return None, [DataProblem(label, "empty file", "a header row and data rows", "0 rows")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        found = f"byte 0x{raw[exc.start]:02x} at line {line}"
        return None, [
            DataProblem(label, "file is not UTF-8", "UTF-8 text", found, row=line - 1 or None)
        ]
    text = text.removeprefix("\ufeff")
    fields = entry["schema"]["fields"]
    expected = [f["name"] for f in fields]
    # The header is compared before pandas sees it: pandas renames duplicate column names in
    # time quadratic in their number, so a long line of commas would stall it.
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    commas = first_line.count(",")
    if commas > 4 * len(expected) + 100:  # far too many to be the header: not parsed at all
        return None, [
            DataProblem(
                label,
                "columns differ from the schema",
                f"{len(expected)} columns " + ", ".join(expected),
                f"a first line of {commas + 1:,} comma-separated values",
            )
        ]
    header = _header(text)
    if header is None:
        return None, [DataProblem(label, "malformed CSV header", "one header row", "unreadable")]
    if header != expected:
        return None, [_column_problem(label, expected, header)]
    counted = _field_counts(text, len(expected), label)
    if counted:
        return None, counted
    try:
        table = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, na_values=[], engine="c"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        message = _short(str(exc).strip(), 200)
        line = re.search(r"line (\d+)", message)
        row = int(line.group(1)) - 1 if line else None
        return None, [
            DataProblem(label, "malformed CSV", "one value per column", message, row=row or None)
        ]

    found = list(table.columns)
    if found != expected:
        return None, [_column_problem(label, expected, found)]
    if len(table) == 0:
        return None, [DataProblem(label, "empty file", "at least one data row", "a header only")]
    short = table.isna().any(axis=1).to_numpy()
    if short.any():
        row = int(np.flatnonzero(short)[0]) + 1
        return None, [
            DataProblem(
                label, "row has too few values", f"{len(expected)} values", "fewer", row=row
            )
        ]
    problems: list[DataProblem] = []
    for name in expected:
        column = table[name]
        control = column.str.contains(datapackage.CONTROL_CHARACTERS, regex=True).to_numpy(bool)
        if control.any():
            problems += _bad(
                label,
                control,
                table[name],
                name,
                "control character in text",
                "printable text (no NUL or other control characters)",
            )
    if problems:
        return None, problems

    bib: frozenset[str] | None = None
    if any(spec.get("bibkey") for spec in fields):
        if not bib_file.exists():
            return None, [
                DataProblem(
                    _display(bib_file), "file missing", "references.bib beside data/", "no file"
                )
            ]
        bib = datapackage.bib_keys(bib_file)
    columns: dict[str, Any] = {}
    for spec in fields:
        column, field_problems = _convert(table[spec["name"]], spec, label, bib)
        columns[spec["name"]] = column
        problems += field_problems
    if problems:
        return None, problems
    frame = pd.DataFrame(columns)
    problems += _check_unique_fields(frame, table, fields, label)
    problems += _check_required_when(frame, fields, label)
    problems += _check_primary_key(frame, entry, label)
    return frame, problems


def _check_unique_fields(
    frame: pd.DataFrame, table: pd.DataFrame, fields: list[dict[str, Any]], label: str
) -> list[DataProblem]:
    """Fields declared unique, compared as typed values once every value has its type (as the
    Parquet reader compares them, after its row checks), shown as the file's text."""
    problems: list[DataProblem] = []
    for spec in fields:
        if spec.get("constraints", {}).get("unique"):
            values = frame[spec["name"]]
            dup = (values.notna() & values.duplicated(keep="first")).to_numpy(dtype=bool)
            problems += _bad(
                label, dup, table[spec["name"]], spec["name"], "duplicate value", "unique values"
            )
    return problems


def _check_required_when(
    frame: pd.DataFrame, fields: list[dict[str, Any]], label: str
) -> list[DataProblem]:
    """Fields required only on some rows (``requiredWhen``): a value must be present where
    the other field holds one of the listed values (a ranking named where a row records a
    place in it). Frictionless has no such constraint; the property is the project's own."""
    problems: list[DataProblem] = []
    for spec in fields:
        rule = spec.get("requiredWhen")
        if not rule:
            continue
        other = frame[rule["field"]].astype("string")
        wanted = rule["in"]
        missing = (other.isin(wanted) & frame[spec["name"]].isna()).fillna(False)
        problems += _bad(
            label,
            missing.to_numpy(dtype=bool),
            "empty (" + rule["field"] + " = " + other.fillna("") + ")",
            spec["name"],
            "missing value",
            f"a value where {rule['field']} is {' or '.join(wanted)}",
            shown=True,
        )
    return problems


def _field_counts(text: str, width: int, label: str) -> list[DataProblem]:
    """Rows with too few or too many values, located (pandas pads short rows silently).

    pyarrow's CSV reader counts the values of every record (quoted newlines and blank lines
    handled as pandas does) and hands each wrong one to a handler, without building columns.
    """
    found: list[tuple[int, int]] = []

    def wrong(row: Any) -> str:
        if len(found) < MAX_PROBLEMS_PER_FIELD:
            found.append((int(row.number or 0) - 1, int(row.actual_columns)))
        return "skip"

    try:
        pa_csv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pa_csv.ReadOptions(
                use_threads=False, column_names=[str(i) for i in range(width)], skip_rows=1
            ),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=wrong),
            convert_options=pa_csv.ConvertOptions(
                column_types={str(i): pa.string() for i in range(width)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return []  # malformed beyond counting: pandas reports it, located where it can
    return [
        DataProblem(
            label,
            "row has too few values" if count < width else "row has too many values",
            f"{width} values",
            f"{count} values",
            row=row if row > 0 else None,
        )
        for row, count in found
    ]


def _column_problem(label: str, expected: list[str], found: list[str]) -> DataProblem:
    """Name the missing and unexpected columns (a few of each); a lone odd one is the field."""
    wanted, present = set(expected), set(found)
    missing = [c for c in expected if c not in present]
    extra = list(dict.fromkeys(c for c in found if c not in wanted))
    if not missing and not extra:
        if len(found) != len(expected):
            return DataProblem(
                label,
                "duplicate column names",
                f"{len(expected)} columns " + ", ".join(expected),
                f"{len(found)} columns",
            )
        return DataProblem(label, "columns out of order", ", ".join(expected), ", ".join(found))
    parts = []
    if missing:
        parts.append(f"missing column {_names(missing)}")
    if extra:
        parts.append(f"unexpected column {_names(extra)}")
    odd = missing + extra
    return DataProblem(
        label,
        "columns differ from the schema",
        "columns " + ", ".join(expected),
        "; ".join(parts),
        field=odd[0] if len(odd) == 1 else None,
    )


def _names(names: list[str], shown: int = 5) -> str:
    text = ", ".join(
        _short(repr(n) if not n or not n.isprintable() else n, 40) for n in names[:shown]
    )
    return text + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _bad(
    label: str,
    mask: np.ndarray,
    values: pd.Series,
    field_name: str,
    problem: str,
    expected: str,
    *,
    shown: bool = False,
) -> list[DataProblem]:
    """One problem per offending row, up to a few per field (``shown``: values already text)."""
    rows = np.flatnonzero(mask)[:MAX_PROBLEMS_PER_FIELD]
    return [
        DataProblem(
            label,
            problem,
            expected,
            str(values.iloc[i]) if shown else _short(repr(values.iloc[i])),
            row=int(i) + 1,
            field=field_name,
        )
        for i in rows
    ]


def _shape(text: pd.Series, pattern: str, missing: np.ndarray) -> np.ndarray:
    """True where a present value does not have the textual shape of its type."""
    return ~missing & ~text.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)


def _convert(
    text: pd.Series, spec: dict[str, Any], label: str, bib: frozenset[str] | None
) -> tuple[Any, list[DataProblem]]:
    """Convert one text column to its schema type and check its constraints.

    As the Parquet reader does (analysis.data.parquet), each row is judged on its own: a
    missing value breaks only ``required``, and a value of the wrong type only its type, so the
    constraints are checked on every other row and both readers report the same problems."""
    name, kind = spec["name"], spec.get("type", "string")
    constraints = spec.get("constraints", {})
    missing = (text == "").to_numpy()
    problems: list[DataProblem] = []
    if constraints.get("required") and missing.any():
        problems += _bad(label, missing, text, name, "required value missing", "a value")
    unusable = np.zeros(len(text), dtype=bool)  # rows whose value is not of the field's type

    if kind == "integer":
        bad = _shape(text, _INTEGER, missing)
        problems += _bad(label, bad, text, name, "wrong type", "an integer")
        huge = _beyond_int64(text, missing | bad)
        problems += _bad(
            label,
            huge,
            text,
            name,
            "integer out of range",
            f"an integer in [{_INT64_MIN}, {_INT64_MAX}]",
        )
        unusable = bad | huge
        column: Any = pd.to_numeric(text.where(~missing & ~unusable), errors="coerce").astype(
            "Int64"
        )
        if not (missing | unusable).any():
            column = column.astype("int64")
    elif kind == "number":
        non_finite_allowed = spec.get("nonFinite") is True
        shape = _NUMBER_OR_NON_FINITE if non_finite_allowed else _NUMBER
        unusable = _shape(text, shape, missing)
        problems += _bad(label, unusable, text, name, "wrong type", "a number")
        column = pd.to_numeric(
            text.where(~missing & ~unusable).str.lower().str.replace("infinity", "inf"),
            errors="coerce",
        ).astype("float64")
        if not non_finite_allowed:
            infinite = (
                ~missing & ~unusable & ~np.isfinite(column.to_numpy(dtype=float, na_value=0.0))
            )
            problems += _bad(
                label,
                infinite,
                text,
                name,
                "number out of range",
                "a finite number (the schema does not allow non-finite values)",
            )
            unusable = unusable | infinite
    elif kind == "boolean":
        lowered = text.str.lower()
        unusable = ~missing & ~lowered.isin(["true", "false"]).to_numpy()
        problems += _bad(label, unusable, text, name, "wrong type", "true or false")
        column = lowered.eq("true")
        if missing.any():
            column = column.astype("boolean").mask(missing)
    elif kind in _DATE_FORMATS:
        malformed = _shape(text, _DATE_SHAPES[kind], missing)
        column = pd.to_datetime(
            text.where(~missing & ~malformed), format=_DATE_FORMATS[kind], errors="coerce"
        )
        impossible = ~missing & ~malformed & column.isna().to_numpy()
        expected = f"a {_DATE_LABELS[kind]} {kind}"
        problems += _bad(label, malformed, text, name, f"malformed {kind}", expected)
        problems += _bad(
            label, impossible, text, name, f"impossible {kind}", f"a real calendar {kind}"
        )
        unusable = malformed | impossible
    else:
        column = text.where(~missing, None) if missing.any() else text.copy()

    present = ~missing & ~unusable
    if "minimum" in constraints:
        low = present & (column < constraints["minimum"]).fillna(False).to_numpy(dtype=bool)
        problems += _bad(
            label, low, text, name, "value out of range", f">= {constraints['minimum']}"
        )
    if "maximum" in constraints:
        high = present & (column > constraints["maximum"]).fillna(False).to_numpy(dtype=bool)
        problems += _bad(
            label, high, text, name, "value out of range", f"<= {constraints['maximum']}"
        )
    if "enum" in constraints:
        allowed = constraints["enum"]
        unknown = present & ~text.isin([str(v) for v in allowed]).to_numpy()
        problems += _bad(
            label, unknown, text, name, "unknown category", "one of " + ", ".join(map(str, allowed))
        )
        if not unknown.any() and kind == "string":
            column = pd.Categorical(column, categories=allowed)
    if "pattern" in constraints:
        mismatch = _shape(text, constraints["pattern"], missing) & ~unusable
        problems += _bad(
            label, mismatch, text, name, "value does not match pattern", constraints["pattern"]
        )
    if spec.get("bibkey") and bib is not None:
        unknown_keys = pd.Series(
            [";".join(k.strip() for k in v.split(";") if k.strip() not in bib) for v in text],
            index=text.index,
            dtype=object,
        )
        problems += _bad(
            label,
            present & (unknown_keys != "").to_numpy(),
            unknown_keys,
            name,
            "source key not in references.bib",
            "keys defined in references.bib (';'-separated)",
        )
    return column, problems


def _beyond_int64(text: pd.Series, skip: np.ndarray) -> np.ndarray:
    """True where an integer-shaped value does not fit in 64 bits (checked exactly, few rows)."""
    digits = text.str.lstrip("+-").str.lstrip("0").str.len().to_numpy()
    out = ~skip & (digits >= 19)
    for i in np.flatnonzero(out):
        out[i] = not _INT64_MIN <= int(text.iloc[i]) <= _INT64_MAX
    return out


def _check_bounds_from(
    frame: pd.DataFrame, entry: dict[str, Any], label: str, base: Path, seen: tuple[str, ...]
) -> list[DataProblem]:
    """Fields bounded by a value of another resource (``maximumFrom``), matched by a key.

    ``{"resource": "provinces", "field": "prefecture_divisions_2013",
    "key": {"province_code": "adcode"}, "exceptZero": true}`` requires each value to be at
    most the referenced one; ``exceptZero`` skips rows whose bound is 0 (no such level).
    Run after the foreign keys, so every key is known.
    """
    problems: list[DataProblem] = []
    for spec in entry["schema"]["fields"]:
        bound = spec.get("maximumFrom")
        if not bound:
            continue
        ((local, remote),) = bound["key"].items()
        target = bound["resource"]
        checked = check(target, base=base, _seen=seen) if target not in seen else None
        if checked is None or checked.frame is None or not checked.ok:
            problems.append(
                DataProblem(
                    label,
                    f"bound resource '{target}' is invalid",
                    "a valid resource",
                    str(checked.problems[0]) if checked and checked.problems else "no data",
                    field=spec["name"],
                )
            )
            continue
        table = checked.frame
        if local not in frame or remote not in table or bound["field"] not in table:
            problems.append(
                DataProblem(
                    label,
                    "maximumFrom names unknown fields",
                    f"{local} here, {remote} and {bound['field']} in {target}",
                    "missing",
                    field=spec["name"],
                )
            )
            continue
        limits_by_key = dict(zip(table[remote].astype(str), table[bound["field"]], strict=True))
        keys = frame[local].astype(str)
        limit = keys.map(limits_by_key).astype("Float64")
        values = frame[spec["name"]].astype("Float64")
        active = limit.notna() & values.notna()
        if bound.get("exceptZero"):
            active &= limit != 0
        above = (active & (values > limit)).fillna(False).to_numpy(dtype=bool)
        for i in np.flatnonzero(above)[:MAX_PROBLEMS_PER_FIELD]:
            problems.append(
                DataProblem(
                    label,
                    "value above its bound in another resource",
                    f"<= {float(limit.iloc[i]):g} ({target}.{bound['field']} "
                    f"where {remote} = {keys.iloc[i]})",
                    str(frame[spec["name"]].iloc[i]),
                    row=int(i) + 1,
                    field=spec["name"],
                )
            )
    return problems


def _key_fields(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _check_primary_key(frame: pd.DataFrame, entry: dict[str, Any], label: str) -> list[DataProblem]:
    key = entry["schema"].get("primaryKey")
    if not key:
        return []
    key = _key_fields(key)
    dup = frame.duplicated(subset=key, keep="first").to_numpy()
    keys = _joined(frame, key).str.replace("\x1f", "/")
    return _bad(label, dup, keys, "+".join(key), "duplicate primary key", "unique key values")


def _joined(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Key values as text (several columns joined by a unit separator), vectorised."""
    parts = [frame[c].astype("string").fillna("") for c in columns]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + "\x1f" + part
    return joined


def _check_foreign_keys(
    frame: pd.DataFrame, entry: dict[str, Any], label: str, base: Path, seen: tuple[str, ...]
) -> list[DataProblem]:
    """Every non-empty local key must appear in the referenced resource (self when empty)."""
    problems: list[DataProblem] = []
    for fk in entry["schema"].get("foreignKeys", []):
        local = _key_fields(fk["fields"])
        remote = _key_fields(fk["reference"]["fields"])
        target = fk["reference"].get("resource") or entry["name"]
        if target == entry["name"]:
            referenced = frame
        elif target in seen:
            continue
        else:
            try:
                checked = check(target, base=base, _seen=seen)
            except DataValidationError as exc:
                problems.append(
                    DataProblem(
                        label,
                        "foreign key names an unknown resource",
                        "a resource of the package",
                        f"{target!r} ({exc.problems[0].expected})",
                    )
                )
                continue
            if checked.frame is None or not checked.ok:
                root = checked.problems[0] if checked.problems else None
                nested = root is not None and root.problem.startswith("foreign key target")
                found = root.found if nested else str(root or "no data")
                problems.append(
                    DataProblem(
                        label,
                        f"foreign key target '{target}' is invalid",
                        "a valid resource",
                        found,
                    )
                )
                continue
            referenced = checked.frame
        unknown_fields = [f for f in remote if f not in referenced.columns]
        if unknown_fields:
            problems.append(
                DataProblem(
                    label,
                    f"foreign key names fields {target} does not have",
                    f"fields of {target}",
                    ", ".join(unknown_fields),
                    field="+".join(local),
                )
            )
            continue
        present = frame[local].notna().all(axis=1).to_numpy()
        values = _joined(frame, local)
        unknown = present & ~values.isin(set(_joined(referenced, remote))).to_numpy()
        shown = frame[local[0]] if len(local) == 1 else values.str.replace("\x1f", "/")
        problems += _bad(
            label,
            unknown,
            shown,
            "+".join(local),
            f"unknown key (not in {target}.{'+'.join(remote)})",
            f"one of the {'+'.join(remote)} values in {target}",
        )
    return problems


def _check_hash(entry: dict[str, Any], label: str, digest: str, size: int) -> list[DataProblem]:
    """The file must be byte for byte the one whose hash and size the descriptor records."""
    if not entry.get("hash"):
        return [DataProblem(label, "no hash recorded in datapackage.json", "sha256:<hex>", "none")]
    if digest != entry.get("hash"):
        return [
            DataProblem(
                label,
                "file changed after its hash was recorded in datapackage.json",
                entry.get("hash", "a recorded hash"),
                digest,
            )
        ]
    if entry.get("bytes") != size:
        return [
            DataProblem(
                label, "size differs from the one recorded", f"{entry.get('bytes')} bytes", size
            )
        ]
    return []


def _check_metadata(entry: dict[str, Any], label: str, bib_file: Path) -> list[DataProblem]:
    """Sources resolve in references.bib, a licence and the synthetic flag are stated."""
    where = f"{label} (resource '{entry['name']}')"
    problems = []
    if not isinstance(entry.get("synthetic"), bool):
        problems.append(
            DataProblem(where, "synthetic flag missing", "synthetic: true or false", "none")
        )
    if not entry.get("licenses"):
        problems.append(DataProblem(where, "no licence stated", "a licenses list", "none"))
    sources = entry.get("sources") or []
    if not sources:
        problems.append(DataProblem(where, "no sources listed", "a sources list", "none"))
    collection = entry.get("collection")
    if collection is not None:
        for part in ("source", "period", "sampling"):
            value = collection.get(part) if isinstance(collection, dict) else None
            if not isinstance(value, str) or not value.strip():
                problems.append(
                    DataProblem(
                        where,
                        f"observed data without collection.{part}",
                        f"collection.{part}: text describing the data's {part}",
                        _short(repr(value)),
                    )
                )
        if entry.get("synthetic") is not False:
            problems.append(
                DataProblem(where, "collection on synthetic data", "synthetic: false", "true")
            )
        if "generator" in entry:
            problems.append(
                DataProblem(
                    where, "observed data with a generator entry", "no generator", "generator"
                )
            )
    known = datapackage.bib_keys(bib_file) if bib_file.exists() else frozenset()
    for source in sources:
        key = source.get("bibkey") if isinstance(source, dict) else None
        if key is None and entry.get("synthetic") is False and collection is None:
            problems.append(
                DataProblem(where, "documented source without a bibkey", "a bibkey", repr(source))
            )
        elif key is not None and key not in known:
            problems.append(
                DataProblem(
                    where, "source key not in references.bib", "a key in references.bib", key
                )
            )
    for spec in entry["schema"]["fields"]:
        if not spec.get("description"):
            problems.append(
                DataProblem(
                    where,
                    "field has no description",
                    "a description (the codebook)",
                    "none",
                    field=spec["name"],
                )
            )
    return problems
