"""Damage cases that each reach one validation check alone.

A tiny package of its own (two resources, a references.bib) is written for every test, so
each case controls its schema: the primary key carries no ``unique`` constraint (so only the
primary-key check can see a duplicate key), the one ``unique`` field is not a key, and every
other constraint sits on its own field. Each test damages one thing, re-records the file's
hash and size as an author would (unless the hash is what it tests), and expects the problems
to be of that one kind, naming the file, the row and the field, with what was expected and
what was found. The cases assert behaviour (the error a reader sees), not the validator's
internals, and every test has a valid twin (the untouched package loads) so none can pass
by the package being broken already.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest

from analysis.data import datasets
from analysis.errors import DataProblem, DataValidationError

BIB = "@misc{src2020,\n  title = {A source},\n  year = {2020}\n}\n"

ITEMS = [
    ["id", "count", "share", "flag", "day", "kind", "code", "source"],
    ["I1", "0", "0.5", "true", "2020-01-31", "a", "c1", "src2020"],
    ["I2", "100", "1e-3", "false", "2020-02-29", "b", "c2", "src2020"],
    ["I3", "7", "", "", "", "", "", "src2020"],
]
CHILDREN = [["child_id", "item_id"], ["K1", "I1"], ["K2", "I3"], ["K3", ""]]


def _field(name: str, kind: str = "string", **constraints) -> dict:
    spec = {"name": name, "type": kind, "description": f"the {name}"}
    if constraints:
        spec["constraints"] = constraints
    return spec


DESCRIPTOR = {
    "name": "damage-cases",
    "version": "1.0.0",
    "resources": [
        {
            "name": "items",
            "path": "items.csv",
            "format": "csv",
            "synthetic": False,
            "licenses": [{"name": "CC0-1.0"}],
            "sources": [{"title": "A source", "bibkey": "src2020"}],
            "schema": {
                "fields": [
                    # the key: required and patterned, deliberately without `unique`
                    _field("id", required=True, pattern="I[0-9]+"),
                    _field("count", "integer", minimum=0, maximum=100),
                    _field("share", "number"),
                    _field("flag", "boolean"),
                    _field("day", "date"),
                    _field("kind", enum=["a", "b"]),
                    _field("code", unique=True),
                    {**_field("source", required=True), "bibkey": True},
                ],
                "primaryKey": "id",
            },
        },
        {
            "name": "children",
            "path": "children.csv",
            "format": "csv",
            "synthetic": False,
            "licenses": [{"name": "CC0-1.0"}],
            "sources": [{"title": "A source", "bibkey": "src2020"}],
            "schema": {
                "fields": [_field("child_id", required=True), _field("item_id")],
                "primaryKey": "child_id",
                "foreignKeys": [
                    {"fields": "item_id", "reference": {"resource": "items", "fields": "id"}}
                ],
            },
        },
    ],
}


class Package:
    """The tiny package in a temporary folder, with helpers to damage it."""

    def __init__(self, root: Path):
        self.base = root / "data"
        self.base.mkdir()
        (root / "references.bib").write_text(BIB, encoding="utf-8")
        self.descriptor = copy.deepcopy(DESCRIPTOR)
        self.write("items", ITEMS)
        self.write("children", CHILDREN)

    def entry(self, name: str) -> dict:
        return next(r for r in self.descriptor["resources"] if r["name"] == name)

    def write(self, name: str, rows: list[list[str]], *, stamp: bool = True) -> None:
        text = "".join(",".join(row) + "\n" for row in rows)
        self.write_bytes(name, text.encode("utf-8"), stamp=stamp)

    def write_bytes(self, name: str, payload: bytes, *, stamp: bool = True) -> None:
        (self.base / self.entry(name)["path"]).write_bytes(payload)
        if stamp:
            self.entry(name)["hash"] = "sha256:" + hashlib.sha256(payload).hexdigest()
            self.entry(name)["bytes"] = len(payload)
        self.save()

    def save(self) -> None:
        text = json.dumps(self.descriptor, indent=2)
        (self.base / "datapackage.json").write_text(text, encoding="utf-8")

    def with_cell(self, row: int, column: str, value: str, name: str = "items") -> None:
        rows = copy.deepcopy(ITEMS if name == "items" else CHILDREN)
        rows[row][rows[0].index(column)] = value
        self.write(name, rows)

    def problems(self, name: str = "items") -> list[DataProblem]:
        with pytest.raises(DataValidationError) as caught:
            datasets.load(name, base=self.base)
        assert caught.value.problems
        return caught.value.problems


@pytest.fixture
def package(tmp_path: Path) -> Package:
    made = Package(tmp_path)
    for name in ("items", "children"):  # the valid twin: the untouched package loads
        assert len(datasets.load(name, base=made.base)) == 3
    return made


def only(problems: list[DataProblem], problem: str) -> DataProblem:
    """All problems are of the one expected kind; returns the first."""
    kinds = {p.problem for p in problems}
    assert all(problem in k for k in kinds), [str(p) for p in problems]
    return problems[0]


def located(p: DataProblem, file: str, row: int | None, field: str | None) -> None:
    assert Path(p.file).name == file or file in p.file, p
    assert (p.row, p.field) == (row, field), p
    assert p.expected and p.found, p
    text = str(p)
    assert file in text and (row is None or f"row {row}" in text), text


# --- keys -----------------------------------------------------------------------------------


def test_primary_key_without_unique_constraint_is_checked(package):
    rows = copy.deepcopy(ITEMS)
    rows[3][0] = "I1"  # row 3 repeats row 1's key; nothing else is wrong
    package.write("items", rows)
    p = only(package.problems(), "duplicate primary key")
    located(p, "items.csv", 3, "id")
    assert "I1" in p.found


def test_unique_constraint_on_a_field_that_is_not_a_key(package):
    package.with_cell(2, "code", "c1")
    p = only(package.problems(), "duplicate value")
    located(p, "items.csv", 2, "code")
    assert "c1" in p.found


def test_foreign_key_value_missing_from_the_referenced_resource(package):
    package.with_cell(2, "item_id", "I9", name="children")
    p = only(package.problems("children"), "unknown key")
    located(p, "children.csv", 2, "item_id")
    assert "I9" in p.found and "items" in p.problem


def test_foreign_key_naming_an_unknown_resource(package):
    package.entry("children")["schema"]["foreignKeys"][0]["reference"]["resource"] = "nothing"
    package.save()
    p = only(package.problems("children"), "foreign key")
    assert "nothing" in p.found or "nothing" in p.problem, p


def test_foreign_key_into_an_invalid_resource(package):
    package.with_cell(1, "count", "-1")  # items is now invalid; children itself is fine
    p = only(package.problems("children"), "foreign key target 'items' is invalid")
    assert "children.csv" in p.file


# --- values ---------------------------------------------------------------------------------


def test_required_value_missing(package):
    package.with_cell(3, "source", "")
    located(only(package.problems(), "required value missing"), "items.csv", 3, "source")


def test_integer_field_given_a_decimal(package):
    package.with_cell(3, "count", "3.5")
    p = only(package.problems(), "wrong type")
    located(p, "items.csv", 3, "count")
    assert "integer" in p.expected and "3.5" in p.found


def test_number_field_given_text(package):
    package.with_cell(1, "share", "half")
    p = only(package.problems(), "wrong type")
    located(p, "items.csv", 1, "share")
    assert "number" in p.expected


def test_boolean_field_given_yes(package):
    package.with_cell(2, "flag", "yes")
    located(only(package.problems(), "wrong type"), "items.csv", 2, "flag")


def test_malformed_date(package):
    package.with_cell(1, "day", "2020/01/31")
    p = only(package.problems(), "malformed date")
    located(p, "items.csv", 1, "day")
    assert "YYYY-MM-DD" in p.expected


def test_impossible_date(package):
    package.with_cell(1, "day", "2021-02-29")  # 2021 is not a leap year
    located(only(package.problems(), "impossible date"), "items.csv", 1, "day")


@pytest.mark.parametrize("value, bound", [("-1", ">= 0"), ("101", "<= 100")])
def test_value_outside_minimum_or_maximum(package, value, bound):
    package.with_cell(3, "count", value)
    p = only(package.problems(), "out of range")
    located(p, "items.csv", 3, "count")
    assert bound in p.expected and value in p.found


def test_bounds_are_inclusive(package):
    """0 and 100 are allowed (the valid twin holds them in rows 1 and 2); so are they alone."""
    package.with_cell(3, "count", "100")
    assert datasets.load("items", base=package.base)["count"].tolist() == [0, 100, 100]


def test_value_outside_the_enum(package):
    package.with_cell(2, "kind", "c")
    p = only(package.problems(), "unknown category")
    located(p, "items.csv", 2, "kind")
    assert "a" in p.expected and "b" in p.expected


def test_value_not_matching_the_pattern(package):
    package.with_cell(2, "id", "X2")
    p = only(package.problems(), "pattern")
    located(p, "items.csv", 2, "id")
    assert "X2" in p.found


def test_source_key_not_in_references_bib(package):
    package.with_cell(1, "source", "src2020;nokey2021")
    p = only(package.problems(), "not in references.bib")
    located(p, "items.csv", 1, "source")
    assert "nokey2021" in p.found and "src2020" not in p.found


def test_source_keys_may_be_separated_with_spaces(package):
    package.with_cell(1, "source", "src2020; src2020")
    assert len(datasets.load("items", base=package.base)) == 3


# --- the file as a whole --------------------------------------------------------------------


def test_missing_column(package):
    package.write("items", [row[:-1] for row in ITEMS])
    p = only(package.problems(), "columns differ")
    assert (p.row, p.field) == (None, "source") and "source" in p.found


def test_unexpected_column(package):
    package.write("items", [[*row, "x"] for row in ITEMS])
    assert "unexpected column" in only(package.problems(), "columns differ").found


def test_columns_out_of_order(package):
    package.write("items", [[row[1], row[0], *row[2:]] for row in ITEMS])
    p = only(package.problems(), "out of order")
    assert p.expected.startswith("id, count")


def test_row_with_too_few_values(package):
    """The dropped values are optional ones, so only the count of values can see it."""
    rows = copy.deepcopy(CHILDREN)
    rows[2] = rows[2][:1]
    package.write("children", rows)
    p = only(package.problems("children"), "too few values")
    assert p.row == 2


def test_row_with_too_many_values(package):
    rows = copy.deepcopy(ITEMS)
    rows[1] = [*rows[1], "extra"]
    package.write("items", rows)
    p = only(package.problems(), "too many values")
    assert p.row == 1


def test_file_that_is_not_utf8(package):
    package.write_bytes("items", "id,count\nI1,\xe9\n".encode("latin-1"))
    p = only(package.problems(), "not UTF-8")
    assert "0xe9" in p.found


def test_empty_file(package):
    package.write_bytes("items", b"")
    only(package.problems(), "empty")


def test_header_without_rows(package):
    package.write("items", ITEMS[:1])
    p = only(package.problems(), "empty file")
    assert "header" in p.found


def test_missing_file(package):
    (package.base / "items.csv").unlink()
    p = only(package.problems(), "")
    assert "items.csv" in p.file and ("missing" in p.problem or "no file" in p.found)


# --- hash and size --------------------------------------------------------------------------


def test_file_edited_after_its_hash_was_recorded(package):
    rows = copy.deepcopy(ITEMS)
    rows[3][1] = "8"  # a valid edit: only the hash can see it
    package.write("items", rows, stamp=False)
    p = only(package.problems(), "file changed after its hash was recorded")
    assert p.found.startswith("sha256:") and p.expected.startswith("sha256:")


def test_recorded_size_differs(package):
    package.entry("items")["bytes"] += 1
    package.save()
    p = only(package.problems(), "size")
    assert str(package.entry("items")["bytes"]) in p.expected


def test_no_hash_recorded(package):
    del package.entry("items")["hash"]
    package.save()
    only(package.problems(), "no hash recorded")


# --- the descriptor entry -------------------------------------------------------------------


@pytest.mark.parametrize(
    "remove, problem",
    [
        ("synthetic", "synthetic flag missing"),
        ("licenses", "no licence"),
        ("sources", "no sources"),
    ],
)
def test_entry_metadata_missing(package, remove, problem):
    del package.entry("items")[remove]
    package.save()
    p = only(package.problems(), problem)
    assert "items" in p.file


def test_documented_source_without_bibkey(package):
    package.entry("items")["sources"] = [{"title": "A source with no key"}]
    package.save()
    only(package.problems(), "documented source without a bibkey")


def test_entry_source_key_not_in_references_bib(package):
    package.entry("items")["sources"] = [{"title": "A source", "bibkey": "nokey2021"}]
    package.save()
    p = only(package.problems(), "not in references.bib")
    assert p.found == "nokey2021"


def test_field_without_description(package):
    del package.entry("items")["schema"]["fields"][2]["description"]
    package.save()
    p = only(package.problems(), "no description")
    assert p.field == "share"


def test_unsupported_field_type(package):
    package.entry("items")["schema"]["fields"][2]["type"] = "decimal"
    package.save()
    p = only(package.problems(), "unsupported field type")
    assert p.field == "share" and "decimal" in p.found
