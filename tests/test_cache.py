"""The artifact cache: a key changes exactly when an input of the artifact changes, a hit never
recomputes, undeclared inputs are refused, and chapters read results without pandas."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from tiny_project import TinyProject

from analysis import book
from analysis.pipeline import store
from analysis.pipeline.store import keys, registry


@pytest.fixture
def tiny(tmp_path, monkeypatch) -> TinyProject:
    return TinyProject(tmp_path).activate(monkeypatch)


def current_keys() -> dict[str, str]:
    return {name: keys.key(name) for name in ("tiny.alpha", "tiny.beta", "tiny.both")}


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {name for name in before if before[name] != after[name]}


def test_a_hit_returns_the_stored_result_without_recomputing(tiny):
    assert store.get("tiny.alpha") == {"total": 3}
    assert store.get("tiny.alpha") == {"total": 3}
    assert store.values("tiny.alpha") == {"total": 3}
    assert tiny.calls() == ["tiny.alpha"]
    assert store.is_cached("tiny.alpha")
    assert not store.ensure("tiny.alpha")


def test_a_data_edit_changes_only_the_keys_of_artifacts_that_read_it(tiny):
    before = current_keys()
    tiny.write_csv("beta", [("c", 11)])
    assert changed(before, current_keys()) == {"tiny.beta", "tiny.both"}
    before = current_keys()
    tiny.write_csv("alpha", [("a", 5)])
    # tiny.both reads alpha only through its dependency tiny.alpha
    assert changed(before, current_keys()) == {"tiny.alpha", "tiny.both"}


def test_a_data_edit_recomputes_the_artifact_and_its_dependants_only(tiny):
    assert store.get("tiny.both") == {"sum": 13}
    assert store.get("tiny.beta") == {"total": 10, "share": 0.25}
    tiny.write_csv("alpha", [("a", 100)])
    assert store.get("tiny.beta")["total"] == 10
    assert store.get("tiny.both") == {"sum": 110}
    assert tiny.calls() == ["tiny.alpha", "tiny.both", "tiny.beta", "tiny.alpha", "tiny.both"]


def test_schema_changes_count_but_descriptions_do_not(tiny):
    before = current_keys()

    def describe(descriptor):
        descriptor["resources"][1]["description"] = "reworded"
        descriptor["title"] = "a new title"
        return descriptor

    tiny.edit_descriptor(describe)
    assert changed(before, current_keys()) == set()

    def retype(descriptor):
        descriptor["resources"][1]["schema"]["fields"][1]["type"] = "number"
        return descriptor

    tiny.edit_descriptor(retype)
    assert changed(before, current_keys()) == {"tiny.beta", "tiny.both"}


def test_a_code_edit_changes_the_keys_of_that_module_s_artifacts(tiny):
    before = current_keys()
    tiny.touch_code()
    assert changed(before, current_keys()) == set(before)


def test_the_lock_file_is_part_of_every_key(tiny):
    before = current_keys()
    tiny.edit("uv.lock", lambda text: text + "# another version\n")
    assert changed(before, current_keys()) == set(before)


def test_the_code_closure_follows_analysis_imports_but_not_bookkeeping(tiny):
    closure = keys.module_closure(tiny.module)
    assert tiny.module in closure
    assert "analysis.paths" in closure
    assert not [m for m in closure if m.startswith("analysis.pipeline.store")]  # the store itself
    assert "analysis.data.datapackage" in keys.module_closure("analysis.data.datasets")


def _new_process(monkeypatch) -> None:
    """Forget what this process has memoised, as a new process would start."""
    monkeypatch.setattr(keys, "_IMPORTS", {})
    monkeypatch.setattr(keys, "_CLOSURES", {})
    monkeypatch.setattr(keys, "_IMPORTS_ON_DISK", None)
    monkeypatch.setattr(keys, "_FILE_HASHES", {})


def test_imports_are_remembered_across_processes_by_file_content(tiny, monkeypatch):
    _new_process(monkeypatch)
    assert "analysis.data.datasets" not in keys.module_closure(tiny.module)
    tiny.edit(
        tiny.module_file.relative_to(tiny.root).as_posix(),
        lambda t: t.replace("import csv\n", "import csv\n\nimport analysis.data.datasets\n"),
    )
    assert "analysis.data.datasets" in keys.module_closure(tiny.module)  # same process
    _new_process(monkeypatch)

    def no_parsing(*_args):
        raise AssertionError("parsed again although the content is known")

    real = keys._parse_imports
    monkeypatch.setattr(keys, "_parse_imports", no_parsing)
    assert "analysis.data.datasets" in keys.module_closure(tiny.module)
    _new_process(monkeypatch)
    (tiny.cache / keys.IMPORTS_FILE).write_text("{damaged", encoding="utf-8")
    monkeypatch.setattr(keys, "_parse_imports", real)
    assert "analysis.data.datasets" in keys.module_closure(tiny.module)
    assert json.loads((tiny.cache / keys.IMPORTS_FILE).read_text(encoding="utf-8"))


def test_hashes_of_large_data_files_are_remembered_across_processes(tiny, monkeypatch):
    """Every chapter kernel keys the artifacts it reads: a crawl's posts (gigabytes) are hashed
    once, not once per process, and a write to the file (which sets its change time) or a
    damaged or forged record means hashing it again."""
    monkeypatch.setattr(keys, "REMEMBERED_BYTES", 1)
    data = tiny.data / "alpha.csv"
    first = keys.file_hash(data)
    _new_process(monkeypatch)
    real = keys.datapackage.sha256_file

    def no_hashing(_path):
        raise AssertionError("hashed again although nothing changed")

    monkeypatch.setattr(keys.datapackage, "sha256_file", no_hashing)
    assert keys.file_hash(data) == first
    _new_process(monkeypatch)
    tiny.write_csv("alpha", [("a", 5)])
    monkeypatch.setattr(keys.datapackage, "sha256_file", real)
    edited = keys.file_hash(data)
    assert edited != first and edited == real(data)
    remembered = tiny.cache / keys.HASHES_FILE
    record = json.loads(remembered.read_text(encoding="utf-8"))
    record[str(data)][1] = first  # forged: the old hash under the current stamp
    remembered.write_text(json.dumps(record), encoding="utf-8")
    os.utime(data)  # a touch sets the change time: the forged stamp no longer matches
    _new_process(monkeypatch)
    assert keys.file_hash(data) == edited
    _new_process(monkeypatch)
    remembered.write_text("{damaged", encoding="utf-8")
    assert keys.file_hash(data) == edited
    monkeypatch.setattr(keys, "REMEMBERED_BYTES", 10**12)  # small files: never recorded
    _new_process(monkeypatch)
    remembered.unlink()
    keys.file_hash(data)
    assert not remembered.exists()


def test_the_whole_package_pseudo_resource_covers_every_file(tiny, monkeypatch):
    registry.register(
        "tiny.package",
        f"{tiny.module}:beta",
        "values",
        (registry.WHOLE_PACKAGE,),
        "describes the package",
    )
    before = keys.key("tiny.package")
    tiny.write_csv("alpha", [("a", 9)])
    after_data = keys.key("tiny.package")
    tiny.edit_descriptor(lambda d: {**d, "title": "retitled"})
    assert len({before, after_data, keys.key("tiny.package")}) == 3
    assert store.get("tiny.package")["total"] == 10  # reading beta.csv is allowed


def test_reading_an_undeclared_data_file_is_refused(tiny):
    with pytest.raises(store.UndeclaredInput, match=r"tiny.sneaky.*data/beta.csv"):
        store.get("tiny.sneaky")
    assert not store.is_cached("tiny.sneaky")


def test_reading_an_undeclared_artifact_is_refused(tiny):
    with pytest.raises(store.UndeclaredInput, match=r"'tiny.greedy'.*reads artifact 'tiny.beta'"):
        store.get("tiny.greedy")


def test_display_files_by_kind(tiny):
    from analysis.book import tables

    shown = tables.to_markdown(store.table("tiny.table"))
    assert "script" in shown and "<script>" not in shown
    with pytest.raises(KeyError, match="kind is table, not values"):
        store.values("tiny.table")
    with pytest.raises(KeyError, match="kind is values, not figure"):
        store.figure_png("tiny.alpha")


def test_only_the_newest_entry_of_an_artifact_is_kept(tiny):
    store.get("tiny.alpha")
    tiny.write_csv("alpha", [("a", 4)])
    store.get("tiny.alpha")
    assert [p.name for p in (tiny.cache / "tiny.alpha").iterdir()] == [keys.key("tiny.alpha")]


def test_book_formats_values_for_prose_and_explains_mistakes(tiny):
    assert book.value("tiny.beta", "total") == "10"
    assert repr(book.value("tiny.beta", "share", "{:.0%}")) == "25%"
    with pytest.raises(KeyError, match="has no value 'missing'; it has \\['share', 'total'\\]"):
        book.raw("tiny.beta", "missing")
    with pytest.raises(ValueError, match="does not fit the format"):
        book.value("tiny.beta", "total", "{:%Y}")
    made = book.made_by("tiny.beta")
    assert made.startswith(f"Made by `{tiny.module}:beta` from beta, data package v1")
    assert "synthetic" not in made and "observed" not in made


def test_a_chapter_reads_cached_results_without_importing_pandas(tiny):
    store.get("tiny.beta")
    store.get("tiny.table")
    code = tiny.kernel_setup() + textwrap.dedent(
        """
        import json, sys
        from analysis import book
        out = {"value": str(book.value("tiny.beta", "total"))}
        out["table"] = str(book.table("tiny.table"))
        heavy = ("pandas", "matplotlib", "statsmodels", "seaborn", "numpy")
        out["imported"] = sorted(m for m in heavy if m in sys.modules)
        print(json.dumps(out))
        """
    )
    env = dict(os.environ, ANALYSIS_CACHE_DIR=str(tiny.cache))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    out = json.loads(done.stdout)
    assert out["value"] == "10"
    assert "script" in out["table"] and "<script>" not in out["table"]
    assert out["imported"] == []
    assert tiny.calls() == ["tiny.beta", "tiny.table"]  # the subprocess computed nothing


def test_foreign_key_targets_may_be_read_but_are_not_part_of_the_key(tiny):
    def link(descriptor):
        fk = {"fields": "label", "reference": {"resource": "beta", "fields": "label"}}
        descriptor["resources"][0]["schema"]["foreignKeys"] = [fk]
        return descriptor

    tiny.edit_descriptor(link)
    # the loader reads a foreign key's target to check it, so the guard lets it through ...
    assert store.get("tiny.sneaky") == {"total": 10}
    # ... but values computed from alpha do not depend on beta's contents (validate checks them)
    before = keys.key("tiny.sneaky")
    tiny.write_csv("beta", [("c", 12)])
    assert keys.key("tiny.sneaky") == before
