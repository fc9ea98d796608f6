"""The benchmark's data scenario makes an author's data fix: one value changes, the package
stays valid, and the recorded hash follows (a trailing newline changed no value, so nothing was
recomputed and ``warm_data`` measured nothing)."""

from __future__ import annotations

import shutil

from analysis import paths
from analysis.data import datapackage, datasets
from benchmarks import bench


def test_warm_data_corrects_one_value_and_the_package_stays_valid(tmp_path) -> None:
    data = tmp_path / "data"
    shutil.copytree(paths.data, data)
    before = datasets.load("provinces", base=data)
    said = bench._edit_resource(data, "provinces")
    after = datasets.load("provinces", base=data)
    changed = ~((before == after) | (before.isna() & after.isna())).stack()
    assert list(changed[changed].index) == [(0, "gdp_per_capita_yuan_2013")]
    assert after.loc[0, "gdp_per_capita_yuan_2013"] == before.loc[0, "gdp_per_capita_yuan_2013"] + 1
    assert said.startswith("provinces row 1 gdp_per_capita_yuan_2013 ")
    assert all(checked.ok for checked in datasets.check_all(base=data))
    entry = datapackage.resource(
        datapackage.read_descriptor(data / "datapackage.json"), "provinces"
    )
    original = datapackage.resource(datapackage.read_descriptor(), "provinces")
    assert entry["hash"] != original["hash"]


def test_the_benchmark_children_read_the_copy_not_the_folders_the_command_exported(
    monkeypatch, tmp_path
) -> None:
    """``python -m analysis bench`` exports the repository's folders (paths.configure); the
    commands and kernels the benchmark starts must still read the copy it edits."""
    for variable in (paths.DATA_ENV, paths.RESULTS_ENV, paths.CACHE_ENV):
        monkeypatch.setenv(variable, str(paths.root / "somewhere"))
    runner = bench._Runner(tmp_path / "project", tmp_path, [])
    env = runner.env(tmp_path / "cache")
    assert env[paths.DATA_ENV] == str(tmp_path / "project" / "data")
    assert env[paths.RESULTS_ENV] == str(tmp_path / "project" / "results")
    assert env[paths.CACHE_ENV] == str(tmp_path / "cache")
