"""Coverage: the Wilson interval, aggregation to regions, the thinnest provinces, the verdict."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.errors import ModelInputError
from analysis.topics import coverage


def test_wilson_interval_matches_known_values():
    # 81 of 263: the worked example of Newcombe (1998), method 3: 0.2553 to 0.3662
    low, high = coverage.wilson_interval(81, 263)
    assert low == pytest.approx(0.2553, abs=5e-5)
    assert high == pytest.approx(0.3662, abs=5e-5)
    # 0 of 10 by hand: upper = z^2 / (n + z^2)
    z2 = coverage.Z_95**2
    assert coverage.wilson_interval(0, 10) == pytest.approx((0.0, z2 / (10 + z2)))
    assert coverage.wilson_interval(10, 10) == pytest.approx((10 / (10 + z2), 1.0))


def test_wilson_interval_rejects_impossible_counts():
    with pytest.raises(ModelInputError, match="at least one trial"):
        coverage.wilson_interval(0, 0)
    with pytest.raises(ModelInputError, match="found 5 of 4"):
        coverage.wilson_interval(5, 4)


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Four provinces: a municipality and a full province in the east, two thin ones in the west."""
    provinces = pd.DataFrame(
        {
            "adcode": ["110000", "320000", "540000", "630000"],
            "name_en": ["Beijing", "Jiangsu", "Tibet", "Qinghai"],
            "name_pinyin": ["Beijing", "Jiangsu", "Xizang", "Qinghai"],
            "prefecture_divisions_2013": [0, 10, 7, 8],
            "region_nbs4": ["east", "east", "west", "west"],
            "region_3": ["east", "east", "west", "west"],
        }
    )
    listed = pd.DataFrame(
        {
            "province_code": ["110000", "320000", "540000", "630000"],
            "province_accounts_listed": [1, 1, 1, 0],
            "prefecture_accounts_listed": [1, 12, 4, 3],
            # Jiangsu lists 12 areas for 10 divisions: capped at 10
            "distinct_prefecture_areas_covered": [1, 12, 4, 3],
            "county_accounts_listed": [16, 20, 0, 0],
            "prefecture_areas_matching_2013_codes": [0, 10, 1, 3],
        }
    )
    return listed, provinces


def test_region_aggregation_caps_areas_and_leaves_out_municipalities():
    listed, provinces = _frames()
    per_province = coverage.province_coverage(listed, provinces)
    regions = coverage.region_coverage(per_province).set_index("region")
    assert regions.loc["east", "prefecture_divisions"] == 10
    assert regions.loc["east", "prefecture_areas_listed"] == 10
    assert regions.loc["east", "prefecture_coverage"] == 1.0
    assert regions.loc["west", "prefecture_areas_listed"] == 7
    assert regions.loc["west", "prefecture_coverage"] == pytest.approx(7 / 15)
    assert regions.loc["west", "prefecture_coverage_strict"] == pytest.approx(4 / 15)
    assert (regions.loc["west", "low"], regions.loc["west", "high"]) == pytest.approx(
        coverage.wilson_interval(7, 15)
    )
    assert regions.loc["all", "prefecture_coverage"] == pytest.approx(17 / 25)
    assert regions.loc["west", "provincial_share"] == 0.5
    assert regions.loc["east", "county_accounts_listed"] == 36


def test_thinnest_and_verdict_point_at_the_west():
    listed, provinces = _frames()
    per_province = coverage.province_coverage(listed, provinces)
    thin = coverage.thinnest(per_province)
    assert thin["province"].tolist() == ["Qinghai", "Xizang"]
    summary = coverage.verdict_summary(per_province, coverage.region_coverage(per_province))
    assert summary["min_region"] == "west"
    assert summary["min_region_coverage"] == pytest.approx(7 / 15)
    assert summary["thinnest_province"] == "Qinghai"
    assert summary["provinces_with_provincial_account"] == 3
    assert summary["provinces_full_prefecture_coverage"] == 1


def test_unknown_province_is_a_model_input_error():
    listed, provinces = _frames()
    listed.loc[0, "province_code"] = "990000"
    with pytest.raises(ModelInputError, match="990000"):
        coverage.province_coverage(listed, provinces)
    with pytest.raises(ModelInputError, match="missing column"):
        coverage.province_coverage(listed.drop(columns="county_accounts_listed"), provinces)


def test_values_on_the_documented_data_are_consistent():
    values = coverage.coverage_values()
    json.dumps(values, allow_nan=False)
    assert values["provinces"] == 31
    assert values["prefecture_low"] <= values["prefecture_coverage"] <= values["prefecture_high"]
    assert values["min_region_low"] <= values["min_region_coverage"] <= values["min_region_high"]
    regional = [values[f"prefecture_coverage_{r}"] for r in coverage.REGION_ORDER]
    assert values["min_region_coverage"] == min(regional)
    assert values["prefecture_coverage_strict"] <= values["prefecture_coverage"]
    assert values["thinnest_province"] == values["thinnest_provinces"][0]


def test_tables_and_figure_build_from_the_data():
    table = coverage.region_table()
    assert table["Region (NBS)"].tolist() == ["East", "Central", "West", "Northeast", "All"]
    assert "not a census" in table.attrs["note"]
    assert len(coverage.thinnest_table()) >= 1
    fig = coverage.region_figure()
    assert "region" in fig.axes[0].get_title(loc="left")
