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
