"""The data package: typed loading, every kind of bad input, and the honesty of documented rows.

Each bad-input test damages a copy of the package (``package_copy``) and expects a
DataValidationError whose problem names the file, and the row and field where there is one,
with what was expected and what was found. Mutations that should fail a specific check re-stamp
the hash in the copy's descriptor first, so the hash check cannot be what fires.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis import paths
from analysis.data import datapackage, datasets
from analysis.errors import DataValidationError

DESCRIPTOR = datapackage.read_descriptor()
DOCUMENTED = [r["name"] for r in DESCRIPTOR["resources"] if r.get("synthetic") is False]


# ------------------------------------------------------------------------------------ helpers
def _entry(base: Path, name: str) -> dict:
    return datapackage.resource(datapackage.read_descriptor(base / "datapackage.json"), name)


def _file(base: Path, name: str) -> Path:
    return datapackage.resource_path(_entry(base, name), base)


def _restamp(base: Path, name: str) -> None:
    """Record the copy's current hash and size for ``name``, as an author would after an edit."""
    path = base / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    for entry in descriptor["resources"]:
        if entry["name"] == name:
            datapackage.stamp(entry, base)
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False), encoding="utf-8")


def _read_rows(base: Path, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_file(base, name).read_text(encoding="utf-8"))))


def _write_rows(base: Path, name: str, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    _file(base, name).write_text(buffer.getvalue(), encoding="utf-8")


def _set_cell(base: Path, name: str, row: int, column: str, value: str) -> None:
    """Set data row ``row`` (1-based) of ``column`` to ``value``."""
    rows = _read_rows(base, name)
    rows[row][rows[0].index(column)] = value
    _write_rows(base, name, rows)


def _problems(base: Path, name: str) -> list:
    with pytest.raises(DataValidationError) as caught:
        datasets.load(name, base=base)
    problems = caught.value.problems
    assert problems, "a DataValidationError must carry its problems"
    assert str(problems[0]) in str(caught.value)
    return problems


# ------------------------------------------------------------------------------ typed loading
def test_every_resource_in_the_package_is_valid() -> None:
    assert datasets.check_package() == []
    for checked in datasets.check_all():
        assert checked.ok, [str(p) for p in checked.problems]


def test_load_returns_categoricals_and_real_dates() -> None:
    provinces = datasets.load("provinces")
    assert isinstance(provinces["region_nbs4"].dtype, pd.CategoricalDtype)
    assert list(provinces["region_nbs4"].cat.categories) == ["east", "central", "west", "northeast"]
    assert provinces["population_10k_2013"].dtype == "int64"

    milestones = datasets.load("milestones")
    assert pd.api.types.is_datetime64_any_dtype(milestones["date"])
    for column in ("admin_level", "platform", "certainty", "date_precision"):
        assert isinstance(milestones[column].dtype, pd.CategoricalDtype), column

    counts = datasets.load("account_counts")
    assert pd.api.types.is_datetime64_any_dtype(counts["date"])
    assert isinstance(counts["platform"].dtype, pd.CategoricalDtype)
    assert counts["count"].dtype == "int64"
    assert counts["derived"].dtype == bool

    shares = datasets.load("wechat_sectors_2013")
    assert shares["share_pct"].dtype == "float64"
    assert str(shares["accounts"].dtype) == "Int64"  # missing where the report gives none


@pytest.mark.skipif(
    "accounts" not in {r["name"] for r in DESCRIPTOR["resources"]},
    reason="synthetic sample not generated yet",
)
def test_synthetic_accounts_have_categorical_region_level_platform() -> None:
    accounts = datasets.load("accounts")
    for column in ("region", "level", "platform"):
        assert isinstance(accounts[column].dtype, pd.CategoricalDtype), column
    assert pd.api.types.is_datetime64_any_dtype(accounts["opened"])


def test_load_gives_a_copy_the_caller_may_change() -> None:
    first = datasets.load("milestones")
    first.loc[0, "event"] = "changed by a caller"
    assert datasets.load("milestones").loc[0, "event"] != "changed by a caller"


# ------------------------------------------------------------------- documented rows are honest
@pytest.mark.parametrize("name", DOCUMENTED)
def test_every_documented_row_source_key_resolves(name: str) -> None:
    keys = datapackage.bib_keys(paths.references_bib)
    frame = datasets.load(name)
    assert frame["source"].notna().all()
    unresolved = {
        key.strip()
        for value in frame["source"]
        for key in value.split(";")
        if key.strip() not in keys
    }
    assert unresolved == set()
    entry = datapackage.resource(DESCRIPTOR, name)
    assert entry["synthetic"] is False
    assert entry["licenses"] and entry["sources"]
    assert all(source["bibkey"] in keys for source in entry["sources"])


@pytest.mark.parametrize(
    "name",
    [
        n
        for n in DOCUMENTED
        if "certainty"
        in {f["name"] for f in datapackage.resource(DESCRIPTOR, n)["schema"]["fields"]}
    ],
)
def test_rows_marked_uncertain_in_notes_are_not_documented(name: str) -> None:
    frame = datasets.load(name)
    flagged = frame[frame["note"].fillna("").str.contains("UNCERTAIN")]
    assert (flagged["certainty"] != "documented").all(), flagged.iloc[:, 0].tolist()


def test_first_police_microblog_claims_are_both_kept_and_disputed() -> None:
    milestones = datasets.load("milestones")
    claims = milestones[milestones["conflict_group"] == "first-police-microblog"]
    assert set(claims["place"]) == {"Zhaoqing", "Foshan"}
    assert (claims["certainty"] == "disputed").all()
    groups = milestones["conflict_group"].dropna()
    assert (groups.value_counts() >= 2).all()


def test_milestone_dates_are_the_first_day_of_their_period() -> None:
    milestones = datasets.load("milestones")
    month = milestones[milestones["date_precision"] == "month"]["date"]
    year = milestones[milestones["date_precision"] == "year"]["date"]
    assert (month.dt.day == 1).all()
    assert ((year.dt.day == 1) & (year.dt.month == 1)).all()


@pytest.mark.parametrize("name", ["account_counts", "audience_records"])
def test_count_dates_are_the_last_day_of_their_period(name: str) -> None:
    counts = datasets.load(name)
    month = counts[counts["date_precision"] == "month"]["date"]
    year = counts[counts["date_precision"] == "year"]["date"]
    assert month.dt.is_month_end.all()
    assert ((year.dt.month == 12) & (year.dt.day == 31)).all()


def test_audience_records_say_what_each_figure_is() -> None:
    """Followers and places carry a value and its bound, places and mentions name their
    ranking, a mention has no place, and only single accounts are counted at their opening."""
    records = datasets.load("audience_records")
    counted = records[records["measure"].isin(["followers", "rank"])]
    assert counted["value"].notna().all() and counted["bound"].notna().all()
    ranked = records[records["measure"].isin(["rank", "listed"])]
    assert ranked["ranking"].notna().all()
    assert records.loc[records["measure"] == "followers", "ranking"].isna().all()
    assert records.loc[records["measure"] == "listed", "value"].isna().all()
    assert (records.loc[records["measure"] == "rank", "value"] >= 1).all()
    many = records[records["account_kind"] == "many"]
    assert many["force"].isna().all() and not many["at_opening"].any()
    assert list(records["record_id"]) == sorted(records["record_id"])
    assert records["date"].is_monotonic_increasing


def test_count_parts_add_up_to_their_totals() -> None:
    """Institutional + officials = all, wherever a series reports all three exactly."""
    counts = datasets.load("account_counts")
    whole = counts[
        (counts["bound"] == "exact")
        & (counts["certainty"] == "documented")
        & counts["subgroup"].isna()
    ]
    whole = whole.assign(province_code=whole["province_code"].fillna("national"))
    keys = ["series", "date", "platform", "sector", "province_code"]
    wide = whole.pivot_table(
        index=keys, columns="account_kind", values="count", aggfunc="sum", observed=True
    )
    complete = wide.dropna(subset=["all", "institutional", "officials"])
    assert len(complete) >= 5  # CNSA 2011-2013, SJTU mid-2011, SCMP 2013, political-legal 2011
    assert (complete["institutional"] + complete["officials"] == complete["all"]).all()


def test_derived_counts_show_their_arithmetic() -> None:
    counts = datasets.load("account_counts")
    derived = counts[counts["derived"]]
    assert len(derived) >= 1
    assert derived["note"].str.startswith("Derived").all()
    assert not counts[~counts["derived"]]["note"].fillna("").str.startswith("Derived").any()


def test_wechat_sector_shares_match_counts_and_the_total() -> None:
    sectors = datasets.load("wechat_sectors_2013")
    counts = datasets.load("account_counts")
    total = counts[
        (counts["series"] == "wechat_government")
        & (counts["sector"] == "government_all")
        & (counts["date"] == "2013-12-31")
    ]["count"]
    assert len(total) == 1
    both = sectors.dropna(subset=["accounts", "share_pct"])
    assert len(both) >= 3
    computed = 100 * both["accounts"].astype(float) / float(total.iloc[0])
    assert (computed.round(2) - both["share_pct"]).abs().max() < 0.006
    assert sectors[sectors["breakdown"] == "sector"]["share_pct"].sum() <= 100


def test_police_weibo_coverage_is_internally_consistent() -> None:
    coverage = datasets.load("police_weibo_coverage").set_index("province_code")
    provinces = datasets.load("provinces").set_index("adcode")
    assert set(coverage.index) == set(provinces.index)
    assert (
        coverage["prefecture_areas_matching_2013_codes"]
        <= coverage["distinct_prefecture_areas_covered"]
    ).all()
    assert (
        coverage["distinct_prefecture_areas_covered"] <= coverage["prefecture_accounts_listed"]
    ).all()
    matched = coverage["prefecture_areas_matching_2013_codes"]
    assert (matched <= provinces.loc[coverage.index, "prefecture_divisions_2013"]).all()


def test_coverage_codebook_states_the_list_period_and_curator_caveat() -> None:
    entry = datapackage.resource(DESCRIPTOR, "police_weibo_coverage")
    text = entry["description"] + " ".join(f["description"] for f in entry["schema"]["fields"])
    assert "2022" in text and "2023" in text
    assert "not a census" in text


def test_provinces_codebook_explains_missing_internet_penetration() -> None:
    entry = datapackage.resource(DESCRIPTOR, "provinces")
    names = [f["name"] for f in entry["schema"]["fields"]]
    assert not any("internet" in n for n in names)
    assert "Internet penetration" in entry["description"]
    assert len(datasets.load("provinces")) == 31


# --------------------------------------------------------------------------------- bad input
@dataclass(frozen=True)
class Damage:
    """One way to break a resource and the problem the loader must report."""

    name: str
    resource: str
    damage: Callable[[Path], None]
    problem: str
    row: int | None = None
    field: str | None = None
    expected: str = ""
    found: str = ""


def _drop_column(column: str) -> Callable[[Path], None]:
    def damage(base: Path) -> None:
        rows = _read_rows(base, "account_counts")
        at = rows[0].index(column)
        _write_rows(base, "account_counts", [r[:at] + r[at + 1 :] for r in rows])

    return damage


def _add_column(base: Path) -> None:
    rows = _read_rows(base, "milestones")
    _write_rows(base, "milestones", [[*rows[0], "extra"]] + [[*r, "x"] for r in rows[1:]])


def _not_utf8(base: Path) -> None:
    file = _file(base, "milestones")
    lines = file.read_bytes().split(b"\n")
    lines[3] = lines[3][:10] + b"\xff" + lines[3][10:]
    file.write_bytes(b"\n".join(lines))


def _duplicate_row(base: Path) -> None:
    rows = _read_rows(base, "wechat_provinces_2013")
    rows[3][rows[0].index("rank")] = rows[1][rows[0].index("rank")]
    _write_rows(base, "wechat_provinces_2013", rows)


DAMAGES = [
    Damage(
        "missing column",
        "account_counts",
        _drop_column("note"),
        "columns differ from the schema",
        field="note",
        found="missing column note",
    ),
    Damage(
        "extra column",
        "milestones",
        _add_column,
        "columns differ from the schema",
        field="extra",
        found="unexpected column extra",
    ),
    Damage(
        "wrong type",
        "account_counts",
        lambda b: _set_cell(b, "account_counts", 3, "count", "12a"),
        "wrong type",
        3,
        "count",
        "an integer",
        "'12a'",
    ),
    Damage(
        "negative count",
        "account_counts",
        lambda b: _set_cell(b, "account_counts", 5, "count", "-5"),
        "value out of range",
        5,
        "count",
        ">= 0",
        "'-5'",
    ),
    Damage(
        "share above 100",
        "wechat_sectors_2013",
        lambda b: _set_cell(b, "wechat_sectors_2013", 2, "share_pct", "130.5"),
        "value out of range",
        2,
        "share_pct",
        "<= 100",
        "'130.5'",
    ),
    Damage(
        "unknown category",
        "milestones",
        lambda b: _set_cell(b, "milestones", 4, "platform", "myspace"),
        "unknown category",
        4,
        "platform",
        "one of weibo",
        "'myspace'",
    ),
    Damage(
        "unknown province code",
        "police_weibo_coverage",
        lambda b: _set_cell(b, "police_weibo_coverage", 6, "province_code", "710000"),
        "unknown key (not in provinces.adcode)",
        6,
        "province_code",
        "adcode values in provinces",
        "'710000'",
    ),
    Damage(
        "duplicate key",
        "wechat_provinces_2013",
        _duplicate_row,
        "duplicate value",
        3,
        "rank",
        "unique",
        "'1'",
    ),
    Damage(
        "malformed date",
        "milestones",
        lambda b: _set_cell(b, "milestones", 7, "date", "2010/05/11"),
        "malformed date",
        7,
        "date",
        "YYYY-MM-DD",
        "'2010/05/11'",
    ),
    Damage(
        "impossible date",
        "milestones",
        lambda b: _set_cell(b, "milestones", 8, "date", "2011-02-30"),
        "impossible date",
        8,
        "date",
        "real calendar date",
        "'2011-02-30'",
    ),
    Damage(
        "unknown source key",
        "account_counts",
        lambda b: _set_cell(b, "account_counts", 9, "source", "cnsa2014report;nosuchkey2099"),
        "source key not in references.bib",
        9,
        "source",
        "references.bib",
        "'nosuchkey2099'",
    ),
    Damage(
        "a place without its ranking",
        "audience_records",
        lambda b: _set_cell(b, "audience_records", 4, "ranking", ""),
        "missing value",
        4,
        "ranking",
        "a value where measure is rank or listed",
        "empty (measure = rank)",
    ),
    Damage(
        "followers without a number",
        "audience_records",
        lambda b: _set_cell(b, "audience_records", 2, "value", ""),
        "missing value",
        2,
        "value",
        "a value where measure is followers or rank",
        "empty (measure = followers)",
    ),
    Damage(
        "unknown measure",
        "audience_records",
        lambda b: _set_cell(b, "audience_records", 5, "measure", "likes"),
        "unknown category",
        5,
        "measure",
        "one of followers",
        "'likes'",
    ),
    Damage(
        "unknown source key of an audience record",
        "audience_records",
        lambda b: _set_cell(b, "audience_records", 9, "source", "dlnp2011report;nosuchkey2099"),
        "source key not in references.bib",
        9,
        "source",
        "references.bib",
        "'nosuchkey2099'",
    ),
    Damage(
        "audience record in a province that does not exist",
        "audience_records",
        lambda b: _set_cell(b, "audience_records", 7, "province_code", "710000"),
        "unknown key (not in provinces.adcode)",
        7,
        "province_code",
        "adcode values in provinces",
        "'710000'",
    ),
    Damage(
        "empty file",
        "wechat_sectors_2013",
        lambda b: _file(b, "wechat_sectors_2013").write_bytes(b""),
        "empty file",
    ),
    Damage(
        "header only",
        "wechat_sectors_2013",
        lambda b: _write_rows(b, "wechat_sectors_2013", _read_rows(b, "wechat_sectors_2013")[:1]),
        "empty file",
        expected="at least one data row",
    ),
    Damage(
        "not UTF-8",
        "milestones",
        _not_utf8,
        "file is not UTF-8",
        3,
        expected="UTF-8",
        found="byte 0xff at line 4",
    ),
]


@pytest.mark.parametrize("case", DAMAGES, ids=[d.name for d in DAMAGES])
def test_bad_input_is_reported_with_file_row_field_expected_found(
    package_copy: Path, case: Damage
) -> None:
    case.damage(package_copy)
    _restamp(package_copy, case.resource)
    problems = _problems(package_copy, case.resource)
    first = problems[0]
    assert first.problem == case.problem, str(first)
    assert first.file.endswith(_entry(package_copy, case.resource)["path"])
    assert first.row == case.row, str(first)
    assert first.field == case.field, str(first)
    assert case.expected in first.expected, str(first)
    assert case.found in str(first.found), str(first)
    assert not any("hash" in p.problem for p in problems)


def test_file_edited_after_its_hash_was_recorded(package_copy: Path) -> None:
    recorded = _entry(package_copy, "milestones")["hash"]
    file = _file(package_copy, "milestones")
    file.write_text(
        file.read_text(encoding="utf-8").replace("Seed 004", "Seed 0O4", 1), encoding="utf-8"
    )
    (problem,) = _problems(package_copy, "milestones")
    assert problem.problem == "file changed after its hash was recorded in datapackage.json"
    assert problem.file.endswith("documented/milestones.csv")
    assert problem.expected == recorded
    assert problem.found == datapackage.sha256_file(file)


def test_missing_file(package_copy: Path) -> None:
    _file(package_copy, "account_counts").unlink()
    (problem,) = _problems(package_copy, "account_counts")
    assert problem.problem == "file missing"
    assert problem.file.endswith("documented/account_counts.csv")


def test_wrong_recorded_size_is_reported(package_copy: Path) -> None:
    path = package_copy / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    for entry in descriptor["resources"]:
        if entry["name"] == "provinces":
            entry["bytes"] += 1
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    (problem,) = _problems(package_copy, "provinces")
    assert problem.problem == "size differs from the one recorded"


def test_invalid_foreign_key_target_is_named(package_copy: Path) -> None:
    _set_cell(package_copy, "provinces", 1, "region_nbs4", "north")
    _restamp(package_copy, "provinces")
    problems = _problems(package_copy, "police_weibo_coverage")
    assert problems[0].problem == "foreign key target 'provinces' is invalid"
    assert "provinces.csv" in problems[0].found and "north" in problems[0].found


def test_descriptor_metadata_is_checked(package_copy: Path) -> None:
    path = package_copy / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    for entry in descriptor["resources"]:
        if entry["name"] == "wechat_sectors_2013":
            entry["licenses"] = []
            entry["sources"][0]["bibkey"] = "nosuchkey2099"
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    problems = [p.problem for p in _problems(package_copy, "wechat_sectors_2013")]
    assert "no licence stated" in problems
    assert "source key not in references.bib" in problems


def test_a_schema_change_is_seen_even_when_the_file_is_unchanged(package_copy: Path) -> None:
    assert datasets.check("provinces", base=package_copy).ok
    path = package_copy / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    for entry in descriptor["resources"]:
        if entry["name"] == "provinces":
            for spec in entry["schema"]["fields"]:
                if spec["name"] == "region_nbs4":
                    spec["constraints"]["enum"] = ["east", "west"]
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    problems = _problems(package_copy, "provinces")
    assert problems[0].problem == "unknown category"
    assert problems[0].field == "region_nbs4"


def test_package_version_needs_a_changelog_entry(package_copy: Path) -> None:
    changelog = package_copy / "CHANGELOG.md"
    version = datapackage.read_descriptor(package_copy / "datapackage.json")["version"]
    assert re.search(rf"^## {re.escape(version)}\b", changelog.read_text(encoding="utf-8"), re.M)
    assert datasets.check_package(package_copy) == []
    changelog.write_text("# Changelog\n\n## 0.0.1\n", encoding="utf-8")
    (problem,) = datasets.check_package(package_copy)
    assert problem.problem == "no entry for the package version"
    assert problem.file.endswith("CHANGELOG.md")


# --------------------------------------------------------------------- licence and citation
def test_code_licence_and_citation_file() -> None:
    assert paths.root.joinpath("LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    citation = yaml.safe_load(paths.root.joinpath("CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0"
    assert citation["title"] and citation["authors"] and citation["license"] == "MIT"


def test_a_malformed_required_when_is_a_descriptor_problem(package_copy: Path) -> None:
    path = package_copy / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    entry = next(e for e in descriptor["resources"] if e["name"] == "audience_records")
    field = next(f for f in entry["schema"]["fields"] if f["name"] == "ranking")
    field["requiredWhen"] = {"field": "kind_of_figure", "in": ["rank"]}
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    (problem,) = _problems(package_copy, "audience_records")
    assert problem.problem == "property 'requiredWhen' has the wrong shape"
    assert problem.field == "ranking" and "kind_of_figure" in problem.found


def test_descriptor_mistakes_become_problems_not_tracebacks(package_copy: Path) -> None:
    path = package_copy / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    for entry in descriptor["resources"]:
        if entry["name"] == "police_weibo_coverage":
            entry["schema"]["foreignKeys"][0]["reference"]["resource"] = "regions"
        if entry["name"] == "milestones":
            del entry["hash"]
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    (problem,) = _problems(package_copy, "police_weibo_coverage")
    assert problem.problem == "foreign key names an unknown resource"
    assert "'regions'" in problem.found
    (problem,) = _problems(package_copy, "milestones")
    assert problem.problem == "no hash recorded in datapackage.json"
