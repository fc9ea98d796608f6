"""Diffusion: logistic recovery, growth arithmetic, the window behind the op-ed check, pairings."""

from __future__ import annotations

import csv
import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from analysis import paths
from analysis.errors import ModelInputError
from analysis.topics.diffusion.counts import claim_comparison, claim_table
from analysis.topics.diffusion.growth import (
    compound_growth,
    five_year_floor,
    growth_steps,
    growth_table,
    longest_window,
)
from analysis.topics.diffusion.logistic_fit import (
    LOGISTIC_PARAMETERS,
    counts_figure,
    decimal_year,
    fit_logistic,
    logistic,
)
from analysis.topics.diffusion.shares import most_followed, police_shares
from analysis.topics.diffusion.values import diffusion_values
from analysis.topics.diffusion.wechat import wechat_sectors_table, wechat_values

TRUE = {"K": 300_000.0, "r": 1.8, "t0": 2012.3}


def _counts(rows: list[dict]) -> pd.DataFrame:
    """A minimal account_counts frame in the codebook's columns."""
    base = {
        "series": "cnsa_four_platforms",
        "platform": "four_platforms",
        "sector": "government_all",
        "account_kind": "all",
        "subgroup": None,
        "province_code": None,
        "bound": "exact",
        "derived": False,
        "certainty": "documented",
        "source": "key",
    }
    frame = pd.DataFrame([base | row for row in rows])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def test_logistic_fit_recovers_exact_parameters():
    t = np.arange(2009.0, 2016.0, 0.5)
    fit = fit_logistic(t, logistic(t, **TRUE))
    assert pytest.approx(TRUE["K"], rel=1e-6) == fit.K
    assert fit.r == pytest.approx(TRUE["r"], rel=1e-6)
    assert fit.t0 == pytest.approx(TRUE["t0"], abs=1e-6)
    assert fit.df_resid == len(t) - 3


def test_logistic_intervals_cover_the_truth_with_noise():
    """40 noisy replications: each parameter's 95% interval must hold the truth in most of them
    (expected 38 of 40; 32 or fewer has probability below 0.5% if the intervals are right)."""
    rng = np.random.default_rng(7)
    t = np.linspace(2009.0, 2016.0, 25)
    hits = dict.fromkeys(TRUE, 0)
    widths = []
    for _ in range(40):
        y = logistic(t, **TRUE) * np.exp(0.1 * rng.standard_normal(t.size))
        fit = fit_logistic(t, y)
        for name, truth in TRUE.items():
            low, high = fit.intervals[name]
            hits[name] += low < truth < high
        widths.append(fit.intervals["K"][1] - fit.intervals["K"][0])
    assert min(hits.values()) >= 33, hits
    assert np.median(widths) < 0.2 * TRUE["K"]  # informative with 25 points


@pytest.mark.slow
def test_logistic_interval_coverage_is_near_nominal():
    rng = np.random.default_rng(11)
    t = np.linspace(2009.0, 2016.0, 12)
    hits = dict.fromkeys(TRUE, 0)
    runs = 300
    for _ in range(runs):
        y = logistic(t, **TRUE) * np.exp(0.15 * rng.standard_normal(t.size))
        fit = fit_logistic(t, y)
        for name, truth in TRUE.items():
            low, high = fit.intervals[name]
            hits[name] += low < truth < high
    for name, count in hits.items():
        assert 0.91 <= count / runs <= 0.985, (name, count / runs)


def test_logistic_refuses_fewer_points_than_parameters():
    with pytest.raises(ModelInputError, match="at least 3 points"):
        fit_logistic(np.array([2011.0, 2012.0]), np.array([10.0, 20.0]))
    with pytest.raises(ModelInputError, match="at least 3 points"):  # repeated dates
        fit_logistic(np.array([2011.0, 2011.0, 2012.0]), np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ModelInputError, match="positive counts"):
        fit_logistic(np.array([2010.0, 2011.0, 2012.0]), np.array([0.0, 2.0, 3.0]))


def test_three_points_fit_exactly_and_report_no_interval():
    t = np.array([2010.0, 2011.0, 2012.5])
    fit = fit_logistic(t, logistic(t, **TRUE))
    assert fit.df_resid == 0
    assert all(v is None for v in fit.intervals.values())
    assert "no interval" in fit.caveat


@pytest.mark.parametrize(
    ("years", "words"),
    [
        ((2010.0, 2011.0, 2012.0, 2013.5), "(1 residual degree of freedom)"),
        ((2010.0, 2011.0, 2012.0, 2013.5, 2015.0), "(2 residual degrees of freedom)"),
    ],
)
def test_the_caveat_counts_the_residual_degrees_of_freedom_in_words(years, words):
    t = np.array(years)
    fit = fit_logistic(t, logistic(t, **TRUE) * 1.01)
    assert words in fit.caveat


def test_compound_growth_is_hand_checkable():
    growth = compound_growth(
        pd.Timestamp("2011-01-01"), 1000, pd.Timestamp("2013-01-01"), 1210, requested=5
    )
    assert growth.years == pytest.approx(731 / 365.25)
    # 1.21 over 731 days (2.00137 years): 1.21 ** (365.25 / 731) - 1 = 0.0999283
    assert growth.rate == pytest.approx(0.0999283, abs=1e-7)
    assert not growth.covers_request
    with pytest.raises(ModelInputError, match="end date after the start"):
        compound_growth(pd.Timestamp("2013-01-01"), 1, pd.Timestamp("2012-01-01"), 2, 5)


def test_growth_steps_between_consecutive_counts():
    points = _counts(
        [
            {"date": "2010-12-31", "count": 100},
            {"date": "2011-12-31", "count": 300},
            {"date": "2012-12-31", "count": 450},
        ]
    )
    steps = growth_steps(points)
    assert steps["growth"].tolist() == pytest.approx([2.0, 0.5])
    assert steps["years"].tolist() == pytest.approx([365 / 365.25, 366 / 365.25])
    with pytest.raises(ModelInputError, match="at least 2"):
        growth_steps(points.iloc[:1])


def test_longest_window_names_the_window_actually_used():
    counts = _counts(
        [
            {"date": "2010-12-31", "count": 100},
            {"date": "2013-12-31", "count": 800},
            {"series": "sina_government", "platform": "sina", "date": "2011-06-30", "count": 50},
            {"series": "sina_government", "platform": "sina", "date": "2013-06-30", "count": 90},
            # longer, but does not reach 2013: not a candidate
            {
                "series": "tencent_government",
                "platform": "tencent",
                "date": "2008-01-01",
                "count": 5,
            },
            {
                "series": "tencent_government",
                "platform": "tencent",
                "date": "2012-01-01",
                "count": 50,
            },
            # the claim itself and uncertain rows never qualify
            {"series": "op_ed_2014", "platform": "sina", "date": "2007-12-31", "count": 1},
            {"series": "op_ed_2014", "platform": "sina", "date": "2013-12-31", "count": 9},
        ]
    )
    series, growth, window = longest_window(counts, end_year=2013, requested=5)
    assert series == "cnsa_four_platforms"
    assert growth.start == pd.Timestamp("2010-12-31")
    assert growth.end == pd.Timestamp("2013-12-31")
    # eightfold over 1,096 days (3.00068 years): 8 ** (365.25 / 1096) - 1 = 0.999684
    assert growth.years == pytest.approx(1096 / 365.25)
    assert growth.rate == pytest.approx(0.999684, abs=1e-6)
    assert not growth.covers_request
    assert len(window) == 2

    longer = pd.concat([counts, _counts([{"date": "2008-12-31", "count": 10}])])
    _, growth, _ = longest_window(longer, end_year=2013, requested=5)
    assert growth.covers_request

    with pytest.raises(ModelInputError, match="ending in 2015"):
        longest_window(counts, end_year=2015)


def test_claim_comparison_takes_latest_comparable_count_before_the_claim():
    counts = _counts(
        [
            {
                "series": "op_ed_2014",
                "platform": "sina",
                "date": "2013-12-31",
                "count": 100_000,
                "bound": "about",
            },
            {"series": "op_ed_2014", "platform": "tencent", "date": "2013-12-31", "count": 160_000},
            {
                "series": "op_ed_2014",
                "platform": "all_platforms",
                "date": "2013-12-31",
                "count": 300_000,
            },
            {
                "series": "sina_government",
                "platform": "sina",
                "date": "2013-06-30",
                "count": 79_000,
            },
            {
                "series": "sina_government",
                "platform": "sina",
                "date": "2013-10-31",
                "count": 100_151,
            },
            {
                "series": "sina_government",
                "platform": "sina",
                "date": "2014-10-31",
                "count": 120_000,
            },  # after the claim: never used
            {"date": "2013-12-31", "count": 258_737},
        ]
    )
    table = claim_comparison(counts).set_index("platform")
    assert table.loc["sina", "documented_count"] == 100_151
    assert table.loc["sina", "difference"] == -151
    assert table.loc["all_platforms", "documented_platform"] == "four_platforms"
    assert table.loc["all_platforms", "ratio"] == pytest.approx(300_000 / 258_737)
    assert pd.isna(table.loc["tencent", "documented_count"])


def test_police_share_needs_same_date_platform_and_place():
    counts = _counts(
        [
            {
                "series": "sina_government",
                "platform": "sina",
                "date": "2012-08-03",
                "count": 25_866,
            },
            {
                "series": "police_national",
                "platform": "sina",
                "sector": "police",
                "date": "2012-08-03",
                "count": 8_583,
            },
            {
                "series": "police_national",
                "platform": "sina",
                "sector": "police",
                "date": "2012-09-03",
                "count": 9_000,
            },  # no government count that day
            {
                "series": "provincial",
                "platform": "sina",
                "sector": "police",
                "date": "2012-08-03",
                "count": 100,
                "province_code": "320000",
            },
        ]
    )
    shares = police_shares(counts)
    assert len(shares) == 1
    assert shares["share"].iloc[0] == pytest.approx(8_583 / 25_866)


def test_decimal_year():
    years = decimal_year(pd.Series(pd.to_datetime(["2013-01-01", "2013-07-02"])))
    assert years[0] == pytest.approx(2013.0)
    assert years[1] == pytest.approx(2013 + 182 / 365.25)


def _csv(name: str) -> list[dict[str, str]]:
    with (paths.data / "documented" / f"{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_values_on_the_documented_data_expose_the_window():
    """The growth window, read off account_counts.csv with plain Python: among national totals
    of all government accounts (no subgroup, no province) marked documented, in series other
    than the op-ed's own and one-off estimates, the one reaching furthest back from its last
    count of 2013; its annualised growth computed here by hand."""
    series: dict[str, list[tuple[date, int]]] = {}
    for row in _csv("account_counts"):
        if (
            not row["subgroup"]
            and not row["province_code"]
            and row["account_kind"] == "all"
            and row["sector"] == "government_all"
            and row["certainty"] == "documented"
            and row["series"] not in ("op_ed_2014", "other_estimates")
        ):
            series.setdefault(row["series"], []).append(
                (date.fromisoformat(row["date"]), int(row["count"]))
            )
    windows = []
    for name, points in series.items():
        points.sort()
        ending = [p for p in points if p[0].year == 2013]
        if ending and points[0][0] < ending[-1][0]:
            windows.append(((ending[-1][0] - points[0][0]).days, name, points[0], ending[-1]))
    days, name, (start, first), (end, last) = max(windows)
    values = diffusion_values()
    json.dumps(values, allow_nan=False)
    assert values["cagr_series"] == name
    assert (values["cagr_window_start"], values["cagr_window_end"]) == (str(start), str(end))
    assert (values["cagr_start_count"], values["cagr_end_count"]) == (first, last)
    assert values["cagr_years"] == pytest.approx(days / 365.25, rel=1e-12)
    assert values["cagr"] == pytest.approx((last / first) ** (365.25 / days) - 1, rel=1e-9)
    assert values["five_years_documented"] == ("yes" if days / 365.25 >= 5 - 1 / 12 else "no")
    for name in LOGISTIC_PARAMETERS:
        if values[f"{name}_low"] is not None:
            assert values[f"{name}_low"] < values[name] < values[f"{name}_high"]
    assert 0 < values["police_share_national_min"] <= values["police_share_national_max"] < 1


def test_claim_table_has_one_row_per_op_ed_figure():
    op_ed = [
        r
        for r in _csv("account_counts")
        if r["series"] == "op_ed_2014" and not r["subgroup"] and not r["province_code"]
    ]
    claim = claim_table()
    assert len(claim) == len(op_ed) > 0
    growth = growth_table()
    assert {"From", "To", "Growth (%)", "Annualised (%)"} <= set(growth.columns)
    assert counts_figure().axes[0].get_yscale() == "log"


def test_wechat_values_match_the_sector_and_province_tables():
    """Police rank and lead, and the regions of the leading provinces, from the CSV files."""
    values = wechat_values()
    json.dumps(values, allow_nan=False)
    sectors = [
        (int(r["accounts"]), r["row_id"], r["category"])
        for r in _csv("wechat_sectors_2013")
        if r["breakdown"] == "sector" and r["accounts"]
    ]
    sectors.sort(reverse=True)
    rank = next(i for i, s in enumerate(sectors, 1) if "police" in s[1])
    police = sectors[rank - 1][0]
    runner_up = next(s for s in sectors if "police" not in s[1])
    assert values["police_rank"] == rank
    assert values["police_accounts"] == police
    assert values["runner_up_sector"] == runner_up[2]
    assert values["police_over_runner_up"] == pytest.approx(police / runner_up[0], rel=1e-12)
    region = {r["adcode"]: r["region_nbs4"] for r in _csv("provinces")}
    ranked = [region[r["province_code"]] for r in _csv("wechat_provinces_2013")]
    assert values["top_provinces"] == len(ranked)
    for name in ("east", "central", "west", "northeast"):
        assert values[f"top_provinces_{name}"] == ranked.count(name)
    assert "Sector" in wechat_sectors_table().columns


def test_police_share_of_the_most_followed_pairs_police_with_the_whole_ranking():
    """S000-F6 reads influence as audience (issue 22): police among the government accounts with
    the most followers, from the latest ranking counting both; uncertain rows do not count."""
    ranking = "among the 20 government microblogs with the most followers"
    rows = [
        {"date": "2011-09-27", "count": 15, "sector": "police", "subgroup": ranking},
        {"date": "2011-09-27", "count": 20, "subgroup": ranking},
        {"date": "2012-01-01", "count": 9, "sector": "police", "subgroup": ranking},
        {"date": "2012-01-01", "count": 20, "subgroup": ranking, "certainty": "uncertain"},
        {"date": "2013-12-31", "count": 258737},
    ]
    found = most_followed(_counts(rows))
    assert found["police_share_most_followed"] == pytest.approx(0.75)
    assert (found["most_followed_police"], found["most_followed_ranked"]) == (15, 20)
    assert found["most_followed_rankings"] == 1
    assert most_followed(_counts(rows[-1:])) == {"most_followed_rankings": 0}


def test_five_year_floor_assumes_the_count_never_fell():
    """S003-D4 (issue 22): from the earliest count c to the end count e, five years of growth
    are at least (e / c) ** (1 / 5) - 1 if the count never fell before c."""
    assert five_year_floor(1000, 32_000) == pytest.approx(1.0)
    assert five_year_floor(5768, 258_737) == pytest.approx(1.1398, abs=1e-4)
    assert five_year_floor(50_561, 258_737) < 1.0
