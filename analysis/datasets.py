"""Validated loading of every data resource, documented or synthetic, through one code path.

``load(name)`` checks the file against its descriptor entry (presence, encoding, columns, types,
constraints, keys, foreign keys, source keys, hash) and returns a typed DataFrame: categoricals
for enumerated fields such as region, level and platform, real dates, nullable integers.
``check(name)`` returns the problems instead of raising, for ``python -m analysis validate``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import datapackage, paths
from analysis.errors import DataProblem, DataValidationError

MAX_PROBLEMS_PER_FIELD = 3
_DATE_FORMATS = {"date": "%Y-%m-%d", "datetime": "%Y-%m-%dT%H:%M:%S"}


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


_memo: dict[tuple[str, str, str], pd.DataFrame] = {}


def load(name: str, *, base: Path | None = None) -> pd.DataFrame:
    """Return resource ``name`` as a typed DataFrame after verifying its hash and schema.

    Raises DataValidationError naming the file, row, field, expectation and finding.
    """
    checked = check(name, base=base)
    if not checked.ok:
        raise DataValidationError(checked.problems)
    assert checked.frame is not None
    return checked.frame.copy(deep=False)


def check(name: str, *, base: Path | None = None, _seen: tuple[str, ...] = ()) -> Checked:
    """Check one resource against the descriptor in ``base`` (default: the project's data/)."""
    base = base or paths.data
    descriptor = datapackage.read_descriptor(base / "datapackage.json")
    entry = datapackage.resource(descriptor, name)
    file = datapackage.resource_path(entry, base)
    label = _display(file)
    if not file.exists():
        return Checked(
            name, label, None, [DataProblem(label, "file missing", "a data file", "no file")]
        )
    raw = file.read_bytes()
    digest = datapackage.sha256_bytes(raw)
    key = (str(file), digest, entry.get("hash", ""))
    if key in _memo:
        frame = _memo[key]
        return Checked(name, label, frame, [], len(frame))

    frame, problems = _parse(raw, entry, label, base)
    if frame is not None and not problems:
        problems += _check_foreign_keys(frame, entry, label, base, (*_seen, name))
    if not problems and digest != entry.get("hash"):
        problems.append(
            DataProblem(
                label,
                "file changed after its hash was recorded in datapackage.json",
                entry.get("hash", "a recorded hash"),
                digest,
            )
        )
    if frame is not None and not problems:
        _memo[key] = frame
    return Checked(name, label, frame, problems, 0 if frame is None else len(frame))


def check_all(base: Path | None = None) -> list[Checked]:
    """Check every resource in the package, in descriptor order."""
    base = base or paths.data
    descriptor = datapackage.read_descriptor(base / "datapackage.json")
    return [check(entry["name"], base=base) for entry in descriptor.get("resources", [])]


def _display(file: Path) -> str:
    try:
        return str(file.relative_to(paths.root))
    except ValueError:
        return str(file)


def _parse(
    raw: bytes, entry: dict[str, Any], label: str, base: Path
) -> tuple[pd.DataFrame | None, list[DataProblem]]:
    if not raw.strip():
        return None, [DataProblem(label, "empty file", "a header row and data rows", "0 rows")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        found = f"byte 0x{raw[exc.start]:02x} at line {line}"
        return None, [DataProblem(label, "file is not UTF-8", "UTF-8 text", found)]
    try:
        table = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, na_values=[], engine="c"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        return None, [DataProblem(label, "malformed CSV", "one value per column", str(exc))]

    fields = entry["schema"]["fields"]
    expected = [f["name"] for f in fields]
    found = list(table.columns)
    if found != expected:
        missing = [c for c in expected if c not in found]
        extra = [c for c in found if c not in expected]
        if missing or extra:
            detail = "; ".join(
                part
                for part in (
                    f"missing {', '.join(missing)}" if missing else "",
                    f"unexpected {', '.join(extra)}" if extra else "",
                )
                if part
            )
            problem = DataProblem(
                label, "columns differ from the schema", ", ".join(expected), detail
            )
        else:
            problem = DataProblem(
                label, "columns out of order", ", ".join(expected), ", ".join(found)
            )
        return None, [problem]
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
    columns: dict[str, Any] = {}
    bib = datapackage.bib_keys(base.parent / "references.bib")
    for spec in fields:
        column, field_problems = _convert(table[spec["name"]], spec, label, bib)
        columns[spec["name"]] = column
        problems += field_problems
    if problems:
        return None, problems
    frame = pd.DataFrame(columns)
    problems += _check_primary_key(frame, entry, label)
    return frame, problems


def _bad(
    label: str, mask: np.ndarray, values: pd.Series, field_name: str, problem: str, expected: str
):
    """One problem per offending row, up to a few per field."""
    rows = np.flatnonzero(mask)[:MAX_PROBLEMS_PER_FIELD]
    return [
        DataProblem(
            label, problem, expected, repr(values.iloc[i]), row=int(i) + 1, field=field_name
        )
        for i in rows
    ]


def _convert(
    text: pd.Series, spec: dict[str, Any], label: str, bib: frozenset[str]
) -> tuple[Any, list[DataProblem]]:
    """Convert one text column to its schema type and check its constraints."""
    name, kind = spec["name"], spec.get("type", "string")
    constraints = spec.get("constraints", {})
    missing = (text == "").to_numpy()
    problems: list[DataProblem] = []
    if constraints.get("required") and missing.any():
        problems += _bad(label, missing, text, name, "required value missing", "a value")

    if kind == "integer":
        numbers = pd.to_numeric(text.where(~missing), errors="coerce")
        bad = ~missing & (numbers.isna().to_numpy() | (numbers % 1 != 0).fillna(False).to_numpy())
        problems += _bad(label, bad, text, name, "wrong type", "an integer")
        column: Any = numbers.where(~bad).astype("Int64")
        if not missing.any() and not bad.any():
            column = column.astype("int64")
    elif kind == "number":
        column = pd.to_numeric(text.where(~missing), errors="coerce")
        bad = ~missing & column.isna().to_numpy()
        problems += _bad(label, bad, text, name, "wrong type", "a number")
        column = column.astype("float64")
    elif kind == "boolean":
        lowered = text.str.lower()
        bad = ~missing & ~lowered.isin(["true", "false"]).to_numpy()
        problems += _bad(label, bad, text, name, "wrong type", "true or false")
        column = lowered.eq("true")
    elif kind in _DATE_FORMATS:
        column = pd.to_datetime(text.where(~missing), format=_DATE_FORMATS[kind], errors="coerce")
        bad = ~missing & column.isna().to_numpy()
        fmt = "YYYY-MM-DD" if kind == "date" else "YYYY-MM-DDThh:mm:ss"
        problems += _bad(
            label, bad, text, name, "malformed or impossible date", f"a real {fmt} date"
        )
    else:
        column = text.where(~missing, None) if missing.any() else text.copy()

    if problems:
        return column, problems

    present = ~missing
    if "minimum" in constraints:
        low = present & (column < constraints["minimum"]).fillna(False).to_numpy()
        problems += _bad(
            label, low, text, name, "value out of range", f">= {constraints['minimum']}"
        )
    if "maximum" in constraints:
        high = present & (column > constraints["maximum"]).fillna(False).to_numpy()
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
        mismatch = present & ~text.str.fullmatch(constraints["pattern"]).to_numpy()
        problems += _bad(
            label, mismatch, text, name, "value does not match pattern", constraints["pattern"]
        )
    if constraints.get("unique"):
        dup = present & text.duplicated(keep="first").to_numpy()
        problems += _bad(label, dup, text, name, "duplicate value", "unique values")
    if spec.get("bibkey"):
        unresolved = np.array(
            [bool(v) and any(k.strip() not in bib for k in v.split(";")) for v in text], dtype=bool
        )
        problems += _bad(
            label,
            unresolved,
            text,
            name,
            "source key not in references.bib",
            "a key defined in references.bib",
        )
    return column, problems


def _check_primary_key(frame: pd.DataFrame, entry: dict[str, Any], label: str) -> list[DataProblem]:
    key = entry["schema"].get("primaryKey")
    if not key:
        return []
    key = [key] if isinstance(key, str) else list(key)
    dup = frame.duplicated(subset=key, keep="first").to_numpy()
    keys = frame[key].astype(str).agg("/".join, axis=1)
    return _bad(label, dup, keys, "+".join(key), "duplicate primary key", "unique key values")


def _check_foreign_keys(
    frame: pd.DataFrame, entry: dict[str, Any], label: str, base: Path, seen: tuple[str, ...]
) -> list[DataProblem]:
    problems: list[DataProblem] = []
    for fk in entry["schema"].get("foreignKeys", []):
        local = fk["fields"] if isinstance(fk["fields"], str) else fk["fields"][0]
        target = fk["reference"]["resource"]
        remote = fk["reference"]["fields"]
        remote = remote if isinstance(remote, str) else remote[0]
        if target in seen:
            continue
        referenced = check(target, base=base, _seen=seen)
        if referenced.frame is None:
            problems.append(
                DataProblem(
                    label,
                    f"foreign key target '{target}' is invalid",
                    "a valid resource",
                    str(referenced.problems[0]),
                )
            )
            continue
        values = frame[local].astype(str)
        known = set(referenced.frame[remote].astype(str))
        present = frame[local].notna().to_numpy()
        unknown = present & ~values.isin(known).to_numpy()
        problems += _bad(
            label,
            unknown,
            values,
            local,
            f"unknown key (not in {target}.{remote})",
            f"a {remote} listed in {target}",
        )
    return problems
