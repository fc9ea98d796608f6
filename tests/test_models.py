"""The engagement, responsiveness, audience and robustness models: exactness, recovery, outputs.

Exactness: fits computed from account x category cells equal statsmodels fits on every post.
Recovery: on a sample generated with known (modified) effects and another seed, every known
effect lies inside its interval. With many effects checked at once, the test uses Bonferroni
simultaneous 95% intervals (each interval at level 1 - 0.05/m, from the same standard error),
so a correct implementation fails this test with probability at most 5% whatever the seed;
the slow coverage study checks that the ordinary 95% intervals cover about 95% of the time.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from analysis.data import datasets, simulate
from analysis.pipeline import store
from analysis.topics import (
    audience,
    engagement,
    inference,
    modelframe,
    responsiveness,
    robustness,
)
from analysis.topics.modelframe import FEW_ACCOUNTS

RECOVERY_SEED = 424242
RECOVERY_SCALE = 2.0
MODIFIED = {
    "engagement.region.value": {"east": 1.0, "central": 0.8, "west": 0.5, "northeast": 0.7},
    "engagement.account_type.value": {"bureau": 1.0, "officer": 1.8},
    "engagement.followers.beta": 0.6,
    "answer.region.value": {"east": 1.0, "central": 0.9, "west": 0.6, "northeast": 0.8},
    "answer.baseline.value": 0.1,
}


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def provinces() -> pd.DataFrame:
    return datasets.load("provinces")


@pytest.fixture(scope="module")
def bundled_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return datasets.load("posts"), datasets.load("accounts")


@pytest.fixture(scope="module")
def bundled_cells(bundled_frames, provinces) -> modelframe.Cells:
    posts, accounts = bundled_frames
    return modelframe.prepare(posts, accounts, provinces)


@pytest.fixture(scope="module")
def post_frame(bundled_frames, bundled_cells) -> pd.DataFrame:
    """Every bundled post joined to its account's covariates (the unaggregated data)."""
    return modelframe.post_frame(bundled_frames[0], bundled_cells)


@pytest.fixture(scope="module")
def recovery(provinces):
    params = simulate.override(simulate.load_parameters(), MODIFIED)
    accounts, posts = simulate.generate(
        params, seed=RECOVERY_SEED, scale=RECOVERY_SCALE, provinces=provinces
    )
    centre = float(params["engagement"]["followers"]["centre"])
    cells = modelframe.prepare(posts, accounts, provinces, followers_centre=centre)
    return params, cells


# --- helpers --------------------------------------------------------------------------------


def true_engagement_coefficients(design: modelframe.Design, params, outcome: str) -> np.ndarray:
    """The DGP's coefficients in the design's column order (log IRRs; log2 followers slope)."""
    eng = params["engagement"]
    out = []
    for column in design.columns:
        if column == "Intercept":
            out.append(math.log(eng["intercept"]["value"][outcome]))
        elif column == "log_followers":
            out.append(float(eng["followers"]["beta"]) * math.log(2))
        else:
            factor, level = column[:-1].split("[")
            reference = design.levels[factor][0]
            out.append(math.log(eng[factor]["value"][level] / eng[factor]["value"][reference]))
    return np.array(out)


def true_answer_coefficients(design: modelframe.Design, params) -> np.ndarray:
    ans = params["answer"]
    out = []
    for column in design.columns:
        if column == "Intercept":
            out.append(float(special.logit(ans["baseline"]["value"])))
        else:
            factor, level = column[:-1].split("[")
            reference = design.levels[factor][0]
            out.append(math.log(ans[factor]["value"][level] / ans[factor]["value"][reference]))
    return np.array(out)


def simultaneous_misses(checks: list[tuple[str, float, float, float, float]]) -> list[str]:
    """Checks (name, estimate, low, high, truth) on a transformed scale where the 95% interval
    is estimate +- 1.96 se; returns those whose truth lies outside the Bonferroni interval."""
    z = stats.norm.ppf(1 - 0.05 / (2 * len(checks)))
    misses = []
    for name, estimate, low, high, truth in checks:
        se = (high - low) / (2 * inference.Z95)
        if abs(truth - estimate) > z * se:
            misses.append(f"{name}: truth {truth:.4g}, estimate {estimate:.4g} +- {z * se:.3g}")
    return misses


def _log(*values: float) -> tuple[float, ...]:
    return tuple(math.log(v) for v in values)


# --- exactness of the cell fits -------------------------------------------------------------


def test_nb_cells_give_the_post_level_fit(bundled_cells, post_frame):
    """Same coefficients, clustered SEs and log-likelihood as statsmodels on every post."""
    import statsmodels.api as sm

    data = engagement.count_data(bundled_cells, "comments")
    ours = engagement.fit(data)
    x_posts = data.design.matrix(post_frame)
    y = post_frame["comments"].to_numpy()
    glm = sm.GLM(y, x_posts, family=sm.families.NegativeBinomial(alpha=ours.alpha)).fit(
        cov_type="cluster", cov_kwds={"groups": post_frame["account"].to_numpy()}
    )
    np.testing.assert_allclose(ours.params, glm.params, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours.se, glm.bse, rtol=1e-5)
    assert ours.loglik == pytest.approx(glm.llf, rel=1e-9)
    assert ours.n_obs == len(post_frame)


def test_nb_alpha_is_the_post_level_maximum_likelihood(bundled_cells, post_frame):
    """Alpha (profile likelihood on cells) equals statsmodels' joint ML on every post."""
    import statsmodels.api as sm

    data = engagement.count_data(bundled_cells, "comments")
    ours = engagement.fit(data)
    model = sm.NegativeBinomial(post_frame["comments"].to_numpy(), data.design.matrix(post_frame))
    rough = model.fit(method="bfgs", maxiter=500, disp=0)  # Newton from the default start diverges
    ml = model.fit(start_params=rough.params, method="newton", maxiter=50, disp=0)
    assert ml.mle_retvals["converged"]
    assert ours.alpha == pytest.approx(ml.params[-1], rel=1e-4)
    np.testing.assert_allclose(ours.params, ml.params[:-1], atol=1e-4)
    assert ours.loglik == pytest.approx(ml.llf, abs=1e-3)


def test_poisson_cells_with_offset_equal_post_level(bundled_cells, post_frame):
    """Summing into cells with a log(posts) offset is exact for Poisson; ours matches both."""
    import statsmodels.api as sm

    data = engagement.count_data(bundled_cells, "likes")
    ours = engagement.fit(data, family="poisson")
    cells = sm.GLM(data.total, data.x, family=sm.families.Poisson(), offset=np.log(data.n)).fit()
    posts = sm.GLM(
        post_frame["likes"].to_numpy(), data.design.matrix(post_frame), family=sm.families.Poisson()
    ).fit(cov_type="cluster", cov_kwds={"groups": post_frame["account"].to_numpy()})
    np.testing.assert_allclose(cells.params, posts.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.params, posts.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.se, posts.bse, rtol=1e-5)
    assert ours.loglik == pytest.approx(posts.llf, rel=1e-9)


def test_binomial_cells_equal_post_level(bundled_cells, post_frame):
    import statsmodels.api as sm

    data = responsiveness.binomial_data(bundled_cells)
    ours = responsiveness.fit(data)
    with_comments = post_frame[post_frame["comments"] > 0]
    answered = with_comments["comments_answered"].to_numpy()
    endog = np.column_stack([answered, with_comments["comments"].to_numpy() - answered])
    glm = sm.GLM(endog, data.design.matrix(with_comments), family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": with_comments["account"].to_numpy()}
    )
    np.testing.assert_allclose(ours.params, glm.params, rtol=1e-6, atol=1e-8)
    # statsmodels counts a post as one observation, ours counts comments: only (N-1)/(N-k) differs
    n_posts, n_comments, k = len(with_comments), ours.n_obs, len(ours.params)
    factor = ((n_comments - 1) / (n_comments - k)) / ((n_posts - 1) / (n_posts - k))
    np.testing.assert_allclose(ours.se, glm.bse * math.sqrt(factor), rtol=1e-5)


# --- recovery of known effects --------------------------------------------------------------


def test_engagement_recovers_known_irrs(recovery):
    params, cells = recovery
    checks = []
    for outcome in engagement.OUTCOMES:
        data = engagement.count_data(cells, outcome)
        model = engagement.fit(data)
        truth = true_engagement_coefficients(data.design, params, outcome)
        table = engagement.irr_table(data, model)
        for row in table.itertuples():
            if row.accounts < FEW_ACCOUNTS:
                continue  # the Ministry's few accounts: flagged unreliable in every output
            j = data.design.columns.index(row.term)
            checks.append(
                (f"{outcome} {row.term}", *_log(row.ratio, row.ci_low, row.ci_high), truth[j])
            )
        if outcome == "comments":
            for row in engagement.predictions(data, model).itertuples():
                cf = data.design.counterfactual(
                    data.frame, region=row.region, account_type=row.account_type
                )
                expected = np.exp(data.design.matrix(cf) @ truth) @ data.n / data.n.sum()
                checks.append(
                    (
                        f"predicted comments {row.region}/{row.account_type}",
                        *_log(row.predicted, row.ci_low, row.ci_high),
                        math.log(expected),
                    )
                )
    assert len(checks) > 40
    assert simultaneous_misses(checks) == []


def test_engagement_intervals_have_power(recovery):
    """The intervals are not vacuous: effects far from 1 are told apart from 'no effect'."""
    _, cells = recovery
    data = engagement.count_data(cells, "comments")
    table = engagement.irr_table(data, engagement.fit(data)).set_index("term")
    for term in ("region[west]", "account_type[officer]", "category[interaction]"):
        assert not table.loc[term, "ci_low"] <= 1 <= table.loc[term, "ci_high"], term
    assert engagement.regional_test(data, engagement.fit(data))["wald_p"] < 0.01


def test_responsiveness_recovers_odds_ratios_and_rates(recovery):
    params, cells = recovery
    data = responsiveness.binomial_data(cells)
    model = responsiveness.fit(data)
    truth = true_answer_coefficients(data.design, params)
    checks = []
    for row in responsiveness.odds_ratio_table(data, model).itertuples():
        if row.accounts >= FEW_ACCOUNTS:
            j = data.design.columns.index(row.term)
            checks.append((row.term, *_log(row.ratio, row.ci_low, row.ci_high), truth[j]))
    se0 = model.se[0]
    checks.append(
        (
            "baseline answer rate (logit)",
            model.params[0],
            model.params[0] - inference.Z95 * se0,
            model.params[0] + inference.Z95 * se0,
            truth[0],
        )
    )
    for row in responsiveness.answer_rates(data, model).itertuples():
        cf = data.design.counterfactual(data.frame, region=row.region)
        rate = special.expit(data.design.matrix(cf) @ truth) @ data.comments / data.comments.sum()
        logit = special.logit
        checks.append(
            (
                f"answer rate {row.region}",
                logit(row.answer_rate),
                logit(row.ci_low),
                logit(row.ci_high),
                logit(rate),
            )
        )
    assert simultaneous_misses(checks) == []
    west = responsiveness.odds_ratio_table(data, model).set_index("term").loc["region[west]"]
    assert west["ci_high"] < 1  # the true OR of 0.6 is distinguished from 1


def test_audience_recovers_follower_multipliers(recovery):
    params, cells = recovery
    table, _ = audience.followers_model(cells.accounts)
    fol = params["followers"]
    regions = fol["region_multiplier"]
    truth = {f"region[{r}]": m / regions["east"] for r, m in regions.items()}
    truth |= {f"level[{lv}]": m / fol["median"]["prefecture"] for lv, m in fol["median"].items()}
    truth["account_type[officer]"] = fol["officer_multiplier"]
    checks = [
        (row.term, *_log(row.ratio, row.ci_low, row.ci_high), math.log(truth[row.term]))
        for row in table.itertuples()
        if row.accounts >= FEW_ACCOUNTS
    ]
    assert len(checks) >= 6
    assert simultaneous_misses(checks) == []


@pytest.mark.slow
def test_interval_coverage_is_close_to_95_percent(provinces):
    """Across repeated samples the ordinary 95% intervals cover the truth about 95% of the time."""
    params = simulate.load_parameters()
    replicates = 100
    hits: dict[str, list[bool]] = {}
    for replicate in range(replicates):
        accounts, posts = simulate.generate(params, seed=7000 + replicate, provinces=provinces)
        cells = modelframe.prepare(posts, accounts, provinces)
        data = engagement.count_data(cells, "comments")
        model = engagement.fit(data)
        truth = true_engagement_coefficients(data.design, params, "comments")
        for row in engagement.irr_table(data, model).itertuples():
            if row.accounts >= FEW_ACCOUNTS:
                j = data.design.columns.index(row.term)
                inside = row.ci_low <= math.exp(truth[j]) <= row.ci_high
                hits.setdefault(f"irr {row.term}", []).append(inside)
        answers = responsiveness.binomial_data(cells)
        fitted = responsiveness.fit(answers)
        truth = true_answer_coefficients(answers.design, params)
        for row in responsiveness.odds_ratio_table(answers, fitted).itertuples():
            if row.accounts >= FEW_ACCOUNTS:
                j = answers.design.columns.index(row.term)
                inside = row.ci_low <= math.exp(truth[j]) <= row.ci_high
                hits.setdefault(f"or {row.term}", []).append(inside)
    coverage = {name: float(np.mean(v)) for name, v in hits.items()}
    pooled = float(np.mean([h for v in hits.values() for h in v]))
    assert 0.92 <= pooled <= 0.98, (pooled, coverage)
    assert min(coverage.values()) >= 0.85, coverage


# --- outputs --------------------------------------------------------------------------------


def test_regional_test_has_three_degrees_of_freedom(bundled_cells):
    result = engagement.fit_outcome(bundled_cells, "comments")
    test = result["regional_test"]
    assert test["wald_df"] == test["lr_df"] == 3
    assert test["wald_p"] == pytest.approx(stats.chi2.sf(test["wald_chi2"], 3))
    stats_ = result["statistics"]
    assert stats_["n_posts"] == bundled_cells.frame["comments_n"].sum()
    assert stats_["poisson_pearson_dispersion"] > 1  # the sample is over-dispersed
    assert stats_["aic_nb"] < stats_["aic_poisson"]


def test_predictions_match_the_irrs(bundled_cells):
    """In a log-linear model the ratio of two regions' predictions is their IRR ratio."""
    result = engagement.fit_outcome(bundled_cells, "comments")
    pred = result["predictions"].set_index(["region", "account_type"])["predicted"]
    irr = result["irr"].set_index("term")["ratio"]
    assert pred["west", "bureau"] / pred["east", "bureau"] == pytest.approx(irr["region[west]"])
    officer = irr["account_type[officer]"]
    assert pred["central", "officer"] / pred["central", "bureau"] == pytest.approx(officer)


def test_robustness_states_whether_conclusions_survive(bundled_cells):
    result = robustness.robustness(bundled_cells)
    table = result["table"]
    assert set(table["outcome"]) == {"comments", "answered"}
    assert table["specification"].nunique() == 7
    assert "Internet penetration" in result["statement"]
    for outcome, ok in result["survives"].items():
        assert ok == bool(table.loc[table["outcome"] == outcome, "holds"].all())
        assert ("survive every specification" in result["statement"]) or not ok


def test_artifacts_are_plain_data_with_consistent_intervals():
    summary = store.values("engagement.summary")
    assert summary["weibo_mean_comments"] > 0 and summary["wechat_mean_page_views"] > 0
    regions = store.values("engagement.regions")
    assert regions["max_min_ratio_low"] <= regions["max_min_ratio"] <= regions["max_min_ratio_high"]
    rates = store.values("responsiveness.regions")
    for region in ("east", "central", "west", "northeast"):
        low, mid, high = (rates[f"answer_rate_{region}{s}"] for s in ("_low", "", "_high"))
        assert 0 < low <= mid <= high < 1
    values = store.values("engagement.values")
    assert values["comments_region_wald_df"] == 3
    json.dumps(store.values("robustness.values"))
    for name in ("engagement.fits", "responsiveness.fit", "audience.fit", "robustness.fit"):
        _assert_plain(store.get(name), name)
    for name in (
        "engagement.irr_table",
        "engagement.all_outcomes_table",
        "engagement.fit_table",
        "engagement.predictions_table",
        "responsiveness.table",
        "responsiveness.answer_rates_table",
        "audience.table",
        "robustness.table",
    ):
        assert "Synthetic sample" in store.table(name)["note"], name


def _assert_plain(value, where: str) -> None:
    """Only dicts, lists, DataFrames, strings and numbers: no statsmodels or numpy objects."""
    if isinstance(value, dict):
        for key, item in value.items():
            _assert_plain(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for item in value:
            _assert_plain(item, where)
    else:
        assert isinstance(value, pd.DataFrame | str | int | float | bool), (where, type(value))


def test_figures_are_titled_labelled_english_and_marked_synthetic():
    from analysis.topics import figures, model_results

    for function, fit in (
        (model_results.engagement_forest_figure, "engagement.fits"),
        (model_results.engagement_predictions_figure, "engagement.fits"),
        (model_results.answer_rates_figure, "responsiveness.fit"),
    ):
        fig = function(store.get(fit))
        texts = [t.get_text() for t in fig.texts]
        ax = fig.axes[0]
        title = ax.get_title(loc="left") or ax.get_title()
        assert title and ax.get_xlabel(), function.__name__
        assert any("Synthetic sample" in t for t in texts), function.__name__
        labels = [title, ax.get_xlabel(), ax.get_ylabel(), *texts]
        labels += [t.get_text() for t in ax.get_yticklabels() + ax.get_xticklabels()]
        assert all(label.isascii() for label in labels), function.__name__
        png = figures.to_png(fig)
        assert png.startswith(b"\x89PNG")


def test_fit_command_prints_every_table(capsys):
    from analysis.__main__ import main

    assert main(["fit"]) == 0
    out = capsys.readouterr().out
    for title in (
        "Comments per post: incidence-rate ratios",
        "test of no regional difference",
        "Responsiveness: odds ratios",
        "Answer rate by region",
        "Audience",
        "Robustness of the regional results",
        "Internet penetration",
    ):
        assert title in out, title
    assert out.strip().splitlines()[-1].startswith("fit: ok")
