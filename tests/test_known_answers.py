"""Known answers for the statistics the book reports, computed independently of the code.

Every expectation here comes from a hand-worked example (the arithmetic is written out in the
test), from an independent library (statsmodels, scipy), from a simulation, or from the data
files and the parameter file read directly (csv, tomllib), never from the function under test
or a copy of its formula:

- the region range (highest over lowest region's expected count) for every choice of extreme
  and reference region, with its interval when neither extreme is the reference;
- delta-method intervals of averaged predictions (log and logit links) against the spread of
  the same average under draws of the coefficients from their estimated distribution, fine
  enough that an interval 5% too wide fails;
- the responsiveness model's answer rates and reference rate (a probability, not odds) against
  statsmodels' fit;
- recovery of the data-generating effects stated in data/simulation.toml's own [reference]
  levels, so a model that picks another reference level fails;
- Wilson intervals (statsmodels), coverage on the committed table (read with csv), compound
  growth, content shares, chi-square and permutation p-values, timeline gaps (hand-worked).
"""

from __future__ import annotations

import csv
import itertools
import math
import tomllib
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from analysis import paths
from analysis.topics import (
    content,
    coverage,
    engagement,
    inference,
    modelframe,
    responsiveness,
    timeline,
)
from analysis.topics.diffusion.growth import compound_growth, growth_steps

Z = 1.959963984540054  # the 97.5% normal quantile, typed from tables (not the module's constant)
REGIONS = ("east", "central", "west", "northeast")


# --- region range ---------------------------------------------------------------------------


def _range_case(coefficients: dict[str, float], cov: np.ndarray) -> dict:
    """region_range on a hand-made fit: intercept 0.3, region coefficients as given (east is
    the design's reference), covariance ``cov`` over (intercept, central, west, northeast)."""
    design = modelframe.Design(
        ("region",),
        (),
        {"region": REGIONS},
        ("Intercept", "region[central]", "region[west]", "region[northeast]"),
    )
    params = np.array([0.3, *(coefficients[r] for r in REGIONS[1:])])
    model = inference.Fit(design.columns, params, cov, loglik=0.0, n_obs=100, n_groups=10)
    return engagement.region_range(SimpleNamespace(design=design), model)


COV = np.array(
    [
        [0.50, 0.00, 0.00, 0.00],  # the intercept's variance must not enter any contrast
        [0.00, 0.04, 0.01, 0.02],
        [0.00, 0.01, 0.09, 0.03],
        [0.00, 0.02, 0.03, 0.16],
    ]
)


def test_region_range_when_neither_extreme_is_the_reference():
    # central 1.5, west 0.5: ratio 3; var(b_c - b_w) = 0.04 + 0.09 - 2 * 0.01 = 0.11
    found = _range_case({"central": math.log(1.5), "west": math.log(0.5), "northeast": 0.0}, COV)
    assert (found["highest_region"], found["lowest_region"]) == ("central", "west")
    assert found["ratio"] == pytest.approx(3.0, rel=1e-12)
    half = Z * math.sqrt(0.11)
    assert found["ci_low"] == pytest.approx(3.0 * math.exp(-half), rel=1e-9)
    assert found["ci_high"] == pytest.approx(3.0 * math.exp(half), rel=1e-9)


def test_region_range_when_the_highest_is_the_reference():
    # east 1 (reference), northeast 0.4 lowest: ratio 2.5; variance of b_ne alone, 0.16
    found = _range_case(
        {"central": math.log(0.9), "west": math.log(0.7), "northeast": math.log(0.4)}, COV
    )
    assert (found["highest_region"], found["lowest_region"]) == ("east", "northeast")
    assert found["ratio"] == pytest.approx(2.5, rel=1e-12)
    assert found["ci_low"] == pytest.approx(2.5 * math.exp(-Z * 0.4), rel=1e-9)
    assert found["ci_high"] == pytest.approx(2.5 * math.exp(Z * 0.4), rel=1e-9)


def test_region_range_when_the_lowest_is_the_reference():
    # east 1 (reference) lowest, west 2 highest: ratio 2; variance of b_w alone, 0.09
    found = _range_case(
        {"central": math.log(1.2), "west": math.log(2.0), "northeast": math.log(1.1)}, COV
    )
    assert (found["highest_region"], found["lowest_region"]) == ("west", "east")
    assert found["ratio"] == pytest.approx(2.0, rel=1e-12)
    assert found["ci_low"] == pytest.approx(2.0 * math.exp(-Z * 0.3), rel=1e-9)
    assert found["ci_high"] == pytest.approx(2.0 * math.exp(Z * 0.3), rel=1e-9)


@pytest.mark.parametrize("high, low", list(itertools.permutations(REGIONS, 2)))
def test_region_range_for_every_pair_of_extremes(high, low):
    """Every ordered pair (highest, lowest), with and without the reference among them: the
    ratio is exp(b_high - b_low) and the interval uses var(b_high) + var(b_low) - 2 cov."""
    values = {r: 1.0 for r in REGIONS}
    values[high], values[low] = 1.8, 0.6  # the others stay between (1.0 or, for east, 1)
    for other in REGIONS:
        if other not in (high, low):
            values[other] = 1.0 if other == "east" else 0.9 + 0.1 * REGIONS.index(other) / 4
    ratios = {r: values[r] / values["east"] for r in REGIONS}
    found = _range_case({r: math.log(ratios[r]) for r in REGIONS[1:]}, COV)
    index = {"central": 1, "west": 2, "northeast": 3}
    var = (COV[index[high], index[high]] if high != "east" else 0.0) + (
        COV[index[low], index[low]] if low != "east" else 0.0
    )
    if "east" not in (high, low):
        var -= 2 * COV[index[high], index[low]]
    assert (found["highest_region"], found["lowest_region"]) == (high, low)
    assert found["ratio"] == pytest.approx(3.0, rel=1e-12)
    assert found["ci_low"] == pytest.approx(3.0 * math.exp(-Z * math.sqrt(var)), rel=1e-9)
    assert found["ci_high"] == pytest.approx(3.0 * math.exp(Z * math.sqrt(var)), rel=1e-9)


# --- delta-method intervals of averaged predictions -----------------------------------------


def _simulated_interval(
    model: inference.Fit, x: np.ndarray, weight: np.ndarray, link: str, size: int = 40_000
):
    """The averaged prediction's spread under coefficient draws from N(params, cov), on the
    scale the interval is built on (log or logit): its standard deviation there."""
    rng = np.random.default_rng(20161231)
    draws = rng.multivariate_normal(model.params, model.cov, size=size)
    inverse = np.exp if link == "log" else special.expit
    scale = np.log if link == "log" else special.logit
    averages = []
    for chunk in np.array_split(draws, 20):
        averages.append(inverse(x @ chunk.T).T @ weight / weight.sum())
    return float(np.std(scale(np.concatenate(averages))))


@pytest.mark.parametrize(
    "link, intercept",
    [("logit", special.logit(0.05)), ("logit", special.logit(0.45)), ("log", math.log(6.0))],
)
def test_delta_method_interval_matches_simulation(link, intercept):
    """Half-width on the transformed scale within 1.5% of the simulated one (a factor that
    widens the interval by 5% fails). Coefficient covariance small, so the linearisation the
    delta method relies on is accurate to far better than that."""
    rng = np.random.default_rng(5)
    x = np.column_stack([np.ones(60), rng.integers(0, 2, 60), rng.normal(0, 1, 60)])
    weight = rng.integers(1, 50, 60).astype(float)
    params = np.array([intercept, 0.4, -0.3])
    root = np.array([[0.05, 0.0, 0.0], [-0.02, 0.04, 0.0], [0.01, 0.005, 0.03]])
    model = inference.Fit(("a", "b", "c"), params, root @ root.T, 0.0, 1000, 50)
    value, low, high = inference.average_prediction(model, x, weight, link=link)
    inverse = np.exp if link == "log" else special.expit
    assert value == pytest.approx(float(inverse(x @ params) @ weight / weight.sum()), rel=1e-12)
    scale = np.log if link == "log" else special.logit
    assert scale(value) == pytest.approx((scale(low) + scale(high)) / 2, abs=1e-9)
    half = (scale(high) - scale(low)) / 2
    assert half / Z == pytest.approx(_simulated_interval(model, x, weight, link), rel=0.015)


# --- tests of the models: Wald and likelihood-ratio -----------------------------------------


def test_wald_test_hand_worked():
    """b = (0.3, -0.2) with variances 0.01 and 0.04 (no covariance): chi2 = 0.09 / 0.01 +
    0.04 / 0.04 = 10 on 2 df, whose upper tail is exp(-10 / 2) = 0.0067379."""
    model = inference.Fit(
        ("Intercept", "a", "b"),
        np.array([1.0, 0.3, -0.2]),
        np.diag([9.0, 0.01, 0.04]),
        0.0,
        100,
        10,
    )
    found = inference.wald_test(model, [1, 2])
    assert found["chi2"] == pytest.approx(10.0, rel=1e-12)
    assert found["df"] == 2
    assert found["p"] == pytest.approx(math.exp(-5), rel=1e-9)


def test_likelihood_ratio_test_hand_worked():
    """Log-likelihoods -100 and -101.9207294 differ by 1.9207294: chi2 = 3.8414588, the 95%
    point of chi2 on 1 df, so p = 0.05; tested at the boundary (the dispersion alpha = 0) the
    reference distribution is the 50:50 mixture of 0 and chi2(1), so p = 0.025."""
    plain = inference.lr_test(-100.0, -101.9207294, 1)
    assert plain["chi2"] == pytest.approx(3.8414588, abs=1e-6)
    assert plain["p"] == pytest.approx(0.05, abs=1e-7)
    assert inference.lr_test(-100.0, -101.9207294, 1, boundary=True)["p"] == pytest.approx(
        0.025, abs=1e-7
    )
    assert inference.lr_test(-100.0, -99.0, 1)["chi2"] == 0.0  # never negative


# --- responsiveness on the committed sample, against statsmodels ----------------------------


@pytest.fixture(scope="module")
def cells() -> modelframe.Cells:
    return modelframe.bundled()


@pytest.fixture(scope="module")
def answers(cells):
    """The responsiveness data, our fit, our results and statsmodels' logit on the cells."""
    import statsmodels.api as sm

    data = responsiveness.binomial_data(cells)
    model = responsiveness.fit(data)
    results = responsiveness.fit_responsiveness(cells)
    endog = np.column_stack([data.answered, data.comments - data.answered])
    reference = sm.GLM(endog, data.x, family=sm.families.Binomial()).fit(tol=1e-12)
    return data, model, results, reference


def test_reference_answer_rate_is_a_probability(answers):
    """The reference account's answer rate is P(answer) at the reference levels: statsmodels'
    predicted probability for a cell with every dummy 0, not the odds exp(b0)."""
    data, _, results, reference = answers
    at_reference = np.zeros((1, data.x.shape[1]))
    at_reference[0, 0] = 1.0
    expected = float(reference.predict(at_reference)[0])
    assert results["statistics"]["reference_rate"] == pytest.approx(expected, rel=1e-6)
    assert 0 < results["statistics"]["reference_rate"] < 1


def test_answer_rates_match_statsmodels_predictions(answers):
    """Each region's rate: statsmodels' predicted probabilities over every cell put in that
    region, averaged with the cells' comments as weights."""
    data, _, results, reference = answers
    rates = results["answer_rates"].set_index("region")
    region = data.frame["region"].astype(str).to_numpy()
    for level in data.design.levels["region"]:
        cf = data.design.matrix(data.design.counterfactual(data.frame, region=level))
        expected = float(reference.predict(cf) @ data.comments / data.comments.sum())
        assert rates.loc[level, "answer_rate"] == pytest.approx(expected, rel=1e-6)
        mine = region == level
        observed = data.answered[mine].sum() / data.comments[mine].sum()
        assert rates.loc[level, "observed_rate"] == pytest.approx(observed, rel=1e-12)


def test_answer_rate_intervals_match_simulation(answers):
    """Delta-method intervals of the reported answer rates against the spread of the same rate
    under coefficient draws from the fit (logit scale, within 2%: a 5% wider interval fails)."""
    data, model, results, _ = answers
    rates = results["answer_rates"].set_index("region")
    for level in ("east", "west"):
        x = data.design.matrix(data.design.counterfactual(data.frame, region=level))
        low, high = rates.loc[level, "ci_low"], rates.loc[level, "ci_high"]
        half = (special.logit(high) - special.logit(low)) / 2
        simulated = _simulated_interval(model, x, data.comments, "logit", size=16_000)
        assert half / Z == pytest.approx(simulated, rel=0.02), level


# --- recovery in the parameter file's own reference levels ----------------------------------


def _parameters() -> dict:
    return tomllib.loads(paths.simulation_parameters.read_text(encoding="utf-8"))


def _stated_effects(section: dict, reference: dict[str, str]) -> dict[str, float]:
    """Term -> true ratio relative to the parameter file's reference level of each factor."""
    out = {}
    for factor, ref in reference.items():
        if factor not in section or "value" not in section[factor]:
            continue
        values = section[factor]["value"]
        for level, value in values.items():
            if level != ref:
                out[f"{factor}[{level}]"] = value / values[ref]
    return out


def _bonferroni_misses(table: pd.DataFrame, truth: dict[str, float]) -> list[str]:
    z = stats.norm.ppf(1 - 0.05 / (2 * len(truth)))
    rows = table.set_index("term")
    misses = []
    for term, true in truth.items():
        estimate = math.log(rows.loc[term, "ratio"])
        se = (math.log(rows.loc[term, "ci_high"]) - math.log(rows.loc[term, "ci_low"])) / (2 * Z)
        if abs(math.log(true) - estimate) > z * se:
            misses.append(f"{term}: true {true:.3g}, estimated {rows.loc[term, 'ratio']:.3g}")
    return misses


@pytest.mark.parametrize("outcome", ["comments", "likes"])
def test_engagement_recovers_effects_stated_against_the_files_reference(cells, outcome):
    """The committed sample was generated from data/simulation.toml: its effects, relative to
    the file's [reference] levels, must be the model's terms and lie in their (simultaneous,
    Bonferroni) intervals. A model using another reference level has other terms and fails."""
    params = _parameters()
    reference = {k: v for k, v in params["reference"].items() if isinstance(v, str)}
    reference = {k: v for k, v in reference.items() if k in modelframe.REFERENCE}
    results = engagement.fit_outcome(cells, outcome)
    assert results["reference"] == {f: reference[f] for f in engagement.OUTCOMES[outcome].factors}
    truth = _stated_effects(params["engagement"], reference)
    terms = set(results["irr"]["term"]) - {"log_followers"}
    assert terms == set(truth), "model terms differ from the parameter file's levels"
    big = results["irr"].loc[results["irr"]["accounts"] >= modelframe.FEW_ACCOUNTS]
    truth = {t: v for t, v in truth.items() if t in set(big["term"])}
    assert len(truth) >= 9
    assert _bonferroni_misses(big, truth) == []


def test_information_criteria_count_every_parameter(cells):
    """The comments model has 13 coefficients (intercept; central, west, northeast; WeChat;
    Ministry, provincial, county; officer; services, interaction, daily tips; followers), and
    the NB2 fit one more, alpha: AIC = 2k - 2 log L with k = 14 (13 for Poisson), BIC with
    log(posts) per parameter."""
    found = engagement.fit_outcome(cells, "comments")["statistics"]
    assert found["n_parameters"] == 14
    assert found["aic_nb"] == pytest.approx(2 * 14 - 2 * found["loglik_nb"], rel=1e-12)
    assert found["bic_nb"] == pytest.approx(
        math.log(found["n_posts"]) * 14 - 2 * found["loglik_nb"], rel=1e-12
    )
    assert found["aic_poisson"] == pytest.approx(2 * 13 - 2 * found["loglik_poisson"], rel=1e-12)


def test_responsiveness_recovers_odds_ratios_and_baseline_stated_in_the_file(answers):
    _, model, results, _ = answers
    params = _parameters()
    reference = {k: v for k, v in params["reference"].items() if k in responsiveness.FACTORS}
    assert results["reference"] == reference
    truth = _stated_effects(params["answer"], reference)
    assert set(results["odds_ratios"]["term"]) == set(truth)
    big = results["odds_ratios"].loc[results["odds_ratios"]["accounts"] >= modelframe.FEW_ACCOUNTS]
    assert _bonferroni_misses(big, {t: truth[t] for t in big["term"]}) == []
    # the reference rate estimates the file's baseline probability (0.06 stated there)
    baseline = float(params["answer"]["baseline"]["value"])
    se = model.se[0]
    z = stats.norm.ppf(1 - 0.05 / (2 * (len(truth) + 1)))
    assert abs(special.logit(results["statistics"]["reference_rate"]) - special.logit(baseline)) < (
        z * se
    )


# --- Wilson intervals and coverage ----------------------------------------------------------


@pytest.mark.parametrize("k, n", [(81, 263), (0, 10), (10, 10), (7, 15), (1, 2), (299, 333)])
def test_wilson_interval_matches_statsmodels(k, n):
    from statsmodels.stats.proportion import proportion_confint

    expected = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert coverage.wilson_interval(k, n) == pytest.approx(expected, abs=1e-12)


def _csv(name: str) -> list[dict[str, str]]:
    with (paths.data / "documented" / f"{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_coverage_values_match_the_committed_table_counted_by_hand():
    """Provincial share and each region's prefecture coverage, counted from the two CSV files
    with plain Python (areas capped at the province's divisions; municipalities, which have no
    prefecture level, left out), with Wilson intervals from statsmodels."""
    from statsmodels.stats.proportion import proportion_confint

    provinces = {row["adcode"]: row for row in _csv("provinces")}
    listed = _csv("police_weibo_coverage")
    values = coverage.coverage_values()
    with_account = sum(int(row["province_accounts_listed"]) > 0 for row in listed)
    assert values["provinces"] == len(listed) == 31
    assert values["provincial_share"] == pytest.approx(with_account / len(listed), rel=1e-12)
    totals: dict[str, list[int]] = {}
    for row in listed:
        province = provinces[row["province_code"]]
        divisions = int(province["prefecture_divisions_2013"])
        if divisions == 0:
            continue
        areas = min(int(row["distinct_prefecture_areas_covered"]), divisions)
        for key in (province["region_nbs4"], "all"):
            total = totals.setdefault(key, [0, 0])
            total[0] += areas
            total[1] += divisions
    for region in REGIONS:
        areas, divisions = totals[region]
        assert values[f"prefecture_coverage_{region}"] == pytest.approx(areas / divisions)
        low, high = proportion_confint(areas, divisions, method="wilson")
        assert values[f"prefecture_low_{region}"] == pytest.approx(low, abs=1e-12)
        assert values[f"prefecture_high_{region}"] == pytest.approx(high, abs=1e-12)
    areas, divisions = totals["all"]
    assert values["prefecture_coverage"] == pytest.approx(areas / divisions)


# --- compound growth ------------------------------------------------------------------------


def test_compound_growth_hand_worked():
    # 1,000 to 1,331 (1.1 cubed) from 2009-01-01 to 2012-01-01: 1,095 days = 2.99795 years.
    growth = compound_growth(
        pd.Timestamp("2009-01-01"), 1000, pd.Timestamp("2012-01-01"), 1331, requested=5
    )
    assert growth.years == pytest.approx(1095 / 365.25, rel=1e-12)
    # 1.331 ** (365.25 / 1095) - 1 = 0.100072 (10% a year, a shade more over 1,095 days)
    assert growth.rate == pytest.approx(0.100072, abs=1e-6)
    # doubling over 2013 (365 days = 0.99932 years): 2 ** (365.25 / 365) - 1 = 1.000950
    doubling = compound_growth(
        pd.Timestamp("2013-01-01"), 50, pd.Timestamp("2014-01-01"), 100, requested=1
    )
    assert doubling.rate == pytest.approx(1.000950, abs=1e-6)


def test_growth_steps_annualise_by_compounding():
    """Tripling over two years (2010-12-31 to 2012-12-31, 731 days) is sqrt(3) - 1 = 73.2% a
    year (compound), not 100% (simple): 3 ** (365.25 / 731) - 1 = 0.7314."""
    points = pd.DataFrame(
        {
            "date": pd.to_datetime(["2010-12-31", "2012-12-31"]),
            "count": [100, 300],
            "derived": [False, False],
            "certainty": ["documented", "documented"],
        }
    )
    steps = growth_steps(points)
    assert steps["growth"].iloc[0] == pytest.approx(2.0)
    assert steps["annualised"].iloc[0] == pytest.approx(0.7314, abs=1e-4)


# --- content shares and tests ---------------------------------------------------------------


def _joined(categories: list[str], accounts: list[str], groups: list[str], weights=None):
    frame = pd.DataFrame({"account_id": accounts, "category": categories, "level": groups})
    frame["platform"] = "weibo"
    frame["region"] = "east"
    frame["sampling_weight"] = 1.0 if weights is None else weights
    return frame


def test_share_and_weighted_share_hand_worked():
    # 4 posts, 1 publicity: share 1/4. Weights 3, 1, 1, 1 with the publicity post weighted 3:
    # weighted share 3 / 6 = 0.5.
    joined = _joined(
        ["publicity", "services", "services", "daily_tips"],
        ["a", "b", "b", "c"],
        ["county"] * 4,
        weights=[3.0, 1.0, 1.0, 1.0],
    )
    found = content.share_with_interval(joined, "publicity")
    assert found["share"] == pytest.approx(0.25)
    assert found["weighted_share"] == pytest.approx(0.5)
    assert (found["low"], found["high"]) == pytest.approx(
        (0.0455872608, 0.6993581574), abs=1e-9
    )  # Wilson 1 of 4, Newcombe's method 3


def test_category_shares_hand_worked():
    joined = _joined(
        ["publicity", "publicity", "services", "publicity", "interaction"],
        ["a", "a", "b", "c", "c"],
        ["county", "county", "county", "prefecture", "prefecture"],
    )
    shares = content.category_shares(joined, "level")
    assert shares.loc["county", "publicity"] == pytest.approx(2 / 3)
    assert shares.loc["county", "services"] == pytest.approx(1 / 3)
    assert shares.loc["prefecture", "interaction"] == pytest.approx(1 / 2)
    assert shares.loc["county", "posts"] == 3 and shares.loc["county", "accounts"] == 2
    assert shares.loc["prefecture", "accounts"] == 1


def test_chi_square_and_permutation_p_value_hand_worked():
    """2 x 2 table a=30, b=10 / c=10, d=30 (N=80): chi2 = N (ad - bc)^2 / (row and column
    totals) = 80 * 800^2 / 40^4 = 20; df 1; p = P(chi2_1 > 20). Cramer's V = sqrt(20/80)."""
    categories, accounts, groups = [], [], []
    for group, (pub, srv) in (("county", (30, 10)), ("prefecture", (10, 30))):
        for i in range(10):  # ten accounts per group, posts spread evenly over them
            n_pub, n_srv = pub // 10, srv // 10
            categories += ["publicity"] * n_pub + ["services"] * n_srv
            accounts += [f"{group}-{i}"] * (n_pub + n_srv)
            groups += [group] * (n_pub + n_srv)
    joined = _joined(categories, accounts, groups)
    found = content.independence_test(joined, "level", permutations=1, seed=3)
    assert found["chi2"] == pytest.approx(20.0)
    assert found["df"] == 1
    assert found["p_value"] == pytest.approx(7.744216e-06, rel=1e-5)
    assert found["cramers_v"] == pytest.approx(0.5)
    # one shuffle of 20 accounts almost never separates the groups as well: the p-value
    # counts the observed table too, so it is (0 + 1) / (1 + 1), never 0
    assert found["p_permutation"] == pytest.approx(0.5)
    assert found["n_accounts"] == 20 and found["n_posts"] == 80


# --- timeline gaps --------------------------------------------------------------------------


def test_mandate_gap_hand_worked():
    """Launch 27 Sep 2011; first local account Feb 2010 (month precision). From 1 Feb 2010:
    365 days to 1 Feb 2011, 212 more to 1 Sep 2011 (28+31+30+31+30+31+31), 26 more: 603 days.
    From the month's last day (28 Feb 2010), 27 fewer: 576 days."""
    frame = pd.DataFrame(
        [
            {
                "milestone_id": "M1",
                "date": "2011-09-27",
                "date_precision": "day",
                "event": "The Ministry announces the national launch after an 18-month trial",
                "place": "Beijing",
                "admin_level": "national",
            },
            {
                "milestone_id": "M2",
                "date": "2010-02-01",
                "date_precision": "month",
                "event": "A opens",
                "place": "A",
                "admin_level": "prefecture",
            },
            {
                "milestone_id": "M3",
                "date": "2009-01-01",
                "date_precision": "year",
                "event": "B opens (year implied)",
                "place": "B",
                "admin_level": "county",
                "certainty": "uncertain",
            },
        ]
    )
    frame = frame.assign(
        platform="weibo",
        actor_type="police",
        conflict_group=None,
        source="key",
        certainty=frame.get("certainty").fillna("documented"),
    )
    frame["date"] = pd.to_datetime(frame["date"])
    gap = timeline.mandate_gap(frame)
    assert gap["first_local_places"] == ["A"]
    assert gap["gap_days"] == 603
    assert gap["gap_years"] == pytest.approx(603 / 365.25, rel=1e-12)
    assert gap["gap_months"] == pytest.approx(603 * 12 / 365.25, rel=1e-12)
    assert gap["gap_months_low"] == pytest.approx(576 * 12 / 365.25, rel=1e-12)
    assert gap["gap_minus_trial_months"] == pytest.approx(603 * 12 / 365.25 - 18, rel=1e-12)
    assert gap["earliest_local_police_channel_place"] == "B"  # any certainty counts here
