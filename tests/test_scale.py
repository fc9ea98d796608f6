"""Posts as Parquet: streaming validation, the DuckDB reduction and the bench-scale command.

The DuckDB path must give exactly the cells, frequency tables and estimates of the in-memory
path on the same posts; Parquet problems must be located by part file, row (row group and
offset) and field.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis import paths
from analysis.data import datapackage, datasets, parquet
from analysis.errors import DataValidationError, ModelInputError
from analysis.topics import audience, engagement, modelframe, reduce, responsiveness
from benchmarks import bench_scale

CATEGORIES = ["publicity", "services", "interaction", "daily_tips"]


@pytest.fixture(scope="module")
def bundled() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return datasets.load("posts"), datasets.load("accounts"), datasets.load("provinces")


def write_parts(posts: pd.DataFrame, folder: Path, parts: int = 2, row_group: int = 10_000):
    """Posts as ``parts`` Parquet files (plain text columns, as a crawler would write them)."""
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(
        posts.assign(
            account_id=posts["account_id"].astype(str), category=posts["category"].astype(str)
        ),
        preserve_index=False,
    )
    bounds = np.linspace(0, table.num_rows, parts + 1).astype(int)
    for i in range(parts):
        part = table.slice(bounds[i], bounds[i + 1] - bounds[i])
        pq.write_table(part, folder / f"part-{i}.parquet", row_group_size=row_group)
    return bounds


def use_parquet(base: Path, folder: str = "posts_parquet") -> dict:
    """Point the package's posts entry at the Parquet folder and record its hash."""
    descriptor = datapackage.read_descriptor(base / "datapackage.json")
    entry = datapackage.resource(descriptor, "posts")
    entry.update(path=folder, format="parquet")
    entry["hash"], entry["bytes"] = parquet.digest(base / folder)
    (base / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    return entry


def restamp(base: Path) -> None:
    use_parquet(base)


@pytest.fixture
def parquet_package(package_copy: Path, bundled) -> Path:
    posts, _, _ = bundled
    write_parts(posts, package_copy / "posts_parquet")
    use_parquet(package_copy)
    return package_copy


# --- validation -----------------------------------------------------------------------------


def test_parquet_posts_validate_and_load_as_the_csv_does(parquet_package, bundled):
    posts, accounts, provinces = bundled
    checked = datasets.check("posts", base=parquet_package)
    assert checked.ok, checked.problems
    assert checked.rows == len(posts)
    loaded = datasets.load("posts", base=parquet_package)
    assert list(loaded.columns) == list(posts.columns)
    assert loaded["category"].cat.categories.tolist() == CATEGORIES
    a = modelframe.prepare(loaded, accounts, provinces)
    b = modelframe.prepare(posts, accounts, provinces)
    pd.testing.assert_frame_equal(a.frame, b.frame)


def damaged(package: Path, bundled, change) -> list:
    posts, _, _ = bundled
    folder = package / "posts_parquet"
    for old in folder.iterdir():
        old.unlink()
    write_parts(change(posts.copy()), folder)
    restamp(package)
    checked = datasets.check("posts", base=package)
    assert not checked.ok
    return checked.problems


def test_problems_name_part_row_group_offset_and_field(parquet_package, bundled):
    posts, _, _ = bundled
    half = len(posts) // 2
    row = half + 12_345  # in the second part: row 12,346 of the file, row group 1, offset 2,345

    def negative(frame):
        frame["comments"] = frame["comments"].astype("int64")
        frame.loc[row, "comments"] = -3
        return frame

    (problem,) = damaged(parquet_package, bundled, negative)
    assert problem.file.endswith("posts_parquet/part-1.parquet")
    assert (problem.row, problem.row_group, problem.offset) == (12_346, 1, 2_345)
    assert problem.field == "comments" and problem.found == "-3"
    assert "row 12346 (row group 1, offset 2345)" in str(problem)
    assert "line" not in str(problem)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            lambda f: f.assign(category=f["category"].astype(str).replace("services", "x")),
            "category",
            "unknown category",
        ),
        (
            lambda f: f.assign(post_id=f["post_id"].where(f.index != 7, f["post_id"].iloc[3])),
            "post_id",
            "duplicate value",
        ),
        (
            lambda f: f.assign(
                account_id=f["account_id"].astype(str).where(f.index != 11, "SYN-A9999")
            ),
            "account_id",
            "unknown key",
        ),
        (
            lambda f: f.assign(post_id=f["post_id"].where(f.index != 2, "P-1")),
            "post_id",
            "does not match pattern",
        ),
        (
            lambda f: f.assign(likes=f["likes"].astype("Int64").where(f.index != 5, None)),
            "likes",
            "required value missing",
        ),
    ],
)
def test_each_constraint_is_located(parquet_package, bundled, change, field, words):
    problems = damaged(parquet_package, bundled, change)
    assert problems[0].field == field and words in problems[0].problem
    assert problems[0].file.endswith("part-0.parquet") and problems[0].row is not None


def test_wrong_types_and_columns_are_found_in_the_footers(parquet_package, bundled):
    problems = damaged(
        parquet_package, bundled, lambda f: f.assign(comments=f["comments"].astype(str))
    )
    assert {(p.field, p.problem) for p in problems} == {("comments", "wrong column type")}
    assert problems[0].expected == "an integer column"
    problems = damaged(parquet_package, bundled, lambda f: f.drop(columns="likes"))
    assert problems[0].problem == "columns differ from the schema" and problems[0].field == "likes"


def test_a_valid_verdict_is_reused_only_where_asked_and_only_for_the_same_bytes(
    parquet_package, monkeypatch
):
    """The reduction reuses the render's verdict on the same posts instead of reading them a
    second time; ``validate`` (reuse off) always reads them; changed bytes or a damaged record
    mean reading them again."""
    assert datasets.check("posts", base=parquet_package).ok  # validate: checked and recorded
    real = parquet.validate

    def no_reading(*_args, **_kwargs):
        raise AssertionError("read again")

    monkeypatch.setattr(parquet, "_memo", {})  # a new process
    monkeypatch.setattr(parquet, "validate", no_reading)
    assert datasets.check("posts", base=parquet_package, reuse=True).ok
    monkeypatch.setattr(parquet, "_memo", {})
    with pytest.raises(AssertionError, match="read again"):
        datasets.check("posts", base=parquet_package)  # without reuse: always read
    record = paths.cache / parquet.CHECKS_FILE
    record.write_text("{damaged", encoding="utf-8")
    monkeypatch.setattr(parquet, "_memo", {})
    with pytest.raises(AssertionError, match="read again"):
        datasets.check("posts", base=parquet_package, reuse=True)
    monkeypatch.setattr(parquet, "validate", real)
    assert datasets.check("posts", base=parquet_package).ok  # recorded again
    part = sorted((parquet_package / "posts_parquet").glob("*.parquet"))[0]
    table = pq.read_table(part)
    pq.write_table(table.slice(1), part)  # other bytes: a new verdict is needed
    restamp(parquet_package)
    monkeypatch.setattr(parquet, "_memo", {})
    monkeypatch.setattr(parquet, "validate", no_reading)
    with pytest.raises(AssertionError, match="read again"):
        datasets.check("posts", base=parquet_package, reuse=True)


def test_a_changed_part_fails_the_recorded_hash(parquet_package, bundled):
    posts, _, _ = bundled
    write_parts(posts.iloc[::-1].reset_index(drop=True), parquet_package / "posts_parquet")
    problems = datasets.check("posts", base=parquet_package).problems
    assert [p.problem for p in problems] == [
        "file changed after its hash was recorded in datapackage.json"
    ]


def test_folder_digest_is_a_manifest_of_the_parts(tmp_path, bundled):
    import hashlib

    write_parts(bundled[0].head(1000), tmp_path / "p")
    lines = "".join(
        f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.name}\n"
        for f in sorted((tmp_path / "p").glob("*.parquet"))
    )
    digest, size = parquet.digest(tmp_path / "p")
    assert digest == "sha256:" + hashlib.sha256(lines.encode()).hexdigest()
    assert size == sum(f.stat().st_size for f in (tmp_path / "p").iterdir())


# --- the DuckDB reduction -------------------------------------------------------------------


def test_duckdb_reduction_equals_the_in_memory_cells_and_estimates(tmp_path, bundled):
    posts, accounts, provinces = bundled
    write_parts(posts, tmp_path / "posts", parts=3)
    memory = modelframe.prepare(posts, accounts, provinces)
    duck = modelframe.prepare_parquet(
        tmp_path / "posts", accounts, provinces, categories=CATEGORIES
    )
    pd.testing.assert_frame_equal(duck.frame, memory.frame, check_exact=True)
    pd.testing.assert_frame_equal(duck.accounts, memory.accounts, check_exact=True)
    assert duck.n_posts == memory.n_posts
    for outcome, (values, freq) in memory.histograms.items():
        np.testing.assert_array_equal(duck.histograms[outcome][0], values)
        np.testing.assert_array_equal(duck.histograms[outcome][1], freq)
    for name in ("comments", "page_views"):
        a, b = engagement.fit_outcome(duck, name), engagement.fit_outcome(memory, name)
        pd.testing.assert_frame_equal(a["irr"], b["irr"], check_exact=True)
        assert a["statistics"] == b["statistics"]
    a, b = responsiveness.fit_responsiveness(duck), responsiveness.fit_responsiveness(memory)
    pd.testing.assert_frame_equal(a["odds_ratios"], b["odds_ratios"], check_exact=True)
    a, b = audience.fit_audience(duck), audience.fit_audience(memory)
    pd.testing.assert_frame_equal(a["ratios"], b["ratios"], check_exact=True)


def test_the_sql_names_the_statistics_as_modelframe_does():
    assert reduce.COUNT_OUTCOMES == modelframe.COUNT_OUTCOMES
    assert reduce.ANSWERED == modelframe.ANSWERED


def test_counts_validation_held_to_zero_are_not_searched_for_negatives_again():
    """The reduction looks for negative counts (a model input rule) only where validation has
    not already held the field to a minimum of at least 0."""
    everything = (*reduce.COUNT_OUTCOMES, reduce.ANSWERED)
    assert reduce.cells_sql("posts").count("min(") == len(everything)
    assert "min(" not in reduce.cells_sql("posts", nonnegative=everything)
    entry = datapackage.resource(datapackage.read_descriptor(), "posts")
    assert set(reduce.nonnegative_fields(entry)) == set(everything)
    fields = [
        {"name": "a", "constraints": {"minimum": -1}},
        {"name": "b", "constraints": {"minimum": True}},
        {"name": "c", "constraints": {"minimum": "0"}},
        {"name": "d", "constraints": {"minimum": 0}},
        {"name": "e"},
    ]
    assert reduce.nonnegative_fields({"schema": {"fields": fields}}) == ("d",)


def test_package_cells_validate_then_reduce(parquet_package, bundled):
    posts, accounts, provinces = bundled
    cells = modelframe.package_cells(parquet_package)
    memory = modelframe.prepare(posts, accounts, provinces)
    pd.testing.assert_frame_equal(cells.frame, memory.frame)
    (parquet_package / "posts_parquet" / "part-1.parquet").unlink()
    with pytest.raises(DataValidationError, match="hash"):
        modelframe.package_cells(parquet_package)


def test_reduction_refuses_bad_posts_naming_file_and_row(tmp_path, bundled):
    posts, accounts, provinces = bundled
    over = posts.copy()
    over.loc[4, "comments_answered"] = over.loc[4, "comments"] + 1
    write_parts(over, tmp_path / "over", parts=1)
    with pytest.raises(ModelInputError, match=r"part-0.parquet, row 5\), field 'comments_answ"):
        modelframe.prepare_parquet(tmp_path / "over", accounts, provinces)
    stranger = posts.assign(account_id=posts["account_id"].astype(str))
    stranger.loc[9, "account_id"] = "SYN-A9999"
    write_parts(stranger, tmp_path / "stranger", parts=1)
    with pytest.raises(ModelInputError, match=r"row 10\), field 'account_id'.*'SYN-A9999'"):
        modelframe.prepare_parquet(tmp_path / "stranger", accounts, provinces)


# --- the benchmark command (tiny size; the figures come from running it) --------------------


def test_bench_scale_runs_end_to_end_and_paths_agree(capsys):
    code = bench_scale.main(["--posts", "40000", "--check-memory-path"])
    out = capsys.readouterr().out
    assert "estimates equal: True" in out and "frequency tables equal: True" in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("scale: posts=40000 seconds=") and " peak_gb=" in last
    assert code == 0


def test_a_single_parquet_file_is_a_resource_too(package_copy, bundled):
    posts, _, _ = bundled
    table = pa.Table.from_pandas(posts.assign(category=posts["category"].astype(str)))
    pq.write_table(table, package_copy / "posts.parquet", row_group_size=50_000)
    use_parquet(package_copy, "posts.parquet")
    checked = datasets.check("posts", base=package_copy)
    assert checked.ok and checked.rows == len(posts)
    entry = datapackage.resource(
        datapackage.read_descriptor(package_copy / "datapackage.json"), "posts"
    )
    assert entry["hash"] == datapackage.sha256_bytes((package_copy / "posts.parquet").read_bytes())


def test_generated_post_ids_are_the_codebook_pattern_and_unique():
    ids = bench_scale.post_ids(99_999_998, 3).to_pylist()
    assert ids == ["SYN-P099999998", "SYN-P099999999", "SYN-P100000000"]
    with pytest.raises(ValueError, match="at most"):
        bench_scale.post_ids(10**bench_scale.ID_DIGITS, 1)


# --- the same rules as CSV, literal paths, row location ------------------------------------


def _number_resource(values: list[float | None]) -> tuple[dict, pa.Table]:
    entry = {
        "name": "scores",
        "schema": {
            "fields": [
                {"name": "score", "type": "number", "constraints": {"minimum": 0}},
                {"name": "label", "type": "string", "constraints": {"required": True}},
            ]
        },
    }
    table = pa.table(
        {
            "score": pa.array(values, pa.float64(), from_pandas=False),
            "label": pa.array(["a", "", "c", "d"][: len(values)]),
        }
    )
    return entry, table


def test_parquet_refuses_non_finite_numbers_and_empty_text_as_the_csv_does(tmp_path):
    """Same schema, same rules, same words as the CSV reader for the same values: NaN and +inf
    are not numbers where the field does not allow non-finite values (not "out of range" of its
    minimum), and an empty text is a missing value."""
    entry, table = _number_resource([1.5, float("nan"), float("inf"), 2.0])
    pq.write_table(table, tmp_path / "scores.parquet")
    _, problems = parquet.validate(entry, tmp_path / "scores.parquet", "scores", lambda _: None)
    found = {(p.field, p.row, p.problem, p.expected) for p in problems}
    assert found == {
        ("score", 2, "wrong type", "a number"),
        ("score", 3, "wrong type", "a number"),
        ("label", 2, "required value missing", "a value"),
    }
    for field, text in (("score", ["1.5", "nan", "inf", "2.0"]), ("label", ["a", "", "c", "d"])):
        spec = next(f for f in entry["schema"]["fields"] if f["name"] == field)
        _, csv_problems = datasets._convert(pd.Series(text), spec, "scores.csv", None)
        assert {(field, p.row, p.problem, p.expected) for p in csv_problems} == {
            f for f in found if f[0] == field
        }
    entry["schema"]["fields"][0]["nonFinite"] = True
    _, problems = parquet.validate(entry, tmp_path / "scores.parquet", "scores", lambda _: None)
    assert [p.field for p in problems] == ["label"]


def test_parquet_refuses_control_characters_in_text_first_and_alone_as_the_csv_does(tmp_path):
    """Text holding a control character is refused before any other rule reads the rows, in
    the CSV reader's words (a property test holds the two readers to the same problems)."""
    entry, table = _number_resource([1.5, -1.0, 2.0, 3.0])
    table = table.set_column(1, "label", pa.array(["a", "b\x1b[31m", "", "d"]))
    pq.write_table(table, tmp_path / "scores.parquet")
    _, problems = parquet.validate(entry, tmp_path / "scores.parquet", "scores", lambda _: None)
    assert [(p.field, p.row, p.problem) for p in problems] == [
        ("label", 2, "control character in text")
    ]


def test_part_names_are_read_literally_never_as_patterns(parquet_package, bundled):
    """A part named ``[_]*.parquet`` is a glob matching ``_x.parquet`` too: only the declared,
    hashed part may be read, and editing the ignored file changes nothing."""
    posts, _, _ = bundled
    folder = parquet_package / "posts_parquet"
    for old in folder.iterdir():
        old.unlink()
    table = pa.Table.from_pandas(
        posts.head(200).assign(
            account_id=lambda f: f["account_id"].astype(str),
            category=lambda f: f["category"].astype(str),
        ),
        preserve_index=False,
    )
    pq.write_table(table, folder / "[_]*.parquet")
    use_parquet(parquet_package)
    pq.write_table(pa.concat_tables([table] * 25), folder / "_x.parquet")  # not a part
    assert parquet.parts(folder) == [folder / "[_]*.parquet"]
    checked = datasets.check("posts", base=parquet_package)
    assert checked.ok and checked.rows == 200
    reduced = reduce.statistics(folder, sorted(set(posts["account_id"].astype(str))))
    assert int(reduced.columns["n_posts"].sum()) == 200


def test_rows_are_located_in_parts_of_many_row_groups(tmp_path):
    """Row group and offset from the footers (a running sum, not a sum per row group)."""
    entry, table = _number_resource([1.0, 2.0, 3.0, 4.0])
    big = pa.concat_tables([table.slice(0, 1).replace_schema_metadata()] * 5000)
    rows = big.to_pydict()
    rows["score"][4321] = -1.0
    pq.write_table(pa.table(rows, schema=table.schema), tmp_path / "s.parquet", row_group_size=3)
    _, (problem,) = parquet.validate(entry, tmp_path / "s.parquet", "scores", lambda _: None)
    assert (problem.row, problem.row_group, problem.offset) == (4322, 1440, 1)


# --- portable SQL ---------------------------------------------------------------------------


def test_the_reduction_sql_runs_unchanged_on_another_engine(bundled):
    """The reduction's SQL is standard: SQLite (the standard library's engine, unrelated to
    DuckDB) parses and runs the very same queries over a posts table and gets DuckDB's sums."""
    import sqlite3

    posts, accounts, _ = bundled
    sample = posts.head(3000).assign(
        account_id=lambda f: f["account_id"].astype(str),
        category=lambda f: f["category"].astype(str),
        posted_at=lambda f: f["posted_at"].dt.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    with sqlite3.connect(":memory:") as con:
        sample.to_sql("posts", con, index=False)
        lite = pd.read_sql(reduce.cells_sql("posts"), con)
        histogram = pd.read_sql(reduce.histogram_sql("posts"), con)
    duck = reduce.statistics(posts.head(3000), list(accounts["account_id"].astype(str)))
    assert int(lite["n_posts"].sum()) == int(duck.columns["n_posts"].sum()) == 3000
    assert float(lite["comments_sumsq"].sum()) == float(duck.columns["comments_sumsq"].sum())
    values, freq = duck.histograms["likes"]
    likes = histogram[histogram["outcome"] == "likes"]
    np.testing.assert_array_equal(likes["value"].to_numpy(), values)
    np.testing.assert_array_equal(likes["freq"].to_numpy(), freq)


# --- the whole book on Parquet (a small-scale ``bench-scale --book``) -----------------------


@pytest.mark.slow  # every post-reading artifact on a second data folder: see pyproject.toml
def test_the_book_reads_a_parquet_folder_of_parts_as_it_reads_the_csv(
    package_copy, bundled, tmp_path, monkeypatch
):
    """The bundled posts as three Parquet parts declared in a data folder (the CSV removed):
    every artifact the chapters read that reads posts computes, as ``bench-scale --book``
    computes them, each of their numbers is the CSV's, and the content chapter executes in a
    kernel (the rest of the book does not read posts; tests/test_chapters_execute.py and
    tests/test_byod.py execute every chapter)."""
    from analysis import paths
    from analysis.pipeline import kernel, store
    from analysis.pipeline.store import registry
    from benchmarks import bench_book

    posts, _, _ = bundled
    write_parts(posts, package_copy / "posts", parts=3)
    (package_copy / datapackage.resource(datapackage.read_descriptor(), "posts")["path"]).unlink()
    use_parquet(package_copy, "posts")
    reading = [
        name
        for name, art in registry.REGISTRY.items()
        if art.kind == "values" and "posts" in registry.resources_read(name)
    ]
    from_csv = {name: store.values(name) for name in reading}
    for name, value in {
        "data": package_copy,
        "datapackage": package_copy / "datapackage.json",
        "simulation_parameters": package_copy / "simulation.toml",
        "changelog": package_copy / "CHANGELOG.md",
    }.items():
        monkeypatch.setattr(paths, name, value)
    rows = bench_book.artifact_peaks(tmp_path / "peaks.json", reading="posts")
    assert {r["artifact"] for r in rows} >= {"posts.reduced", "content.values", "sample.cells"}
    assert [r["artifact"] for r in rows if r["status"] != "ok"] == []
    assert {name: store.values(name) for name in reading} == from_csv
    run = kernel.run_chapter(
        paths.root / "chapters" / "05-content.qmd",
        env={paths.DATA_ENV: str(package_copy), paths.CACHE_ENV: str(paths.cache)},
    )
    assert run.ok, run.failures
    assert f"{len(posts):,}" in "".join(output.text for output in run.outputs)


def test_counts_written_as_32_bit_integers_are_squared_without_overflow(tmp_path, bundled):
    """A crawler may write counts as int32: 60,000 page views squared is beyond int32."""
    posts, accounts, _ = bundled
    small = posts.head(50).assign(
        account_id=lambda f: f["account_id"].astype(str),
        category=lambda f: f["category"].astype(str),
        likes=lambda f: f["likes"].where(f.index != 7, 60_000).astype("int32"),
    )
    pq.write_table(pa.Table.from_pandas(small, preserve_index=False), tmp_path / "p.parquet")
    reduced = reduce.statistics(tmp_path / "p.parquet", list(accounts["account_id"].astype(str)))
    expected = float((small["likes"].astype("int64") ** 2).sum())
    assert float(reduced.columns["likes_sumsq"].sum()) == expected
