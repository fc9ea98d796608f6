"""Coverage: the Wilson interval, aggregation to regions, the thinnest provinces, the verdict."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from analysis import paths
from analysis.errors import ModelInputError
from analysis.topics import coverage


def test_wilson_interval_matches_known_values():
    # 81 of 263: the worked example of Newcombe (1998), method 3: 0.2553 to 0.3662
    low, high = coverage.wilson_interval(81, 263)
    assert low == pytest.approx(0.2553, abs=5e-5)
    assert high == pytest.approx(0.3662, abs=5e-5)
    # 0 of 10 by hand: upper = z^2 / (n + z^2) = 3.841459 / 13.841459 = 0.277533
    assert coverage.wilson_interval(0, 10) == pytest.approx((0.0, 0.277533), abs=1e-6)
    assert coverage.wilson_interval(10, 10) == pytest.approx((0.722467, 1.0), abs=1e-6)


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
    # Wilson interval of 7 of 15 (statsmodels' proportion_confint, method "wilson")
    assert (regions.loc["west", "low"], regions.loc["west", "high"]) == pytest.approx(
        (0.248095, 0.698830), abs=1e-6
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


def _csv(name: str) -> list[dict[str, str]]:
    with (paths.data / "documented" / f"{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _hand_counted() -> dict[str, tuple[float, float]]:
    """Per province with a prefecture level: (coverage, strict coverage), from the CSV files."""
    provinces = {row["adcode"]: row for row in _csv("provinces")}
    out = {}
    for row in _csv("police_weibo_coverage"):
        province = provinces[row["province_code"]]
        divisions = int(province["prefecture_divisions_2013"])
        if divisions:
            areas = min(int(row["distinct_prefecture_areas_covered"]), divisions)
            strict = min(int(row["prefecture_areas_matching_2013_codes"]), divisions)
            out[province["name_pinyin"]] = (areas / divisions, strict / divisions)
    return out


def test_values_on_the_documented_data_match_a_hand_count():
    """Thinnest provinces, the region with the lowest coverage, full-coverage count and county
    accounts, counted from the CSV files with plain Python (tests/test_known_answers.py checks
    each region's coverage and interval)."""
    values = coverage.coverage_values()
    json.dumps(values, allow_nan=False)
    per_province = _hand_counted()
    incomplete = {p: c for p, c in per_province.items() if c[0] < 1 or c[1] < 1}
    thinnest = sorted(incomplete, key=lambda p: (*incomplete[p], p))
    assert values["thinnest_provinces"] == thinnest
    assert values["thinnest_coverage"] == pytest.approx(incomplete[thinnest[0]][0])
    assert values["provinces_full_prefecture_coverage"] == sum(
        c[0] == 1 for c in per_province.values()
    )
    regional = {r: values[f"prefecture_coverage_{r}"] for r in coverage.REGION_ORDER}
    assert values["min_region"] == min(regional, key=regional.get)
    rows = _csv("police_weibo_coverage")
    assert values["county_accounts_listed"] == sum(int(r["county_accounts_listed"]) for r in rows)
    assert values["provinces_with_provincial_account"] == sum(
        int(r["province_accounts_listed"]) > 0 for r in rows
    )


def test_region_table_shows_the_values_as_percentages():
    table = coverage.region_table().set_index("Region (NBS)")
    values = coverage.coverage_values()
    assert table.index.tolist() == ["East", "Central", "West", "Northeast", "All"]
    for region in coverage.REGION_ORDER:
        row = table.loc[region.capitalize()]
        assert (
            row["Prefecture coverage (%)"] == f"{100 * values[f'prefecture_coverage_{region}']:.1f}"
        )
    assert (
        table.loc["All", "Prefecture coverage (%)"] == f"{100 * values['prefecture_coverage']:.1f}"
    )
    assert "not a census" in table.attrs["note"]
    # a near-census is a lower bound, not a sample: no sampling interval is shown (issue 22)
    assert not any("interval" in column for column in table.columns)
    assert "lower bound" in table.attrs["note"]
    thin = coverage.thinnest_table()
    assert thin["Province"].tolist() == values["thinnest_provinces"]
