"""Hostile inputs on the newer routes (issue 24): ``data add`` and ``stamp``, the files beside the
resources (CHANGELOG.md, simulation.toml, references.bib), the cache's other entry kinds, the
environment variables, two writers at once, and data text drawn in figures and the PDF.

Each case damages a copy of the package (``package_copy``) or a private cache folder. Pipes and
sparse files stand for the hostile files: a pipe that were opened for reading would hang the
test, and a sparse file of 30 GB costs no disk but would exhaust memory if read whole.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from children import started, wait_for

from analysis import escape, paths
from analysis.__main__ import main
from analysis.data import datapackage, datasets, files, incoming, simulate
from analysis.errors import DataValidationError

HUGE = 30 << 30  # 30 GB, sparse: no disk used


def _sparse(path: Path, size: int = HUGE) -> Path:
    path.unlink(missing_ok=True)
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def _fifo(path: Path) -> Path:
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    return path


def _descriptor(base: Path) -> dict:
    return json.loads((base / "datapackage.json").read_text(encoding="utf-8"))


def _save(base: Path, descriptor: dict) -> None:
    (base / "datapackage.json").write_text(
        json.dumps(descriptor, indent=2, ensure_ascii=False), encoding="utf-8"
    )


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): datapackage.sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ------------------------------------------------------- one bounded reader (regular files only)
def test_data_add_folder_refuses_a_link_to_dev_zero(
    package_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    (crawl / "posts.csv").symlink_to("/dev/zero")
    before = _hashes(package_copy)
    code = main(["--data", str(package_copy), "data", "add", str(crawl), "--synthetic"])
    assert code == 2
    err = capsys.readouterr().err
    assert "posts.csv" in err and "a regular data file" in err and "device, pipe" in err
    assert _hashes(package_copy) == before


def test_data_add_refuses_a_file_above_its_limit_before_copying(
    package_copy: Path, tmp_path: Path
) -> None:
    huge = _sparse(tmp_path / "posts.csv")
    before = _hashes(package_copy)
    with pytest.raises(DataValidationError) as caught:
        incoming.add({"posts": huge}, incoming.Declared(False), base=package_copy)
    problem = caught.value.problems[0]
    assert problem.problem == "file larger than its limit" and "32,212,254,720" in problem.found
    assert _hashes(package_copy) == before
    assert not [p for p in package_copy.iterdir() if p.name.startswith(".incoming-")]


def test_copy_stops_when_a_file_grows_past_its_limit(tmp_path: Path) -> None:
    source = tmp_path / "grown.csv"
    source.write_bytes(b"x" * 100)
    with pytest.raises(DataValidationError, match="larger than its limit"):
        files.copy_regular(source, tmp_path / "copy.csv", "grown.csv", 99)
    files.copy_regular(source, tmp_path / "copy.csv", "grown.csv", 100)
    assert (tmp_path / "copy.csv").read_bytes() == source.read_bytes()


@pytest.mark.parametrize("make", [_fifo, _sparse], ids=["fifo", "sparse-30GB"])
def test_foreign_key_target_that_is_a_pipe_or_huge_is_located_not_read(
    package_copy: Path, make
) -> None:
    make(package_copy / "documented" / "provinces.csv")
    checked = datasets.check("milestones", base=package_copy)
    assert checked.problems
    problem = checked.problems[0]
    assert problem.problem == "foreign key target 'provinces' is invalid"
    assert "provinces.csv" in problem.found


def test_foreign_key_target_that_is_a_directory_is_located(package_copy: Path) -> None:
    target = package_copy / "documented" / "provinces.csv"
    target.unlink()
    target.mkdir()
    problem = datasets.check("milestones", base=package_copy).problems[0]
    assert "provinces" in problem.problem and "a directory" in problem.found


@pytest.mark.parametrize(
    "make",
    [_fifo, lambda p: (p.unlink(), p.symlink_to("/dev/zero"))],
    ids=["fifo", "link-to-dev-zero"],
)
def test_changelog_that_is_not_a_regular_file_is_one_located_problem(
    package_copy: Path, make
) -> None:
    make(package_copy / "CHANGELOG.md")
    problems = datasets.check_package(package_copy)
    assert len(problems) == 1
    assert problems[0].problem == "not a regular file" and "CHANGELOG.md" in problems[0].file


def test_oversized_changelog_is_refused_before_reading(package_copy: Path) -> None:
    _sparse(package_copy / "CHANGELOG.md")
    (problem,) = datasets.check_package(package_copy)
    assert problem.problem == "file larger than its limit"


@pytest.mark.parametrize("make", [_fifo, _sparse], ids=["fifo", "sparse-30GB"])
def test_simulation_parameters_that_are_a_pipe_or_huge_are_refused(
    package_copy: Path, make
) -> None:
    file = make(package_copy / "simulation.toml")
    with pytest.raises(DataValidationError) as caught:
        simulate.load_parameters(file)
    assert caught.value.problems[0].file == str(file)


def test_data_stamp_refuses_a_pipe_with_a_located_message(
    package_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fifo(package_copy / "documented" / "provinces.csv")
    assert main(["--data", str(package_copy), "data", "stamp", "provinces"]) == 1
    err = capsys.readouterr().err
    assert "provinces.csv: not a regular file" in err and "Traceback" not in err


def test_data_stamp_refuses_a_file_above_its_limit(package_copy: Path) -> None:
    _sparse(package_copy / "documented" / "provinces.csv")
    with pytest.raises(DataValidationError, match="larger than its limit"):
        incoming.stamp(["provinces"], base=package_copy)


def test_validate_reuse_keys_stray_pipes_and_huge_files_without_reading_them(
    package_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from analysis.cli import validate

    _fifo(package_copy / "stray.pipe")
    huge = _sparse(package_copy / "stray.bin", files.DEFAULT_LIMITS["bytes"] + 1)
    assert validate._content_key(huge).startswith("large ")
    key = validate.verdict_key(package_copy)
    assert key == validate.verdict_key(package_copy)
    cache = tmp_path / "cache"
    args = ["--data", str(package_copy), "--cache", str(cache), "validate", "--reuse"]
    assert main(args) == 0
    assert main(args) == 0
    assert "files not re-read" in capsys.readouterr().out


@pytest.mark.parametrize("make", [_fifo, _sparse], ids=["fifo", "sparse-30GB"])
def test_cache_record_that_is_a_pipe_or_huge_is_recomputed_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make
) -> None:
    from analysis.pipeline import store

    monkeypatch.setattr(paths, "cache", tmp_path / "cache")
    name = "timeline.values"
    store.get(name)
    record = store.entry_dir(name) / store.ENTRY
    make(record)
    with pytest.warns(store.CacheWarning, match="entry.json is unreadable"):
        assert store.is_cached(name) is False
    state, problem = store.peek(name)
    assert state == "damaged" and "unreadable" in problem


# ------------------------------------------------------------------------ one ASCII number parser
@pytest.mark.parametrize("digit", ["\u0661", "\uff11", "\u0967"])
@pytest.mark.parametrize(
    ("name", "field", "kind"),
    [
        ("provinces", "population_10k_2012", "an integer"),
        ("wechat_sectors_2013", "share_pct", "a number"),
        ("milestones", "date", "a YYYY-MM-DD date"),
    ],
)
def test_unicode_digits_are_not_numbers(
    package_copy: Path, digit: str, name: str, field: str, kind: str
) -> None:
    entry = datapackage.resource(_descriptor(package_copy), name)
    file = package_copy / entry["path"]
    with file.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index(field)
    row = next(i for i, cells in enumerate(rows[1:], 1) if cells[column])
    value = rows[row][column]
    rows[row][column] = value.replace(next(c for c in value if c.isdigit()), digit, 1)
    with file.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    problem = datasets.check(name, base=package_copy).problems[0]
    assert problem.row == row and problem.field == field and problem.expected == kind
    with pytest.raises(DataValidationError):
        incoming.stamp([name], base=package_copy)


# ------------------------------------------------------------- one lock around every data writer
def _data_add(base: Path, folder: Path, pause_at: str | None = None) -> subprocess.Popen:
    return started(
        [
            *(sys.executable, "-m", "analysis", "--data", str(base), "data", "add", str(folder)),
            *("--observed", "--source", f"crawl {folder.name}", "--period", "2016"),
            *("--sampling", "all"),
        ],
        pause_at=pause_at,
    )


def test_two_data_adds_at_once_both_land_in_turn(package_copy: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, name in ((first, "accounts"), (second, "posts")):
        folder.mkdir()
        shutil.copy(package_copy / "synthetic" / f"{name}.csv", folder / f"{name}.csv")
    version = _descriptor(package_copy)["version"]
    holder = _data_add(package_copy, first, pause_at="staged")
    wait_for(holder, "paused at staged")
    waiter = _data_add(package_copy, second)
    wait_for(waiter, "waiting: another command is writing the data package")
    holder.send_signal(signal.SIGUSR1)
    assert holder.wait() == 0 and waiter.wait() == 0
    descriptor = _descriptor(package_copy)
    for name in ("accounts", "posts"):
        entry = datapackage.resource(descriptor, name)
        assert entry["path"] == f"observed/{name}.csv" and entry["synthetic"] is False
    changelog = (package_copy / "CHANGELOG.md").read_text(encoding="utf-8")
    major = int(version.split(".")[0])
    assert changelog.count(f"## {major + 1}.0.0 ") == 1
    assert changelog.count(f"## {major + 2}.0.0 ") == 1
    assert descriptor["version"] == f"{major + 2}.0.0"
    assert not [p for p in package_copy.iterdir() if p.name.startswith(".incoming-")]
    assert main(["validate", "--data", str(package_copy)]) == 0


def test_a_waiting_writer_interrupted_changes_nothing(package_copy: Path, tmp_path: Path) -> None:
    folder = tmp_path / "crawl"
    folder.mkdir()
    shutil.copy(package_copy / "synthetic" / "posts.csv", folder / "posts.csv")
    before = _hashes(package_copy)
    holder = _data_add(package_copy, folder, pause_at="staged")
    wait_for(holder, "paused at staged")
    waiter = _data_add(package_copy, folder)
    wait_for(waiter, "waiting: another command")
    waiter.send_signal(signal.SIGTERM)
    assert waiter.wait() == 143
    holder.send_signal(signal.SIGTERM)
    assert holder.wait() == 143
    assert _hashes(package_copy) == before


# ------------------------------------------------------------------- one-line changelog texts
@pytest.mark.parametrize("option", ["--period", "--source", "--sampling", "--note"])
def test_line_breaks_in_declared_text_are_refused(
    package_copy: Path, tmp_path: Path, option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "crawl"
    folder.mkdir()
    shutil.copy(package_copy / "synthetic" / "posts.csv", folder / "posts.csv")
    declared = {"--source": "crawl", "--period": "2016", "--sampling": "all", "--note": ""}
    declared[option] = "2016\n\n## 9.9.9 — 2099-01-01\n\nforged"
    argv = ["--data", str(package_copy), "data", "add", str(folder), "--observed"]
    for name, value in declared.items():
        argv += [name, value]
    before = _hashes(package_copy)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{option} must be one line of text" in err and "'\\n'" in err
    assert _hashes(package_copy) == before


def test_one_line_accepts_ordinary_text() -> None:
    assert incoming.one_line("--source", "Weibo API crawl, team 中文 (2016)") is None
    assert incoming.one_line("--note", "a\u2028b") == (
        "--note must be one line of text, found '\\u2028' at character 2"
    )


# ------------------------------------------------------- one text policy: Markdown, Typst, figures
@pytest.mark.parametrize("data", ["/ x", "/ term: definition", "- item", "+ item", "= x", "12. x"])
def test_text_starting_with_a_typst_marker_cannot_start_a_typst_line(data: str) -> None:
    from analysis import escape

    for shown in (escape.inline(data), escape.table_cell(data)):
        assert shown.startswith(escape.WORD_JOINER)
        assert not escape.TYPST_LINE_START.match(shown)


@pytest.mark.parametrize("data", ["-3", "1,234", "/path/to", "12.5", "x / y", "Beijing"])
def test_ordinary_text_gets_no_typst_guard(data: str) -> None:
    from analysis import escape

    assert escape.WORD_JOINER not in escape.inline(data)


def test_figure_footer_with_mathtext_in_the_source_is_drawn_literally(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import matplotlib.pyplot as plt
    from matplotlib import cbook

    from analysis.data import labels
    from analysis.topics import figures

    descriptor = datapackage.read_descriptor()
    for entry in descriptor["resources"]:
        if entry["name"] in ("accounts", "posts"):
            entry["synthetic"] = False
            entry["collection"] = {
                "source": r"Crawl $\foo$ and $x^$",
                "period": "2016 $$",
                "sampling": "all",
            }
    monkeypatch.setattr(labels, "descriptor", lambda: descriptor)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    figures.synthetic_footer(fig)
    (footer,) = [t for t in fig.texts if "Crawl" in t.get_text()]
    assert not cbook.is_math_text(footer.get_text())
    assert figures.to_png(fig).startswith(b"\x89PNG")


# A bibliography key beside markup characters, as text from data could carry it.
KEY_IN_MARKUP = [
    "[mattis2011public]",
    "@mattis2011public",
    "[@mattis2011public]",
    "(mattis2011public; peoplesdaily2011police)",
    "[mattis2011public](javascript:alert(1))",
    "![mattis2011public](x.png)",
    "<mattis2011public>",
    "{mattis2011public}",
    "`mattis2011public`",
    "$mattis2011public$",
    "*mattis2011public*",
    "mattis2011public|peoplesdaily2011police",
    "\\[mattis2011public\\]",
    "- mattis2011public",
    "{{< cite mattis2011public >}}",
]
_CITATION = re.compile(r"\[@[A-Za-z][\w:-]*(?:; @[A-Za-z][\w:-]*)*\]")


def _inert(markdown: str) -> bool:
    """Every ASCII punctuation character but ``,`` and ``%`` is backslash-escaped."""
    return re.fullmatch(r"(?:\\[!-/:-@\[-`{-~]|[^!-/:-@\[-`{-~]|[,%])*", markdown) is not None


def _stored(cell: str, note: str, cite: list[str]) -> dict:
    return {"columns": ["data", "Source"], "rows": [[cell, cell]], "note": note, "cite": cite}


@pytest.mark.parametrize("data", KEY_IN_MARKUP)
def test_a_key_beside_markup_in_data_text_stays_inert(data: str) -> None:
    from analysis.book import tables

    shown = tables.to_markdown(_stored(data, data, cite=[]))
    row = shown.splitlines()[2].removeprefix("| ").removesuffix(" |")
    note = shown.split("::: {.table-note}\n")[1].removesuffix("\n:::\n")
    for markdown in [*row.split(" | "), note]:
        unguarded = markdown.removeprefix(escape.WORD_JOINER)
        assert _inert(unguarded), markdown
        assert re.sub(r"\\(.)", r"\1", unguarded) == data  # read as written


@pytest.mark.parametrize("data", KEY_IN_MARKUP)
def test_a_key_beside_markup_in_a_citing_column_gains_only_the_citation(data: str) -> None:
    from analysis.book import tables

    shown = tables.to_markdown(_stored(data, "", cite=["Source"]))
    text, source = shown.splitlines()[2].removeprefix("| ").removesuffix(" |").split(" | ")
    assert "[@" not in text
    if "@" not in data:  # a key written as ``@key`` is no key of the column: shown as text
        assert "[@mattis2011public" in source
    assert _inert(_CITATION.sub("", source).removeprefix(escape.WORD_JOINER)), source


# ------------------------------------------------------ --x and ANALYSIS_X checked by one code
@pytest.mark.parametrize(
    ("option", "variable"),
    [("--cache", paths.CACHE_ENV), ("--results", paths.RESULTS_ENV)],
)
def test_environment_folders_inside_the_data_folder_are_refused_like_options(
    package_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    option: str,
    variable: str,
) -> None:
    inside = package_copy / "written-here"
    assert main(["--data", str(package_copy), option, str(inside), "validate"]) == 2
    by_option = capsys.readouterr().err
    monkeypatch.setenv(variable, str(inside))
    assert main(["--data", str(package_copy), "validate"]) == 2
    by_variable = capsys.readouterr().err
    for err in (by_option, by_variable):
        assert "expected a folder outside the data folder" in err
    assert variable in by_variable
    assert not inside.exists()


def test_environment_data_folder_is_checked_like_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path / "nothing"))
    assert main(["validate"]) == 2
    err = capsys.readouterr().err
    assert paths.DATA_ENV in err and "expected a folder holding datapackage.json" in err


# --------------------------------------------------------- a data folder with its own bibliography
def test_a_data_folder_with_its_own_references_bib_computes_artifacts(
    package_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from analysis.pipeline import store
    from analysis.pipeline.store import guards

    shutil.copy(paths.references_bib, package_copy / "references.bib")
    monkeypatch.setattr(paths, "data", package_copy)
    monkeypatch.setattr(paths, "datapackage", package_copy / "datapackage.json")
    monkeypatch.setattr(paths, "cache", tmp_path / "cache")
    for name in ("timeline.values", "coverage.values"):
        assert store.values(name)
    assert (package_copy / "references.bib").resolve() in guards.allowed_data_files(
        "timeline.values"
    )


# ------------------------------------- the descriptor checked against its own rules, located
def _resource(descriptor: dict, name: str) -> dict:
    return next(r for r in descriptor["resources"] if r["name"] == name)


def _spec(descriptor: dict, name: str, field: str) -> dict:
    return next(f for f in _resource(descriptor, name)["schema"]["fields"] if f["name"] == field)


@pytest.mark.parametrize(
    ("name", "edit", "problem", "field"),
    [
        (
            "provinces",
            lambda d: _spec(d, "provinces", "region_3")["constraints"].update(
                enum=["east", "east", "central", "west"]
            ),
            "constraints.enum lists a value twice",
            "region_3",
        ),
        (
            "provinces",
            lambda d: _spec(d, "provinces", "name_en")["constraints"].update(minimum=3),
            "constraints.minimum on a string field",
            "name_en",
        ),
        (
            "milestones",
            lambda d: _spec(d, "milestones", "date")["constraints"].update(maximum=3),
            "constraints.maximum on a date field",
            "date",
        ),
        (
            "milestones",
            lambda d: _resource(d, "milestones")["schema"]["foreignKeys"][0]["reference"].update(
                fields=["nope"]
            ),
            "foreign key names fields provinces does not have",
            "province_code",
        ),
        (
            "provinces",
            lambda d: _resource(d, "provinces")["sources"][0].update(bibkey=["a", "b"]),
            "property 'sources[0].bibkey' has the wrong type",
            None,
        ),
        (
            "provinces",
            lambda d: _resource(d, "provinces").update(hash="md5:" + "0" * 32),
            "unsupported hash",
            None,
        ),
        (
            "provinces",
            lambda d: _spec(d, "provinces", "name_en")["constraints"].update(pattern="x*+"),
            "schema pattern refused",
            "name_en",
        ),
        (
            "provinces",
            lambda d: _spec(d, "provinces", "name_en")["constraints"].update(
                pattern="[A-Za-z ]{,100}"
            ),
            "schema pattern refused",
            "name_en",
        ),
    ],
    ids=[
        "duplicated-enum",
        "minimum-on-text",
        "maximum-on-date",
        "unknown-fk-field",
        "list-as-source-key",
        "md5-hash",
        "re2-refuses",
        "re2-reads-otherwise",
    ],
)
def test_wrong_descriptor_properties_are_one_located_problem(
    package_copy: Path, capsys: pytest.CaptureFixture[str], name, edit, problem, field
) -> None:
    descriptor = _descriptor(package_copy)
    edit(descriptor)
    _save(package_copy, descriptor)
    found = datasets.check(name, base=package_copy).problems[0]
    assert found.problem == problem and found.field == field
    assert main(["validate", "--data", str(package_copy)]) == 1
    err = capsys.readouterr().err
    assert "this is a bug" not in err and "unexpected" not in err


def test_patterns_python_and_re2_read_alike_are_accepted() -> None:
    for pattern in ("[A-Za-z ]{0,100}", "[1-8][0-9]0000", "SYN-A[0-9]{4,}", r"a\{,3\}"):
        assert files.check_pattern(pattern) is None, pattern


# ------------------------------------------------------------------- simulate argument edges
def test_simulate_negative_seed_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--seed", "-1", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "--seed must be a whole number in [0, 2^63), found -1" in err
    assert not (tmp_path / "out").exists()


def test_simulate_a_sample_too_small_to_validate_is_refused_unwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["simulate", "--accounts", "1", "--posts", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "0 posts: expected at least one of each" in err
    assert not out.exists() or not any(out.rglob("*.csv"))


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        (
            "value = { comments = 6.0,",
            "value = { comments = 1e300,",
            "[engagement] intercept of comments",
        ),
        ("median = { ministry = 5000000,", "median = { ministry = 1e300,", "[followers] median"),
    ],
    ids=["intercept-1e300", "followers-median-1e300"],
)
def test_simulate_parameters_drawing_beyond_the_integer_columns_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, said: str
) -> None:
    text = paths.simulation_parameters.read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "p.toml").write_text(text.replace(old, new, 1), encoding="utf-8")
    out = tmp_path / "out"
    argv = ["simulate", "--parameters", str(tmp_path / "p.toml"), "--out", str(out)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert said in err and "expected values below" in err
    assert "lam value too large" not in err and "bug" not in err
    assert not out.exists() or not any(out.rglob("*.csv"))


# ------------------------------------------------------- two processes sharing one cache
def test_an_entry_being_written_by_another_process_is_absent_not_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import warnings

    from analysis.pipeline import store
    from analysis.pipeline.store import keys

    shared = tmp_path / "shared-cache"
    name = "timeline.values"
    writer = started(
        [sys.executable, "-c", f"from analysis.pipeline import store; store.get({name!r})"],
        pause_at="cache-entry-staged",
        env={paths.CACHE_ENV: str(shared)},
        stdout=None,
    )
    wait_for(writer, "paused at cache-entry-staged")
    monkeypatch.setattr(paths, "cache", shared)
    with warnings.catch_warnings():
        warnings.simplefilter("error", store.CacheWarning)
        assert store.is_cached(name) is False  # being written: absent, and no warning
        assert store.peek(name) == ("absent", None)
    writer.send_signal(signal.SIGUSR1)
    assert writer.wait() == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", store.CacheWarning)
        assert store.is_cached(name) is True
    assert [p.name for p in (shared / name).iterdir()] == [keys.key(name)]


# -------------------------------------------------------------- bench-scale: size and signals
def _bench_scale(tmp: Path, *argv: str, pause_at: str | None = None) -> subprocess.Popen:
    tmp.mkdir(exist_ok=True)
    return started(
        [sys.executable, "-m", "benchmarks.bench_scale", *argv],
        pause_at=pause_at,
        env={"TMPDIR": str(tmp)},
        stdout=subprocess.DEVNULL,
    )


def test_bench_scale_refuses_a_size_it_cannot_hold_before_writing(tmp_path: Path) -> None:
    from benchmarks import bench_scale

    tmp = tmp_path / "tmp"
    run = _bench_scale(tmp, "--posts", "1000000000000")
    _, err = run.communicate()
    assert run.returncode == 2 and "--posts must be in [1, 999,999,999]" in err
    assert not any(tmp.iterdir())
    problem = bench_scale.size_problem(bench_scale.MAX_POSTS, tmp_path)
    free = shutil.disk_usage(tmp_path).free
    if free < bench_scale.MAX_POSTS * bench_scale.PARQUET_BYTES_PER_POST:
        assert problem is not None and "GB free" in problem
    assert bench_scale.size_problem(1000, tmp_path) is None


@pytest.mark.parametrize(
    ("number", "code", "said"),
    [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")],
    ids=["SIGTERM", "SIGINT"],
)
def test_bench_scale_stopped_removes_its_folder_without_a_traceback(
    tmp_path: Path, number: int, code: int, said: str
) -> None:
    tmp = tmp_path / "tmp"
    run = _bench_scale(tmp, "--posts", "2000", pause_at="bench-scale-generated")
    wait_for(run, "paused at bench-scale-generated")
    assert any(p.name.startswith("bench-scale-") for p in tmp.iterdir())
    run.send_signal(number)
    assert run.wait() == code
    assert run.stderr is not None
    rest = run.stderr.read()
    assert said in rest and "Traceback" not in rest
    assert not any(tmp.iterdir())


# ------------------------------------------------------------------ the manifest's code stamp
def test_code_stamp_covers_every_module_and_data_file_of_the_package() -> None:
    from analysis.pipeline import manifest

    covered = {p.relative_to(paths.root).as_posix() for p in manifest.code_sources()}
    modules = {
        p.relative_to(paths.root).as_posix()
        for p in (paths.root / "analysis").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert modules <= covered and len(modules) > 60
    assert {
        "analysis/data/datasets.py",
        "analysis/topics/engagement.py",
        "analysis/findings/recommendations.toml",
    } <= covered
