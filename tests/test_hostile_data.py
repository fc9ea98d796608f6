"""Hostile and careless inputs (issue 14): each is refused with one located message, or accepted
for a stated reason, and none hangs, leaks a file's content or prints a traceback.

Every case damages a copy of the package (``package_copy``); the assertions name what the
message must say (file, row, field, expected, found).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from analysis import paths
from analysis.__main__ import main
from analysis.data import datapackage, datasets, files, simulate
from analysis.errors import DataValidationError, UsageError


# ------------------------------------------------------------------------------------ helpers
def _descriptor(base: Path) -> dict:
    return json.loads((base / "datapackage.json").read_text(encoding="utf-8"))


def _save(base: Path, descriptor: dict) -> None:
    (base / "datapackage.json").write_text(
        json.dumps(descriptor, indent=2, ensure_ascii=False), encoding="utf-8"
    )


def _edit_entry(base: Path, name: str, **changes) -> None:
    descriptor = _descriptor(base)
    for entry in descriptor["resources"]:
        if entry["name"] == name:
            entry.update(changes)
    _save(base, descriptor)


def _field(base: Path, name: str, field: str, **changes) -> None:
    descriptor = _descriptor(base)
    for entry in descriptor["resources"]:
        if entry["name"] == name:
            for spec in entry["schema"]["fields"]:
                if spec["name"] == field:
                    spec.update(changes)
    _save(base, descriptor)


def _restamp(base: Path, name: str) -> None:
    descriptor = _descriptor(base)
    for entry in descriptor["resources"]:
        if entry["name"] == name:
            datapackage.stamp(entry, base)
    _save(base, descriptor)


def _only(base: Path, name: str):
    checked = datasets.check(name, base=base)
    assert checked.problems, f"{name} should be invalid"
    return checked.problems[0]


def _provinces(base: Path) -> Path:
    return base / "documented" / "provinces.csv"


def _replace_cell(base: Path, row: int, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in data row ``row`` (1-based) of provinces.csv."""
    file = _provinces(base)
    lines = file.read_text(encoding="utf-8").split("\n")
    assert old in lines[row]
    lines[row] = lines[row].replace(old, new, 1)
    file.write_text("\n".join(lines), encoding="utf-8")


# ------------------------------------------------------------------------------- paths (item 2)
@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("../outside.csv", "resource path leaves the data folder"),
        ("documented/../../outside.csv", "resource path leaves the data folder"),
        ("/etc/passwd", "resource path is absolute"),
        ("documented\\provinces.csv", "resource path is absolute"),
    ],
)
def test_hostile_path_outside_the_data_folder_is_refused_before_reading(
    package_copy: Path, path: str, problem: str
) -> None:
    secret = package_copy.parent / "outside.csv"
    secret.write_text("SECRET-FIRST-LINE\n", encoding="utf-8")
    _edit_entry(package_copy, "provinces", path=path)
    found = _only(package_copy, "provinces")
    assert found.problem == problem
    assert "resource 'provinces'" in found.file
    assert found.expected == "a relative path inside the data folder"
    assert repr(path) == found.found
    assert "SECRET" not in str(found) and "root:" not in str(found)


def test_hostile_symlink_leaving_the_data_folder_is_refused_without_echoing_content(
    package_copy: Path,
) -> None:
    secret = package_copy.parent / "secret.csv"
    secret.write_text("SECRET-FIRST-LINE,x\n1,2\n", encoding="utf-8")
    target = _provinces(package_copy)
    target.unlink()
    target.symlink_to(secret)
    found = _only(package_copy, "provinces")
    assert found.problem == "resource path leaves the data folder through a symbolic link"
    assert "SECRET" not in str(found)


def test_symlink_inside_the_data_folder_is_followed(package_copy: Path) -> None:
    target = _provinces(package_copy)
    moved = package_copy / "documented" / "provinces-real.csv"
    target.rename(moved)
    target.symlink_to(moved)
    assert datasets.check("provinces", base=package_copy).ok


def test_hostile_symlink_to_dev_zero_is_refused_without_reading(package_copy: Path) -> None:
    target = _provinces(package_copy)
    target.unlink()
    os.symlink("/dev/zero", target)
    # /dev/zero is outside the folder: refused as a path before anything is opened
    found = _only(package_copy, "provinces")
    assert "leaves the data folder" in found.problem


def test_a_device_inside_the_folder_is_not_a_regular_file(tmp_path: Path) -> None:
    problem = files.regular_file(Path("/dev/zero"), "zero")
    assert problem is not None
    assert (problem.problem, problem.found) == ("not a regular file", "a device, pipe or socket")


def test_hostile_directory_where_a_file_should_be_is_a_located_problem(package_copy: Path) -> None:
    target = _provinces(package_copy)
    target.unlink()
    target.mkdir()
    found = _only(package_copy, "provinces")
    assert found.file.endswith("documented/provinces.csv")
    assert (found.problem, found.expected, found.found) == (
        "not a regular file",
        "a regular data file",
        "a directory",
    )


def test_hostile_descriptor_that_is_a_directory_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "datapackage.json").mkdir()
    with pytest.raises(DataValidationError) as error:
        datapackage.read_descriptor(tmp_path / "datapackage.json")
    assert "descriptor is not a file" in str(error.value) and "a directory" in str(error.value)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--data", "/dev/zero", "validate"], "expected a folder holding datapackage.json"),
        (["validate", "--data", "/nonexistent/x"], "found nothing"),
        (["simulate", "--out", "/dev/null"], "found a device, pipe or socket"),
        (["simulate", "--seed", "1", "--out", "{data}/sub"], "outside the data folder"),
    ],
)
def test_hostile_folder_arguments_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [a.replace("{data}", str(paths.data)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


# ------------------------------------------------------------------------------ limits (item 4)
def test_limit_file_size_is_checked_before_parsing(package_copy: Path) -> None:
    _edit_entry(package_copy, "provinces", limits={"bytes": 1000})
    found = _only(package_copy, "provinces")
    assert found.problem == "file larger than its limit"
    assert found.expected.startswith("at most 1,000 bytes")
    assert found.found == f"{_provinces(package_copy).stat().st_size:,} bytes"


def _refuse_parsing(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make the named parsers of analysis.data.datasets fail the test if they are reached."""

    def reached(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the file was parsed: the check should have refused it before")

    for name in names or ("_parse",):
        monkeypatch.setattr(datasets, name, reached)


def test_limit_line_length_refuses_a_megabyte_single_line_file_before_parsing(
    package_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _provinces(package_copy).write_text("," * 1_000_000 + "\n", encoding="utf-8")
    _refuse_parsing(monkeypatch)  # quadratic behaviour (15 s) was in parsing: never reached
    found = _only(package_copy, "provinces")
    assert found.problem == "line longer than its limit"
    assert found.found == "1,000,000 bytes at line 1"


def test_limit_many_duplicate_columns_within_the_line_limit_are_named_not_stalled(
    package_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _edit_entry(package_copy, "provinces", limits={"lineBytes": 2_000_000})
    _provinces(package_copy).write_text("," * 300_000 + "\n1\n", encoding="utf-8")
    # pandas renames duplicate columns in quadratic time: the header is refused before it
    _refuse_parsing(monkeypatch, "_header", "_field_counts")
    monkeypatch.setattr(datasets.pd, "read_csv", lambda *a, **k: pytest.fail("read by pandas"))
    found = _only(package_copy, "provinces")
    assert found.problem == "columns differ from the schema"
    assert found.found == "a first line of 300,001 comma-separated values"
    assert len(str(found)) < 2000


def test_odd_columns_are_named_a_few_at_a_time(package_copy: Path) -> None:
    file = _provinces(package_copy)
    lines = file.read_text(encoding="utf-8").split("\n")
    lines[0] = ",".join(f"x{i}" for i in range(40))
    file.write_text("\n".join(lines), encoding="utf-8")
    found = _only(package_copy, "provinces")
    assert found.problem == "columns differ from the schema"
    assert found.found.startswith("missing column adcode, name_zh, name_en, name_pinyin,")
    assert "and 12 more; unexpected column x0, x1, x2, x3, x4 and 35 more" in found.found


def test_limit_override_of_the_wrong_type_is_a_located_problem(package_copy: Path) -> None:
    _edit_entry(package_copy, "provinces", limits={"bytes": "big"})
    found = _only(package_copy, "provinces")
    assert found.problem == "property 'limits.bytes' has the wrong type"
    assert found.expected == "a positive integer" and "'big'" in found.found


@pytest.mark.parametrize(
    "pattern", ["(a+)+$", "(a|aa)*b", "([0-9]*)*x", "a*a*a*b", "(?=a)a", "(x)\\1"]
)
def test_limit_nested_repeat_pattern_is_refused_before_matching(
    package_copy: Path, pattern: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _field(package_copy, "provinces", "name_en", constraints={"required": True, "pattern": pattern})
    _replace_cell(package_copy, 1, "Beijing", "a" * 5000 + "!")
    _refuse_parsing(monkeypatch)  # refused from the descriptor: no value is ever matched
    found = _only(package_copy, "provinces")
    assert found.problem == "schema pattern refused"
    assert found.field == "name_en"
    assert found.expected == "a regular expression in the safe subset"
    assert repr(pattern) in found.found


def test_safe_patterns_of_the_package_are_accepted() -> None:
    for entry in datapackage.read_descriptor()["resources"]:
        for spec in entry["schema"]["fields"]:
            pattern = spec.get("constraints", {}).get("pattern")
            if pattern:
                assert files.check_pattern(pattern) is None, pattern


def test_limit_simulate_scale_1e9_is_refused_with_the_estimate_before_allocating(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for drawing in ("_draw_accounts", "_draw_posts"):  # refused before anything is drawn
        monkeypatch.setattr(simulate, drawing, lambda *a, **k: pytest.fail("drew a sample"))
    code = main(["simulate", "--scale", "1e9", "--out", str(paths.root / ".never-written")])
    err = capsys.readouterr().err
    assert code == 2
    assert "would need about" in err and "GB of memory" in err and "limit of 8 GB" in err
    assert not (paths.root / ".never-written").exists()


def test_limit_simulate_memory_estimate_grows_with_the_size() -> None:
    params = simulate.load_parameters()
    provinces = datasets.load("provinces")
    small = simulate.size(params, provinces, 1.0)
    large = simulate.size(params, provinces, 10.0)
    assert 800 <= small[0] <= 1000 and 80_000 <= small[1] <= 95_000  # the committed sample
    assert large[2] > small[2]
    with pytest.raises(UsageError, match=r"above the limit of 0\.1 GB"):
        simulate.check_size(params, provinces, 1.0, limit=10**8)


# --------------------------------------------------------------- one CSV reader (item 5)
def test_blank_lines_do_not_change_the_row_count(package_copy: Path) -> None:
    file = _provinces(package_copy)
    text = file.read_text(encoding="utf-8")
    file.write_text(text.replace("\n", "\n\n", 5), encoding="utf-8")
    _restamp(package_copy, "provinces")
    checked = datasets.check("provinces", base=package_copy)
    assert checked.ok and checked.rows == 31


def test_codebook_counts_rows_with_the_loader(
    monkeypatch: pytest.MonkeyPatch, package_copy: Path
) -> None:
    from analysis.data import codebook

    file = _provinces(package_copy)
    file.write_text(file.read_text(encoding="utf-8").replace("\n", "\n\n", 4), encoding="utf-8")
    _restamp(package_copy, "provinces")
    monkeypatch.setattr(paths, "data", package_copy)
    monkeypatch.setattr(paths, "datapackage", package_copy / "datapackage.json")
    table = codebook.resources().set_index("resource")
    assert table.loc["provinces", "rows"] == 31


def test_covered_areas_above_the_number_of_divisions_are_rejected_not_clipped(
    package_copy: Path,
) -> None:
    file = package_copy / "documented" / "police_weibo_coverage.csv"
    lines = file.read_text(encoding="utf-8").split("\n")
    # Hebei (130000) has 11 prefecture-level divisions at end 2013
    (row,) = [i for i, line in enumerate(lines) if line.startswith("130000,")]
    cells = lines[row].split(",")
    cells[3] = "99"
    lines[row] = ",".join(cells)
    file.write_text("\n".join(lines), encoding="utf-8")
    found = _only(package_copy, "police_weibo_coverage")
    assert found.problem == "value above its bound in another resource"
    assert (found.row, found.field, found.found) == (row, "distinct_prefecture_areas_covered", "99")
    assert found.expected == ("<= 11 (provinces.prefecture_divisions_2013 where adcode = 130000)")


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\x7f"])
def test_control_characters_in_text_are_refused(package_copy: Path, control: str) -> None:
    _replace_cell(package_copy, 2, "Tianjin", f"Tian{control}jin")
    found = _only(package_copy, "provinces")
    assert found.problem == "control character in text"
    assert (found.row, found.field) == (2, "name_en")
    assert found.expected == "printable text (no NUL or other control characters)"
    assert repr(f"Tian{control}jin") == found.found


@pytest.mark.parametrize("value", ["1e999", "-1e999"])
def test_non_finite_numbers_are_refused(package_copy: Path, value: str) -> None:
    file = package_copy / "synthetic" / "accounts.csv"
    lines = file.read_text(encoding="utf-8").split("\n")
    cells = lines[1].split(",")
    cells[-1] = value  # sampling_weight
    lines[1] = ",".join(cells)
    file.write_text("\n".join(lines), encoding="utf-8")
    found = _only(package_copy, "accounts")
    assert (found.row, found.field) == (1, "sampling_weight")
    assert found.problem == "number out of range"
    assert found.expected.startswith("a finite number")
    assert found.found == repr(value)


@pytest.mark.parametrize("value", ["inf", "nan", "Infinity"])
def test_non_finite_words_are_not_numbers_unless_the_schema_allows_them(
    package_copy: Path, value: str
) -> None:
    file = package_copy / "synthetic" / "accounts.csv"
    lines = file.read_text(encoding="utf-8").split("\n")
    cells = lines[1].split(",")
    cells[-1] = value
    lines[1] = ",".join(cells)
    file.write_text("\n".join(lines), encoding="utf-8")
    found = _only(package_copy, "accounts")
    assert (found.problem, found.field, found.found) == (
        "wrong type",
        "sampling_weight",
        repr(value),
    )
    # a schema that allows non-finite numbers accepts them (the hash is what fails then)
    _field(package_copy, "accounts", "sampling_weight", nonFinite=True, constraints={})
    problems = datasets.check("accounts", base=package_copy).problems
    assert [p.problem for p in problems] == [
        "file changed after its hash was recorded in datapackage.json"
    ]


@pytest.mark.parametrize("value", ["9223372036854775808", "-9223372036854775809", "1" * 40])
def test_integers_beyond_int64_give_a_located_error(package_copy: Path, value: str) -> None:
    _replace_cell(package_copy, 3, ",11,", f",{value},")
    found = _only(package_copy, "provinces")
    assert found.problem == "integer out of range"
    assert (found.row, found.field, found.found) == (3, "prefecture_divisions_2013", repr(value))
    assert "9223372036854775807" in found.expected


def test_largest_int64_is_accepted(package_copy: Path) -> None:
    _replace_cell(package_copy, 3, ",11,", ",9223372036854775807,")
    problems = datasets.check("provinces", base=package_copy).problems
    assert problems and "integer out of range" not in [p.problem for p in problems]


# ------------------------------------------------------------ descriptor types (item 6)
@pytest.mark.parametrize(
    ("change", "problem", "expected"),
    [
        ({"path": 7}, "property 'path' has the wrong type", "a relative file path (text)"),
        ({"schema": "fields"}, "property 'schema' has the wrong type", "an object with fields"),
        ({"bytes": "6203"}, "property 'bytes' has the wrong type", "an integer"),
        ({"hash": 1}, "property 'hash' has the wrong type", "text 'sha256:<hex>'"),
        ({"sources": "mca"}, "property 'sources' has the wrong type", "a list"),
    ],
)
def test_descriptor_properties_of_the_wrong_type_are_located(
    package_copy: Path, change: dict, problem: str, expected: str
) -> None:
    _edit_entry(package_copy, "provinces", **change)
    found = _only(package_copy, "provinces")
    assert found.problem == problem and found.expected == expected
    assert "datapackage.json (resource 'provinces')" in found.file


@pytest.mark.parametrize(
    ("constraints", "problem"),
    [
        ({"minimum": "0"}, "property 'constraints.minimum' has the wrong type"),
        ({"required": "yes"}, "property 'constraints.required' has the wrong type"),
        ({"enum": "east"}, "property 'constraints.enum' has the wrong type"),
    ],
)
def test_field_constraints_of_the_wrong_type_are_located(
    package_copy: Path, constraints: dict, problem: str
) -> None:
    _field(package_copy, "provinces", "prefecture_divisions_2013", constraints=constraints)
    found = _only(package_copy, "provinces")
    assert found.problem == problem and found.field == "prefecture_divisions_2013"


def test_resources_of_the_wrong_type_are_a_descriptor_error(package_copy: Path) -> None:
    descriptor = _descriptor(package_copy)
    descriptor["resources"] = {"provinces": {}}
    _save(package_copy, descriptor)
    with pytest.raises(DataValidationError, match="property 'resources' has the wrong type"):
        datapackage.read_descriptor(package_copy / "datapackage.json")


# ------------------------------------------------------ simulation parameters (item 6)
@pytest.mark.parametrize(
    ("find", "replace", "field", "expected"),
    [
        (
            "value = { comments = 1.2, likes = 1.0",
            "value = { comments = -1.2, likes = 1.0",
            "[engagement.dispersion.value] comments",
            "a positive finite number",
        ),
        ("value = 0.06", "value = 1.5", "[answer.baseline] value", "a probability in (0, 1)"),
        (
            "[engagement.platform]\n",
            "[engagement.platform_renamed]\n",
            "[engagement] platform",
            None,
        ),
        ('start = "2016-01-01"', 'start = "2016-13-01"', "[window] start", "a date YYYY-MM-DD"),
    ],
)
def test_invalid_simulation_parameters_are_located(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    find: str,
    replace: str,
    field: str,
    expected: str | None,
) -> None:
    text = paths.simulation_parameters.read_text(encoding="utf-8")
    assert find in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(find, replace, 1), encoding="utf-8")
    with pytest.raises(DataValidationError) as error:
        simulate.load_parameters(bad)
    problem = error.value.problems[0]
    assert problem.file == str(bad) and problem.field == field
    if expected:
        assert problem.expected == expected
    code = main(["simulate", "--parameters", str(bad), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and field in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ --debug and exit codes
def test_tracebacks_only_with_debug(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "datapackage.json").write_text("{not json", encoding="utf-8")
    assert main(["validate", "--data", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "descriptor is not valid JSON" in err and "Traceback" not in err
    assert main(["--debug", "validate", "--data", str(tmp_path)]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
    assert "unknown command 'no-such-command'" in capsys.readouterr().err


def test_main_leaves_the_folders_as_it_found_them(package_copy: Path) -> None:
    before = (paths.data, paths.cache, os.environ.get(paths.DATA_ENV))
    main(["validate", "--data", str(package_copy)])
    assert (paths.data, paths.cache, os.environ.get(paths.DATA_ENV)) == before


def test_tasks_unknown_session_is_a_usage_error_not_missing_tool() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, str(paths.root / "tasks.py"), "no-such-session"],
        capture_output=True,
        text=True,
        timeout=600,  # a guard against a hang, not a timer
    )
    assert result.returncode == 2
    assert "unknown session 'no-such-session'" in result.stderr and "validate" in result.stderr


def test_terminal_tables_and_summaries_show_data_text_literally(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from analysis import console

    console.console.print(console.table("t", ["name"], [("[red]x[/red]",), ("[/]",)]))
    console.summary("validate", True, "in /tmp/[bold]odd[/bold]/[/]")
    out = capsys.readouterr().out
    assert "[red]x[/red]" in out and "[/]" in out and "/tmp/[bold]odd[/bold]/[/]" in out


@pytest.mark.parametrize(("cut", "problem"), [(-1, "too few"), (None, "too many")])
def test_rows_with_the_wrong_number_of_values_are_located(
    package_copy: Path, cut: int | None, problem: str
) -> None:
    file = _provinces(package_copy)
    lines = file.read_text(encoding="utf-8").split("\n")
    cells = lines[4].split(",")
    lines[4] = ",".join(cells[:cut] if cut else [*cells, "extra"])
    file.write_text("\n".join(lines), encoding="utf-8")
    found = _only(package_copy, "provinces")
    width = len(cells)
    assert found.problem == f"row has {problem} values"
    assert (found.row, found.expected) == (4, f"{width} values")
    assert found.found == f"{width - 1 if cut else width + 1} values"
