"""Streaming validation of a Parquet resource (one file or a folder of parts) against its schema.

A resource with ``"format": "parquet"`` in data/datapackage.json may hold hundreds of millions
of posts, so it is never loaded into memory to be checked. The checks, in the order they stop:

1. the parts: a ``.parquet`` file, or a folder whose ``*.parquet`` files (any depth; names
   starting with ``.`` or ``_`` are ignored) are the parts, each a readable Parquet file;
2. each part's columns (by name; order does not matter in Parquet) and their physical types
   against the field types (integer, number, string, boolean, date, datetime), from the
   Parquet footers only;
3. the constraints (required, minimum, maximum, enum, pattern), held to the CSV reader's rules
   (an empty text is a missing value; NaN and infinities are not numbers unless the field
   allows ``nonFinite``) and named in its words, in one streaming aggregate pass
   of DuckDB over every part, then unique fields and the primary key (DuckDB's hash aggregate,
   which spills to disk beyond its memory limit) and foreign keys (an anti-join against the
   referenced resource);
4. (in analysis.data.datasets, as for CSV) the recorded hash and size, then the metadata.

Every problem names the part file, the row within it (1-based) with its row group and offset,
the field, what was expected and what was found (``ParquetProblem``). Only offending rows are
ever fetched, at most a few per constraint.

The hash of a single file is the sha256 of its bytes (as for CSV); the hash of a folder is the
sha256 of a ``sha256sum``-style manifest of its parts (``<hex>  <relative path>`` lines, sorted
by path), so ``cd folder && sha256sum <parts in order> | sha256sum`` reproduces it
(``analysis.data.datapackage.digest``). DuckDB reads exactly those parts: each path is escaped
so that it is never read as a glob pattern (``literal_path``). Row groups are located by
bisection in their running row counts, so locating rows is linear in the row groups.

DuckDB is used rather than pyarrow's dataset scanner because the same SQL runs the out-of-core
reduction (analysis.topics.reduce) and could later run on a cluster engine.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import itertools
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.data import datapackage
from analysis.errors import DataProblem, DataValidationError

MAX_PROBLEMS_PER_CHECK = 3
CONTROL_PROBLEM = "control character in text"
MEMORY_LIMIT = "3GB"  # DuckDB's own limit; it spills to a temporary folder beyond it


@dataclass
class ParquetProblem(DataProblem):
    """A problem located in a Parquet part: row within the file, its row group and offset."""

    row_group: int | None = None
    offset: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
            if self.row_group is not None:
                where += f" (row group {self.row_group}, offset {self.offset})"
        if self.field is not None:
            where += f", field '{self.field}'"
        return f"{where}: {self.problem}: expected {self.expected}, found {self.found}"


# --- parts, hash, connection ----------------------------------------------------------------


# A resource's files and hash belong to the descriptor's module (CSV and the data command use
# them too); they are named here as well, where the Parquet checks and the reduction read them.
parts = datapackage.resource_files
digest = datapackage.digest


def connect(temp_dir: Path | None = None, threads: int | None = None) -> Any:
    """An in-process DuckDB connection with a memory limit, spilling to ``temp_dir``."""
    import duckdb

    config = {
        "memory_limit": MEMORY_LIMIT,
        "threads": threads or os.cpu_count() or 1,
        "preserve_insertion_order": False,
        # never DuckDB's default (.tmp in the working directory, which may be the repository)
        "temp_directory": str(temp_dir or Path(tempfile.gettempdir()) / "analysis-duckdb-spill"),
    }
    return duckdb.connect(config=config)


def source_sql(files: list[Path], located: bool = True) -> str:
    """SQL of the posts relation: every part, with ``filename`` and ``file_row_number`` unless
    ``located`` is false (a bare read, as the benchmark's floor query uses).

    DuckDB reads each listed path as a glob pattern, so each is escaped (``literal_path``) to
    match exactly the one file it names: only the parts whose hashes are recorded are read.
    Folders named ``key=value`` are not read as Hive partitions (that would add columns).
    """
    listed = ", ".join(literal(literal_path(p)) for p in files)
    where = "filename = true, file_row_number = true, " if located else ""
    return f"read_parquet([{listed}], {where}hive_partitioning = false)"


def literal_path(path: Path) -> str:
    """A path as a DuckDB glob that matches only itself: ``*``, ``?`` and ``[`` each become a
    one-character class (``[*]``); DuckDB's globs have no other metacharacters."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in str(path))


def literal(value: Any) -> str:
    """A SQL literal (text quoted, numbers as written)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


# --- locating rows --------------------------------------------------------------------------


class Locator:
    """Turns (part file, 0-based row in the file) into a located ParquetProblem."""

    def __init__(self, files: list[Path], label: str, root: Path) -> None:
        import pyarrow.parquet as pq

        self.label, self.root = label, root
        self.starts: dict[str, list[int]] = {}
        for file in files:
            meta = pq.ParquetFile(file).metadata
            sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
            self.starts[str(file)] = [0, *itertools.accumulate(sizes[:-1])]

    def name(self, file: str | Path) -> str:
        path = Path(file)
        if self.root.is_dir():
            return f"{self.label}/{path.relative_to(self.root).as_posix()}"
        return self.label

    def problem(
        self, file: str, row: int, field: str | None, problem: str, expected: str, found: str
    ) -> ParquetProblem:
        starts = self.starts.get(str(file)) or [0]
        group = bisect.bisect_right(starts, row) - 1
        return ParquetProblem(
            self.name(file),
            problem,
            expected,
            found,
            row=int(row) + 1,
            field=field,
            row_group=group,
            offset=int(row - starts[group]),
        )


# --- checks ---------------------------------------------------------------------------------


def _type_ok(kind: str, arrow_type: Any) -> bool:
    import pyarrow as pa

    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    checks = {
        "integer": pa.types.is_integer,
        "number": lambda t: (
            pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
        ),
        "string": lambda t: pa.types.is_string(t) or pa.types.is_large_string(t),
        "boolean": pa.types.is_boolean,
        "date": pa.types.is_date,
        "datetime": pa.types.is_timestamp,
    }
    return bool(checks[kind](arrow_type))


_TYPE_WORDS = {
    "integer": "an integer column",
    "number": "a numeric column",
    "string": "a text column",
    "boolean": "a boolean column",
    "date": "a date column",
    "datetime": "a timestamp column",
}


def check_parts(files: list[Path], fields: list[dict[str, Any]], locator: Locator) -> list:
    """Readable parts whose columns and physical types match the schema (footers only)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not files:
        return [
            DataProblem(locator.label, "no Parquet parts", "one or more *.parquet files", "none")
        ]
    problems: list[DataProblem] = []
    expected = [f["name"] for f in fields]
    for file in files:
        name = locator.name(file)
        try:
            schema = pq.read_schema(file)
        except (pa.ArrowInvalid, OSError) as exc:
            problems.append(
                DataProblem(name, "not a readable Parquet file", "a Parquet file", str(exc)[:120])
            )
            continue
        found = list(schema.names)
        missing = [c for c in expected if c not in found]
        extra = [c for c in found if c not in expected]
        if missing or extra:
            parts_ = ([f"missing column {', '.join(missing)}"] if missing else []) + (
                [f"unexpected column {', '.join(extra)}"] if extra else []
            )
            odd = missing + extra
            problems.append(
                DataProblem(
                    name,
                    "columns differ from the schema",
                    "columns " + ", ".join(expected),
                    "; ".join(parts_),
                    field=odd[0] if len(odd) == 1 else None,
                )
            )
            continue
        for spec in fields:
            kind = spec.get("type", "string")
            arrow_type = schema.field(spec["name"]).type
            if not _type_ok(kind, arrow_type):
                problems.append(
                    DataProblem(
                        name,
                        "wrong column type",
                        _TYPE_WORDS[kind],
                        str(arrow_type),
                        field=spec["name"],
                    )
                )
    return problems


def _constraint_checks(fields: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(field, SQL condition of an offending row, problem, expected) for every constraint, as
    the CSV reader applies them: an empty text is a missing value, a number must be finite
    unless the field allows ``nonFinite``, and a missing value breaks only ``required``."""
    out = []
    for spec in fields:
        name, kind = spec["name"], spec.get("type", "string")
        column = ident(name)
        rules = spec.get("constraints", {})
        present = f"{column} IS NOT NULL" + (f" AND {column} <> ''" if kind == "string" else "")
        if kind == "string":  # checked first and alone, as the CSV reader does
            out.append(
                (
                    name,
                    f"regexp_matches({column}, {literal(datapackage.CONTROL_CHARACTERS)})",
                    CONTROL_PROBLEM,
                    "printable text (no NUL or other control characters)",
                )
            )
        if rules.get("required"):
            out.append((name, f"NOT ({present})", "required value missing", "a value"))
        if kind == "number" and spec.get("nonFinite") is not True:
            present += f" AND isfinite(CAST({column} AS DOUBLE))"
            out.append(
                (
                    name,
                    f"NOT isfinite(CAST({column} AS DOUBLE))",
                    "wrong type",  # as the CSV reader says of the text nan or inf
                    "a number",
                )
            )
        numeric = kind in ("integer", "number")
        bounds = [("minimum", "<", ">="), ("maximum", ">", "<=")] if numeric else []
        for rule, breaks, holds in bounds:
            if rule in rules:
                out.append(
                    (
                        name,
                        f"{present} AND {column} {breaks} {literal(rules[rule])}",
                        "value out of range",
                        f"{holds} {rules[rule]}",
                    )
                )
        if "enum" in rules:
            allowed = ", ".join(literal(str(v)) for v in rules["enum"])
            out.append(
                (
                    name,
                    f"{present} AND CAST({column} AS VARCHAR) NOT IN ({allowed})",
                    "unknown category",
                    "one of " + ", ".join(map(str, rules["enum"])),
                )
            )
        if "pattern" in rules:
            out.append(
                (
                    name,
                    f"{present} AND NOT regexp_full_match(CAST({column} AS VARCHAR), "
                    f"{literal(rules['pattern'])})",
                    "value does not match pattern",
                    rules["pattern"],
                )
            )
    return out


def _fetch(con: Any, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def check_rows(
    con: Any, source: str, fields: list[dict[str, Any]], locator: Locator
) -> tuple[int, list[DataProblem]]:
    """(rows, problems) of the constraints, in one aggregate pass plus one query per failure."""
    checks = _constraint_checks(fields)
    counts = ", ".join(f"count(*) FILTER (WHERE {cond})" for _, cond, _, _ in checks)
    row = _fetch(con, f"SELECT count(*){', ' + counts if counts else ''} FROM {source}")[0]
    rows, failures = int(row[0]), row[1:]
    problems: list[DataProblem] = []
    if rows == 0:
        return 0, [DataProblem(locator.label, "empty file", "at least one data row", "0 rows")]
    # text with control characters is refused on its own, before any other rule reads it
    said = [problem for _, _, problem, _ in checks]
    control = any(f for p, f in zip(said, failures, strict=True) if p == CONTROL_PROBLEM)
    for (name, cond, problem, expected), failed in zip(checks, failures, strict=True):
        if not failed or (control and problem != CONTROL_PROBLEM):
            continue
        for file, number, value in _fetch(
            con,
            f"SELECT filename, file_row_number, {ident(name)} FROM {source} WHERE {cond} "
            f"ORDER BY filename, file_row_number LIMIT {MAX_PROBLEMS_PER_CHECK}",
        ):
            found = "empty" if value is None else repr(value)
            problems.append(locator.problem(file, number, name, problem, expected, found))
    return rows, problems


def _key_sets(entry: dict[str, Any]) -> list[list[str]]:
    schema = entry["schema"]
    keys = [[f["name"]] for f in schema["fields"] if f.get("constraints", {}).get("unique")]
    primary = schema.get("primaryKey")
    if primary:
        primary = [primary] if isinstance(primary, str) else list(primary)
        if primary not in keys:
            keys.append(primary)
    return keys


def check_unique(
    con: Any, source: str, entry: dict[str, Any], locator: Locator
) -> list[DataProblem]:
    """Unique fields and the primary key: candidates by 64-bit hash, confirmed on the values."""
    problems: list[DataProblem] = []
    for key in _key_sets(entry):
        columns = ", ".join(ident(k) for k in key)
        present = " AND ".join(f"{ident(k)} IS NOT NULL" for k in key)
        sql = f"""
            WITH candidates AS (
                SELECT hash({columns}) AS h FROM {source} WHERE {present}
                GROUP BY h HAVING count(*) > 1
            ), rows AS (
                SELECT {columns}, filename, file_row_number,
                       row_number() OVER (PARTITION BY {columns}
                                          ORDER BY filename, file_row_number) AS nth
                FROM {source}
                WHERE {present} AND hash({columns}) IN (SELECT h FROM candidates)
            )
            SELECT {columns}, filename, file_row_number FROM rows WHERE nth > 1
            ORDER BY filename, file_row_number LIMIT {MAX_PROBLEMS_PER_CHECK}
        """
        what = "duplicate value" if len(key) == 1 else "duplicate primary key"
        for *values, file, number in _fetch(con, sql):
            problems.append(
                locator.problem(
                    file,
                    number,
                    "+".join(key),
                    what,
                    "unique values",
                    repr("/".join(map(str, values)) if len(values) > 1 else values[0]),
                )
            )
    return problems


def check_foreign_keys(
    con: Any, source: str, entry: dict[str, Any], locator: Locator, target_frame: Any
) -> list[DataProblem]:
    """Every non-empty key must appear in the referenced resource (an anti-join)."""
    problems: list[DataProblem] = []
    for number, fk in enumerate(entry["schema"].get("foreignKeys", [])):
        local = [fk["fields"]] if isinstance(fk["fields"], str) else list(fk["fields"])
        remote = fk["reference"]["fields"]
        remote = [remote] if isinstance(remote, str) else list(remote)
        target = fk["reference"].get("resource") or entry["name"]
        referenced = target_frame(target)
        if isinstance(referenced, DataProblem):
            problems.append(referenced)
            continue
        table = f"fk_target_{number}"
        keys = pd.DataFrame(
            {f"k{i}": referenced[r].astype("string").to_numpy() for i, r in enumerate(remote)}
        ).drop_duplicates()
        con.register(table, keys)
        on = " AND ".join(f"CAST(s.{ident(c)} AS VARCHAR) = t.k{i}" for i, c in enumerate(local))
        present = " AND ".join(f"s.{ident(c)} IS NOT NULL" for c in local)
        shown = " || '/' || ".join(f"CAST(s.{ident(c)} AS VARCHAR)" for c in local)
        sql = f"""
            SELECT {shown}, s.filename, s.file_row_number FROM {source} s
            ANTI JOIN {table} t ON {on} WHERE {present}
            ORDER BY s.filename, s.file_row_number LIMIT {MAX_PROBLEMS_PER_CHECK}
        """
        for value, file, row in _fetch(con, sql):
            problems.append(
                locator.problem(
                    file,
                    row,
                    "+".join(local),
                    f"unknown key (not in {target}.{'+'.join(remote)})",
                    f"one of the {'+'.join(remote)} values in {target}",
                    repr(value),
                )
            )
        con.unregister(table)
    return problems


def validate(
    entry: dict[str, Any],
    path: Path,
    label: str,
    target_frame: Any,
    temp_dir: Path | None = None,
) -> tuple[int, list[DataProblem]]:
    """(rows, problems) of a Parquet resource's schema checks, streaming over its parts.

    ``target_frame(name)`` returns the referenced resource of a foreign key as a DataFrame, or
    the DataProblem that makes it unusable.
    """
    fields = entry["schema"]["fields"]
    files = parts(path)
    if not files:
        return 0, [DataProblem(label, "no Parquet parts", "one or more *.parquet files", "none")]
    unsupported = [
        f["name"]
        for f in fields
        if f.get("bibkey") or f.get("maximumFrom") or f.get("requiredWhen")
    ]
    if unsupported:
        return 0, [
            DataProblem(
                label,
                "constraint not supported for Parquet resources",
                "no bibkey, maximumFrom or requiredWhen fields (use CSV for documented tables)",
                ", ".join(unsupported),
            )
        ]
    locator = Locator([], label, path)
    problems = check_parts(files, fields, locator)
    if problems:
        return 0, problems
    locator = Locator(files, label, path)
    con = connect(temp_dir)
    try:
        source = source_sql(files)
        rows, problems = check_rows(con, source, fields, locator)
        if not problems:
            problems += check_unique(con, source, entry, locator)
        if not problems:
            problems += check_foreign_keys(con, source, entry, locator, target_frame)
    finally:
        con.close()
    return rows, problems


# --- the datasets hook ----------------------------------------------------------------------

_memo: dict[tuple[Any, ...], int] = {}
# Valid verdicts remembered across processes, in the cache folder: the reduction of a crawl's
# posts (analysis.topics.reduce.package_reduction) validates them first, and after the render's
# own ``validate`` that second pass would read hundreds of millions of rows again. A verdict is
# reused only where the caller asks (``reuse``), for the same part bytes, entry, foreign-key
# targets and checking code; ``validate`` itself always checks, and records what it found valid.
CHECKS_FILE = "parquet-checks.json"
_CHECKING_CODE = ("parquet.py", "datasets.py", "datapackage.py", "files.py")


def _targets_key(entry: dict[str, Any], base: Path) -> tuple[tuple[str, str], ...]:
    """The content hashes of the resources the entry's foreign keys reference (for the memo)."""
    descriptor = datapackage.read_descriptor(base / "datapackage.json")
    out = []
    for fk in entry["schema"].get("foreignKeys", []):
        target = fk.get("reference", {}).get("resource")
        if target and target != entry["name"]:
            path = datapackage.resource_path(datapackage.resource(descriptor, target), base)
            out.append((target, digest(path)[0] if path.exists() else "missing"))
    return tuple(out)


def check(
    entry: dict[str, Any],
    path: Path,
    label: str,
    referenced: Callable[[str], Any],
    *,
    reuse: bool = False,
) -> tuple[int, list[DataProblem], tuple[str, int]]:
    """(rows, problems, (hash, bytes)) of a Parquet resource, for analysis.data.datasets.check.

    ``referenced(name)`` checks a foreign key's target resource (a datasets.Checked); the caller
    then checks the hash and the metadata as for CSV. Results are memoised by content, and a
    valid one recorded in ``CHECKS_FILE``, which ``reuse`` reads.
    """
    if not path.exists():
        problem = DataProblem(label, "file missing", "a Parquet file or folder", "no file")
        return 0, [problem], ("none", 0)
    found = digest(path) if parts(path) else ("none", 0)

    def target_frame(target: str) -> Any:
        if target == entry["name"]:
            return DataProblem(label, "self-referencing foreign key", "another resource", target)
        checked = referenced(target)
        if checked.frame is None or not checked.ok:
            first = str(checked.problems[0]) if checked.problems else "not a CSV resource"
            return DataProblem(
                label, f"foreign key target '{target}' is invalid", "a valid resource", first
            )
        return checked.frame

    key = (found[0], json.dumps(entry, sort_keys=True), _targets_key(entry, _package(path)))
    if key in _memo:
        return _memo[key], [], found
    recorded = _verdict_key(key)
    rows = _recorded_checks().get(recorded) if reuse else None
    if isinstance(rows, int) and not isinstance(rows, bool) and rows > 0:
        _memo[key] = rows
        return rows, [], found
    rows, problems = validate(entry, path, label, target_frame)
    if not problems:
        _memo[key] = rows
        _record_check(recorded, rows)
    return rows, problems, found


def _verdict_key(key: tuple[Any, ...]) -> str:
    """The memo key with the checking code's source, hashed: what a recorded verdict is for."""
    here = Path(__file__).resolve().parent
    code = [hashlib.sha256((here / name).read_bytes()).hexdigest() for name in _CHECKING_CODE]
    return hashlib.sha256(json.dumps([list(key[:2]), key[2], code]).encode()).hexdigest()


def _recorded_checks() -> dict[str, Any]:
    """The recorded valid verdicts (none if the record is absent, not a regular file, too
    large or damaged: then the posts are checked again)."""
    from analysis import paths
    from analysis.data import files

    try:
        found = json.loads(files.read_regular(paths.cache / CHECKS_FILE, CHECKS_FILE, 2**20))
    except (OSError, ValueError, DataValidationError):
        return {}
    return found if isinstance(found, dict) else {}


def _record_check(recorded: str, rows: int) -> None:
    """Add one valid verdict to the record (atomically; a read-only cache only costs a check)."""
    from analysis import atomic, paths

    verdicts = _recorded_checks()
    verdicts[recorded] = rows
    with contextlib.suppress(OSError, DataValidationError):
        atomic.write_json(paths.cache / CHECKS_FILE, dict(list(verdicts.items())[-100:]))


def _package(path: Path) -> Path:
    """The package folder of a resource path: the nearest parent holding datapackage.json."""
    for folder in path.parents:
        if (folder / "datapackage.json").is_file():
            return folder
    return path.parent


def read(path: Path, entry: dict[str, Any]) -> pd.DataFrame:
    """The whole resource as a DataFrame typed as datasets.load types CSV (small data only)."""
    import pyarrow.parquet as pq

    table = pq.read_table(parts(path)) if path.is_dir() else pq.read_table(path)
    frame = table.to_pandas()
    out = {}
    for spec in entry["schema"]["fields"]:
        column = frame[spec["name"]]
        kind = spec.get("type", "string")
        enum = spec.get("constraints", {}).get("enum")
        if kind == "string":
            column = column.astype(str).where(column.notna(), None)
            column = pd.Categorical(column, categories=enum) if enum else column.astype("str")
        elif kind == "integer":
            column = column.astype("Int64") if column.isna().any() else column.astype("int64")
        elif kind == "number":
            column = column.astype("float64")
        out[spec["name"]] = column
    return pd.DataFrame(out)
