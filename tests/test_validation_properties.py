"""Property-based checks of validation (issue 14): mutated CSV files and hostile strings.

Whatever bytes a resource file holds, ``datasets.check`` returns located problems or a valid
frame: it never raises, never hangs (each example has a deadline) and never reports a row
count that differs from the rows it parsed. Bounded in time by ``max_examples`` and
``deadline``.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import paths
from analysis.data import datapackage, datasets
from analysis.errors import DataProblem

SMALL = "wechat_sectors_2013"  # 7 lines, every field type but dates
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "{{< env HOME >}}",
    "@smith2020",
    "$x^2$",
    "`code`",
    "<!-- c -->",
    "\u202eevil",
    "a,b",
    'say "hi"',
    "line\nbreak",
    "\x00",
    "\x1b[31m",
    "1e999",
    "9" * 30,
    "",
]


@pytest.fixture(scope="module")
def package() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="hypothesis-package-"))
    shutil.copytree(paths.data, folder / "data")
    shutil.copy(paths.references_bib, folder / "references.bib")
    yield folder / "data"
    shutil.rmtree(folder, ignore_errors=True)


def _file(base: Path, name: str) -> Path:
    entry = datapackage.resource(datapackage.read_descriptor(base / "datapackage.json"), name)
    return datapackage.resource_path(entry, base)


def _assert_located(problems: list[DataProblem]) -> None:
    for problem in problems:
        assert problem.file and problem.problem and problem.expected
        assert problem.row is None or problem.row >= 1
        assert len(str(problem)) < 5000


@settings(
    max_examples=80,
    deadline=3000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.data(),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["insert", "delete", "replace"]),
            st.integers(min_value=0, max_value=10_000),
            st.binary(min_size=1, max_size=8),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_mutated_csv_bytes_give_problems_or_a_frame_never_an_exception(
    package: Path, data, edits
) -> None:
    file = _file(package, SMALL)
    original = (paths.data / "documented" / f"{SMALL}.csv").read_bytes()
    payload = bytearray(original)
    for action, at, chunk in edits:
        at = at % (len(payload) + 1)
        if action == "insert":
            payload[at:at] = chunk
        elif action == "delete":
            del payload[at : at + len(chunk)]
        else:
            payload[at : at + len(chunk)] = chunk
    file.write_bytes(bytes(payload))
    try:
        checked = datasets.check(SMALL, base=package)
    finally:
        file.write_bytes(original)
    _assert_located(checked.problems)
    if checked.frame is not None:
        assert checked.rows == len(checked.frame)
    if bytes(payload) != original:
        assert not checked.ok  # the recorded hash no longer matches, at the very least


@settings(
    max_examples=80,
    deadline=3000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40)),
    row=st.integers(min_value=1, max_value=6),
    column=st.sampled_from(["category", "note", "share_pct", "accounts", "row_id"]),
)
def test_hostile_strings_in_any_cell_are_refused_with_their_location_or_kept_verbatim(
    package: Path, text: str, row: int, column: str
) -> None:
    file = _file(package, SMALL)
    original = file.read_bytes()
    rows = list(csv.reader(io.StringIO(original.decode("utf-8"))))
    index = rows[0].index(column)
    rows[row][index] = text
    buffer = io.StringIO()
    # every value quoted: csv.writer leaves a bare carriage return unquoted, which any CSV
    # reader takes as a line break (the byte-mutation test covers broken rows)
    csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(rows)
    file.write_bytes(buffer.getvalue().encode("utf-8"))
    try:
        checked = datasets.check(SMALL, base=package)
    finally:
        file.write_bytes(original)
    _assert_located(checked.problems)
    control = any((ord(c) < 32 and c not in "\t\n\r") or ord(c) == 127 for c in text)
    schema_problems = [p for p in checked.problems if not p.problem.startswith("file changed")]
    if control:
        assert schema_problems and schema_problems[0].problem == "control character in text"
        assert (schema_problems[0].row, schema_problems[0].field) == (row, column)
    if not schema_problems and checked.frame is not None:
        kept = checked.frame[column].iloc[row - 1]
        if column in ("category", "note") and text:
            assert str(kept) == text  # text arrives verbatim: escaping is the book's job
        assert checked.rows == 6


# ------------------------------------------------ issue 24: the newer routes, property-based
_DIGITS = st.characters(categories=["Nd"])  # every script's digits: ٣, ３, ३, 3 ...
_NUMBER_TEXT = st.text(st.one_of(_DIGITS, st.sampled_from(".-+eE")), min_size=1, max_size=12)


@settings(max_examples=200, deadline=2000)
@given(text=_NUMBER_TEXT, kind=st.sampled_from(["integer", "number", "date"]))
def test_number_parser_accepts_only_ascii_forms_and_loads_what_it_accepts(
    text: str, kind: str
) -> None:
    import math

    import pandas as pd

    column, problems = datasets._convert(
        pd.Series([text], dtype="str"), {"name": "x", "type": kind}, "f.csv", None
    )
    if not text.isascii():
        assert problems and problems[0].problem.startswith(("wrong type", "malformed"))
    if problems:
        return
    value = column.iloc[0]
    if kind == "date":
        assert str(value.date()) == text
    else:
        assert not pd.isna(value) and math.isclose(float(value), float(text))


@settings(max_examples=200, deadline=1000)
@given(text=st.text(max_size=40))
def test_changelog_gains_exactly_one_heading_from_any_accepted_note(text: str) -> None:
    from analysis.data import incoming

    if incoming.one_line("--note", text) is not None:
        assert any(c in text for c in "\n\r\x0b\x0c\x85\u2028\u2029") or not text.isprintable()
        return
    before = "# Changelog\n\n## 1.0.0 — 2020-01-01\n\nfirst\n"
    after = incoming.changelog_with_entry(before, "2.0.0 — 2020-01-02", f"body\n\n{text}")
    assert after.count("\n## ") == before.count("\n## ") + 1


@settings(max_examples=300, deadline=1000)
@given(text=st.text(max_size=30))
def test_no_data_text_starts_a_typst_line(text: str) -> None:
    """What Pandoc reads from the escaped Markdown (backslash escapes undone) never starts with
    a Typst list, term or heading marker: the PDF route shows it as text."""
    import re

    from analysis import escape

    read = re.sub(r"\\(.)", r"\1", escape.inline(text))
    assert not escape.TYPST_LINE_START.match(read)


@settings(
    max_examples=50, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(size=st.integers(0, 4096), limit=st.integers(0, 4096))
def test_bounded_reader_returns_a_file_exactly_when_it_is_within_its_limit(
    tmp_path: Path, size: int, limit: int
) -> None:
    from analysis.data import files
    from analysis.errors import DataValidationError

    file = tmp_path / "f.bin"
    file.write_bytes(b"x" * size)
    try:
        assert files.read_regular(file, "f.bin", limit) == b"x" * size and size <= limit
    except DataValidationError as exc:
        assert size > limit and exc.problems[0].problem == "file larger than its limit"
    assert files.sha256_file(file) == datapackage.sha256_bytes(b"x" * size)


@settings(
    max_examples=8,
    deadline=None,  # each example validates a whole staged package; bounded by the count
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    row=st.integers(min_value=1, max_value=800),
    column=st.integers(min_value=0, max_value=9),
    value=st.sampled_from([*HOSTILE, "\u0661\u0662", "\uff11", "SYN-A9999", "east"]),
)
def test_data_add_of_an_edited_file_lands_whole_or_not_at_all(
    package: Path, tmp_path_factory: pytest.TempPathFactory, row: int, column: int, value: str
) -> None:
    """``data add`` of accounts.csv with one cell replaced: refused with located problems and
    the package unchanged, or accepted and the package still valid."""
    from analysis.data import incoming
    from analysis.errors import DataValidationError

    base = tmp_path_factory.mktemp("add") / "data"
    shutil.copytree(package, base)
    shutil.copy(paths.references_bib, base.parent / "references.bib")
    with (paths.data / "synthetic" / "accounts.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    row = row % (len(rows) - 1) + 1
    rows[row][column] = value
    brought = base.parent / "accounts.csv"
    with brought.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    before = {p: p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}
    try:
        incoming.add({"accounts": brought}, incoming.Declared(False), base=base)
    except DataValidationError as exc:
        _assert_located(exc.problems)
        assert {p: p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()} == before
        return
    assert all(c.ok for c in datasets.check_all(base))
    assert datasets.check_package(base) == []


_SCHEMA = {
    "fields": [
        {"name": "score", "type": "number", "constraints": {"minimum": 0, "maximum": 1e6}},
        {"name": "count", "type": "integer", "constraints": {"required": True, "minimum": 0}},
        {
            "name": "label",
            "type": "string",
            "constraints": {"required": True, "pattern": "[a-z ]{1,20}"},
        },
    ]
}
_NUMBERS = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([-1.0, 0.0, 1e6, 1e6 + 1, 2.5]),
)
_COUNTS = st.one_of(st.none(), st.integers(-(2**40), 2**40), st.sampled_from([-1, 0, 7]))
_LABELS = st.one_of(st.none(), st.sampled_from([*HOSTILE, "ok", "two words"]), st.text(max_size=12))


@settings(
    max_examples=60,
    deadline=5000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    scores=st.lists(_NUMBERS, min_size=1, max_size=5),
    counts=st.lists(_COUNTS, min_size=5, max_size=5),
    labels=st.lists(_LABELS, min_size=5, max_size=5),
)
def test_parquet_and_csv_are_held_to_the_same_rules_for_any_values(
    tmp_path_factory: pytest.TempPathFactory, scores, counts, labels
) -> None:
    """The same values, typed in Parquet or written as CSV text, give the same problems (field,
    row, what, expected) under one schema: non-finite numbers, missing values, bounds, patterns
    and empty text are judged alike, every problem located, never an exception."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from analysis.data import parquet

    n = len(scores)
    counts, labels = counts[:n], labels[:n]
    folder = tmp_path_factory.mktemp("same-rules")
    table = pa.table(
        {
            "score": pa.array(scores, pa.float64(), from_pandas=False),
            "count": pa.array(counts, pa.int64()),
            "label": pa.array(labels, pa.string()),
        }
    )
    pq.write_table(table, folder / "scores.parquet")
    entry = {"name": "scores", "schema": _SCHEMA}
    _, problems = parquet.validate(entry, folder / "scores.parquet", "scores", lambda _: None)
    _assert_located(problems)
    from_parquet = {(p.field, p.row, p.problem, p.expected) for p in problems}

    def as_text(value) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return repr(value) if value == value else "nan"
        return str(value)

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow([f["name"] for f in _SCHEMA["fields"]])
    writer.writerows(zip(*(map(as_text, v) for v in (scores, counts, labels)), strict=True))
    _, found = datasets._parse(
        buffer.getvalue().encode("utf-8"), entry, "scores.csv", paths.references_bib
    )
    _assert_located(found)
    from_csv = {(p.field, p.row, p.problem, p.expected) for p in found}
    assert from_parquet == from_csv
