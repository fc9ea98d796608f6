"""The reviewer re-run: a fresh recomputation compared with the committed manifest.

The fake project below has one artifact reading the real `provinces` resource (in a writable
copy of data/), one documented claim that reads it and one qualitative claim.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
from pathlib import Path

import pytest

from analysis import findings, paths
from analysis.data import datapackage
from analysis.errors import DataValidationError, ReproductionError
from analysis.findings import Claim, Evidence, EvidenceKind, Near
from analysis.pipeline import manifest, reproduce, store
from analysis.pipeline.store import registry

FAKE_MODULE = '''
"""Evidence for the reproduce tests: 2013 population by region from the provinces table."""

from analysis.data import datasets


def population() -> dict:
    frame = datasets.load("provinces")
    totals = frame.groupby("region_nbs4", observed=True)["population_10k_2013"].sum()
    return {str(region): int(total) for region, total in totals.items()}


def extra() -> dict:
    return {"answer": 42}


def table():
    import pandas as pd

    return pd.DataFrame({"region": ["east"], "population": [population()["east"]]})
'''


def _run(path: Path, update: bool = False) -> int:
    return reproduce.run(argparse.Namespace(update=update, manifest=path))


def _east_population(data: Path) -> int:
    rows = csv.DictReader(io.StringIO((data / "documented/provinces.csv").read_text("utf-8")))
    return sum(int(r["population_10k_2013"]) for r in rows if r["region_nbs4"] == "east")


@pytest.fixture
def project(tmp_path: Path, package_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A one-artifact project on a copy of the data; returns the committed manifest's path."""
    module_dir = tmp_path / "modules"
    module_dir.mkdir()
    (module_dir / "reproduce_fake_evidence.py").write_text(FAKE_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(module_dir))
    monkeypatch.setattr(paths, "data", package_copy)
    monkeypatch.setattr(paths, "datapackage", package_copy / "datapackage.json")
    monkeypatch.setattr(paths, "cache", tmp_path / "cache")  # the author's cache, per test
    monkeypatch.setattr(registry, "REGISTRY", {})
    registry.register(
        "fake.population",
        "reproduce_fake_evidence:population",
        "values",
        ("provinces",),
        "2013 population by region (test artifact)",
    )
    claims = (
        Claim(
            "TEST-1",
            "003",
            "figure",
            "The east held its documented 2013 population.",
            EvidenceKind.DOCUMENTED,
            Evidence("fake.population", Near("east", _east_population(package_copy))),
            "chapters/x.qmd#sec-x",
        ),
        Claim(
            "TEST-2",
            "000",
            "obstacle",
            "A claim with no data behind it.",
            EvidenceKind.QUALITATIVE,
            None,
            "chapters/x.qmd#sec-x",
            needs="a survey",
        ),
    )
    monkeypatch.setattr(findings, "registry", lambda: claims)
    registry.register_verdicts(claims)
    return tmp_path / "results" / "manifest.json"


def _committed(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(path: Path, payload: dict) -> None:
    path.write_text(json.dumps(payload), encoding="utf-8")


def test_update_writes_a_stamped_manifest_and_an_unchanged_rerun_passes(project, capsys):
    assert _run(project) == 1  # nothing committed yet
    assert "--update" in capsys.readouterr().out
    assert _run(project, update=True) == 0
    written = _committed(project)
    assert written["data"] == datapackage.fingerprint(
        datapackage.read_descriptor(paths.datapackage)
    )
    assert written["code"]["analysis_sources"].startswith("sha256:")
    assert written["code"]["uv_lock"].startswith("sha256:")
    assert set(written["tolerances"]) == {"arithmetic", "model"}
    entry = written["values"]["fake.population"]
    assert entry["tolerance"] == "arithmetic" and entry["synthetic"] is False
    assert entry["values"]["east"] == _east_population(paths.data)
    assert written["claims"]["TEST-1"]["verdict"] == "supported"
    assert written["claims"]["TEST-2"]["verdict"] == "not testable with these data"
    capsys.readouterr()
    assert _run(project) == 0
    out = capsys.readouterr().out
    assert "reproduce: ok all reproduced" in out
    assert not project.with_name("manifest.new.json").exists()


def test_an_altered_committed_number_fails_naming_the_claim(project, capsys):
    _run(project, update=True)
    committed = _committed(project)
    committed["values"]["fake.population"]["values"]["east"] += 1
    _write(project, committed)
    capsys.readouterr()
    assert _run(project) == 1
    out = capsys.readouterr().out
    assert "fake.population:east" in out
    assert "count changed" in out  # an integer count is compared exactly
    assert "claims affected: TEST-1" in out
    assert project.with_name("manifest.new.json").exists()  # kept for inspection


def test_an_altered_committed_verdict_fails_naming_the_claim(project, capsys):
    _run(project, update=True)
    committed = _committed(project)
    committed["claims"]["TEST-1"]["verdict"] = "mixed"
    _write(project, committed)
    capsys.readouterr()
    assert _run(project) == 1
    out = capsys.readouterr().out
    assert "verdict changed" in out and "claims affected: TEST-1" in out


def test_a_changed_data_value_with_its_hash_updated_fails_naming_the_claim(
    project, package_copy, capsys
):
    _run(project, update=True)
    csv_path = package_copy / "documented/provinces.csv"
    text = csv_path.read_text(encoding="utf-8")
    beijing = text.splitlines()[1]
    assert beijing.startswith("110000,")
    fields = beijing.split(",")
    fields[12] = str(int(fields[12]) + 40_000)  # population_10k_2013 of Beijing
    csv_path.write_text(text.replace(beijing, ",".join(fields)), encoding="utf-8")
    descriptor_path = package_copy / "datapackage.json"
    entry = datapackage.resource(datapackage.read_descriptor(descriptor_path), "provinces")
    datapackage.update_resources([datapackage.stamp(entry, package_copy)], descriptor_path)
    capsys.readouterr()
    assert _run(project) == 1
    out = capsys.readouterr().out
    assert "claims affected: TEST-1" in out
    assert "data files changed: provinces" in out
    assert "not supported" in out  # the verdict after the change
    assert _run(project, update=True) == 0  # the author accepts the change
    assert _run(project) == 0


def test_a_changed_data_value_without_its_hash_is_refused(project, package_copy):
    _run(project, update=True)
    csv_path = package_copy / "documented/provinces.csv"
    csv_path.write_text(csv_path.read_text("utf-8").replace(",2125,", ",2126,"), "utf-8")
    with pytest.raises(DataValidationError, match=r"provinces\.csv"):
        _run(project)


def _forge(name: str, change, filename: str = "values.json") -> None:
    """Edit a cached values.json (or table.json) through ``change`` and re-sign its entry, as a
    careful forger would: the digest check then passes and only a re-run can tell."""
    folder = store.entry_dir(name)
    stored = json.loads((folder / filename).read_text(encoding="utf-8"))
    payload = json.dumps(change(stored)).encode()
    (folder / filename).write_bytes(payload)
    record = json.loads((folder / "entry.json").read_text(encoding="utf-8"))
    record["files"][filename] = "sha256:" + hashlib.sha256(payload).hexdigest()
    (folder / "entry.json").write_text(json.dumps(record), encoding="utf-8")


def test_rerun_ignores_the_cache_and_reports_an_edited_values_file(project, capsys):
    stored = store.values("fake.population")
    poisoned = store.entry_dir("fake.population") / "values.json"
    poisoned.write_text(json.dumps({**stored, "east": 1}), encoding="utf-8")
    assert _run(project, update=True) == 1  # the re-run is accepted, the cache is reported
    assert _committed(project)["values"]["fake.population"]["values"]["east"] == stored["east"]
    out = capsys.readouterr().out
    assert "cache fake.population (damaged or edited)" in out
    assert _run(project) == 1
    with pytest.warns(store.CacheWarning, match="does not match its digest"):
        assert store.values("fake.population")["east"] == stored["east"]  # never served
    capsys.readouterr()
    assert _run(project) == 0  # the book's read recomputed the entry: nothing left to report


def test_a_forged_cache_entry_that_passes_its_digest_is_reported(project, capsys):
    _run(project, update=True)
    east = store.values("fake.population")["east"]
    _forge("fake.population", lambda v: {**v, "east": east + 1})
    assert store.values("fake.population")["east"] == east + 1  # what the book would print
    capsys.readouterr()
    assert _run(project) == 1
    out = capsys.readouterr().out
    assert "cache fake.population:east (differs)" in out
    assert "TEST-1" in out  # the claim that reads it


def test_a_forged_cached_verdict_is_reported(project, capsys):
    _run(project, update=True)
    assert store.values("verdict.TEST-1")["verdict"] == "supported"
    _forge("verdict.TEST-1", lambda v: {**v, "verdict": "not supported"})
    capsys.readouterr()
    assert _run(project) == 1
    out = capsys.readouterr().out
    assert "cache verdict.TEST-1 (differs)" in out


def test_a_forged_table_that_passes_its_digest_is_reported(project, capsys):
    registry.register(
        "fake.table",
        "reproduce_fake_evidence:table",
        "table",
        ("provinces",),
        "east population as a table (test artifact)",
    )
    _run(project, update=True)
    honest = store.table("fake.table")
    assert _run(project) == 0  # an honest stored table matches the re-run's
    _forge("fake.table", lambda t: {**t, "rows": [["east", "1"]]}, "table.json")
    assert store.table("fake.table")["rows"] == [["east", "1"]] != honest["rows"]
    capsys.readouterr()
    assert _run(project) == 1
    assert "cache fake.table (differs)" in capsys.readouterr().out


def test_update_with_results_elsewhere_writes_there_not_in_the_checkout(
    project, tmp_path, monkeypatch
):
    checkout = tmp_path / "checkout" / "manifest.json"
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setattr(paths, "committed_manifest", checkout)
    monkeypatch.setattr(paths, "results", elsewhere)
    monkeypatch.setattr(paths, "manifest", elsewhere / "manifest.json")
    assert reproduce.run(argparse.Namespace(update=True, manifest=None)) == 0
    assert (elsewhere / "manifest.json").is_file() and not checkout.exists()


def test_update_with_nothing_changed_leaves_the_manifest_untouched(project, capsys):
    assert _run(project, update=True) == 0
    before = (project.read_bytes(), project.stat().st_mtime_ns)
    capsys.readouterr()
    assert _run(project, update=True) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert (project.read_bytes(), project.stat().st_mtime_ns) == before


def test_a_corrupted_manifest_names_a_remedy_that_works(project, capsys):
    _run(project, update=True)
    good = _committed(project)
    project.write_text("{not json", encoding="utf-8")
    with pytest.raises(ReproductionError, match="not valid JSON") as raised:
        _run(project)
    assert "reproduce --update" in str(raised.value)
    assert _run(project, update=True) == 0  # the recommended command does not fail alike
    assert _committed(project)["claims"] == good["claims"]
    assert _run(project) == 0


def test_differences_within_tolerance_pass_and_beyond_fail(project, capsys):
    _run(project, update=True)
    committed = _committed(project)
    east = committed["values"]["fake.population"]["values"]["east"]
    committed["values"]["fake.population"]["values"]["east"] = east * (1 + 5e-10)
    _write(project, committed)
    capsys.readouterr()
    assert _run(project) == 0
    assert "1 numbers differed within tolerance" in capsys.readouterr().out
    committed["values"]["fake.population"]["values"]["east"] = east * (1 + 2e-9)
    _write(project, committed)
    assert _run(project) == 1
    assert "arithmetic" in capsys.readouterr().out  # the tolerance class that applied


def test_new_and_missing_numbers_fail(project, capsys):
    _run(project, update=True)
    registry.register("fake.extra", "reproduce_fake_evidence:extra", "values", (), "test")
    capsys.readouterr()
    assert _run(project) == 1
    out = capsys.readouterr().out
    assert "fake.extra:answer" in out and "new: not in manifest" in out
    del registry.REGISTRY["fake.extra"]
    committed = _committed(project)
    committed["values"]["fake.population"]["values"]["atlantis"] = 7
    _write(project, committed)
    assert _run(project) == 1
    assert "missing from re-run" in capsys.readouterr().out


def test_an_unreadable_manifest_is_a_reproduction_error(project):
    project.parent.mkdir(parents=True)
    project.write_text("{not json", encoding="utf-8")
    with pytest.raises(ReproductionError, match="not valid JSON"):
        _run(project)
    project.write_text(json.dumps({"schema": 99}), encoding="utf-8")
    with pytest.raises(ReproductionError, match="schema"):
        _run(project)


def test_tolerance_boundaries() -> None:
    assert manifest.ARITHMETIC.close(1.0, 1.0 + 0.9e-9)
    assert not manifest.ARITHMETIC.close(1.0, 1.0 + 1.1e-9)
    assert manifest.MODEL.close(1.0, 1.0 + 0.9e-6)
    assert not manifest.MODEL.close(1.0, 1.0 + 1.1e-6)
    assert manifest.MODEL.close(0.0, 1e-10)  # near zero the absolute bound applies
    assert manifest.ARITHMETIC.close(math.nan, math.nan)
    assert not manifest.ARITHMETIC.close(math.nan, 1.0)
    # counts are exact whatever the artifact's tolerance; text must match exactly
    assert reproduce._differs(1_000_000_000, 1_000_000_001, manifest.MODEL)
    assert not reproduce._differs(1e9, 1e9 + 1, manifest.MODEL)
    assert reproduce._differs("2011-09-27", "2011-09-28", manifest.MODEL)
    assert not reproduce._differs([1.0, "a"], [1.0 + 1e-12, "a"], manifest.ARITHMETIC)
    assert reproduce._differs([1.0], [1.0, 2.0], manifest.ARITHMETIC)


def test_model_estimates_get_the_model_tolerance(tmp_path, monkeypatch) -> None:
    (tmp_path / "tolerance_fit_mod.py").write_text(
        "def fit():\n    from scipy.optimize import curve_fit\n    return {}\n", encoding="utf-8"
    )
    (tmp_path / "tolerance_sum_mod.py").write_text(
        "import numpy as np\n\ndef total():\n    return {}\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "REGISTRY", {})
    registry.register("tol.fit", "tolerance_fit_mod:fit", "values", (), "test")
    registry.register("tol.sum", "tolerance_sum_mod:total", "values", (), "test")
    registry.register("tol.derived", "tolerance_sum_mod:total", "values", (), "t", ("tol.fit",))
    assert manifest.tolerance_for("tol.fit") is manifest.MODEL
    assert manifest.tolerance_for("tol.sum") is manifest.ARITHMETIC
    assert manifest.tolerance_for("tol.derived") is manifest.MODEL


def test_committed_manifest_covers_the_registry_and_the_current_data() -> None:
    """results/manifest.json must list every values artifact and claim of the real registry."""
    committed = reproduce.read_manifest(paths.manifest)
    assert committed is not None, "results/manifest.json is missing: run reproduce --update"
    assert set(committed["values"]) == set(manifest.values_artifacts())
    assert set(committed["claims"]) == {c.id for c in findings.registry()}
    assert committed["data"] == datapackage.fingerprint()
