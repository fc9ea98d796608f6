"""Artifact functions of the model chapters: values, display tables and figures from the fits.

The fits themselves are ``object`` artifacts (engagement.fits, responsiveness.fit, audience.fit,
robustness.fit) computed once; the store passes each function the fit it declares in its
``depends`` (see analysis.pipeline.store.registry), so a chapter that quotes a number or shows a
table never refits a model, and this module never reads the store itself. Everything returned
is plain data.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.topics import wording
from analysis.topics.engagement import OUTCOMES, available, outcome_results
from analysis.topics.modelframe import FEW_ACCOUNTS

OUTCOME_ORDER = ("comments", "likes", "reposts", "page_views")
OUTCOME_HEADINGS = {
    "comments": "Comments",
    "likes": "Likes",
    "reposts": "Reposts (Weibo)",
    "page_views": "Page views (WeChat)",
}
FEW_NOTE = (
    f"Terms resting on fewer than {FEW_ACCOUNTS} accounts (the Ministry's handful) have "
    "unreliable intervals: clustered standard errors need many accounts."
)


def interval_text(ratio: float, low: float, high: float) -> str:
    return f"{ratio:.2f} ({low:.2f}-{high:.2f})"


def _round(frame: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    out = frame.copy()
    numeric = out.select_dtypes("number").columns
    out[numeric] = out[numeric].round(digits)
    return out


# --- engagement -----------------------------------------------------------------------------


Fits = dict[str, dict[str, Any]]


def engagement_values(fits: Fits) -> dict[str, Any]:
    """The engagement numbers chapters quote: IRRs with intervals, tests, dispersion, N."""
    out: dict[str, Any] = {"unavailable": unavailable(fits)}
    for outcome, result in available(fits).items():
        stats, test = result["statistics"], result["regional_test"]
        out[f"{outcome}_n_posts"] = int(stats["n_posts"])
        out[f"{outcome}_n_accounts"] = int(stats["n_accounts"])
        out[f"{outcome}_alpha"] = stats["alpha"]
        out[f"{outcome}_poisson_dispersion"] = stats["poisson_pearson_dispersion"]
        out[f"{outcome}_overdispersion_lr_chi2"] = stats["overdispersion_lr_chi2"]
        out[f"{outcome}_overdispersion_lr_p"] = stats["overdispersion_lr_p"]
        out[f"{outcome}_aic_nb"] = stats["aic_nb"]
        out[f"{outcome}_aic_poisson"] = stats["aic_poisson"]
        for key, value in test.items():
            out[f"{outcome}_region_{key}"] = value
        for row in result["irr"].itertuples():
            name = row.term.replace("[", "_").replace("]", "")
            out[f"{outcome}_irr_{name}"] = row.ratio
            out[f"{outcome}_irr_{name}_low"] = row.ci_low
            out[f"{outcome}_irr_{name}_high"] = row.ci_high
            out[f"{outcome}_irr_{name}_p"] = row.p_value
        for row in result["predictions"].itertuples():
            name = f"{outcome}_predicted_{row.region}_{row.account_type}"
            out[name] = row.predicted
            out[f"{name}_low"] = row.ci_low
            out[f"{name}_high"] = row.ci_high
        for row in result["irr"].itertuples():
            name = row.term.replace("[", "_").replace("]", "")
            out[f"{outcome}_direction_{name}"] = wording.direction(row.ci_low, row.ci_high)
            than = THAN.get(name.split("_")[0] if name.startswith("region") else name)
            if than is not None:
                noun = NOUNS.get(outcome, outcome.replace("_", " "))
                out[f"{outcome}_words_{name}"] = wording.ratio_words(
                    row.ratio, row.ci_low, row.ci_high, noun, than
                )
    out |= _outcomes_agree(out, available(fits))
    return out


PLATFORMS = frozenset(spec.platform for spec in OUTCOMES.values() if spec.platform)


def unavailable(fits: Fits) -> dict[str, str]:
    """What these data cannot give, for ``book``: ``{outcome or term: reason}``. A value whose
    key names one of them reads "not available with these data" in the book."""
    out: dict[str, str] = {}
    for outcome, fit in fits.items():
        if not fit.get("available", True):
            out[outcome] = f"{fit.get('label', outcome)} model: {fit.get('reason')}"
            continue
        for term in fit.get("dropped", []):
            out.setdefault(term, f"{term.replace('_', ' ')} dropped: not estimable with these data")
    return out


# The comparison each model term makes, in words ("a western account draws ... than <than>").
THAN = {
    "region": "an eastern one",
    "account_type_officer": "a bureau account",
    "level_provincial": "a prefecture account",
    "level_county": "a prefecture account",
    "level_ministry": "a prefecture account",
    "platform_wechat": "a comparable Weibo post",
    "category_interaction": "a publicity post",
    "category_daily_tips": "a publicity post",
    "category_services": "a publicity post",
}
NOUNS = {"page_views": "page views"}
OUTCOME_WORDS = {"likes": "likes", "reposts": "reposts", "page_views": "page views"}


def _outcomes_agree(values: dict[str, Any], fits: Fits) -> dict[str, Any]:
    """Do the other outcomes point the same way as comments for each region? A computed
    sentence, never a typed "the other outcomes tell the same story"."""
    regions = [
        k.removeprefix("comments_direction_")
        for k in values
        if k.startswith("comments_direction_region_")
    ]
    disagree = []
    for outcome in fits:
        if outcome == "comments":
            continue
        for region in regions:
            other = values.get(f"{outcome}_direction_{region}")
            if other is not None and other != values[f"comments_direction_{region}"]:
                label = region.removeprefix("region_")
                disagree.append(f"{OUTCOME_WORDS.get(outcome, outcome)} in the {label} ({other})")
    others = [OUTCOME_WORDS.get(o, o) for o in fits if o != "comments"]
    if not disagree:
        sentence = (
            f"the other outcomes ({', '.join(others)}) point the same way as comments for "
            "every region"
        )
    else:
        sentence = "the other outcomes do not all point the same way as comments: " + "; ".join(
            disagree
        )
    return {
        "outcomes_agree_on_regions": "no" if disagree else "yes",
        "outcomes_agree_sentence": sentence,
    }


def engagement_summary(fits: Fits) -> dict[str, Any]:
    """Observed mean engagement per post by platform (e.g. weibo_mean_comments)."""
    out: dict[str, Any] = {"unavailable": unavailable(fits)}
    seen = {p for fit in available(fits).values() for p in fit["platform_means"]}
    for platform in sorted(PLATFORMS - seen):
        out["unavailable"][platform] = f"no {platform} posts in these data"
    for outcome, result in available(fits).items():
        for platform, mean in result["platform_means"].items():
            out[f"{platform}_mean_{outcome}"] = mean
        out[f"{outcome}_n_posts"] = int(result["statistics"]["n_posts"])
    return out


def engagement_regions(fits: Fits) -> dict[str, Any]:
    """Highest over lowest region's expected comments per post, with its 95% interval."""
    spread = outcome_results(fits, "comments")["region_range"]
    test = outcome_results(fits, "comments")["regional_test"]
    return {
        "max_min_ratio": spread["ratio"],
        "max_min_ratio_low": spread["ci_low"],
        "max_min_ratio_high": spread["ci_high"],
        "highest_region": spread["highest_region"],
        "lowest_region": spread["lowest_region"],
        "wald_chi2": test["wald_chi2"],
        "wald_df": test["wald_df"],
        "wald_p": test["wald_p"],
        "wald_p_text": wording.p_clause(test["wald_p"]),
    }


def engagement_irr_table(fits: Fits) -> pd.DataFrame:
    """Tidy IRR table of the main model (comments per post), NB2 beside Poisson."""
    result = outcome_results(fits, "comments")
    table = result["irr"]
    out = pd.DataFrame(
        {
            "Term": table["label"],
            "IRR": table["ratio"],
            "95% CI low": table["ci_low"],
            "95% CI high": table["ci_high"],
            "p-value": table["p_value"].map(wording.p_value),
            "Accounts": table["accounts"],
            "Poisson IRR": table["poisson_ratio"],
            "Poisson 95% CI": [
                f"{lo:.2f}-{hi:.2f}"
                for lo, hi in zip(table["poisson_ci_low"], table["poisson_ci_high"], strict=True)
            ],
        }
    )
    stats = result["statistics"]
    out = _round(out)
    out.attrs["note"] = (
        f"Negative binomial (NB2) regression of comments per post; N = {stats['n_posts']:,} "
        f"posts of {stats['n_accounts']:,} accounts; 95% intervals from standard errors "
        f"clustered by account; alpha = {stats['alpha']:.2f}. Followers: ratio per doubling of "
        f"a Weibo account's followers. {FEW_NOTE}"
    )
    return out


def engagement_all_outcomes_table(fits: Fits) -> pd.DataFrame:
    """IRR (95% interval) of every term for every engagement outcome, side by side."""
    frames = []
    for outcome in [o for o in OUTCOME_ORDER if o in available(fits)]:
        table = fits[outcome]["irr"]
        frames.append(
            pd.DataFrame(
                {
                    "term": table["term"],
                    "Term": table["label"],
                    OUTCOME_HEADINGS[outcome]: [
                        interval_text(r, lo, hi)
                        for r, lo, hi in zip(
                            table["ratio"], table["ci_low"], table["ci_high"], strict=True
                        )
                    ],
                }
            )
        )
    merged = frames[0]
    for frame in frames[1:]:
        merged = merged.merge(frame, on=["term", "Term"], how="outer", sort=False)
    order = list(dict.fromkeys(t for frame in frames for t in frame["term"]))
    merged = merged.set_index("term").loc[order].reset_index()
    out = merged.drop(columns="term").fillna("-")
    out.attrs["note"] = (
        "Incidence-rate ratios (95% interval) from NB2 regressions clustered by account. Reposts "
        "exist only on Weibo and page views only on WeChat, so those models have no platform "
        f"term, and WeChat publishes no follower counts. {FEW_NOTE}"
    )
    return out


def engagement_fit_table(fits: Fits) -> pd.DataFrame:
    """Fit statistics, over-dispersion evidence and the regional test for every outcome."""
    rows = []
    for outcome in [o for o in OUTCOME_ORDER if o in available(fits)]:
        result = fits[outcome]
        s, t = result["statistics"], result["regional_test"]
        rows.append(
            {
                "Outcome": OUTCOME_HEADINGS[outcome],
                "Posts": int(s["n_posts"]),
                "Accounts": int(s["n_accounts"]),
                "NB2 alpha": s["alpha"],
                "Poisson Pearson dispersion": s["poisson_pearson_dispersion"],
                "LR test alpha = 0 (chi2)": s["overdispersion_lr_chi2"],
                "AIC NB2": s["aic_nb"],
                "AIC Poisson": s["aic_poisson"],
                "Region Wald chi2 (df)": f"{t['wald_chi2']:.1f} ({t['wald_df']})",
                "Region Wald p": wording.p_value(t["wald_p"]),
                "Region LR chi2 (df)": f"{t['lr_chi2']:.1f} ({t['lr_df']})",
            }
        )
    out = _round(pd.DataFrame(rows), 2)
    out.attrs["note"] = (
        "Over-dispersion: a Poisson Pearson dispersion far above 1 and the likelihood-ratio test "
        "of alpha = 0 (p halved at the boundary) favour the negative binomial. Regional test: "
        "Wald test, clustered by account, that all region IRRs are 1; the likelihood-ratio "
        "version treats posts as independent and overstates the evidence."
    )
    return out


def engagement_predictions_table(fits: Fits) -> pd.DataFrame:
    """Expected comments per post by region and account type, 95% intervals."""
    pred = outcome_results(fits, "comments")["predictions"]
    out = _round(
        pd.DataFrame(
            {
                "Region": pred["region"],
                "Account type": pred["account_type"],
                "Comments per post": pred["predicted"],
                "95% CI low": pred["ci_low"],
                "95% CI high": pred["ci_high"],
            }
        ),
        2,
    )
    out.attrs["note"] = (
        "Expected comments per post if every post in the sample came from an account of that "
        "region and type, other characteristics as observed; NB2 model, intervals clustered by "
        "account."
    )
    return out


def engagement_forest_figure(fits: Fits) -> Any:
    """Forest plot of the comments model's incidence-rate ratios."""
    from analysis.topics import figures

    irr = outcome_results(fits, "comments")["irr"]
    clear = int(((irr["ci_low"] > 1) | (irr["ci_high"] < 1)).sum())
    return figures.forest_plot(
        irr,
        f"Comments per post: {clear} of {len(irr)} terms differ\nclearly from the reference",
        xlabel="Incidence-rate ratio (NB2, clustered by account)",
        few_accounts=FEW_ACCOUNTS,
    )


def engagement_predictions_figure(fits: Fits) -> Any:
    """Predicted comments per post by region and account type."""
    from analysis.topics import figures

    result = outcome_results(fits, "comments")
    spread = result["region_range"]
    if wording.direction(spread["ci_low"], spread["ci_high"]) == wording.SAME:
        title = "Expected comments per post: no clear difference between regions"
    else:
        title = (
            f"Expected comments per post are highest in the {spread['highest_region']}\n"
            f"and lowest in the {spread['lowest_region']}"
        )
    return figures.predictions_plot(
        result["predictions"],
        title,
        "Expected comments per post (95% interval)",
    )


# --- responsiveness -------------------------------------------------------------------------


def responsiveness_values(result: dict[str, Any]) -> dict[str, Any]:
    """Answer rates per region with intervals, odds ratios and the regional test."""
    out: dict[str, Any] = dict(result["statistics"])
    out["unavailable"] = {
        term: f"{term.replace('_', ' ')} dropped: not estimable with these data"
        for term in result.get("dropped", [])
    }
    for key, value in result["regional_test"].items():
        out[f"region_{key}"] = value
    for row in result["answer_rates"].itertuples():
        out[f"rate_{row.region}"] = row.answer_rate
        out[f"rate_{row.region}_low"] = row.ci_low
        out[f"rate_{row.region}_high"] = row.ci_high
        out[f"observed_rate_{row.region}"] = row.observed_rate
    for row in result["odds_ratios"].itertuples():
        name = row.term.replace("[", "_").replace("]", "")
        out[f"or_{name}"] = row.ratio
        out[f"or_{name}_low"] = row.ci_low
        out[f"or_{name}_high"] = row.ci_high
        out[f"or_{name}_p"] = row.p_value
    return out


def responsiveness_regions(result: dict[str, Any]) -> dict[str, Any]:
    """Each region's model-based answer rate with its 95% interval (answer_rate_<region>)."""
    out: dict[str, Any] = {}
    for row in result["answer_rates"].itertuples():
        out[f"answer_rate_{row.region}"] = row.answer_rate
        out[f"answer_rate_{row.region}_low"] = row.ci_low
        out[f"answer_rate_{row.region}_high"] = row.ci_high
    test = result["regional_test"]
    out.update(wald_chi2=test["wald_chi2"], wald_df=test["wald_df"], wald_p=test["wald_p"])
    out["wald_p_text"] = wording.p_clause(test["wald_p"])
    rates = result["answer_rates"]
    lowest = rates.loc[rates["answer_rate"].idxmin()]
    highest = rates.loc[rates["answer_rate"].idxmax()]
    out |= {
        "lowest_rate_region": str(lowest["region"]),
        "lowest_rate": float(lowest["answer_rate"]),
        "highest_rate_region": str(highest["region"]),
        "highest_rate": float(highest["answer_rate"]),
    }
    sides = {
        str(row.region): wording.below_or_above(row.ci_low, row.ci_high, HALF)
        for row in rates.itertuples()
    }
    if set(sides.values()) == {"below"}:
        words = "fewer than half of the comments in every region"
    elif set(sides.values()) == {"above"}:
        words = "more than half of the comments in every region"
    else:
        words = "; ".join(
            f"{'fewer than' if v == 'below' else 'more than' if v == 'above' else 'about'} half "
            f"in the {r}"
            for r, v in sides.items()
        )
    out["answered_vs_half"] = words
    out["regions_differ"] = "yes" if test["wald_p"] < LEVEL else "no"
    return out


HALF = 0.5  # the registry's reading of "too few answered" (S000-F5)
LEVEL = 0.05  # the regional Wald test's level


def responsiveness_table(result: dict[str, Any]) -> pd.DataFrame:
    """Odds ratios of answering a comment, with 95% intervals."""
    table = result["odds_ratios"]
    out = _round(
        pd.DataFrame(
            {
                "Term": table["label"],
                "Odds ratio": table["ratio"],
                "95% CI low": table["ci_low"],
                "95% CI high": table["ci_high"],
                "p-value": table["p_value"].map(wording.p_value),
                "Accounts": table["accounts"],
            }
        )
    )
    s, t = result["statistics"], result["regional_test"]
    out.attrs["note"] = (
        f"Binomial logit of answered comments; {s['n_comments']:,} comments on "
        f"{s['n_accounts']:,} accounts; standard errors clustered by account. Regional test: "
        f"Wald chi2 = {t['wald_chi2']:.1f}, df = {t['wald_df']}, {wording.p_clause(t['wald_p'])}. "
        f"{FEW_NOTE}"
    )
    return out


def answer_rates_table(result: dict[str, Any]) -> pd.DataFrame:
    """Each region's answer rate with its 95% interval, beside the observed share."""
    rates = result["answer_rates"]
    out = pd.DataFrame(
        {
            "Region": rates["region"],
            "Answer rate (%)": 100 * rates["answer_rate"],
            "95% CI low": 100 * rates["ci_low"],
            "95% CI high": 100 * rates["ci_high"],
            "Observed (%)": 100 * rates["observed_rate"],
            "Comments": rates["comments"],
            "Accounts": rates["accounts"],
        }
    )
    out = _round(out, 2)
    out.attrs["note"] = (
        "Model-based rate: the share of all comments that would be answered if every account "
        "were in that region, other characteristics as observed (logit model, intervals "
        "clustered by account). Observed: answered / received in the region."
    )
    return out


def answer_rates_figure(result: dict[str, Any]) -> Any:
    """Answer rates by region with 95% intervals."""
    from analysis.topics import figures

    rates = result["answer_rates"]["answer_rate"]
    title = f"Share of comments answered: {rates.min():.0%} to {rates.max():.0%} across regions"
    return figures.answer_rates_plot(result["answer_rates"], title)


# --- audience and robustness ----------------------------------------------------------------


def audience_values(result: dict[str, Any]) -> dict[str, Any]:
    """Audience ratios by region (followers, page views) with intervals, and the N."""
    statistics = result["statistics"]
    out: dict[str, Any] = {
        "unavailable": {
            name: f"{name.replace('_', ' ')} model: {stats.get('reason')}"
            for name, stats in statistics.items()
            if not stats.get("available", True)
        }
    }
    for name, stats in statistics.items():
        if stats.get("available", True):
            out[f"{name}_n_accounts"] = stats["n_accounts"]
    for row in result["ratios"].itertuples():
        name = f"{row.outcome}_ratio_{row.term.replace('[', '_').replace(']', '')}"
        out[name] = row.ratio
        out[f"{name}_low"] = row.ci_low
        out[f"{name}_high"] = row.ci_high
    for row in result["by_region"].itertuples():
        out[f"median_followers_{row.region}"] = row.median_followers
        out[f"page_views_per_post_{row.region}"] = row.page_views_per_post
    for row in result["ratios"].itertuples():
        name = f"{row.outcome}_ratio_{row.term.replace('[', '_').replace(']', '')}"
        if "region" in name:
            noun = "followers" if row.outcome == "followers" else "page views"
            out[f"{name}_words"] = wording.ratio_words(
                row.ratio, row.ci_low, row.ci_high, noun, "an eastern one"
            )
    return out


def audience_table(result: dict[str, Any]) -> pd.DataFrame:
    """Ratios of audience size by region, level and account type."""
    ratios = result["ratios"]
    out = _round(
        pd.DataFrame(
            {
                "Measure": ratios["measure"],
                "Term": ratios["label"],
                "Ratio": ratios["ratio"],
                "95% CI low": ratios["ci_low"],
                "95% CI high": ratios["ci_high"],
                "p-value": ratios["p_value"].map(wording.p_value),
                "Accounts": ratios["accounts"],
            }
        )
    )
    out.attrs["note"] = (
        "Followers: Weibo accounts, linear model of log followers (ratios of geometric means). "
        "Page views: WeChat accounts, Poisson pseudo-likelihood of page views with log(posts) "
        f"offset (ratios of mean views per post). Robust (HC1) intervals. {FEW_NOTE}"
    )
    return out


def robustness_values(result: dict[str, Any]) -> dict[str, Any]:
    """Whether the regional conclusions survive, and the province covariate's effects."""
    out: dict[str, Any] = {
        "statement": result["statement"],
        "internet_note": result["internet_note"],
        "n_provinces": result["n_provinces"],
    }
    for outcome, ok in result["survives"].items():
        out[f"{outcome}_survives"] = "yes" if ok else "no"
    for outcome, found in result["main_finds"].items():
        out[f"{outcome}_main_finds_differences"] = "yes" if found else "no"
    for outcome, effect in result["gdp_effects"].items():
        for key, value in effect.items():
            out[f"{outcome}_gdp_{key}"] = value
    return out


def robustness_table(result: dict[str, Any]) -> pd.DataFrame:
    """Region ratios and the regional test under every robustness specification."""
    table = result["table"]
    out = pd.DataFrame(
        {
            "Outcome": table["outcome"].map(
                {"comments": "Comments (IRR)", "answered": "Answered (OR)"}
            ),
            "Specification": table["specification"],
            "Region (vs east)": table["region"],
            "Ratio (95% CI)": [
                interval_text(r, lo, hi)
                for r, lo, hi in zip(table["ratio"], table["ci_low"], table["ci_high"], strict=True)
            ],
            "Regional Wald p": table["wald_p"].map(wording.p_value),
            "Conclusion holds": table["holds"].map({True: "yes", False: "no"}),
        }
    )
    # The conclusion itself is said once, in the chapter's prose (robustness.values statement).
    out.attrs["note"] = (
        "Each row repeats the regional comparison under one specification; 'Conclusion holds' "
        "says whether that specification reaches the main model's conclusion about regional "
        f"differences. {result['internet_note']}"
    )
    return out
