"""The codebook tables the book prints are generated from the descriptor, field for field."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from analysis import paths
from analysis.data import codebook, datapackage


@pytest.fixture
def package(package_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the codebook at a writable copy of data/."""
    monkeypatch.setattr(paths, "data", package_copy)
    monkeypatch.setattr(paths, "datapackage", package_copy / "datapackage.json")
    return package_copy


def test_codebook_lists_every_field_of_every_resource_in_order() -> None:
    descriptor = datapackage.read_descriptor()
    expected = [
        (entry["name"], field["name"])
        for entry in descriptor["resources"]
        for field in entry["schema"]["fields"]
    ]
    frame = codebook.codebook()
    assert list(zip(frame["resource"], frame["field"], strict=True)) == expected
    assert descriptor["version"] in frame.attrs["note"]


def test_codebook_states_keys_enums_and_synthetic_kind() -> None:
    frame = codebook.codebook().set_index(["resource", "field"])
    assert frame.loc[("provinces", "adcode"), "constraints"].startswith("primary key")
    assert (
        "one of: east, central, west, northeast"
        in frame.loc[("provinces", "region_nbs4"), "constraints"]
    )
    synthetic = {e["name"] for e in datapackage.read_descriptor()["resources"] if e["synthetic"]}
    kinds = frame.reset_index().groupby("resource")["kind"].first()
    assert {name for name, kind in kinds.items() if kind == "synthetic"} == synthetic


def test_field_added_to_the_descriptor_appears_in_the_codebook(package: Path) -> None:
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["schema"]["fields"].append(
        {"name": "extra_field", "type": "integer", "description": "A planted field."}
    )
    (package / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    frame = codebook.codebook()
    row = frame[frame["field"] == "extra_field"].iloc[0]
    assert (row["resource"], row["type"], row["description"]) == (
        descriptor["resources"][0]["name"],
        "integer",
        "A planted field.",
    )


def test_resources_table_reports_recorded_hashes_and_true_row_counts() -> None:
    descriptor = datapackage.read_descriptor()
    frame = codebook.resources().set_index("resource")
    for entry in descriptor["resources"]:
        assert frame.loc[entry["name"], "sha256 (first 16)"] == entry["hash"][7:23]
        # Rows counted here with the standard library, not with the project's reader.
        with datapackage.resource_path(entry).open(encoding="utf-8", newline="") as handle:
            records = [row for row in csv.reader(handle) if row]
        assert frame.loc[entry["name"], "rows"] == len(records) - 1, entry["name"]


def test_missing_file_has_no_row_count(package: Path) -> None:
    descriptor = datapackage.read_descriptor()
    datapackage.resource_path(descriptor["resources"][0]).unlink()
    frame = codebook.resources()
    assert frame["rows"].isna().iloc[0]


def test_package_counts_match_the_descriptor_file() -> None:
    raw = json.loads(paths.datapackage.read_text(encoding="utf-8"))["resources"]
    values = codebook.package()
    assert values["resources"] == len(raw)
    assert values["synthetic"] == sum(1 for entry in raw if entry.get("synthetic") is True)
    assert values["documented"] == sum(1 for entry in raw if entry.get("synthetic") is False)
    assert sorted(values["synthetic_names"]) == sorted(
        entry["name"] for entry in raw if entry.get("synthetic") is True
    )
    assert values["fields"] == sum(len(entry["schema"]["fields"]) for entry in raw)
